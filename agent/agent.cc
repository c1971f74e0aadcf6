#include "agent/agent.h"

#include <chrono>
#include <condition_variable>
#include <optional>
#include <set>

#include "agent/metrics.h"
#include "common/ack.h"
#include "common/json_text.h"
#include "common/log.h"
#include "common/time_util.h"

namespace edgeline {

Result<std::map<std::string, std::string>> ParseLabels(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::Error("label \"" + item + "\" is not key=value");
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
    start = end + 1;
  }
  return out;
}

Agent::Agent(AgentOptions options) : opts_(std::move(options)), topics_(opts_.topic_prefix) {}

Agent::~Agent() { Stop(); }

std::string Agent::StatePayload(bool online) const {
  nlohmann::json j = {{"agent_id", opts_.agent_id},
                      {"status", online ? "online" : "offline"},
                      {"version", EDGELINE_VERSION},
                      {"labels", opts_.labels},
                      {"epoch", state_ ? state_->epoch() : 0},
                      {"started_ms", started_ms_},
                      {"updated_ms", NowMs()},
                      {"capabilities",
                       {{"inputs", {"file", "tail", "mqtt"}},
                        {"formats", {"csv", "ndjson", "json"}},
                        {"modes", {"batch", "stream"}}}}};
  return j.dump();
}

Status Agent::Start() {
  if (!IsValidId(opts_.agent_id)) {
    return Status::Error("agent id \"" + opts_.agent_id + "\" must match [A-Za-z0-9_.-]{1,64}");
  }
  auto st = StateDir::Open(opts_.state_dir);
  if (!st.ok()) return st.status();
  state_ = std::move(st.value());
  SpoolOptions so = opts_.spool;
  if (so.dir.empty()) so.dir = opts_.state_dir + "/spool";
  auto spool = Spool::Open(so);
  if (!spool.ok()) return spool.status();
  spool_ = std::move(spool.value());
  started_ms_ = NowMs();
  MqttOptions mo = opts_.mqtt;
  // The epoch in the client id: a restart (same state dir) takes over its old session,
  // a second device with the same agent id does not kick this one off the broker.
  if (mo.client_id.empty()) {
    mo.client_id = "edgeline-agent-" + opts_.agent_id + "-" + std::to_string(state_->epoch());
  }
  Status probe = ProbeDuplicate(mo);
  if (!probe.ok()) return probe;
  mo.will_topic = topics_.AgentState(opts_.agent_id);
  mo.will_payload = StatePayload(false);
  mo.will_retained = true;
  mqtt_ = std::make_unique<MqttClient>(mo, [this](const MqttMessage& m) { OnMessage(m); });
  mqtt_->AddSubscription(topics_.AgentState(opts_.agent_id), 1);
  mqtt_->AddSubscription(topics_.AllJobs(), 1);
  mqtt_->AddSubscription(topics_.Acks(opts_.agent_id), 1);
  mqtt_->SetOnConnect([this] { OnConnect(); });
  PublisherOptions po = opts_.publisher;
  po.agent_id = opts_.agent_id;
  publisher_ = std::make_unique<Publisher>(po, topics_, mqtt_.get(), spool_.get());
  agent_metrics::Attach(spool_.get(), mqtt_.get());
  SpoolStats ss = spool_->Stats();
  LOG_INFO("agent " << opts_.agent_id << " epoch " << state_->epoch() << ", state dir "
                    << opts_.state_dir << ", broker " << mo.uri << ", spool " << ss.batches
                    << " batches");
  publisher_->Start();
  mqtt_->Start();
  return Status::Ok();
}

