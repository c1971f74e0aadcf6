#include "aggregator/aggregator.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "common/ack.h"
#include "common/log.h"
#include "common/time_util.h"

namespace edgeline {

namespace {
BatchStream StreamOf(const BatchHeader& h) { return BatchStream{h.agent_id, h.job_id, h.epoch}; }

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
}
}  // namespace

Aggregator::Aggregator(AggregatorOptions options, std::shared_ptr<prometheus::Registry> registry)
    : opts_(std::move(options)),
      topics_(opts_.topic_prefix),
      registry_(std::move(registry)),
      batches_family_(prometheus::BuildCounter()
                          .Name("edgeline_aggregator_batches_total")
                          .Help("Batches received, by outcome (applied, duplicate, invalid)")
                          .Register(*registry_)),
      records_family_(prometheus::BuildCounter()
                          .Name("edgeline_aggregator_records_total")
                          .Help("Records merged into windows, by job")
                          .Register(*registry_)),
      late_family_(prometheus::BuildCounter()
                       .Name("edgeline_aggregator_late_records_total")
                       .Help("Records for windows the watermark had closed, by job and "
                             "policy (dropped or revised)")
                       .Register(*registry_)),
      batches_applied_(batches_family_.Add({{"outcome", "applied"}})),
      batches_duplicate_(batches_family_.Add({{"outcome", "duplicate"}})),
      batches_invalid_(batches_family_.Add({{"outcome", "invalid"}})),
      commit_seconds_(prometheus::BuildHistogram()
                          .Name("edgeline_aggregator_commit_seconds")
                          .Help("Duration of one SQLite flush transaction")
                          .Register(*registry_)
                          .Add({}, prometheus::Histogram::BucketBoundaries{
                                       0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                       0.5, 1})),
      windows_open_(prometheus::BuildGauge()
                        .Name("edgeline_aggregator_windows_open")
                        .Help("Window rows held in memory")
                        .Register(*registry_)
                        .Add({})),
      batch_latency_seconds_(prometheus::BuildHistogram()
                                 .Name("edgeline_aggregator_batch_latency_seconds")
                                 .Help("Time from a batch's publication by the agent to its commit")
                                 .Register(*registry_)
                                 .Add({}, LatencyBuckets())) {}

Aggregator::~Aggregator() { Stop(); }

Status Aggregator::Start() {
  auto store = Store::Open(opts_.db_path);
  if (!store.ok()) return store.status();
  store_ = std::move(store.value());
  size_t nwin = 0, nkeys = 0;
  Status s = store_->LoadWindows([&](const WindowRow& r) {
    windows_.Load(r);
    ++nwin;
  });
  if (s.ok()) {
    s = store_->LoadMaxEventTimes(
        [&](const std::string& job, int64_t ts) { windows_.LoadMaxEventTime(job, ts); });
  }
  if (s.ok()) {
    s = store_->LoadMarks([&](const BatchStream& st, int64_t mark) {
      applied_.LoadMark(st, mark);
    });
  }
  if (s.ok()) {
    s = store_->LoadAppliedKeys([&](const AppliedKey& k) {
      applied_.LoadApplied(BatchStream{k.agent_id, k.job_id, k.epoch}, k.seq);
      ++nkeys;
    });
    applied_.FinishLoad();
  }
  if (s.ok()) {
    s = store_->LoadJobs([&](const JobRow& j) {
      auto spec = ParseJobSpec(j.spec);
      if (!spec.ok()) return;
      JobInfo& info = jobs_[j.job_id];
      info.versions[j.version] = std::make_shared<JobSpec>(std::move(spec.value()));
      info.latest = j.version;
      info.deleted = j.deleted;
    });
  }
  if (s.ok()) {
    s = store_->LoadAgents([&](const AgentRow& a) {
      nlohmann::json j = nlohmann::json::parse(a.payload, nullptr, false);
      if (j.is_discarded()) return;
      if (a.job_id.empty()) agent_state_[a.agent_id] = j;
      else agent_jobs_[a.agent_id][a.job_id] = j;
    });
  }
  if (!s.ok()) return s;
  LOG_INFO("database " << opts_.db_path << ": " << nwin << " windows, " << nkeys
                       << " applied batch keys above their marks, " << jobs_.size() << " jobs");
  flusher_ = std::thread([this] { FlushLoop(); });

  MqttOptions mo = opts_.mqtt;
  if (mo.client_id.empty()) mo.client_id = "edgeline-aggregator";
  mo.clean_session = !opts_.persistent_session;
  mqtt_ = std::make_unique<MqttClient>(mo, [this](const MqttMessage& m) { OnMessage(m); });
  mqtt_->AddSubscription(topics_.AllJobs(), 1);
  mqtt_->AddSubscription(topics_.AllAgentStates(), 1);
  mqtt_->AddSubscription(topics_.AllJobStatuses(), 1);
  mqtt_->AddSubscription(topics_.AllData(), 1);
  mqtt_->Start();
  return Status::Ok();
}

