#include "common/timezone.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "common/file_util.h"
#include "common/time_util.h"

namespace edgeline {

namespace {

// Every time handled is clamped to about +-34,000 years around 1970, so that offsets and
// spans can be added without overflow and footer rules are computed for sane years.
// (Fat TZif files start with a transition at -2^59, "the big bang".)
constexpr int64_t kMinTime = -(int64_t{1} << 40);
constexpr int64_t kMaxTime = int64_t{1} << 40;
// RFC 8536 bounds UT offsets to -89999..93599 seconds; anything beyond is refused on
// load, so a local time's UTC instants lie within this distance of it.
constexpr int64_t kMaxOffset = 26 * 3600;
int64_t Clamp(int64_t t) { return std::min(std::max(t, kMinTime), kMaxTime - 1); }

// ---- POSIX TZ strings -------------------------------------------------------------

class TzReader {
 public:
  explicit TzReader(std::string_view s) : s_(s) {}
  bool done() const { return i_ == s_.size(); }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool Eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  // An abbreviation: three or more letters, or <...> of letters, digits, '+' and '-'.
  bool Name() {
    size_t start = i_;
    if (Eat('<')) {
      while (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '+' || peek() == '-') {
        ++i_;
      }
      return i_ - start >= 4 && Eat('>');
    }
    while (std::isalpha(static_cast<unsigned char>(peek()))) ++i_;
    return i_ - start >= 3;
  }
  bool Number(int min_digits, int max_digits, int max, int* out) {
    int v = 0, n = 0;
    while (n < max_digits && peek() >= '0' && peek() <= '9') {
      v = v * 10 + (s_[i_++] - '0');
      ++n;
    }
    *out = v;
    return n >= min_digits && v <= max;
  }
  // [+|-]hh[:mm[:ss]] with hh <= max_hours, in seconds.
  bool Hms(int max_hours, int32_t* out) {
    int sign = Eat('-') ? -1 : (Eat('+'), 1);
    int h, m = 0, sec = 0;
    if (!Number(1, 3, max_hours, &h)) return false;
    if (Eat(':') && (!Number(2, 2, 59, &m) || (Eat(':') && !Number(2, 2, 59, &sec)))) {
      return false;
    }
    *out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }
  // Jn, n or Mm.w.d, then an optional /time (TZif v3 allows -167..167 hours).
  bool RuleAt(PosixTz::Rule* r) {
    if (Eat('J')) {
      r->kind = PosixTz::Rule::kJulian1;
      if (!Number(1, 3, 365, &r->day) || r->day < 1) return false;
    } else if (Eat('M')) {
      r->kind = PosixTz::Rule::kMonthWeekDay;
      if (!Number(1, 2, 12, &r->month) || r->month < 1 || !Eat('.') || !Number(1, 1, 5, &r->week) ||
          r->week < 1 || !Eat('.') || !Number(1, 1, 6, &r->weekday)) {
        return false;
      }
    } else {
      r->kind = PosixTz::Rule::kJulian0;
      if (!Number(1, 3, 365, &r->day)) return false;
    }
    r->time = 7200;
    return !Eat('/') || Hms(167, &r->time);
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// The day (days since 1970-01-01) a rule names in `year`.
int64_t RuleDay(const PosixTz::Rule& r, int64_t year) {
  const int64_t jan1 = DaysFromCivil(year, 1, 1);
  switch (r.kind) {
    case PosixTz::Rule::kJulian1:
      return jan1 + r.day - 1 + (r.day >= 60 && DaysInMonth(year, 2) == 29 ? 1 : 0);
    case PosixTz::Rule::kJulian0:
      return jan1 + r.day;
    case PosixTz::Rule::kMonthWeekDay:
      break;
  }
  const int64_t first = DaysFromCivil(year, static_cast<unsigned>(r.month), 1);
  const int first_wd = static_cast<int>(((first + 4) % 7 + 7) % 7);  // 1970-01-01: Thursday
  int day = 1 + (r.weekday - first_wd + 7) % 7 + (r.week - 1) * 7;
  while (day > DaysInMonth(year, r.month)) day -= 7;  // week 5: the last one
  return first + day - 1;
}

// ---- TZif ---------------------------------------------------------------------------

class ByteReader {
 public:
  explicit ByteReader(std::string_view d) : d_(d) {}
  bool Has(size_t n) const { return n <= d_.size() - pos_; }
  size_t pos() const { return pos_; }
  void Skip(size_t n) { pos_ += n; }
  uint8_t U8() { return static_cast<uint8_t>(d_[pos_++]); }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | U8();
    return v;
  }
  int64_t I64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | U8();
    return static_cast<int64_t>(v);
  }
  std::string_view Rest() const { return d_.substr(pos_); }