Status Agent::ProbeDuplicate(const MqttOptions& mo) {
  MqttOptions po = mo;
  po.client_id = mo.client_id + "-probe";
  po.will_topic.clear();
  std::mutex mu;
  std::condition_variable cv;
  std::optional<nlohmann::json> seen;
  MqttClient probe(po, [&](const MqttMessage& m) {
    std::lock_guard<std::mutex> lock(mu);
    seen = nlohmann::json::parse(m.payload, nullptr, false);
    cv.notify_all();
  });
  probe.AddSubscription(topics_.AgentState(opts_.agent_id), 1);
  probe.Start();
  if (!probe.WaitConnected(std::chrono::seconds(3))) {
    probe.Stop();
    return Status::Ok();  // broker unreachable: the check happens again once connected
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return seen.has_value(); });
  }
  probe.Stop();
  if (seen && seen->is_object() && seen->value("status", "") == "online" &&
      seen->value("epoch", int64_t{0}) != state_->epoch()) {
    return Status::Error("agent id " + opts_.agent_id + " is already online with epoch " +
                         std::to_string(seen->value("epoch", int64_t{0})) +
                         " (another device or state dir); refusing to start a second one");
  }
  return Status::Ok();
}

void Agent::OnOwnState(const std::string& payload) {
  nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object() || j.value("epoch", int64_t{0}) == state_->epoch() || fenced_) return;
  if (j.value("status", "") == "online") {
    // Two live agents claim this id. The one started later steps down.
    int64_t theirs = j.value("started_ms", int64_t{0});
    int64_t their_epoch = j.value("epoch", int64_t{0});
    if (theirs < started_ms_ || (theirs == started_ms_ && their_epoch < state_->epoch())) {
      LOG_ERROR("agent id " << opts_.agent_id << " is also online with epoch " << their_epoch
                            << ", started earlier; this agent stops (fenced)");
      fenced_ = true;
      return;
    }
    LOG_WARN("agent id " << opts_.agent_id << " also claimed by epoch " << their_epoch
                         << ", started later; it will step down");
  }
  // Our retained state was overwritten (by the other's online state or its Last Will):
  // put ours back.
  Status s = mqtt_->Publish(topics_.AgentState(opts_.agent_id), StatePayload(true), 1, true);
  if (!s.ok()) LOG_WARN("cannot publish agent state: " << s.message());
}

void Agent::OnConnect() {
  publisher_->OnConnected(NowMs());
  Status s = mqtt_->Publish(topics_.AgentState(opts_.agent_id), StatePayload(true), 1, true);
  if (!s.ok()) LOG_WARN("cannot publish agent state: " << s.message());
  std::map<std::string, nlohmann::json> statuses;
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    statuses = last_status_;
  }
  for (const auto& [job_id, status] : statuses) {
    s = mqtt_->Publish(topics_.JobStatus(opts_.agent_id, job_id), JsonText(status), 1, true);
    if (!s.ok()) LOG_WARN("cannot re-publish status of job " << job_id << ": " << s.message());
  }
}

void Agent::Stop() {
  if (!mqtt_) return;
  stopping_ = true;  // messages still dispatched while disconnecting start no job
  agent_metrics::Detach();
  {
    std::lock_guard<std::mutex> lock(jobs_mu_);
    for (auto& [id, job] : jobs_) Cancel(job.get());
  }
  // Join outside the lock: workers publish status, which never takes jobs_mu_.
  std::map<std::string, std::unique_ptr<RunningJob>> jobs;
  {
    std::lock_guard<std::mutex> lock(jobs_mu_);
    jobs.swap(jobs_);
  }
  for (auto& [id, job] : jobs) {
    if (job->thread.joinable()) job->thread.join();
  }
  publisher_->Stop();
  if (mqtt_->IsConnected() && !fenced_) {
    Status s = mqtt_->Publish(topics_.AgentState(opts_.agent_id), StatePayload(false), 1, true,
                              std::chrono::seconds(2));
    if (!s.ok()) LOG_WARN("cannot publish offline state: " << s.message());
  }
  mqtt_->Stop();
  publisher_.reset();
  mqtt_.reset();
}

