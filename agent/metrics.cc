#include "agent/metrics.h"

#include <prometheus/exposer.h>

#include <chrono>
#include <exception>

#include "agent/spool.h"
#include "common/mqtt_client.h"

namespace edgeline {

namespace {
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(const char* name, const char* help, MetricType type) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

void AddSample(MetricFamily* f, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f->type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f->metric.push_back(std::move(m));
}

int64_t Int(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->get<int64_t>();
}
}  // namespace

const std::shared_ptr<AgentMetrics>& AgentMetrics::Global() {
  static const std::shared_ptr<AgentMetrics> instance = [] {
    auto m = std::make_shared<AgentMetrics>();
    m->start_time_s_ = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    return m;
  }();
  return instance;
}

void AgentMetrics::Attach(const Spool* spool, const MqttClient* mqtt) {
  std::lock_guard<std::mutex> lock(mu_);
  spool_ = spool;
  mqtt_ = mqtt;
}

void AgentMetrics::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  spool_ = nullptr;
  mqtt_ = nullptr;
}

void AgentMetrics::OnJobStatus(const std::string& job_id, int64_t version,
                               const nlohmann::json& counters) {
  if (!counters.is_object() || !counters.contains("read")) return;
  JobCounters c = JobCounters::FromJson(counters);
  std::lock_guard<std::mutex> lock(mu_);
  JobTotals& t = jobs_[job_id];
  const JobCounters& p = t.last;
  // A new job version (or the first status this process sees) starts a baseline: its
  // counters may include what an earlier process counted. So does a decrease, which
  // only a restart of the job from an older checkpoint produces.
  if (!t.have_counters || t.version != version || c.read < p.read || c.kept < p.kept ||
      c.rejected < p.rejected || c.dropped < p.dropped || c.batches < p.batches) {
    t.have_counters = true;
    t.version = version;
    t.last = std::move(c);
    return;
  }
  t.kept += c.kept - p.kept;
  t.rejected += c.rejected - p.rejected;
  t.dropped += c.dropped - p.dropped;
  t.batches += c.batches - p.batches;
  for (const auto& [reason, n] : c.reasons) {
    auto it = p.reasons.find(reason);
    int64_t before = it == p.reasons.end() ? 0 : it->second;
    if (n > before) t.reasons[reason] += n - before;
  }
  t.last = std::move(c);
}

