// The agent daemon: keeps an MQTT session, reconciles the retained job specs with the
// jobs it runs, runs each selected job on a worker thread of its own, publishes batches
// and job status.
//
// Threads: the MQTT dispatch thread calls OnMessage (reconcile only: parse, start,
// stop); one worker per running job does parse/clean/batch/publish. Start/Stop from
// the main thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/job_pipeline.h"
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
};

class Agent {
 public:
  explicit Agent(AgentOptions options);
  ~Agent();

  // Opens the state dir and starts connecting (returns before the broker answers).
  Status Start();
  // Cancels running jobs, publishes "offline" and disconnects.
  void Stop();

 private:
  struct RunningJob {
    JobSpec spec;
    std::atomic<bool> cancel{false};
    std::atomic<bool> finished{false};
    std::thread thread;
  };

  void OnConnect();
  void OnMessage(const MqttMessage& msg);
  void OnJobSpec(const std::string& job_id, const std::string& payload);
  void StartJob(JobSpec spec);
  void StopJob(const std::string& job_id);  // REQUIRES: jobs_mu_ held
  void RunJob(RunningJob* job);
  Status PublishBatch(RunningJob* job, std::vector<Record>&& records);
  void PublishStatus(const std::string& job_id, int64_t version, const std::string& state,
                     const nlohmann::json& counters, const std::string& error);
  std::string StatePayload(bool online) const;

  AgentOptions opts_;
  Topics topics_;
  std::unique_ptr<StateDir> state_;
  std::unique_ptr<MqttClient> mqtt_;
  std::mutex jobs_mu_;
  std::map<std::string, std::unique_ptr<RunningJob>> jobs_;
  // Last status payload per job, re-published on every (re)connect so a status that
  // could not be sent while offline is not lost.
  std::mutex status_mu_;
  std::map<std::string, std::string> last_status_;
  int64_t started_ms_ = 0;
};

// Parses "k=v,k2=v2" into labels; an error names the bad item.
Result<std::map<std::string, std::string>> ParseLabels(const std::string& text);

}  // namespace edgeline