void Aggregator::Stop() {
  // MQTT first (no new batches), then the final commit, then the rest. mqtt_ stays valid
  // until the flusher, which publishes acks, has finished.
  if (mqtt_) mqtt_->Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  mqtt_.reset();
  store_.reset();
}

void Aggregator::OnMessage(const MqttMessage& msg) {
  Topics::Parsed p = topics_.Parse(msg.topic);
  switch (p.kind) {
    case Topics::Parsed::kData:
      OnData(p.job_id, p.agent_id, msg.payload);
      break;
    case Topics::Parsed::kJob:
      OnJob(p.job_id, msg.payload);
      break;
    case Topics::Parsed::kAgentState:
    case Topics::Parsed::kJobStatus: {
      if (msg.payload.empty()) {  // a cleared retained status: forget it
        std::lock_guard<std::mutex> lock(mu_);
        if (p.kind == Topics::Parsed::kAgentState) agent_state_.erase(p.agent_id);
        else if (auto it = agent_jobs_.find(p.agent_id); it != agent_jobs_.end()) {
          it->second.erase(p.job_id);
          if (it->second.empty()) agent_jobs_.erase(it);
        }
        pending_.agents.push_back(AgentRow{p.agent_id, p.job_id, ""});
        return;
      }
      nlohmann::json j = nlohmann::json::parse(msg.payload, nullptr, false);
      if (!j.is_object()) {
        LOG_WARN("ignoring non-JSON status on " << msg.topic);
        return;
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (p.kind == Topics::Parsed::kAgentState) agent_state_[p.agent_id] = j;
      else agent_jobs_[p.agent_id][p.job_id] = j;
      pending_.agents.push_back(AgentRow{p.agent_id, p.job_id, msg.payload});
      break;
    }
    case Topics::Parsed::kAcks:
    case Topics::Parsed::kRejects:
    case Topics::Parsed::kOther:
      break;
  }
}

void Aggregator::OnJob(const std::string& job_id, const std::string& payload) {
  std::lock_guard<std::mutex> lock(mu_);
  if (payload.empty()) {
    auto it = jobs_.find(job_id);
    if (it != jobs_.end() && !it->second.deleted) {
      it->second.deleted = true;
      pending_.jobs.push_back(JobRow{job_id, it->second.latest, "", true});
      LOG_INFO("job " << job_id << " deleted; its windows are kept");
    }
    return;
  }
  auto spec = ParseJobSpec(payload);
  if (!spec.ok()) {
    LOG_WARN("job " << job_id << ": ignoring invalid spec: " << spec.status().message());
    return;
  }
  if (spec->job_id != job_id) {
    LOG_WARN("job topic " << job_id << " carries job_id " << spec->job_id << "; ignored");
    return;
  }
  JobInfo& info = jobs_[job_id];
  int64_t version = spec->version;
  auto known = info.versions.find(version);
  bool changed = known == info.versions.end() || known->second->raw != spec->raw ||
                 info.deleted || version != info.latest;
  info.versions[version] = std::make_shared<JobSpec>(std::move(spec.value()));
  if (version >= info.latest) {
    info.latest = version;
    info.deleted = false;
  }
  if (changed && version >= info.latest) {  // an older version never replaces the row
    pending_.jobs.push_back(JobRow{job_id, version, payload, false});
    LOG_INFO("job " << job_id << " v" << version << " registered");
  }
  RetryParked();
}

std::shared_ptr<const JobSpec> Aggregator::SpecFor(const std::string& job_id,
                                                   int64_t version) const {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() || it->second.versions.empty()) return nullptr;
  auto v = it->second.versions.find(version);
  if (v != it->second.versions.end()) return v->second;
  // An older or newer version than any we know: the latest spec decides the windows;
  // fields it names but the batch lacks are skipped.
  return it->second.versions.rbegin()->second;
}