void Agent::OnMessage(const MqttMessage& msg) {
  Topics::Parsed p = topics_.Parse(msg.topic);
  if (p.kind == Topics::Parsed::kAgentState && p.agent_id == opts_.agent_id) {
    OnOwnState(msg.payload);
    return;
  }
  if (fenced_) return;
  if (p.kind == Topics::Parsed::kAcks && p.agent_id == opts_.agent_id) {
    OnAcks(msg.payload);
    return;
  }
  if (p.kind != Topics::Parsed::kJob || stopping_) return;
  if (!IsValidId(p.job_id)) {
    LOG_WARN("ignoring job topic with an invalid job id: " << msg.topic);
    return;
  }
  OnJobSpec(p.job_id, msg.payload);
}

namespace {
// Whether a spec that failed validation plausibly targets this agent: one whose target
// cannot be read counts as plausible, so a broken spec is never silently ignored by all.
bool MaybeTargets(const nlohmann::json& j, const std::string& agent_id,
                  const std::map<std::string, std::string>& labels) {
  if (!j.is_object() || !j.contains("target") || !j["target"].is_object()) return true;
  const auto& t = j["target"];
  if (t.contains("agents") && t["agents"].is_array()) {
    for (const auto& a : t["agents"]) {
      if (a.is_string() && a.get<std::string>() == agent_id) return true;
    }
  }
  if (!t.contains("labels") || !t["labels"].is_object() || t["labels"].empty()) return false;
  for (const auto& [k, v] : t["labels"].items()) {
    auto it = labels.find(k);
    if (it == labels.end() || !v.is_string() || v.get<std::string>() != it->second) return false;
  }
  return true;
}
}  // namespace

void Agent::OnJobSpec(const std::string& job_id, const std::string& payload) {
  std::lock_guard<std::mutex> lock(jobs_mu_);
  if (payload.empty()) {  // deleted (MQTT convention: empty retained payload)
    if (jobs_.count(job_id)) LOG_INFO("job " << job_id << " deleted; stopping it");
    StopJob(job_id, /*forget=*/true);
    state_->ForgetJob(job_id);
    ClearStatus(job_id);
    return;
  }
  auto parsed = ParseJobSpec(payload);
  std::string error;
  int64_t version = 0;
  if (!parsed.ok()) {
    nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
    if (!MaybeTargets(j, opts_.agent_id, opts_.labels)) return;
    error = parsed.status().message();
    if (j.is_object() && j.contains("version") && j["version"].is_number_integer()) {
      version = j["version"].get<int64_t>();
    }
  } else if (parsed->job_id != job_id) {
    if (!parsed->Targets(opts_.agent_id, opts_.labels)) return;
    error = "job spec /job_id: \"" + parsed->job_id + "\" does not match the topic's job id \"" +
            job_id + "\"";
    version = parsed->version;
  }
  if (!error.empty()) {
    auto it = jobs_.find(job_id);
    if (it != jobs_.end() && !it->second->finished) {
      // Like a config reload that fails: the running version goes on.
      LOG_WARN("job " << job_id << ": update refused, v" << it->second->spec.version
                      << " keeps running: " << error);
      return;
    }
    LOG_WARN("job " << job_id << " refused: " << error);
    PublishStatus(job_id, version, "failed", nlohmann::json::object(), error);
    return;
  }
  JobSpec spec = std::move(parsed.value());
  if (!spec.Targets(opts_.agent_id, opts_.labels)) {
    if (jobs_.count(job_id) || state_->Completed(job_id, spec.version)) {
      LOG_INFO("job " << job_id << " no longer targets this agent; stopping it");
      StopJob(job_id, /*forget=*/true);
      ClearStatus(job_id);
    }
    return;
  }
  auto it = jobs_.find(job_id);
  if (it != jobs_.end() && it->second->spec.version == spec.version &&
      it->second->spec.raw == spec.raw) {
    return;  // already running or finished this exact spec
  }
  if (auto done = state_->Completed(job_id, spec.version)) {
    // Completed before a restart: re-announce the result (the broker may have lost it).
    PublishStatus(job_id, spec.version, "completed", (*done)["counters"], "");
    return;
  }
  if (it != jobs_.end()) it->second->replaced = true;
  StopJob(job_id);
  StartJob(std::move(spec));
}

