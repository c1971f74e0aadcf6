// The agent's Prometheus metrics (docs/metrics.md), served on `metrics_listen`
// (off by default) with prometheus-cpp's Exposer.
//
// The agent feeds them through the free functions in `agent_metrics::` below: a few
// one-line hooks in agent.cc, agent_rejects.cc and publisher.cc. They always record (a
// mutex and a map update, at most once per batch or job status) so that the numbers are
// right whenever an endpoint is enabled; AgentMetrics::Collect turns the recorded state
// into metric families at scrape time, reading Spool::Stats() and the MQTT connection
// state directly.
//
// Counters count what this process did. A job's JobCounters (published in its status)
// are cumulative over restarts of the same job version, so the first status of a job
// version seen by this process is a baseline and only later increases are counted.
//
// Labels are job, outcome, reason and stage only: never a device or a group key.
//
// Thread-safe: the hooks are called from the job workers, the publisher and the MQTT
// dispatch thread; Collect from the exposer's HTTP threads.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "agent/job_pipeline.h"
#include "common/status.h"

namespace prometheus {
class Exposer;
}

namespace edgeline {

class MqttClient;
class Spool;

class AgentMetrics : public prometheus::Collectable {
 public:
  // The process-wide instance the hooks write to.
  static const std::shared_ptr<AgentMetrics>& Global();

  // The spool and MQTT client Collect reads; Detach before either is destroyed.
  void Attach(const Spool* spool, const MqttClient* mqtt);
  void Detach();
  // A job status was published with these counters (JobCounters::ToJson; an object
  // without "read", as in an "accepted" status, is ignored).
  void OnJobStatus(const std::string& job_id, int64_t version, const nlohmann::json& counters);
  // The job's file cursors (FileSource::Checkpoint): `count` false sets the baseline
  // (a job starting or resuming), true adds the bytes the cursors advanced since the
  // last call to the job's raw input bytes (called when a batch is sealed).
  void OnCursors(const std::string& job_id, const nlohmann::json& files, bool count);
  // A spooled batch of `bytes` was sent to the broker (re-sends included).
  void AddPublishedBytes(const std::string& job_id, int64_t bytes);
  // Reject samples (agent/reject_sampler.h) since the last call: handed to the broker
  // client, refused by it, and suppressed by the rate limit.
  void AddRejectSamples(const std::string& job_id, int64_t published, int64_t unsent,
                        int64_t suppressed);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct JobTotals {
    // Counted since this process started.
    int64_t kept = 0, rejected = 0, dropped = 0, batches = 0;
    std::map<std::string, int64_t> reasons;
    int64_t raw_bytes = 0, published_bytes = 0;
    bool reject_sampling = false;  // AddRejectSamples was called: the series exist
    int64_t samples_published = 0, samples_unsent = 0, samples_suppressed = 0;
    // Baselines.
    bool have_counters = false;
    int64_t version = 0;
    JobCounters last;
    std::map<std::pair<uint64_t, uint64_t>, int64_t> cursors;  // (dev, ino) -> offset
  };

  mutable std::mutex mu_;
  const Spool* spool_ = nullptr;
  const MqttClient* mqtt_ = nullptr;
  std::map<std::string, JobTotals> jobs_;
  int64_t start_time_s_ = 0;
};

// One-line hooks for the agent's own files: they write to AgentMetrics::Global().
namespace agent_metrics {
void Attach(const Spool* spool, const MqttClient* mqtt);
void Detach();
void OnJobStatus(const std::string& job_id, int64_t version, const nlohmann::json& counters);
void OnCursors(const std::string& job_id, const nlohmann::json& files, bool count);
void AddPublishedBytes(const std::string& job_id, int64_t bytes);
void AddRejectSamples(const std::string& job_id, int64_t published, int64_t unsent,
                      int64_t suppressed);
}  // namespace agent_metrics

// Checks a `metrics_listen` value: empty (off), or HOST:PORT (port 0: any free port).
Status ValidateMetricsListen(const std::string& listen);

// Serves AgentMetrics::Global() (and the exposer's own exposer_* metrics) at
// http://LISTEN/metrics. Start fails when the address cannot be bound.
class MetricsServer {
 public:
  MetricsServer();
  ~MetricsServer();
  Status Start(const std::string& listen);
  // The bound port (useful with port 0), 0 before Start.
  int port() const;

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<AgentMetrics> metrics_;  // keeps the collectable alive (weak in Exposer)
};

}  // namespace edgeline
