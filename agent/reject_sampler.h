// Samples of rejected rows on <p>/rejects/<job_id>/<agent_id> (docs/architecture.md#rejects):
// a token bucket per job decides which rejects are published, the others are counted and
// reported as `suppressed` in the next sample.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/job_spec.h"
#include "common/time_util.h"

namespace edgeline {

// A token bucket in exact integer arithmetic: `per_minute` tokens a minute, at most
// `burst` held, full at the start. Time comes from the caller (epoch ms), so tests
// control it; time going backwards adds nothing. Not thread-safe.
class TokenBucket {
 public:
  // REQUIRES: per_minute >= 1, burst >= 1.
  TokenBucket(int64_t per_minute, int64_t burst, int64_t now_ms);
  // Takes one token if a whole one is available at `now_ms`.
  bool TryTake(int64_t now_ms);
  // Whole tokens held as of the last call.
  int64_t tokens() const { return credit_ / kTokenCredit; }

 private:
  static constexpr int64_t kTokenCredit = 60000;  // one token; each ms adds per_minute
  void Refill(int64_t now_ms);
  int64_t per_minute_;
  int64_t capacity_;  // burst * kTokenCredit
  int64_t credit_;
  int64_t last_ms_;
};

// One sample as published (EncodeRejectSample).
struct RejectSample {
  std::string job_id;
  int64_t version = 0;
  std::string agent_id;
  std::string reason;
  std::string_view raw;  // the row's text as read; "" when it was never read whole
  std::string source;    // the file path or the MQTT topic it came from, "" if unknown
  int64_t time_ms = 0;   // wall clock
  int64_t suppressed = 0;
};

// The message: {"job_id","version","agent_id","reason","raw","raw_bytes","source","time",
// "suppressed"}. `raw` loses its line end, is cut to kRejectRawMaxBytes (at a UTF-8
// character boundary) and has invalid UTF-8 replaced by U+FFFD; `raw_bytes` is its
// length without the line end, before the cut.
constexpr size_t kRejectRawMaxBytes = 512;
std::string EncodeRejectSample(const RejectSample& sample);

// Publishes a job's reject samples. OnReject is meant as the JobPipeline's reject
// observer: it runs on the job's thread and never blocks (the publish function must
// not either). Rejects past the rate are counted and reported in the next sample's
// `suppressed`, and so is a sample the publish function could not send.
//
// Not thread-safe: one per job, used by the job's worker.
class RejectReporter {
 public:
  // Returns false when the payload could not be handed over (e.g. disconnected).
  using PublishFn = std::function<bool(const std::string& payload)>;
  // Where the row being processed comes from (RejectSample::source).
  using SourceFn = std::function<std::string()>;
  using Clock = std::function<int64_t()>;

  // The burst: at most this many samples back to back (fewer if per_minute is lower).
  static constexpr int64_t kBurst = 10;

  // REQUIRES: per_minute >= 1; `spec` outlives the reporter.
  RejectReporter(const JobSpec& spec, std::string agent_id, int64_t per_minute, PublishFn publish,
                 SourceFn source, Clock clock = NowMs);

  void OnReject(const std::string& reason, std::string_view raw);

  struct Counts {
    int64_t published = 0;   // handed to the publish function
    int64_t unsent = 0;      // the publish function refused them
    int64_t suppressed = 0;  // over the rate
  };
  // What happened since the previous call (for metrics).
  Counts TakeCounts();

 private:
  const JobSpec& spec_;
  std::string agent_id_;
  PublishFn publish_;
  SourceFn source_;
  Clock clock_;
  TokenBucket bucket_;
  int64_t pending_suppressed_ = 0;  // not sampled since the last published sample
  Counts counts_;
};

}  // namespace edgeline