void Agent::ClearStatus(const std::string& job_id) {
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    last_status_.erase(job_id);
  }
  // An empty retained message removes the retained status (MQTT convention).
  Status s = mqtt_->Publish(topics_.JobStatus(opts_.agent_id, job_id), "", 1, true);
  if (!s.ok()) LOG_DEBUG("cannot clear status of job " << job_id << ": " << s.message());
}

void Agent::Cancel(RunningJob* job) {
  job->cancel = true;
  std::lock_guard<std::mutex> lock(job->mu);
  job->cv.notify_all();
}

void Agent::StopJob(const std::string& job_id, bool forget) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  it->second->forget = forget;
  Cancel(it->second.get());
  if (it->second->thread.joinable()) it->second->thread.join();
  jobs_.erase(it);
}

void Agent::StartJob(JobSpec spec) {
  auto job = std::make_unique<RunningJob>();
  job->spec = std::move(spec);
  RunningJob* raw = job.get();
  LOG_INFO("job " << raw->spec.job_id << " v" << raw->spec.version << " accepted");
  PublishStatus(raw->spec.job_id, raw->spec.version, "accepted", nlohmann::json::object(), "");
  job->thread = std::thread([this, raw] { RunJob(raw); });
  jobs_[raw->spec.job_id] = std::move(job);
}

void Agent::OnAcks(const std::string& payload) {
  auto acks = DecodeAcks(payload);
  if (!acks.ok()) {
    LOG_WARN(acks.status().message());
    return;
  }
  std::set<std::string> jobs;
  for (const AckRange& r : acks.value()) {
    // Acks for another epoch refer to a lost state dir's batches (or an agent with the
    // same id elsewhere): not ours to remove.
    if (r.epoch != state_->epoch()) continue;
    if (spool_->Ack(r.job_id, r.first, r.last) > 0) jobs.insert(r.job_id);
  }
  for (const auto& job : jobs) RefreshStatus(job);
}

nlohmann::json Agent::SpoolJson(const std::string& job_id) const {
  SpoolStats st = spool_->JobStats(job_id);
  return {{"batches", st.batches},
          {"bytes", st.bytes},
          {"oldest_ms", st.oldest_ms},
          {"dropped_batches", st.dropped},
          {"dropped_records", st.dropped_records},
          {"dropped_unconfirmed_records", st.dropped_unconfirmed_records}};
}

void Agent::RefreshStatus(const std::string& job_id) {
  nlohmann::json status;
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    auto it = last_status_.find(job_id);
    if (it == last_status_.end()) return;
    it->second["spool"] = SpoolJson(job_id);
    status = it->second;
  }
  Status s = mqtt_->Publish(topics_.JobStatus(opts_.agent_id, job_id), JsonText(status), 1, true);
  if (!s.ok()) LOG_DEBUG("cannot publish status of job " << job_id << ": " << s.message());
}

void Agent::PublishStatus(const std::string& job_id, int64_t version, const std::string& state,
                          const nlohmann::json& counters, const std::string& error,
                          const nlohmann::json& input) {
  nlohmann::json j = {{"agent_id", opts_.agent_id}, {"job_id", job_id},
                      {"version", version},         {"state", state},
                      {"counters", counters},       {"updated_ms", NowMs()}};
  if (!error.empty()) j["error"] = error;
  if (!input.is_null()) j["input"] = input;
  j["spool"] = SpoolJson(job_id);
  agent_metrics::OnJobStatus(job_id, version, counters);
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    last_status_[job_id] = j;
  }
  Status s = mqtt_->Publish(topics_.JobStatus(opts_.agent_id, job_id), JsonText(j), 1, true);
  if (!s.ok()) {
    // While disconnected this is expected: the last status is re-published on connect.
    if (mqtt_->IsConnected())
      LOG_WARN("cannot publish status of job " << job_id << ": " << s.message());
    else
      LOG_DEBUG("status of job " << job_id << " waits for the connection");
  }
}

}  // namespace edgeline