void Aggregator::OnData(const std::string& topic_job, const std::string& topic_agent,
                        const std::string& payload) {
  auto decoded = DecodeBatch(payload, opts_.limits);
  if (!decoded.ok()) {
    batches_invalid_.Increment();
    LOG_WARN("batch on job " << topic_job << " from " << topic_agent << " rejected: "
                             << decoded.status().message());
    return;
  }
  Batch& b = decoded.value();
  if (b.header.job_id != topic_job || b.header.agent_id != topic_agent) {
    batches_invalid_.Increment();
    LOG_WARN("batch header (" << b.header.agent_id << ", " << b.header.job_id
                              << ") does not match its topic; rejected");
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = b.header.agent_id + "/" + b.header.job_id + "/" +
                          std::to_string(b.header.epoch) + "/" + std::to_string(b.header.seq);
  if (applied_.Contains(StreamOf(b.header), b.header.seq)) {
    applied_.Advance(StreamOf(b.header), b.header.seq, b.header.spool_floor);
    batches_duplicate_.Increment();
    duplicate_keys_.push_back(AppliedKey{b.header.agent_id, b.header.job_id, b.header.epoch,
                                         b.header.seq, b.header.count});
    return;
  }
  auto spec = SpecFor(b.header.job_id, b.header.job_version);
  if (!spec) {
    if (parked_.size() >= opts_.max_parked_batches) {
      batches_invalid_.Increment();
      LOG_WARN("batch " << key << " for unknown job " << b.header.job_id
                        << " rejected: parking area full");
      return;
    }
    parked_.push_back(Parked{NowMs(), std::move(b)});
    return;
  }
  ApplyBatch(b, *spec);
}

void Aggregator::ApplyBatch(const Batch& b, const JobSpec& spec) {
  const BatchHeader& h = b.header;
  WindowStore::ApplyResult r;
  if (b.is_partials) {
    // Partials are checked against the job before anything is recorded: one that does
    // not fit is invalid, not applied.
    auto applied = spec.has_aggregate
                       ? windows_.ApplyPartials(b, spec)
                       : Result<WindowStore::ApplyResult>(
                             Status::Error("the job has no aggregate section"));
    if (!applied.ok()) {
      LOG_WARN("partials batch " << h.agent_id << "/" << h.job_id << "/" << h.seq
                                 << " rejected: " << applied.status().message());
      batches_invalid_.Increment();
      return;
    }
    r = applied.value();
  } else if (spec.has_aggregate && b.ts.size() == static_cast<size_t>(h.count)) {
    r = windows_.Apply(b, spec);
  }
  // Otherwise nothing to window (a cleaning-only job, or a batch without event times):
  // the batch is still recorded as applied so its redelivery is recognised.
  applied_.Insert(StreamOf(h), h.seq, h.spool_floor);
  pending_.keys.push_back(AppliedKey{h.agent_id, h.job_id, h.epoch, h.seq, h.count});
  pending_published_ms_.push_back(h.published_ms);
  batches_applied_.Increment();
  records_family_.Add({{"job", h.job_id}}).Increment(static_cast<double>(r.merged));
  if (r.late > 0) {
    late_family_.Add({{"job", h.job_id}, {"policy", spec.late_revise ? "revised" : "dropped"}})
        .Increment(static_cast<double>(r.late));
  }
}

void Aggregator::RetryParked() {
  std::deque<Parked> still;
  int64_t now = NowMs();
  for (auto& p : parked_) {
    auto spec = SpecFor(p.batch.header.job_id, p.batch.header.job_version);
    if (spec) {
      const BatchHeader& h = p.batch.header;
      if (applied_.Contains(StreamOf(h), h.seq)) {
        batches_duplicate_.Increment();
        duplicate_keys_.push_back(AppliedKey{h.agent_id, h.job_id, h.epoch, h.seq, h.count});
      } else {
        ApplyBatch(p.batch, *spec);
      }
    } else if (now - p.received_ms > opts_.park_timeout_ms) {
      batches_invalid_.Increment();
      LOG_WARN("batch seq " << p.batch.header.seq << " of unknown job " << p.batch.header.job_id
                            << " from " << p.batch.header.agent_id
                            << " rejected: no job spec arrived within "
                            << opts_.park_timeout_ms << " ms");
    } else {
      still.push_back(std::move(p));
    }
  }
  parked_.swap(still);
}

void Aggregator::Flush() {
  CommitSet set;
  std::vector<int64_t> published;
  std::vector<AppliedKey> duplicates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RetryParked();
    duplicates.swap(duplicate_keys_);
    set.keys.swap(pending_.keys);
    set.jobs.swap(pending_.jobs);
    set.agents.swap(pending_.agents);
    published.swap(pending_published_ms_);
    int64_t now_ms = NowMs();
    if (opts_.retention_ms > 0 && now_ms - last_retention_ms_ >= opts_.retention_check_ms) {
      // Dirty rows of expired windows go too, so the delete and the upserts agree.
      last_retention_ms_ = now_ms;
      set.delete_ended_before = now_ms - opts_.retention_ms;
      size_t n = windows_.DropEndedBefore(set.delete_ended_before);
      if (n > 0) LOG_INFO("retention: " << n << " windows ended before " << FormatIso8601(set.delete_ended_before));
    }
    windows_.TakeDirty(&set.windows, &set.max_event_ts);
    windows_open_.Set(static_cast<double>(windows_.size()));
    set.marks = applied_.TakeChangedMarks();
  }
  if (set.empty()) {
    PublishAcks(duplicates);  // their originals are committed already
    return;
  }
  auto t0 = std::chrono::steady_clock::now();
  int64_t now = NowMs();
  Status s = store_->Commit(set, now);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::unique_lock<std::mutex> lock(mu_);
  last_commit_ok_ = s.ok();
  if (!s.ok()) {
    // Keep everything pending; the next tick retries. The in-memory state already holds
    // the merges, so nothing is applied twice.
    LOG_ERROR(s.message() << "; will retry");
    for (auto& k : set.keys) pending_.keys.push_back(std::move(k));
    for (auto& j : set.jobs) pending_.jobs.push_back(std::move(j));
    for (auto& a : set.agents) pending_.agents.push_back(std::move(a));
    windows_.MarkDirty(set.windows);
    applied_.Requeue(set.marks);
    pending_published_ms_.insert(pending_published_ms_.end(), published.begin(), published.end());
    duplicate_keys_.insert(duplicate_keys_.end(), duplicates.begin(), duplicates.end());
    return;
  }
  last_commit_ms_ = now;
  commit_seconds_.Observe(secs);
  for (int64_t p : published) batch_latency_seconds_.Observe(std::max<int64_t>(0, now - p) / 1000.0);
  lock.unlock();
  duplicates.insert(duplicates.end(), set.keys.begin(), set.keys.end());
  PublishAcks(duplicates);
}

