#include "common/time_util.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>

namespace edgeline {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::optional<int64_t> ParseDurationMs(std::string_view text) {
  size_t i = 0;
  int64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (n > std::numeric_limits<int64_t>::max() / 10 - 10) return std::nullopt;
    n = n * 10 + (text[i] - '0');
    ++i;
  }
  if (i == 0 || n <= 0) return std::nullopt;
  std::string_view unit = text.substr(i);
  int64_t mult;
  if (unit == "ms")
    mult = 1;
  else if (unit == "s")
    mult = 1000;
  else if (unit == "m")
    mult = 60'000;
  else if (unit == "h")
    mult = 3'600'000;
  else if (unit == "d")
    mult = 86'400'000;
  else
    return std::nullopt;
  if (n > std::numeric_limits<int64_t>::max() / mult) return std::nullopt;
  return n * mult;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

namespace {
bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}
bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
}  // namespace

int DaysInMonth(int64_t year, int month) {
  static const int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kMonthDays[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
}

bool ParseIso8601Local(std::string_view s, LocalTime* out, IsoDateCache* cache) {
  constexpr size_t kMinuteBytes = 16;  // "YYYY-MM-DDTHH:MM"
  if (s.size() < 19) return false;
  int64_t minute_s;
  if (cache != nullptr && cache->valid && std::memcmp(s.data(), cache->text, kMinuteBytes) == 0) {
    minute_s = cache->minute_s;  // the same minute as the last text: already checked
  } else {
    int y, mo, d, h, mi;
    if (!Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &mo) || s[7] != '-' ||
        !Digits(s, 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !Digits(s, 11, 2, &h) || s[13] != ':' ||
        !Digits(s, 14, 2, &mi) || h > 23 || mi > 59) {
      return false;
    }
    minute_s = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
               h * 3600 + mi * 60;
    if (cache != nullptr) {
      std::memcpy(cache->text, s.data(), kMinuteBytes);
      cache->minute_s = minute_s;
      cache->valid = true;
    }
  }
  int sec;
  if (s[16] != ':' || !Digits(s, 17, 2, &sec) || sec > 60) return false;  // 60: leap second
  size_t i = 19;
  int ms = 0;
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
    ++i;
    size_t start = i;
    static constexpr int kScale[] = {100, 10, 1};  // digits past the third are truncated
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (i - start < 3) ms += (s[i] - '0') * kScale[i - start];
    }
    if (i == start) return false;
  }
  out->has_offset = false;
  out->offset_s = 0;
  if (i < s.size()) {
    char c = s[i];
    if ((c == 'Z' || c == 'z') && i + 1 == s.size()) {
      ++i;
    } else if (c == '+' || c == '-') {
      int oh, om;
      if (!Digits(s, i + 1, 2, &oh)) return false;
      size_t j = i + 3;
      if (j < s.size() && s[j] == ':') ++j;
      if (!Digits(s, j, 2, &om) || j + 2 != s.size() || oh > 23 || om > 59) return false;
      out->offset_s = (oh * 3600 + om * 60) * (c == '+' ? 1 : -1);
      i = s.size();
    } else {
      return false;
    }
    out->has_offset = true;
  }
  if (i != s.size()) return false;
  out->local_s = minute_s + sec;
  out->ms = ms;
  return true;
}

std::optional<int64_t> ParseIso8601Ms(std::string_view text) {
  LocalTime t;
  if (!ParseIso8601Local(text, &t)) return std::nullopt;
  return (t.local_s - t.offset_s) * 1000 + t.ms;
}

std::string FormatIso8601(int64_t epoch_ms) {
  int64_t secs = FloorDiv(epoch_ms, 1000);
  int ms = static_cast<int>(epoch_ms - secs * 1000);
  int64_t days = FloorDiv(secs, 86400);
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(y), m, d, static_cast<int>(rem / 3600),
                static_cast<int>(rem % 3600 / 60), static_cast<int>(rem % 60), ms);
  return buf;
}

}  // namespace edgeline