 private:
  std::string_view d_;
  size_t pos_ = 0;
};

struct TzifHeader {
  char version = 0;
  uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
  // Bytes of the data block that follows, with `time_size`-byte times.
  size_t DataSize(size_t time_size) const {
    return timecnt * (time_size + 1) + typecnt * 6 + charcnt + leapcnt * (time_size + 4) +
           isstdcnt + isutcnt;
  }
};

// Reads a header and checks that its data block (with `time_size`-byte times) follows.
bool ReadHeader(ByteReader* r, size_t time_size, TzifHeader* h) {
  if (!r->Has(44) || r->Rest().substr(0, 4) != "TZif") return false;
  r->Skip(4);
  h->version = static_cast<char>(r->U8());
  r->Skip(15);
  for (uint32_t* c :
       {&h->isutcnt, &h->isstdcnt, &h->leapcnt, &h->timecnt, &h->typecnt, &h->charcnt}) {
    *c = r->U32();
    if (*c > (1u << 20)) return false;  // keeps DataSize from overflowing a 32-bit size_t
  }
  return h->typecnt > 0 && r->Has(h->DataSize(time_size));
}

Status TzifError(const std::string& name, const std::string& what) {
  return Status::Error("time zone \"" + name + "\": not a valid TZif file (" + what + ")");
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') {
    return false;
  }
  char prev = '/';
  for (char c : name) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' || c == '/';
    if (!ok || (c == '/' && prev == '/')) return false;
    prev = c;
  }
  return true;
}

}  // namespace

bool PosixTz::Parse(std::string_view text, PosixTz* out) {
  TzReader r(text);
  PosixTz tz;
  if (!r.Name() || !r.Hms(24, &tz.std_offset)) return false;
  tz.std_offset = -tz.std_offset;  // POSIX counts west of UTC
  if (r.done()) {
    *out = tz;
    return true;
  }
  if (!r.Name()) return false;
  tz.has_dst = true;
  tz.dst_offset = tz.std_offset + 3600;
  const char c = r.peek();
  if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
    if (!r.Hms(24, &tz.dst_offset)) return false;
    tz.dst_offset = -tz.dst_offset;
  }
  if (r.done()) {
    // No rules: tzcode's default, the US rules since 2007.
    return Parse(std::string(text) + ",M3.2.0,M11.1.0", out);
  }
  if (!r.Eat(',') || !r.RuleAt(&tz.start) || !r.Eat(',') || !r.RuleAt(&tz.end) || !r.done()) {
    return false;
  }
  *out = tz;
  return true;
}

int64_t PosixTz::StartUtc(int64_t year) const {
  return RuleDay(start, year) * 86400 + start.time - std_offset;
}

int64_t PosixTz::EndUtc(int64_t year) const {
  return RuleDay(end, year) * 86400 + end.time - dst_offset;
}

std::shared_ptr<const TimeZone> TimeZone::Utc() {
  static const std::shared_ptr<const TimeZone> utc = [] {
    std::shared_ptr<TimeZone> z(new TimeZone());
    z->name_ = "UTC";
    return z;
  }();
  return utc;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::Load(std::string_view name) {
  if (name == "UTC") return Utc();
  if (!ValidName(name)) return Status::Error("unknown time zone \"" + std::string(name) + "\"");
  const char* env = std::getenv("TZDIR");
  const std::string path =
      std::string(env && *env ? env : "/usr/share/zoneinfo") + "/" + std::string(name);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
    return Status::Error("unknown time zone \"" + std::string(name) + "\": no zone file " + path +
                         " (is the tzdata package installed?)");
  }
  auto data = ReadFile(path);
  if (!data) return Status::Error("time zone \"" + std::string(name) + "\": cannot read " + path);
  return FromTzif(std::string(name), *data);
}

