// strptime-style patterns for timestamp text: "%d/%m/%Y %H:%M:%S", "%b %e %T", "%s.%f".
// The conversions and the matching rules are in docs/job-spec.md#strftime-patterns.
//
// A compiled TimePattern is immutable: Match may be called from any number of threads.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time_util.h"

namespace edgeline {

class TimePattern {
 public:
  // Compiles `pattern`. Errors (for the job spec to report at /schema/timestamp/pattern):
  // an unknown conversion ("unknown conversion %Q at character 7"), a lone % at the end, a
  // field set twice, no year (%Y or %y) and no %s, %j with a month or day, %s with
  // anything but %f, %I without %p or %p without %I.
  static Result<TimePattern> Compile(std::string_view pattern);

  // Matches the whole of `text` against the pattern and fills *out: the local date-time,
  // and an offset when the pattern has %z, %Z or %s. Returns false when the text does
  // not match or a field is out of range (month 13, February 30, hour 24...). Does not
  // allocate.
  bool Match(std::string_view text, LocalTime* out) const;

 private:
  enum class Op : uint8_t {
    kLiteral,    // the character `c`
    kSpace,      // one or more spaces or tabs
    kYear4,      // %Y
    kYear2,      // %y
    kMonth,      // %m
    kMonthName,  // %b %B %h
    kDay,        // %d
    kDaySpace,   // %e
    kYearDay,    // %j
    kHour24,     // %H
    kHour12,     // %I
    kAmPm,       // %p
    kMinute,     // %M
    kSecond,     // %S
    kFraction,   // %f
    kOffset,     // %z
    kUtcName,    // %Z
    kEpoch,      // %s
    kWeekday,    // %a %A
  };
  struct Item {
    Op op;
    char c;
  };

  std::vector<Item> items_;
};

}  // namespace edgeline
