#include "common/time_pattern.h"

#include <string>

namespace edgeline {

namespace {

// What a conversion sets, to refuse patterns that set a field twice or not at all.
enum Field : unsigned {
  kYearF = 1 << 0,
  kMonthF = 1 << 1,
  kDayF = 1 << 2,
  kYearDayF = 1 << 3,
  kHourF = 1 << 4,
  kAmPmF = 1 << 5,
  kMinuteF = 1 << 6,
  kSecondF = 1 << 7,
  kFractionF = 1 << 8,
  kZoneF = 1 << 9,
  kEpochF = 1 << 10,
  kWeekdayF = 1 << 11,
};

const char* FieldName(unsigned f) {
  switch (f) {
    case kYearF:
      return "the year";
    case kMonthF:
      return "the month";
    case kDayF:
      return "the day";
    case kYearDayF:
      return "the day of the year";
    case kHourF:
      return "the hour";
    case kAmPmF:
      return "AM/PM";
    case kMinuteF:
      return "the minute";
    case kSecondF:
      return "the second";
    case kFractionF:
      return "the fraction of a second";
    case kZoneF:
      return "the offset";
    case kEpochF:
      return "the epoch seconds";
    default:
      return "the weekday";
  }
}

const char* const kMonths[] = {"january",   "february", "march",    "april",
                               "may",       "june",     "july",     "august",
                               "september", "october",  "november", "december"};
const char* const kWeekdays[] = {"sunday",   "monday", "tuesday", "wednesday",
                                 "thursday", "friday", "saturday"};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Whether s[i..] starts with `word` (lowercase ASCII), ignoring case; advances i if so.
bool EatWord(std::string_view s, size_t* i, std::string_view word) {
  if (s.size() - *i < word.size()) return false;
  for (size_t k = 0; k < word.size(); ++k) {
    if (Lower(s[*i + k]) != word[k]) return false;
  }
  *i += word.size();
  return true;
}

// An English name from `names`, in full or its first three letters; the index, or -1.
int EatName(std::string_view s, size_t* i, const char* const* names, int count) {
  for (int k = 0; k < count; ++k) {
    if (EatWord(s, i, names[k])) return k;
  }
  for (int k = 0; k < count; ++k) {
    if (EatWord(s, i, std::string_view(names[k], 3))) return k;
  }
  return -1;
}

// min..max decimal digits at s[*i]; advances *i.
bool EatDigits(std::string_view s, size_t* i, int min, int max, int64_t* out) {
  int64_t v = 0;
  int n = 0;
  while (n < max && *i < s.size() && s[*i] >= '0' && s[*i] <= '9') {
    v = v * 10 + (s[(*i)++] - '0');
    ++n;
  }
  *out = v;
  return n >= min;
}

// Z, z, +hh, +hhmm or +hh:mm (or -): seconds east of UTC.
bool EatOffset(std::string_view s, size_t* i, int32_t* out) {
  if (*i < s.size() && (s[*i] == 'Z' || s[*i] == 'z')) {
    ++*i;
    *out = 0;
    return true;
  }
  if (*i >= s.size() || (s[*i] != '+' && s[*i] != '-')) return false;
  const int sign = s[(*i)++] == '-' ? -1 : 1;
  int64_t h, m = 0;
  if (!EatDigits(s, i, 2, 2, &h) || h > 23) return false;
  if (*i < s.size() && s[*i] == ':') {
    ++*i;
    if (!EatDigits(s, i, 2, 2, &m)) return false;
  } else if (*i + 1 < s.size() && s[*i] >= '0' && s[*i] <= '9') {
    if (!EatDigits(s, i, 2, 2, &m)) return false;
  }
  if (m > 59) return false;
  *out = static_cast<int32_t>(sign * (h * 3600 + m * 60));
  return true;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

Result<TimePattern> TimePattern::Compile(std::string_view pattern) {
  TimePattern p;
  unsigned fields = 0;
  bool hour12 = false;
  // Adds conversion `c`, written as %`written` at character `at` (0-based).
  auto conversion = [&](char c, size_t at, char written) -> Status {
    auto add = [&](Op op, unsigned field) -> Status {
      if (fields & field) {
        return Status::Error(std::string("%") + written + " at character " +
                             std::to_string(at + 1) + " sets " + FieldName(field) + " again");
      }
      fields |= field;
      p.items_.push_back({op, 0});
      return Status::Ok();
    };
    switch (c) {
      case 'Y':
        return add(Op::kYear4, kYearF);
      case 'y':
        return add(Op::kYear2, kYearF);
      case 'm':
        return add(Op::kMonth, kMonthF);
      case 'b':
      case 'B':
      case 'h':
        return add(Op::kMonthName, kMonthF);
      case 'd':
        return add(Op::kDay, kDayF);
      case 'e':
        return add(Op::kDaySpace, kDayF);
      case 'j':
        return add(Op::kYearDay, kYearDayF);
      case 'H':
        return add(Op::kHour24, kHourF);
      case 'I':
        hour12 = true;
        return add(Op::kHour12, kHourF);
      case 'p':
        return add(Op::kAmPm, kAmPmF);
      case 'M':
        return add(Op::kMinute, kMinuteF);
      case 'S':
        return add(Op::kSecond, kSecondF);
      case 'f':
        return add(Op::kFraction, kFractionF);
      case 'z':
        return add(Op::kOffset, kZoneF);
      case 'Z':
        return add(Op::kUtcName, kZoneF);
      case 's':
        return add(Op::kEpoch, kEpochF);
      case 'a':
      case 'A':
        return add(Op::kWeekday, kWeekdayF);
      case 'n':
      case 't':
        p.items_.push_back({Op::kSpace, ' '});
        return Status::Ok();
      case '%':
        p.items_.push_back({Op::kLiteral, '%'});
        return Status::Ok();
      default:
        break;
    }
    return Status::Error(std::string("unknown conversion %") + written + " at character " +
                         std::to_string(at + 1));
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (IsSpace(c)) {
      while (i + 1 < pattern.size() && IsSpace(pattern[i + 1])) ++i;
      p.items_.push_back({Op::kSpace, ' '});
      continue;
    }
    if (c != '%') {
      p.items_.push_back({Op::kLiteral, c});
      continue;
    }
    if (++i == pattern.size()) return Status::Error("the pattern ends with a lone %");
    const char conv = pattern[i];
    // Shorthands expand to their parts; a field they set counts like the part's.
    std::string_view expand = conv == 'T'   ? "H:M:S"
                              : conv == 'R' ? "H:M"
                              : conv == 'F' ? "Y-m-d"
                              : conv == 'D' ? "m/d/y"
                                            : "";
    Status s;
    for (char e : expand) {
      if (!s.ok()) break;
      if (e == ':' || e == '-' || e == '/') {
        p.items_.push_back({Op::kLiteral, e});
      } else {
        s = conversion(e, i - 1, conv);
      }
    }
    if (expand.empty()) s = conversion(conv, i - 1, conv);
    if (!s.ok()) return s;
  }
  if ((fields & kEpochF) && (fields & ~(kEpochF | kFractionF))) {
    return Status::Error("%s (epoch seconds) can only be combined with %f");
  }
  if (!(fields & (kYearF | kEpochF))) return Status::Error("no year (%Y or %y) and no %s");
  if ((fields & kYearDayF) && (fields & (kMonthF | kDayF))) {
    return Status::Error("%j (day of the year) can't be combined with a month or a day");
  }
  if (hour12 != ((fields & kAmPmF) != 0)) {
    return Status::Error(hour12 ? "%I (12-hour clock) needs %p" : "%p needs %I (12-hour clock)");
  }
  return p;
}

bool TimePattern::Match(std::string_view s, LocalTime* out) const {
  int64_t year = 1970, month = 1, day = 1, yday = -1, hour = 0, minute = 0, second = 0, v = 0;
  int ms = 0;
  int pm = -1;  // -1: 24-hour clock
  bool epoch = false, negative_epoch = false;
  out->has_offset = false;
  out->offset_s = 0;
  size_t i = 0;
  for (const Item& it : items_) {
    bool ok = true;
    switch (it.op) {
      case Op::kLiteral:
        ok = i < s.size() && s[i] == it.c;
        i += ok;
        break;
      case Op::kSpace: {
        const size_t start = i;
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        ok = i > start;
        break;
      }
      case Op::kYear4:
        ok = EatDigits(s, &i, 4, 4, &year);
        break;
      case Op::kYear2:
        ok = EatDigits(s, &i, 2, 2, &year);
        year += year < 69 ? 2000 : 1900;  // POSIX: 69-99 are 1969-1999, 00-68 are 2000-2068
        break;
      case Op::kMonth:
        ok = EatDigits(s, &i, 1, 2, &month);
        break;
      case Op::kMonthName:
        month = EatName(s, &i, kMonths, 12) + 1;
        ok = month > 0;
        break;
      case Op::kDaySpace:
        if (i < s.size() && s[i] == ' ') ++i;
        ok = EatDigits(s, &i, 1, 2, &day);
        break;
      case Op::kDay:
        ok = EatDigits(s, &i, 1, 2, &day);
        break;
      case Op::kYearDay:
        ok = EatDigits(s, &i, 1, 3, &yday);
        break;
      case Op::kHour24:
      case Op::kHour12:
        ok = EatDigits(s, &i, 1, 2, &hour);
        break;
      case Op::kAmPm:
        pm = EatWord(s, &i, "pm") ? 1 : EatWord(s, &i, "am") ? 0 : -1;
        ok = pm >= 0;
        break;
      case Op::kMinute:
        ok = EatDigits(s, &i, 1, 2, &minute);
        break;
      case Op::kSecond:
        ok = EatDigits(s, &i, 1, 2, &second);
        break;
      case Op::kFraction: {
        const size_t start = i;
        ok = EatDigits(s, &i, 1, 9, &v);
        for (size_t n = i - start; n > 3; --n) v /= 10;  // truncated to milliseconds
        for (size_t n = i - start; n < 3; ++n) v *= 10;
        ms = static_cast<int>(v);
        break;
      }
      case Op::kOffset:
        ok = EatOffset(s, &i, &out->offset_s);
        out->has_offset = true;
        break;
      case Op::kUtcName:
        ok = EatWord(s, &i, "utc") || EatWord(s, &i, "gmt") || EatWord(s, &i, "z");
        out->has_offset = true;
        break;
      case Op::kEpoch: {
        negative_epoch = i < s.size() && s[i] == '-';
        i += negative_epoch;
        // 12 digits reach year 33658: far enough, and * 1000 cannot overflow.
        ok = EatDigits(s, &i, 1, 12, &v) && (i == s.size() || s[i] < '0' || s[i] > '9');
        out->local_s = negative_epoch ? -v : v;
        out->has_offset = epoch = true;
        break;
      }
      case Op::kWeekday:
        ok = EatName(s, &i, kWeekdays, 7) >= 0;
        break;  // not checked
    }
    if (!ok) return false;
  }
  if (i != s.size()) return false;
  out->ms = ms;
  if (epoch) {
    if (negative_epoch && ms > 0) {  // "-1.5" is -1500 ms: the fraction counts down too
      out->local_s -= 1;
      out->ms = 1000 - ms;
    }
    return true;
  }
  if (pm >= 0) {
    if (hour < 1 || hour > 12) return false;
    hour = hour % 12 + (pm ? 12 : 0);
  }
  if (hour > 23 || minute > 59 || second > 60) return false;  // 60: leap second, rolls over
  int64_t days;
  if (yday >= 0) {  // %j
    if (yday < 1 || yday > 365 + (DaysInMonth(year, 2) == 29)) return false;
    days = DaysFromCivil(year, 1, 1) + yday - 1;
  } else {
    if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, static_cast<int>(month))) {
      return false;
    }
    days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  }
  out->local_s = days * 86400 + hour * 3600 + minute * 60 + second;
  return true;
}

}  // namespace edgeline
