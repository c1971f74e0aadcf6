#include "common/timestamp.h"

#include <limits>

namespace edgeline {

TimestampParser::TimestampParser() : zone_(TimeZone::Utc()) {}

Result<TimestampParser> TimestampParser::Create(const TimestampSpec& spec) {
  TimestampParser p;
  p.spec_ = spec;
  if (spec.format == TimestampFormat::kStrftime) {
    auto pattern = TimePattern::Compile(spec.pattern);
    if (!pattern.ok()) {
      return Status::Error("job spec /schema/timestamp/pattern: " + pattern.status().message());
    }
    p.pattern_ = std::move(pattern.value());
  }
  if (spec.format == TimestampFormat::kIso8601 || spec.format == TimestampFormat::kStrftime) {
    auto zone = TimeZone::Load(spec.timezone);
    if (!zone.ok()) {
      return Status::Error("job spec /schema/timestamp/timezone: " + zone.status().message());
    }
    p.zone_ = std::move(zone.value());
  }
  return p;
}

TimestampResult TimestampParser::ParseText(std::string_view text) {
  LocalTime t;
  switch (spec_.format) {
    case TimestampFormat::kIso8601:
      if (!ParseIso8601Local(text, &t, &iso_date_)) return {0, kBadTimestamp};
      return Resolve(t);
    case TimestampFormat::kStrftime:
      if (!pattern_.Match(text, &t)) return {0, kBadTimestamp};
      return Resolve(t);
    default:
      return Epoch(text);
  }
}

TimestampResult TimestampParser::Resolve(const LocalTime& t) {
  if (t.has_offset) return {(t.local_s - t.offset_s) * 1000 + t.ms, nullptr};
  const TimeZone::Resolved r = zone_->FromLocal(t.local_s, &cache_);
  int64_t utc_s = r.earliest;
  if (r.kind == TimeZone::Resolved::kAmbiguous) {
    if (spec_.ambiguous == AmbiguousPolicy::kReject) return {0, kAmbiguousTime};
    if (spec_.ambiguous == AmbiguousPolicy::kLatest) utc_s = r.latest;
  } else if (r.kind == TimeZone::Resolved::kNonexistent &&
             spec_.nonexistent == NonexistentPolicy::kReject) {
    return {0, kNonexistentTime};
  }
  return {utc_s * 1000 + t.ms, nullptr};
}

// A decimal number in the spec's epoch unit, converted exactly (no double rounding:
// epoch_s "1.001" is 1001 ms) and rounded down to the millisecond. Accepts what JSON and
// CSV writers produce: an optional sign, digits with an optional fraction, an optional
// exponent ("1793527200", "-1.5", ".5", "1.7935272E9"). Results outside int64 are rejected.
TimestampResult TimestampParser::Epoch(std::string_view s) const {
  const TimestampResult bad{0, kBadTimestamp};
  size_t i = 0;
  const bool neg = i < s.size() && s[i] == '-';
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  // value = (mant + r) * 10^exp10 with 0 <= r < 1: up to 19 significant digits are kept
  // (they fit a uint64); `dropped` says whether r > 0.
  uint64_t mant = 0;
  int kept = 0;
  int64_t exp10 = 0;
  bool digits = false, dropped = false, point = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    digits = true;
    if (mant == 0 && c == '0') {
      exp10 -= point;
    } else if (kept < 19) {
      mant = mant * 10 + static_cast<uint64_t>(c - '0');
      ++kept;
      exp10 -= point;
    } else {
      exp10 += !point;
      dropped |= c != '0';
    }
  }
  if (!digits) return bad;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    const bool eneg = i < s.size() && s[i] == '-';
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    int64_t e = 0;
    const size_t start = i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (e < 100000) e = e * 10 + (s[i] - '0');
    }
    if (i == start) return bad;
    exp10 += eneg ? -e : e;
  }
  if (i != s.size()) return bad;
  if (mant == 0) return {0, nullptr};
  switch (spec_.format) {
    case TimestampFormat::kEpochS:
      exp10 += 3;
      break;
    case TimestampFormat::kEpochUs:
      exp10 -= 3;
      break;
    case TimestampFormat::kEpochNs:
      exp10 -= 6;
      break;
    default:
      break;
  }
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (exp10 >= 0) {
    for (int64_t k = 0; k < exp10; ++k) {
      if (mant > kMax / 10) return bad;
      mant *= 10;
    }
    if (mant > kMax) return bad;
    // A dropped digit here is a fraction below 1 ms (else the value overflowed above).
    const int64_t v = static_cast<int64_t>(mant);
    return {neg ? -v - (dropped ? 1 : 0) : v, nullptr};
  }
  // Divide by 10^-exp10, rounding down (towards negative infinity for negatives).
  uint64_t q = 0;
  bool rem = dropped;
  if (exp10 >= -19) {
    uint64_t d = 1;
    for (int64_t k = 0; k < -exp10; ++k) d *= 10;
    q = mant / d;
    rem |= mant % d != 0;
  } else {
    rem = true;
  }
  const int64_t v = static_cast<int64_t>(q);  // q < 2^64 / 10 < 2^63
  return {neg ? -v - (rem ? 1 : 0) : v, nullptr};
}

}  // namespace edgeline