void Aggregator::PublishAcks(const std::vector<AppliedKey>& keys) {
  if (keys.empty() || !mqtt_) return;
  std::map<std::string, std::vector<AckKey>> by_agent;
  for (const auto& k : keys) by_agent[k.agent_id].push_back(AckKey{k.job_id, k.epoch, k.seq});
  for (auto& [agent, list] : by_agent) {
    // A lost ack costs a re-send from the agent's spool, answered by a duplicate ack.
    Status s = mqtt_->Publish(topics_.Acks(agent), EncodeAcks(std::move(list)), 1, false,
                              std::chrono::seconds(5));
    if (!s.ok()) LOG_DEBUG("ack to " << agent << " not sent: " << s.message());
  }
}

void Aggregator::FlushLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(opts_.flush_interval_ms));
    lock.unlock();
    Flush();
    lock.lock();
  }
  lock.unlock();
  Flush();  // final commit on shutdown
}

Result<nlohmann::json> Aggregator::QueryWindows(const WindowQuery& query) {
  WindowQuery q = query;
  bool known;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = jobs_.find(q.job_id);
    known = it != jobs_.end();
    if (known) {
      // The quantiles the job's latest spec asks for, computed from the stored sketches.
      const JobSpec& spec = *it->second.versions.rbegin()->second;
      for (const auto& [field, names] : spec.metrics) {
        for (const auto& name : names) {
          if (name.size() > 1 && name[0] == 'p') {
            q.quantiles[field][name] = std::stod(name.substr(1)) / 100;
          }
        }
      }
    }
  }
  if (!known) {
    auto rows = store_->QueryWindows(WindowQuery{q.job_id, std::nullopt, std::nullopt, std::nullopt, {}, {}});
    if (rows.ok() && rows->empty()) return Status::Error("unknown job \"" + q.job_id + "\"");
  }
  static const std::set<std::string> kMetrics = {"count", "sum",   "mean", "min",
                                                  "max",   "stddev", "first", "last",
                                                  "revision", "updated_at"};
  for (const auto& m : q.metrics) {
    bool quantile = false;
    for (const auto& [field, names] : q.quantiles) quantile |= names.count(m) > 0;
    if (!kMetrics.count(m) && !quantile) {
      return Status::Error("parameter metrics: \"" + m + "\" is not a metric of job \"" +
                           q.job_id + "\"");
    }
  }
  auto rows = store_->QueryWindows(q);
  if (!rows.ok()) return rows.status();
  if (!known && rows->empty()) return Status::Error("unknown job \"" + q.job_id + "\"");
  return rows;
}

