// Time helpers. All event times in edgeline are UTC epoch milliseconds (int64).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgeline {

// Wall-clock now, UTC epoch milliseconds.
int64_t NowMs();

// Parses a duration such as "500ms", "30s", "5m", "2h", "1d" into milliseconds.
// Returns nullopt for anything else (including zero, negative or overflowing values).
std::optional<int64_t> ParseDurationMs(std::string_view text);

// A date-time as written in the text, before a time zone is applied.
struct LocalTime {
  // The civil date and time as seconds since 1970-01-01T00:00:00 as if it were UTC
  // ("local seconds"): subtracting the UTC offset in effect gives UTC epoch seconds.
  int64_t local_s = 0;
  int ms = 0;               // 0..999, fractional digits beyond milliseconds truncated
  bool has_offset = false;  // the text carried its own offset (Z, +hh:mm, epoch seconds)
  int32_t offset_s = 0;     // seconds east of UTC when has_offset
};

// The date, hour and minute of the last ISO 8601 text parsed with it: sensor data repeats
// them for many readings in a row, so their check and value are reused when the first 16
// bytes ("YYYY-MM-DDTHH:MM") match.
struct IsoDateCache {
  char text[16] = {};
  int64_t minute_s = 0;  // local seconds at the start of that minute
  bool valid = false;
};

// Parses ISO 8601 / RFC 3339 date-times: "YYYY-MM-DD[T| ]HH:MM:SS[.frac][Z|+hh:mm|-hh:mm|+hhmm]"
// into *out. Returns false on any syntax or range error (*out is then unspecified).
// `cache` (may be null) is read and updated.
bool ParseIso8601Local(std::string_view text, LocalTime* out, IsoDateCache* cache = nullptr);

// ParseIso8601Local, with no zone meaning UTC. Returns nullopt on any syntax or range error.
std::optional<int64_t> ParseIso8601Ms(std::string_view text);

// Days in `month` (1..12) of `year` (proleptic Gregorian).
int DaysInMonth(int64_t year, int month);

// Formats epoch ms as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string FormatIso8601(int64_t epoch_ms);

// a / b rounded towards negative infinity. REQUIRES: b > 0.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-(a + 1)) / b) - 1; }

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
// The inverse: the date of a day number.
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);

}  // namespace edgeline
