// The aggregator: subscribe -> decode -> dedup -> window merge -> persist.
//
// Window state lives in memory and is written to SQLite by a flusher thread, one
// transaction per flush interval, together with the keys of the batches that changed
// it. After the commit the batches are acknowledged to their agents
// (edgeline/acks/<agent>), which only then drop them from their spools. On start the
// state is rebuilt from SQLite: a crash loses only uncommitted batches, which were never
// acknowledged and so are re-sent by their agents.
//
// Threads: the MQTT dispatch thread decodes and merges (OnMessage); the flusher thread
// commits; HTTP threads call the query methods. All shared state is under mu_.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "aggregator/applied_set.h"
#include "aggregator/store.h"
#include "common/window_store.h"
#include "common/batch_codec.h"
#include "common/job_spec.h"
#include "common/mqtt_client.h"
#include "common/topics.h"

namespace edgeline {

struct AggregatorOptions {
  std::string db_path;
  MqttOptions mqtt;
  std::string topic_prefix = "edgeline";
  int64_t flush_interval_ms = 200;
  DecodeLimits limits;
  size_t max_parked_batches = 10000;  // batches waiting for their job spec
  int64_t park_timeout_ms = 60000;    // then they are counted invalid (unknown_job)
  // A persistent MQTT session (clean session off, fixed client id): the broker queues
  // batches while the aggregator restarts.
  bool persistent_session = true;
  // Windows that ended more than this long ago (wall clock) are deleted; 0 keeps all.
  int64_t retention_ms = 0;
  int64_t retention_check_ms = 60000;  // how often retention runs
};

class Aggregator {
 public:
  Aggregator(AggregatorOptions options, std::shared_ptr<prometheus::Registry> registry);
  ~Aggregator();

  // Opens the database, rebuilds state, starts the flusher and MQTT (returns before the
  // broker answers).
  Status Start();
  // Stops MQTT, commits what is pending and closes the database.
  void Stop();

  Result<nlohmann::json> QueryWindows(const WindowQuery& q);
  // Known jobs: id, version, deleted, window size, group_by, metrics.
  nlohmann::json Jobs();
  // Last state of each agent and the status of each of its jobs.
  nlohmann::json Agents();
  // {"status":"ok"|"degraded", "database":..., "mqtt":..., "last_commit_ms":...}
  nlohmann::json Health(bool* ok);

 private:
  struct JobInfo {
    std::map<int64_t, std::shared_ptr<const JobSpec>> versions;
    int64_t latest = 0;
    bool deleted = false;
  };
  struct Parked {
    int64_t received_ms;
    Batch batch;
  };

  void OnMessage(const MqttMessage& msg);
  void OnData(const std::string& topic_job, const std::string& topic_agent,
              const std::string& payload);
  void OnJob(const std::string& job_id, const std::string& payload);
  // REQUIRES: mu_ held.
  std::shared_ptr<const JobSpec> SpecFor(const std::string& job_id, int64_t version) const;
  void ApplyBatch(const Batch& b, const JobSpec& spec);  // REQUIRES: mu_ held
  void RetryParked();                                     // REQUIRES: mu_ held
  void FlushLoop();
  void Flush();
  // Publishes one ack message per agent for the given committed keys.
  void PublishAcks(const std::vector<AppliedKey>& keys);

  AggregatorOptions opts_;
  Topics topics_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& batches_family_;
  prometheus::Family<prometheus::Counter>& records_family_;
  prometheus::Family<prometheus::Counter>& late_family_;
  prometheus::Counter& batches_applied_;
  prometheus::Counter& batches_duplicate_;
  prometheus::Counter& batches_invalid_;
  prometheus::Histogram& commit_seconds_;
  prometheus::Gauge& windows_open_;
  prometheus::Histogram& batch_latency_seconds_;

  std::unique_ptr<Store> store_;
  std::unique_ptr<MqttClient> mqtt_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, JobInfo> jobs_;
  WindowStore windows_;
  AppliedSet applied_;  // committed or pending batches
  CommitSet pending_;                        // keys, jobs and agents not yet committed
  std::vector<int64_t> pending_published_ms_;
  std::vector<AppliedKey> duplicate_keys_;  // re-sent batches: acked after the next commit
  std::deque<Parked> parked_;
  std::map<std::string, nlohmann::json> agent_state_;                      // agent -> state
  std::map<std::string, std::map<std::string, nlohmann::json>> agent_jobs_;  // agent -> job -> status
  int64_t last_commit_ms_ = 0;
  int64_t last_retention_ms_ = 0;
  bool last_commit_ok_ = true;
  std::thread flusher_;
};

}  // namespace edgeline
