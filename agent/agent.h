// The agent daemon: keeps an MQTT session, reconciles the retained job specs with the
// jobs it runs, runs each selected job on a worker thread of its own, and reports job
// status. Batches go to the spool; the Publisher sends them; acks remove them.
//
// Threads: the MQTT dispatch thread calls OnMessage (reconcile: parse, start, stop; and
// acks); one worker per running job does parse/clean/batch/spool; the Publisher's thread
// drains the spool. Start/Stop from the main thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/file_source.h"
#include "agent/job_pipeline.h"
#include "agent/publisher.h"
#include "agent/reject_sampler.h"
#include "agent/spool.h"
#include "agent/state_dir.h"
#include "common/job_spec.h"
#include "common/mqtt_client.h"
#include "common/topics.h"

namespace edgeline {

struct AgentOptions {
  std::string agent_id;
  std::map<std::string, std::string> labels;
  std::string state_dir;
  MqttOptions mqtt;
  std::string topic_prefix = "edgeline";
  int64_t status_interval_ms = 1000;  // running-status updates while a job runs
  int64_t rejects_per_minute = 60;    // reject samples per job (<p>/rejects/...); 0 = off
  SpoolOptions spool;                 // spool.dir defaults to <state_dir>/spool
  PublisherOptions publisher;         // agent_id is filled in by the agent
};

class Agent {
 public:
  explicit Agent(AgentOptions options);
  ~Agent();

  // Opens the state dir and starts connecting (returns before the broker answers).
  Status Start();
  // Cancels running jobs, publishes "offline" (unless fenced) and disconnects.
  void Stop();
  // True once another agent with the same id and an older claim was seen online: this
  // one must stop (docs/operations.md#duplicate-agent-ids). The main loop polls it.
  bool fenced() const { return fenced_.load(); }

 private:
  struct RunningJob {
    JobSpec spec;
    std::atomic<bool> cancel{false};
    std::atomic<bool> forget{false};    // with cancel: deleted or untargeted, not just stopped
    std::atomic<bool> replaced{false};  // with cancel: a new version takes over
    std::atomic<bool> finished{false};
    std::mutex mu;  // with cv: wakes a following job's poll wait on cancel
    std::condition_variable cv;
    std::thread thread;
  };

  void OnConnect();
  void OnMessage(const MqttMessage& msg);
  // Another process's message on this agent's own state topic.
  void OnOwnState(const std::string& payload);
  // Before connecting for real: is this id online with another epoch? Then refuse.
  Status ProbeDuplicate(const MqttOptions& mo);
  void OnJobSpec(const std::string& job_id, const std::string& payload);
  void StartJob(JobSpec spec);
  static void Cancel(RunningJob* job);
  // REQUIRES: jobs_mu_ held. `forget`: the job is deleted or untargeted, so its input
  // session is discarded too.
  void StopJob(const std::string& job_id, bool forget = false);
  void RunJob(RunningJob* job);
  // RunJob for input.type "mqtt" (agent/agent_mqtt_job.cc).
  void RunMqttJob(RunningJob* job);
  // The job's reject sampler publishing on <p>/rejects/<job>/<agent>; nullptr when
  // rejects_per_minute is 0. `source` names where the current row comes from.
  std::unique_ptr<RejectReporter> MakeRejectReporter(const JobSpec& spec,
                                                     RejectReporter::SourceFn source);
  // Hands the reporter's counts to the metrics.
  static void ReportRejectSamples(const std::string& job_id, RejectReporter* reporter);
  // The job's end: a cancelled job only logs; otherwise the job is marked completed (no
  // error) or failed, and the status says so.
  void FinishJob(RunningJob* job, const Status& s, const nlohmann::json& counters);
  // Encodes a batch, gives it the next sequence number and spools it with the job's
  // checkpoint as of this batch (`checkpoint(seq)`), then saves that checkpoint.
  Status SealBatch(RunningJob* job, std::vector<Record>&& records,
                   const std::function<nlohmann::json(int64_t seq)>& checkpoint);
  // Where a job resumes: the newest checkpoint for this version (or, for a followed
  // input, any version's file cursors); nullopt to start from the beginning.
  std::optional<nlohmann::json> LatestCheckpoint(const JobSpec& spec);
  // A job's checkpoint as of batch `seq` during a sink call: where reading stands
  // (`files`, the file cursors), what was counted and the clean ops' state.
  static nlohmann::json MakeCheckpoint(const JobSpec& spec, int64_t seq, nlohmann::json files,
                                       const JobPipeline& pipeline);
  // Restores the counters and the clean ops' state of checkpoint `cp` into `pipeline`.
  static void RestorePipeline(const JobSpec& spec, const nlohmann::json& cp, JobPipeline* pipeline);
  void OnAcks(const std::string& payload);
  // `input` (if not null) is the status's "input" object (the mqtt input's connection).
  void PublishStatus(const std::string& job_id, int64_t version, const std::string& state,
                     const nlohmann::json& counters, const std::string& error,
                     const nlohmann::json& input = nullptr);
  // {"batches":..,"bytes":..,"oldest_ms":..} of the job's spooled batches.
  nlohmann::json SpoolJson(const std::string& job_id) const;
  // Removes a job's retained status (deleted, or no longer targeting this agent).
  void ClearStatus(const std::string& job_id);
  // Re-publishes a job's last status with its current spool depth.
  void RefreshStatus(const std::string& job_id);
  std::string StatePayload(bool online) const;

  AgentOptions opts_;
  Topics topics_;
  std::unique_ptr<StateDir> state_;
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<MqttClient> mqtt_;
  std::unique_ptr<Publisher> publisher_;
  std::mutex jobs_mu_;
  std::map<std::string, std::unique_ptr<RunningJob>> jobs_;
  // Last status payload per job, re-published on every (re)connect so a status that
  // could not be sent while offline is not lost.
  std::mutex status_mu_;
  std::map<std::string, nlohmann::json> last_status_;
  int64_t started_ms_ = 0;
  std::atomic<bool> fenced_{false};
  std::atomic<bool> stopping_{false};
};

// Parses "k=v,k2=v2" into labels; an error names the bad item.
Result<std::map<std::string, std::string>> ParseLabels(const std::string& text);

}  // namespace edgeline
