#include "agent/reject_sampler.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace edgeline {

TokenBucket::TokenBucket(int64_t per_minute, int64_t burst, int64_t now_ms)
    : per_minute_(per_minute),
      capacity_(burst * kTokenCredit),
      credit_(capacity_),
      last_ms_(now_ms) {}

void TokenBucket::Refill(int64_t now_ms) {
  if (now_ms <= last_ms_) return;
  // Capped before multiplying: more than a full bucket's worth of time adds no more.
  const int64_t full_after_ms = capacity_ / per_minute_ + 1;
  const int64_t elapsed = std::min(now_ms - last_ms_, full_after_ms);
  credit_ = std::min(capacity_, credit_ + elapsed * per_minute_);
  last_ms_ = now_ms;
}

bool TokenBucket::TryTake(int64_t now_ms) {
  Refill(now_ms);
  if (credit_ < kTokenCredit) return false;
  credit_ -= kTokenCredit;
  return true;
}

namespace {
std::string_view WithoutLineEnd(std::string_view raw) {
  while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) raw.remove_suffix(1);
  return raw;
}

std::string_view Truncated(std::string_view raw) {
  if (raw.size() <= kRejectRawMaxBytes) return raw;
  size_t cut = kRejectRawMaxBytes;
  // Back off to the start of a UTF-8 character (at most 3 continuation bytes).
  for (int i = 0; i < 3 && cut > 0 && (static_cast<unsigned char>(raw[cut]) & 0xC0) == 0x80; ++i) {
    --cut;
  }
  return raw.substr(0, cut);
}
}  // namespace

std::string EncodeRejectSample(const RejectSample& s) {
  nlohmann::json j = {{"job_id", s.job_id},
                      {"version", s.version},
                      {"agent_id", s.agent_id},
                      {"reason", s.reason},
                      {"raw", std::string(Truncated(WithoutLineEnd(s.raw)))},
                      {"raw_bytes", WithoutLineEnd(s.raw).size()},
                      {"source", s.source},
                      {"time", FormatIso8601(s.time_ms)},
                      {"suppressed", s.suppressed}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

RejectReporter::RejectReporter(const JobSpec& spec, std::string agent_id, int64_t per_minute,
                               PublishFn publish, SourceFn source, Clock clock)
    : spec_(spec),
      agent_id_(std::move(agent_id)),
      publish_(std::move(publish)),
      source_(std::move(source)),
      clock_(std::move(clock)),
      bucket_(per_minute, std::min(per_minute, kBurst), clock_()) {}

void RejectReporter::OnReject(const std::string& reason, std::string_view raw) {
  const int64_t now = clock_();
  if (!bucket_.TryTake(now)) {
    ++pending_suppressed_;
    ++counts_.suppressed;
    return;
  }
  RejectSample s;
  s.job_id = spec_.job_id;
  s.version = spec_.version;
  s.agent_id = agent_id_;
  s.reason = reason;
  s.raw = raw;
  s.source = source_ ? source_() : "";
  s.time_ms = now;
  s.suppressed = pending_suppressed_;
  if (publish_(EncodeRejectSample(s))) {
    pending_suppressed_ = 0;
    ++counts_.published;
  } else {
    ++pending_suppressed_;  // the next sample reports it
    ++counts_.unsent;
  }
}

RejectReporter::Counts RejectReporter::TakeCounts() {
  Counts c = counts_;
  counts_ = Counts{};
  return c;
}

}  // namespace edgeline
