// Agent::RunMqttJob: the worker of a job with input.type "mqtt" (agent/mqtt_source.h).
#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "agent/agent.h"
#include "agent/metrics.h"
#include "agent/mqtt_source.h"
#include "common/log.h"
#include "common/time_util.h"

namespace edgeline {

namespace {
// A quiet input's pending batch is checked this often (or every batch_max_ms if shorter).
constexpr int64_t kMaxWaitMs = 250;
// An input broker not reached for this long after the start is logged (WARN).
constexpr int64_t kUnreachableWarnMs = 5000;
}  // namespace

void Agent::RunMqttJob(RunningJob* job) {
  const JobSpec& spec = job->spec;
  JobPipeline* pipeline_ptr = nullptr;
  // An mqtt job's checkpoint has no file cursors: it carries the counters, so a restart
  // of the same version counts on (the broker's session holds the unread messages).
  int64_t last_seq = 0;  // of the newest checkpoint
  auto checkpoint = [&](int64_t seq) {
    last_seq = seq;
    return MakeCheckpoint(spec, seq, nlohmann::json::array(), *pipeline_ptr);
  };
  // No cancel flag: what was received before a stop is still processed and sealed.
  JobPipeline pipeline(spec, [&](std::vector<Record>&& records) {
    return SealBatch(job, std::move(records), checkpoint);
  });
  pipeline_ptr = &pipeline;
  if (auto cp = LatestCheckpoint(spec)) {
    last_seq = cp->value("seq", int64_t{0});
    RestorePipeline(spec, *cp, &pipeline);
    LOG_INFO("job " << spec.job_id << " v" << spec.version << " resumes its counters (seq "
                    << cp->value("seq", int64_t{0}) << ")");
  }

  Status s;
  MqttSourceOptions so;
  so.client_id = MqttSource::ClientId(opts_.agent_id, spec.job_id);
  so.topics = spec.ExpandTopics(opts_.agent_id);
  if (!spec.mqtt_password_env.empty()) {
    const char* password = std::getenv(spec.mqtt_password_env.c_str());
    if (password) {
      so.password = password;
    } else {
      s = Status::Error("input.password_env: the environment variable " + spec.mqtt_password_env +
                        " is not set");
    }
  }
  // The broker keeps the session under the client id; one set up for other topics
  // (or another broker or QoS) is discarded, and the new one is recorded once connected.
  const std::string session = MqttSource::SessionKey(spec);
  so.discard_session = state_->LoadInputSession(spec.job_id) != session;
  std::atomic<bool> session_saved{!so.discard_session};
  so.on_connect = [&] {
    if (session_saved.exchange(true)) return;
    Status w = state_->SaveInputSession(spec.job_id, session);
    if (!w.ok()) LOG_WARN("job " << spec.job_id << ": " << w.message());
  };
  so.wake = [job] {
    std::lock_guard<std::mutex> lock(job->mu);
    job->cv.notify_all();
  };
  std::unique_ptr<MqttSource> source;
  if (s.ok()) {
    try {
      source = std::make_unique<MqttSource>(spec, std::move(so));
    } catch (const std::exception& e) {
      s = Status::Error("input.broker " + spec.mqtt_broker + ": " + e.what());
    }
  }
  auto rejects = MakeRejectReporter(
      spec, [&source] { return source ? source->current_topic() : std::string(); });
  if (rejects) {
    pipeline.set_reject_observer([&rejects](const std::string& reason, std::string_view raw) {
      rejects->OnReject(reason, raw);
    });
  }
  auto input = [&] {
    return nlohmann::json{{"type", "mqtt"},
                          {"broker", spec.mqtt_broker},
                          {"connected", source && source->connected()}};
  };

  PublishStatus(spec.job_id, spec.version, "running", pipeline.Snapshot().ToJson(), "", input());
  const auto wait =
      std::chrono::milliseconds(std::clamp<int64_t>(spec.batch_max_ms, 1, kMaxWaitMs));
  int64_t last_status_ms = NowMs();
  int64_t last_connected_ms = NowMs();
  bool warned = false;
  if (source) source->Start();
  while (s.ok() && !job->cancel) {
    s = source->Drain(&pipeline);
    if (s.ok()) s = pipeline.FlushIfDue(NowMs());
    if (!s.ok()) break;
    const int64_t now = NowMs();
    if (source->connected()) {
      last_connected_ms = now;
      warned = false;
    } else if (!warned && now - last_connected_ms >= kUnreachableWarnMs) {
      LOG_WARN("job " << spec.job_id << ": input broker " << spec.mqtt_broker
                      << " not reachable; retrying");
      warned = true;
    }
    if (now - last_status_ms >= opts_.status_interval_ms) {
      last_status_ms = now;
      ReportRejectSamples(spec.job_id, rejects.get());
      PublishStatus(spec.job_id, spec.version, "running", pipeline.Snapshot().ToJson(), "",
                    input());
    }
    std::unique_lock<std::mutex> lock(job->mu);
    job->cv.wait_for(lock, wait, [&] { return job->cancel.load() || source->pending(); });
  }
  if (source) {
    // Stopped (or failed): disconnect, then seal what was received, so a clean stop
    // loses nothing the broker handed over. A deleted job's session is discarded.
    source->Stop(/*end_session=*/job->forget);
    Status last = s.ok() ? source->Drain(&pipeline) : Status::Ok();
    if (last.ok() && s.ok()) last = pipeline.Flush();
    if (last.ok() && s.ok() && last_seq > 0) {
      // Rows rejected or dropped since the last batch are gone (acknowledged): keep
      // their counts. Same seq as the last batch, so the spool's copy does not win.
      last = state_->SaveCheckpoint(spec.job_id, checkpoint(last_seq),
                                    opts_.spool.fsync == FsyncPolicy::kAlways);
    }
    if (!last.ok()) {
      LOG_WARN("job " << spec.job_id
                      << ": the last records could not be sealed: " << last.message());
    }
  }
  ReportRejectSamples(spec.job_id, rejects.get());
  FinishJob(job, s, pipeline.counters().ToJson());
}

}  // namespace edgeline
