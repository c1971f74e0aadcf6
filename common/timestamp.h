// The job's timestamp parser: text in the spec's format (docs/job-spec.md#timestamps) to
// UTC epoch milliseconds, with the spec's time zone and DST policy for local times.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/time_pattern.h"
#include "common/time_util.h"
#include "common/timezone.h"

namespace edgeline {

enum class TimestampFormat { kIso8601, kEpochS, kEpochMs, kEpochUs, kEpochNs, kStrftime };

// A local time that occurs twice (clocks go back).
enum class AmbiguousPolicy { kEarliest, kLatest, kReject };
// A local time that never occurs (clocks go forward).
enum class NonexistentPolicy { kShiftForward, kReject };

// schema.timestamp, minus the field name.
struct TimestampSpec {
  TimestampFormat format = TimestampFormat::kIso8601;
  std::string pattern;           // kStrftime: validated by TimePattern::Compile
  std::string timezone = "UTC";  // for local times (no offset in the text)
  AmbiguousPolicy ambiguous = AmbiguousPolicy::kEarliest;
  NonexistentPolicy nonexistent = NonexistentPolicy::kShiftForward;
};

// Reject reasons (docs/job-spec.md#reasons-and-counters).
inline constexpr const char* kBadTimestamp = "bad_timestamp";
inline constexpr const char* kAmbiguousTime = "ambiguous_time";
inline constexpr const char* kNonexistentTime = "nonexistent_time";

struct TimestampResult {
  int64_t ms = 0;                // UTC epoch milliseconds, when ok()
  const char* reject = nullptr;  // else kBadTimestamp, kAmbiguousTime or kNonexistentTime
  bool ok() const { return reject == nullptr; }
};

// Built once per job; Parse is the per-value path and does not allocate.
//
// Not thread-safe: Parse updates a lookup cache. Use one parser per thread (copies are
// cheap and share the immutable zone).
class TimestampParser {
 public:
  // ISO 8601, local times in UTC.
  TimestampParser();

  // Loads spec.timezone (TimeZone::Load) and compiles spec.pattern. The error reads
  // "job spec /schema/timestamp/timezone: unknown time zone ..." (or .../pattern: ...).
  static Result<TimestampParser> Create(const TimestampSpec& spec);

  // Parses the whole of `text` (no surrounding spaces).
  TimestampResult Parse(std::string_view text) {
    int64_t ms;
    if (spec_.format == TimestampFormat::kIso8601 && ParseIso8601UtcCached(text, iso_date_, &ms)) {
      return {ms, nullptr};
    }
    return ParseText(text);
  }

  TimestampFormat format() const { return spec_.format; }
  // The minute Parse reads ISO 8601 texts of in one step (ParseIso8601UtcCached); each
  // Parse of another minute's text moves it there.
  const IsoDateCache& iso_minute() const { return iso_date_; }

 private:
  TimestampResult ParseText(std::string_view text);
  TimestampResult Resolve(const LocalTime& t);
  TimestampResult Epoch(std::string_view text) const;

  TimestampSpec spec_;
  TimePattern pattern_;
  std::shared_ptr<const TimeZone> zone_;
  TimeZone::Cache cache_;
  IsoDateCache iso_date_;
};

}  // namespace edgeline