nlohmann::json Aggregator::Jobs() {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [id, info] : jobs_) {
    auto spec = info.versions.rbegin()->second;
    nlohmann::json j = {{"job_id", id}, {"version", info.latest}, {"deleted", info.deleted}};
    if (spec->has_aggregate) {
      j["window_ms"] = spec->window_ms;
      j["slide_ms"] = spec->slide_ms;
      j["allowed_lateness_ms"] = spec->allowed_lateness_ms;
      j["group_by"] = spec->group_by;
      j["metrics"] = spec->metrics;
    }
    out.push_back(j);
  }
  return out;
}

nlohmann::json Aggregator::Agents() {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  std::set<std::string> ids;
  for (const auto& [id, st] : agent_state_) ids.insert(id);
  for (const auto& [id, jobs] : agent_jobs_) ids.insert(id);
  for (const auto& id : ids) {
    nlohmann::json a = {{"agent_id", id}};
    auto st = agent_state_.find(id);
    a["state"] = st == agent_state_.end() ? nlohmann::json(nullptr) : st->second;
    nlohmann::json jobs = nlohmann::json::object();
    auto js = agent_jobs_.find(id);
    if (js != agent_jobs_.end()) {
      for (const auto& [job, status] : js->second) jobs[job] = status;
    }
    a["jobs"] = jobs;
    out.push_back(a);
  }
  return out;
}

nlohmann::json Aggregator::Health(bool* ok) {
  bool db = store_ && store_->Healthy();
  bool mq = mqtt_ && mqtt_->IsConnected();
  std::lock_guard<std::mutex> lock(mu_);
  *ok = db && last_commit_ok_ && mq;
  return {{"status", *ok ? "ok" : "degraded"},
          {"database", db ? (last_commit_ok_ ? "ok" : "commit failing") : "unavailable"},
          {"mqtt", mq ? "connected" : "disconnected"},
          {"last_commit_ms", last_commit_ms_}};
}

}  // namespace edgeline