void AgentMetrics::OnCursors(const std::string& job_id, const nlohmann::json& files, bool count) {
  std::map<std::pair<uint64_t, uint64_t>, int64_t> now;
  if (files.is_array()) {
    for (const auto& f : files) {
      if (!f.is_object()) continue;
      now[{static_cast<uint64_t>(Int(f, "dev")), static_cast<uint64_t>(Int(f, "ino"))}] =
          Int(f, "offset");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  JobTotals& t = jobs_[job_id];
  if (count) {
    for (const auto& [file, offset] : now) {
      auto it = t.cursors.find(file);
      // A new file counts from its start; one that went back (truncated) from 0 too.
      int64_t before = it == t.cursors.end() || it->second > offset ? 0 : it->second;
      t.raw_bytes += offset - before;
    }
  }
  t.cursors = std::move(now);
}

void AgentMetrics::AddPublishedBytes(const std::string& job_id, int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  jobs_[job_id].published_bytes += bytes;
}

void AgentMetrics::AddRejectSamples(const std::string& job_id, int64_t published, int64_t unsent,
                                    int64_t suppressed) {
  std::lock_guard<std::mutex> lock(mu_);
  JobTotals& t = jobs_[job_id];
  t.reject_sampling = true;
  t.samples_published += published;
  t.samples_unsent += unsent;
  t.samples_suppressed += suppressed;
}

std::vector<MetricFamily> AgentMetrics::Collect() const {
  MetricFamily up =
      Family("edgeline_agent_up", "1 while the agent process serves metrics", MetricType::Gauge);
  MetricFamily info =
      Family("edgeline_agent_build_info", "Always 1; the version label is the agent's version",
             MetricType::Gauge);
  MetricFamily start =
      Family("edgeline_agent_start_time_seconds",
             "Start time of the agent process, seconds since the Unix epoch", MetricType::Gauge);
  MetricFamily records = Family("edgeline_agent_records_total",
                                "Records read since the process started, by job and outcome "
                                "(kept, rejected, dropped); their sum is the records read",
                                MetricType::Counter);
  MetricFamily rejects = Family("edgeline_agent_rejects_total",
                                "Rejected and dropped records since the process started, by "
                                "job and reason",
                                MetricType::Counter);
  MetricFamily bytes = Family("edgeline_agent_bytes_total",
                              "Bytes by job and stage: raw (input file bytes covered by sealed "
                              "batches) and published (batch payloads sent to the broker, "
                              "re-sends included)",
                              MetricType::Counter);
  MetricFamily batches = Family("edgeline_agent_batches_total",
                                "Batches sealed into the spool since the process started, by job",
                                MetricType::Counter);
  MetricFamily samples = Family("edgeline_agent_reject_samples_total",
                                "Rejected rows sampled to the rejects topic since the process "
                                "started, by job and outcome: published (handed to the broker "
                                "client), unsent (refused: not connected or buffer full), "
                                "suppressed (over rejects_per_minute)",
                                MetricType::Counter);
  MetricFamily spool_bytes =
      Family("edgeline_agent_spool_bytes", "Bytes of batches in the spool (not yet acknowledged)",
             MetricType::Gauge);
  MetricFamily spool_batches =
      Family("edgeline_agent_spool_batches", "Batches in the spool (not yet acknowledged)",
             MetricType::Gauge);
  MetricFamily spool_oldest = Family("edgeline_agent_spool_oldest_batch_timestamp_seconds",
                                     "Seal time of the oldest spooled batch, seconds since the "
                                     "Unix epoch; 0 when the spool is empty",
                                     MetricType::Gauge);
  MetricFamily spool_dropped = Family("edgeline_agent_spool_dropped_total",
                                      "Batches dropped by the spool's byte or age cap since the "
                                      "process started",
                                      MetricType::Counter);
  MetricFamily spool_dropped_records =
      Family("edgeline_agent_spool_dropped_records_total",
             "Records in the batches dropped by the spool's caps since the process started",
             MetricType::Counter);
  MetricFamily connected =
      Family("edgeline_agent_mqtt_connected",
             "1 while the agent is connected to the broker, else 0", MetricType::Gauge);

  AddSample(&up, {}, 1);
  AddSample(&info, {{"version", EDGELINE_VERSION}}, 1);
  std::lock_guard<std::mutex> lock(mu_);
  AddSample(&start, {}, static_cast<double>(start_time_s_));
  for (const auto& [job, t] : jobs_) {
    AddSample(&records, {{"job", job}, {"outcome", "kept"}}, static_cast<double>(t.kept));
    AddSample(&records, {{"job", job}, {"outcome", "rejected"}}, static_cast<double>(t.rejected));
    AddSample(&records, {{"job", job}, {"outcome", "dropped"}}, static_cast<double>(t.dropped));
    for (const auto& [reason, n] : t.reasons) {
      AddSample(&rejects, {{"job", job}, {"reason", reason}}, static_cast<double>(n));
    }
    AddSample(&bytes, {{"job", job}, {"stage", "raw"}}, static_cast<double>(t.raw_bytes));
    AddSample(&bytes, {{"job", job}, {"stage", "published"}},
              static_cast<double>(t.published_bytes));
    AddSample(&batches, {{"job", job}}, static_cast<double>(t.batches));
    if (t.reject_sampling) {
      AddSample(&samples, {{"job", job}, {"outcome", "published"}},
                static_cast<double>(t.samples_published));
      AddSample(&samples, {{"job", job}, {"outcome", "unsent"}},
                static_cast<double>(t.samples_unsent));
      AddSample(&samples, {{"job", job}, {"outcome", "suppressed"}},
                static_cast<double>(t.samples_suppressed));
    }
  }
  if (spool_) {
    SpoolStats s = spool_->Stats();
    AddSample(&spool_bytes, {}, static_cast<double>(s.bytes));
    AddSample(&spool_batches, {}, static_cast<double>(s.batches));
    AddSample(&spool_oldest, {}, static_cast<double>(s.oldest_ms) / 1000.0);
    AddSample(&spool_dropped, {}, static_cast<double>(s.dropped));
    AddSample(&spool_dropped_records, {}, static_cast<double>(s.dropped_records));
  }
  AddSample(&connected, {}, mqtt_ && mqtt_->IsConnected() ? 1 : 0);

  std::vector<MetricFamily> out;
  for (MetricFamily* f :
       {&up, &info, &start, &records, &rejects, &bytes, &batches, &samples, &spool_bytes,
        &spool_batches, &spool_oldest, &spool_dropped, &spool_dropped_records, &connected}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  return out;
}

namespace agent_metrics {
void Attach(const Spool* spool, const MqttClient* mqtt) {
  AgentMetrics::Global()->Attach(spool, mqtt);
}
void Detach() { AgentMetrics::Global()->Detach(); }
void OnJobStatus(const std::string& job_id, int64_t version, const nlohmann::json& counters) {
  AgentMetrics::Global()->OnJobStatus(job_id, version, counters);
}
void OnCursors(const std::string& job_id, const nlohmann::json& files, bool count) {
  AgentMetrics::Global()->OnCursors(job_id, files, count);
}
void AddPublishedBytes(const std::string& job_id, int64_t bytes) {
  AgentMetrics::Global()->AddPublishedBytes(job_id, bytes);
}
void AddRejectSamples(const std::string& job_id, int64_t published, int64_t unsent,
                      int64_t suppressed) {
  AgentMetrics::Global()->AddRejectSamples(job_id, published, unsent, suppressed);
}
}  // namespace agent_metrics

Status ValidateMetricsListen(const std::string& listen) {
  if (listen.empty()) return Status::Ok();
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return Status::Error("\"" + listen + "\" is not HOST:PORT");
  }
  std::string port = listen.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    return Status::Error("\"" + listen + "\" has no valid port");
  }
  return Status::Ok();
}

MetricsServer::MetricsServer() : metrics_(AgentMetrics::Global()) {}

MetricsServer::~MetricsServer() { exposer_.reset(); }

Status MetricsServer::Start(const std::string& listen) {
  Status s = ValidateMetricsListen(listen);
  if (!s.ok()) return s;
  try {
    // civetweb's listening_ports syntax is HOST:PORT, with [v6]:PORT for IPv6.
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    return Status::Error("metrics_listen: cannot listen on " + listen + ": " + e.what());
  }
  exposer_->RegisterCollectable(metrics_);
  return Status::Ok();
}

int MetricsServer::port() const {
  if (!exposer_) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace edgeline