Result<std::shared_ptr<const TimeZone>> TimeZone::FromPosix(std::string name, std::string_view tz) {
  std::shared_ptr<TimeZone> z(new TimeZone());
  if (!PosixTz::Parse(tz, &z->rule_)) {
    return Status::Error("time zone \"" + name + "\": invalid TZ rule \"" + std::string(tz) + "\"");
  }
  z->name_ = std::move(name);
  z->has_rule_ = true;
  z->initial_offset_ = z->rule_.std_offset;
  return std::shared_ptr<const TimeZone>(std::move(z));
}

Result<std::shared_ptr<const TimeZone>> TimeZone::FromTzif(std::string name,
                                                           std::string_view data) {
  ByteReader r(data);
  TzifHeader h;
  if (!ReadHeader(&r, 4, &h)) return TzifError(name, "bad header");
  size_t time_size = 4;
  if (h.version != 0) {  // skip the 32-bit data: v2+ repeat it with 64-bit times
    r.Skip(h.DataSize(4));
    if (!ReadHeader(&r, 8, &h)) return TzifError(name, "bad second header");
    time_size = 8;
  }
  if (h.leapcnt != 0) {
    return TzifError(name, "leap-second zones are not supported; use the zone without right/");
  }
  std::vector<int64_t> times(h.timecnt);
  for (auto& t : times) t = time_size == 8 ? r.I64() : static_cast<int32_t>(r.U32());
  std::vector<uint8_t> idx(h.timecnt);
  for (auto& i : idx) i = r.U8();
  std::vector<int32_t> type_offsets(h.typecnt);
  for (auto& off : type_offsets) {
    off = static_cast<int32_t>(r.U32());
    r.Skip(2);  // isdst, abbreviation index: not needed for offsets
    if (off < -89999 || off > 93599) return TzifError(name, "UT offset out of range");
  }
  r.Skip(h.DataSize(time_size) - h.timecnt * (time_size + 1) - h.typecnt * 6);

  std::shared_ptr<TimeZone> z(new TimeZone());
  z->name_ = name;
  z->initial_offset_ = type_offsets[0];
  for (size_t i = 0; i < times.size(); ++i) {
    if (idx[i] >= h.typecnt) return TzifError(name, "bad type index");
    if (i > 0 && times[i] <= times[i - 1]) return TzifError(name, "times not ascending");
    if (times[i] >= kMaxTime) break;
    const int32_t off = type_offsets[idx[i]];
    if (times[i] <= kMinTime) {
      z->initial_offset_ = off;
      continue;
    }
    // Transitions that only change the abbreviation or the DST flag are dropped: fewer,
    // longer intervals make the lookup cache hit more often.
    const int32_t prev = z->offsets_.empty() ? z->initial_offset_ : z->offsets_.back();
    if (off == prev) continue;
    z->transitions_.push_back(times[i]);
    z->offsets_.push_back(off);
  }

  if (time_size == 8) {  // the footer: "\n" TZ string "\n"
    std::string_view rest = r.Rest();
    if (rest.size() < 2 || rest.front() != '\n') return TzifError(name, "missing footer");
    const size_t nl = rest.find('\n', 1);
    if (nl == std::string_view::npos) return TzifError(name, "unterminated footer");
    std::string_view tz = rest.substr(1, nl - 1);
    if (!tz.empty()) {
      if (!PosixTz::Parse(tz, &z->rule_)) {
        return TzifError(name, "invalid TZ rule \"" + std::string(tz) + "\" in the footer");
      }
      z->has_rule_ = true;
      if (z->transitions_.empty()) z->initial_offset_ = z->rule_.std_offset;
    }
  }
  return std::shared_ptr<const TimeZone>(std::move(z));
}

TimeZone::Interval TimeZone::FindInRule(int64_t u) const {
  if (!rule_.has_dst) return {kMinTime, kMaxTime, rule_.std_offset};
  int64_t year;
  unsigned m, d;
  CivilFromDays(FloorDiv(u, 86400), &year, &m, &d);
  // Rule times may lie days outside their year (v3 allows +-167 hours), so two years on
  // either side. Ties sort a start after an end: a zone in DST all year ("J365/25") has
  // each year's end coincide with the next year's start, and stays in DST.
  struct Change {
    int64_t at;
    bool start;
  } changes[10];
  size_t n = 0;
  for (int64_t y = year - 2; y <= year + 2; ++y) {
    changes[n++] = {rule_.EndUtc(y), false};
    changes[n++] = {rule_.StartUtc(y), true};
  }
  std::sort(changes, changes + n, [](const Change& a, const Change& b) {
    return a.at != b.at ? a.at < b.at : a.start < b.start;
  });
  Interval iv{kMinTime, kMaxTime, rule_.std_offset};
  for (size_t i = 0; i < n; ++i) {
    if (changes[i].at <= u) {
      iv.begin = changes[i].at;
      iv.offset = changes[i].start ? rule_.dst_offset : rule_.std_offset;
    } else {
      iv.end = changes[i].at;
      break;
    }
  }
  return iv;
}

