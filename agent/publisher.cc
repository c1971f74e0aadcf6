#include "agent/publisher.h"
#include "agent/metrics.h"

#include <chrono>

#include "common/batch_codec.h"
#include "common/log.h"
#include "common/time_util.h"

namespace edgeline {

Publisher::Publisher(PublisherOptions options, const Topics& topics, MqttClient* mqtt,
                     Spool* spool)
    : opts_(std::move(options)), topics_(topics), mqtt_(mqtt), spool_(spool) {}

Publisher::~Publisher() { Stop(); }

void Publisher::Start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { Loop(); });
}

void Publisher::Stop() {
  if (!running_.exchange(false)) return;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Publisher::Notify() {
  std::lock_guard<std::mutex> lock(mu_);
  notified_ = true;
  cv_.notify_all();
}

void Publisher::OnConnected(int64_t now_ms) {
  live_since_ms_ = now_ms;
  Notify();
}

bool Publisher::Send(const SpoolEntry& e, bool historical) {
  auto payload = spool_->Read(e.job_id, e.seq);
  if (!payload) return true;  // acknowledged or dropped meanwhile
  if (historical) *payload = MarkHistorical(*payload);
  Status s = mqtt_->Publish(topics_.Data(e.job_id, opts_.agent_id), *payload, 1, false);
  if (!s.ok()) {
    LOG_DEBUG("batch " << e.job_id << "/" << e.seq << " not sent: " << s.message());
    return false;
  }
  spool_->MarkSent(e.job_id, e.seq, NowMs());
  agent_metrics::AddPublishedBytes(e.job_id, static_cast<int64_t>(payload->size()));
  return true;
}

void Publisher::Loop() {
  int64_t next_backlog_ms = 0;
  int64_t last_expiry_ms = 0;
  const int64_t backlog_gap_ms =
      opts_.backlog_rate > 0 ? static_cast<int64_t>(1000 / opts_.backlog_rate) : 0;
  while (running_) {
    int64_t now = NowMs();
    if (now - last_expiry_ms >= 1000) {
      spool_->ExpireOld(now);
      last_expiry_ms = now;
    }
    int64_t wait_ms = 500;
    if (mqtt_->IsConnected()) {
      const int64_t live_since = live_since_ms_;
      bool sent_any = false;
      for (const SpoolEntry& e : spool_->Due(now, live_since, opts_.ack_timeout_ms, 32)) {
        if (!running_) break;
        bool backlog = e.created_ms < live_since || e.last_sent_ms != 0;
        if (backlog) {
          now = NowMs();
          if (now < next_backlog_ms) {
            wait_ms = next_backlog_ms - now;
            break;  // paced: look for live batches again first
          }
          next_backlog_ms = now + backlog_gap_ms;
        }
        if (!Send(e, backlog)) break;
        sent_any = true;
      }
      if (sent_any) continue;  // more may be due right away
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                 [this] { return notified_ || !running_; });
    notified_ = false;
  }
}

}  // namespace edgeline
