// IANA time zones read from the system's zone database (TZif files, RFC 8536), for
// turning local date-times into UTC (docs/job-spec.md#time-zones).
//
// A TimeZone is immutable once loaded: share it freely between threads. The per-caller
// lookup cache (TimeZone::Cache) is not: each parser keeps its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edgeline {

// A POSIX TZ string as found in a TZif footer: "CET-1CEST,M3.5.0,M10.5.0/3",
// "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "EST5EDT,J60/2,300", "<-03>3". Offsets here are
// seconds east of UTC (the string's own sign convention is the opposite).
struct PosixTz {
  struct Rule {
    enum Kind { kJulian1, kJulian0, kMonthWeekDay } kind = kMonthWeekDay;
    int day = 0;          // kJulian1: 1..365 (Feb 29 never counted); kJulian0: 0..365
    int month = 0;        // kMonthWeekDay: 1..12
    int week = 0;         // kMonthWeekDay: 1..5, 5 = the last such weekday of the month
    int weekday = 0;      // kMonthWeekDay: 0 = Sunday .. 6
    int32_t time = 7200;  // local time of day of the transition; may be negative or >= 24h
  };
  int32_t std_offset = 0;
  bool has_dst = false;
  int32_t dst_offset = 0;
  Rule start, end;  // DST starts (in standard time) / ends (in DST), when has_dst

  // Parses the whole of `text`. Returns false on any syntax or range error.
  static bool Parse(std::string_view text, PosixTz* out);
  // UTC seconds at which DST starts / ends in `year`. REQUIRES: has_dst.
  int64_t StartUtc(int64_t year) const;
  int64_t EndUtc(int64_t year) const;
};

class TimeZone {
 public:
  // Local seconds (see LocalTime in common/time_util.h) in [lo, hi) that map to exactly one
  // UTC instant, with `offset`: what the last lookup found, so a stream of nearby times
  // resolves with two comparisons. Starts empty.
  struct Cache {
    int64_t lo = 0, hi = 0;
    int32_t offset = 0;
  };

  // What a local time is in this zone.
  struct Resolved {
    enum Kind {
      kUnique,       // earliest == latest
      kAmbiguous,    // repeated when clocks go back: two UTC instants, earliest < latest
      kNonexistent,  // skipped when clocks go forward: earliest == latest is the local time
                     // read with the offset before the gap, i.e. moved forward by the gap
    } kind = kUnique;
    int64_t earliest = 0, latest = 0;  // UTC epoch seconds
  };

  // Loads a zone by IANA name ("Europe/Berlin") from the directory $TZDIR, or
  // /usr/share/zoneinfo when TZDIR is unset or empty. "UTC" is built in and needs no
  // files. Errors: a name that is not a plain relative path of letters, digits, '_', '+',
  // '-' and '/' ("unknown time zone"), a missing file ("... is the tzdata package
  // installed?"), or a file that is not valid TZif. Reads the file on every call.
  static Result<std::shared_ptr<const TimeZone>> Load(std::string_view name);
  // From the bytes of a TZif file (versions 1 to 4; the 64-bit data and the footer of v2+).
  // Zones with leap-second records ("right/...") are refused. Never throws.
  static Result<std::shared_ptr<const TimeZone>> FromTzif(std::string name, std::string_view data);
  // From a POSIX TZ string alone (as if it were a TZif file without transitions).
  static Result<std::shared_ptr<const TimeZone>> FromPosix(std::string name, std::string_view tz);
  static std::shared_ptr<const TimeZone> Utc();

  const std::string& name() const { return name_; }
  // True when the offset never changes (then it is OffsetAt(0)).
  bool fixed() const { return transitions_.empty() && !(has_rule_ && rule_.has_dst); }

  // Seconds east of UTC in effect at UTC epoch second `utc_s`.
  int32_t OffsetAt(int64_t utc_s) const;
  // The UTC instant(s) of local seconds `local_s`. `cache` may be null.
  Resolved FromLocal(int64_t local_s, Cache* cache) const;

 private:
  // A span of UTC seconds [begin, end) with one offset.
  struct Interval {
    int64_t begin, end;
    int32_t offset;
  };
  TimeZone() = default;
  Interval Find(int64_t utc_s) const;
  Interval FindInRule(int64_t utc_s) const;
  // Calls f(interval) for each of the consecutive intervals that cover [from, to].
  template <typename F>
  void ForEach(int64_t from, int64_t to, F&& f) const;
  // Sets *cache to the local seconds that map to `iv` and nowhere else.
  void Fill(const Interval& iv, Cache* cache) const;

  std::string name_;
  std::vector<int64_t> transitions_;  // UTC seconds, strictly ascending
  std::vector<int32_t> offsets_;      // in effect from transitions_[i]
  int32_t initial_offset_ = 0;        // before the first transition
  bool has_rule_ = false;             // rule_ applies from the last transition on
  PosixTz rule_;
};

}  // namespace edgeline
