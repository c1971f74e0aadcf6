// Time helpers. All event times in edgeline are UTC epoch milliseconds (int64).
#pragma once

#include <cstdint>
#include <cstring>
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

// The commonest sensor timestamp in one step: a text of 24 bytes in UTC with milliseconds,
// "YYYY-MM-DDTHH:MM:SS.mmmZ", whose minute is the one `cache` holds, given as its three
// little-endian 8-byte words a, b, x. Sets *epoch_ms and returns true; false for any other
// text (then ParseIso8601Local decides, and gives the same result for every text this
// accepts). The seconds and the fraction are checked and read eight bytes at a time.
// REQUIRES: cache.valid.
inline bool ParseIso8601UtcWords(uint64_t a, uint64_t b, uint64_t x, const IsoDateCache& cache,
                                 int64_t* epoch_ms) {
  uint64_t c, d;
  std::memcpy(&c, cache.text, 8);
  std::memcpy(&d, cache.text + 8, 8);
  if ((a ^ c) | (b ^ d)) return false;
  // x is ":SS.mmmZ", byte 0 lowest.
  constexpr uint64_t kFixed = 0xFF000000FF0000FF;         // bytes 0, 3, 7
  constexpr uint64_t kDigits = 0x00FFFFFF00FFFF00;        // bytes 1, 2, 4, 5, 6
  if ((x & kFixed) != 0x5A0000002E00003A) return false;   // ':' '.' 'Z'
  const uint64_t t = (x ^ 0x3030303030303030) & kDigits;  // a digit becomes 0..9
  // Bit 7 of each byte above 9 (as in the short-decimal parse of agent/short_decimal.h).
  if (((((t & 0x7F7F7F7F7F7F7F7F) + 0x7676767676767676) | t) & 0x8080808080808080 & kDigits) != 0) {
    return false;
  }
  // Byte i of u is digit i * 10 + digit i + 1 (at most 99: no carries): byte 1 the seconds,
  // byte 4 the first two digits of the milliseconds.
  const uint64_t u = t * 10 + (t >> 8);
  const int64_t sec = static_cast<int64_t>((u >> 8) & 0xFF);
  if (sec > 60) return false;  // 60: a leap second, as ParseIso8601Local
  const int64_t ms = static_cast<int64_t>(((u >> 32) & 0xFF) * 10 + ((t >> 48) & 0xFF));
  *epoch_ms = (cache.minute_s + sec) * 1000 + ms;
  return true;
}

// ParseIso8601UtcWords for a text.
inline bool ParseIso8601UtcCached(std::string_view s, const IsoDateCache& cache,
                                  int64_t* epoch_ms) {
  if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || s.size() != 24 || !cache.valid) return false;
  uint64_t a, b, x;
  std::memcpy(&a, s.data(), 8);
  std::memcpy(&b, s.data() + 8, 8);
  std::memcpy(&x, s.data() + 16, 8);
  return ParseIso8601UtcWords(a, b, x, cache, epoch_ms);
}

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