TimeZone::Interval TimeZone::Find(int64_t u) const {
  u = Clamp(u);
  if (transitions_.empty()) {
    return has_rule_ ? FindInRule(u) : Interval{kMinTime, kMaxTime, initial_offset_};
  }
  if (u < transitions_.front()) return {kMinTime, transitions_.front(), initial_offset_};
  const size_t k = static_cast<size_t>(
      std::upper_bound(transitions_.begin(), transitions_.end(), u) - transitions_.begin() - 1);
  if (k + 1 < transitions_.size()) return {transitions_[k], transitions_[k + 1], offsets_[k]};
  if (!has_rule_) return {transitions_[k], kMaxTime, offsets_[k]};
  Interval iv = FindInRule(u);
  iv.begin = std::max(iv.begin, transitions_[k]);
  return iv;
}

int32_t TimeZone::OffsetAt(int64_t utc_s) const { return Find(utc_s).offset; }

template <typename F>
void TimeZone::ForEach(int64_t from, int64_t to, F&& f) const {
  // As many steps as intervals meet [from, to]: a handful for any real zone, and never
  // more than the transitions in the file plus a few from the footer rule.
  for (Interval iv = Find(from);; iv = Find(iv.end)) {
    f(iv);
    if (iv.end > to || iv.end >= kMaxTime) return;
  }
}

void TimeZone::Fill(const Interval& iv, Cache* cache) const {
  // The part of the interval's local range [begin + offset, end + offset) that no other
  // interval's local range overlaps. An earlier interval's local range ends before
  // iv.begin + its offset, a later one's starts after iv.end + its offset, and only
  // intervals within 2 * kMaxOffset of iv can reach into it.
  int32_t before = iv.offset, after = iv.offset;
  if (iv.begin > kMinTime) {
    ForEach(iv.begin - 2 * kMaxOffset, iv.begin - 1,
            [&](const Interval& x) { before = std::max(before, x.offset); });
  }
  if (iv.end < kMaxTime) {
    ForEach(iv.end, iv.end + 2 * kMaxOffset,
            [&](const Interval& x) { after = std::min(after, x.offset); });
  }
  const int64_t lo = iv.begin > kMinTime ? iv.begin + before : kMinTime;
  const int64_t hi = iv.end < kMaxTime ? iv.end + after : kMaxTime;
  if (lo < hi) *cache = Cache{lo, hi, iv.offset};
}

TimeZone::Resolved TimeZone::FromLocal(int64_t t, Cache* cache) const {
  if (cache && t >= cache->lo && t < cache->hi) {
    const int64_t u = t - cache->offset;
    return {Resolved::kUnique, u, u};
  }
  t = std::min(std::max(t, kMinTime + 4 * kMaxOffset), kMaxTime - 4 * kMaxOffset);
  // The candidates are t - offset for each interval that holds it; in a gap there are
  // none, and t is read with the offset of the last interval whose local range ends at
  // or before t, the offset before the clocks went forward.
  Resolved r;
  int found = 0;
  Interval hit{};
  int32_t before = 0;
  bool first = true;
  ForEach(t - kMaxOffset, t + kMaxOffset, [&](const Interval& iv) {
    const int64_t u = t - iv.offset;
    if (first || iv.end + iv.offset <= t) before = iv.offset;
    first = false;
    if (u < iv.begin || u >= iv.end) return;
    if (found++ == 0) r.earliest = u;
    r.latest = u;
    hit = iv;
  });
  if (found == 1) {
    if (cache) Fill(hit, cache);
  } else if (found > 1) {
    r.kind = Resolved::kAmbiguous;
  } else {
    r.kind = Resolved::kNonexistent;
    r.earliest = r.latest = t - before;
  }
  return r;
}

}  // namespace edgeline
