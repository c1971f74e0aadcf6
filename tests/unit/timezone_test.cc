// TimeZone: POSIX TZ rules, TZif files (v1, v2 "slim" with a footer, malformed ones),
// loading by name, and local -> UTC resolution. Expected instants were computed with
// Python (see tests/unit/timestamp_test.cc), e.g.
//   python3 -c 'from datetime import *; print(int(datetime(2024,10,27,6,
//               tzinfo=timezone.utc).timestamp()))'
#include "common/timezone.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace edgeline;

namespace {

using Kind = TimeZone::Resolved::Kind;

std::shared_ptr<const TimeZone> Posix(const char* tz) {
  auto z = TimeZone::FromPosix("test", tz);
  INFO(tz);
  REQUIRE(z.ok());
  return z.value();
}

// Resolves and checks the answer does not depend on the cache.
TimeZone::Resolved Resolve(const TimeZone& z, int64_t local_s) {
  TimeZone::Cache cache;
  TimeZone::Resolved a = z.FromLocal(local_s, &cache);
  TimeZone::Resolved b = z.FromLocal(local_s, &cache);  // a cache hit when unique
  TimeZone::Resolved c = z.FromLocal(local_s, nullptr);
  CHECK((a.kind == b.kind && a.kind == c.kind));
  CHECK((a.earliest == b.earliest && a.earliest == c.earliest));
  CHECK((a.latest == b.latest && a.latest == c.latest));
  return a;
}

// Local seconds of a civil time (2026-10-25 02:30 -> seconds as if it were UTC).
int64_t Local(int y, int mo, int d, int h, int mi) {
  struct tm t = {};
  t.tm_year = y - 1900;
  t.tm_mon = mo - 1;
  t.tm_mday = d;
  t.tm_hour = h;
  t.tm_min = mi;
  return static_cast<int64_t>(timegm(&t));
}

void Put32(std::string* s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Put64(std::string* s, uint64_t v) {
  for (int i = 7; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A TZif file: version '\0' (v1: 32-bit data only) or '2' (an empty v1 block, as zic's
// "slim" output has, then the 64-bit data and the footer).
struct Tzif {
  char version = '2';
  std::vector<std::pair<int64_t, uint8_t>> transitions;  // (UTC seconds, type index)
  std::vector<int32_t> offsets;                          // one type per offset
  std::string footer;
  uint32_t leapcnt = 0;

  std::string Block(size_t time_size, bool empty) const {
    std::string s = "TZif";
    s.push_back(version);
    s.append(15, '\0');
    const uint32_t timecnt = empty ? 0 : static_cast<uint32_t>(transitions.size());
    const uint32_t typecnt = empty ? 1 : static_cast<uint32_t>(offsets.size());
    for (uint32_t c : {0u, 0u, empty ? 0u : leapcnt, timecnt, typecnt, 4u}) Put32(&s, c);
    for (uint32_t i = 0; i < timecnt; ++i) {
      if (time_size == 8)
        Put64(&s, static_cast<uint64_t>(transitions[i].first));
      else
        Put32(&s, static_cast<uint32_t>(transitions[i].first));
    }
    for (uint32_t i = 0; i < timecnt; ++i) s.push_back(static_cast<char>(transitions[i].second));
    for (uint32_t i = 0; i < typecnt; ++i) {
      Put32(&s, static_cast<uint32_t>(empty ? 0 : offsets[i]));
      s.push_back('\0');
      s.push_back('\0');
    }
    s.append("UTC", 4);
    for (uint32_t i = 0; i < (empty ? 0 : leapcnt); ++i) s.append(time_size + 4, '\0');
    return s;
  }
  std::string Bytes() const {
    if (version == '\0') return Block(4, false);
    return Block(4, true) + Block(8, false) + "\n" + footer + "\n";
  }
};

// Berlin's rules from 1996 on, as a slim file would hold them: two transitions, then the
// footer. Before the first transition the file's type 0 (CET) applies.
Tzif SlimBerlin() {
  Tzif t;
  t.transitions = {{828234000, 1}, {846378000, 0}};  // 1996-03-31, 1996-10-27 01:00 UTC
  t.offsets = {3600, 7200};
  t.footer = "CET-1CEST,M3.5.0,M10.5.0/3";
  return t;
}

// Sets TZDIR for the life of the object.
class TzDir {
 public:
  TzDir()
      : dir_(std::filesystem::temp_directory_path() /
             ("edgeline-tz-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
    const char* old = std::getenv("TZDIR");
    if (old) old_ = old;
    ::setenv("TZDIR", dir_.c_str(), 1);
  }
  ~TzDir() {
    if (old_)
      ::setenv("TZDIR", old_->c_str(), 1);
    else
      ::unsetenv("TZDIR");
    std::filesystem::remove_all(dir_);
  }
  void Write(const std::string& name, const std::string& data) {
    std::filesystem::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name, std::ios::binary) << data;
  }

 private:
  std::filesystem::path dir_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("POSIX TZ strings parse in every form tzdata uses") {
  PosixTz tz;
  REQUIRE(PosixTz::Parse("CET-1CEST,M3.5.0,M10.5.0/3", &tz));
  CHECK(tz.std_offset == 3600);
  CHECK(tz.dst_offset == 7200);
  CHECK((tz.start.kind == PosixTz::Rule::kMonthWeekDay && tz.start.month == 3 &&
         tz.start.week == 5 && tz.start.weekday == 0 && tz.start.time == 7200));
  CHECK(tz.end.time == 3 * 3600);
  REQUIRE(PosixTz::Parse("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", &tz));  // Australia/Lord_Howe
  CHECK((tz.std_offset == 37800 && tz.dst_offset == 39600));
  REQUIRE(PosixTz::Parse("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", &tz));  // America/Nuuk
  CHECK((tz.std_offset == -7200 && tz.dst_offset == -3600 && tz.start.time == -3600));
  REQUIRE(PosixTz::Parse("IST-2IDT,M3.4.4/26,M10.5.0", &tz));  // Asia/Jerusalem
  CHECK(tz.start.time == 26 * 3600);
  REQUIRE(PosixTz::Parse("EST5EDT,J60/2,300", &tz));
  CHECK((tz.start.kind == PosixTz::Rule::kJulian1 && tz.start.day == 60));
  CHECK((tz.end.kind == PosixTz::Rule::kJulian0 && tz.end.day == 300));
  REQUIRE(PosixTz::Parse("<-03>3", &tz));
  CHECK((tz.std_offset == -10800 && !tz.has_dst));
  REQUIRE(PosixTz::Parse("<+0545>-5:45", &tz));  // Asia/Kathmandu
  CHECK(tz.std_offset == 20700);
  REQUIRE(PosixTz::Parse("EST5EDT", &tz));  // no rules: the US rules, as tzcode does
  CHECK((tz.has_dst && tz.start.month == 3 && tz.start.week == 2 && tz.end.month == 11));
  for (const char* bad :
       {"", "UT0", "CET", "CET-1x", "CET-25", "CET-1:60", "<+1>-1", "CET-1CEST,M3.5.0",
        "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0",
        "CET-1CEST,J0,J365", "CET-1CEST,366,1", "CET-1CEST,M3.5.0/168,M10.5.0",
        "CET-1CEST,M3.5.0,M10.5.0,"}) {
    INFO(bad);
    CHECK_FALSE(PosixTz::Parse(bad, &tz));
  }
}

TEST_CASE("POSIX rules give the transition instants of any year") {
  PosixTz berlin;
  REQUIRE(PosixTz::Parse("CET-1CEST,M3.5.0,M10.5.0/3", &berlin));
  CHECK(berlin.StartUtc(2026) == 1774746000);  // 2026-03-29 01:00 UTC
  CHECK(berlin.EndUtc(2026) == 1792890000);    // 2026-10-25 01:00 UTC
  PosixTz julian;
  REQUIRE(PosixTz::Parse("EST5EDT,J60/2,300", &julian));
  CHECK(julian.StartUtc(2024) == 1709276400);  // J60 is March 1 even in a leap year
  CHECK(julian.StartUtc(2025) == 1740812400);
  CHECK(julian.EndUtc(2024) == 1730008800);  // day 300 counted from 0: 2024-10-27
}

TEST_CASE("zones from POSIX rules resolve gaps and overlaps, negative and >24h rule times") {
  auto berlin = Posix("CET-1CEST,M3.5.0,M10.5.0/3");
  TimeZone::Resolved r = Resolve(*berlin, Local(2026, 3, 29, 2, 30));
  CHECK((r.kind == Kind::kNonexistent && r.earliest == 1774747800));
  r = Resolve(*berlin, Local(2026, 10, 25, 2, 30));
  CHECK((r.kind == Kind::kAmbiguous && r.earliest == 1792888200 && r.latest == 1792891800));
  r = Resolve(*berlin, Local(2026, 7, 1, 12, 0));
  CHECK((r.kind == Kind::kUnique && r.earliest == 1782900000));
  CHECK(berlin->OffsetAt(1774746000 - 1) == 3600);
  CHECK(berlin->OffsetAt(1774746000) == 7200);

  auto nuuk = Posix("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");  // changes at Saturday 23:00 local
  r = Resolve(*nuuk, Local(2030, 3, 30, 23, 30));
  CHECK((r.kind == Kind::kNonexistent && r.earliest == 1901151000));
  r = Resolve(*nuuk, Local(2030, 10, 26, 23, 30));
  CHECK((r.kind == Kind::kAmbiguous && r.earliest == 1919291400 && r.latest == 1919295000));

  auto jerusalem = Posix("IST-2IDT,M3.4.4/26,M10.5.0");  // Thursday 26:00 = Friday 02:00
  r = Resolve(*jerusalem, Local(2030, 3, 29, 2, 30));
  CHECK((r.kind == Kind::kNonexistent && r.earliest == 1900974600));
  r = Resolve(*jerusalem, Local(2030, 10, 27, 1, 30));
  CHECK((r.kind == Kind::kAmbiguous && r.earliest == 1919284200 && r.latest == 1919287800));

  // DST all year: each year's end coincides with the next year's start.
  auto always = Posix("EST5EDT4,0/0,J365/25");
  for (int64_t u : {int64_t{1767225600}, int64_t{1767243600}, int64_t{1798761600}}) {
    CHECK(always->OffsetAt(u) == -4 * 3600);
  }
  r = Resolve(*always, Local(2026, 1, 1, 0, 30));
  CHECK((r.kind == Kind::kUnique && r.earliest == Local(2026, 1, 1, 4, 30)));

  auto fixed = Posix("<+0545>-5:45");
  CHECK(fixed->fixed());
  r = Resolve(*fixed, 0);
  CHECK((r.kind == Kind::kUnique && r.earliest == -20700));
}

TEST_CASE("TZif v1 files are read from their 32-bit data") {
  Tzif t;
  t.version = '\0';
  t.transitions = {{0, 1}, {1000000, 0}};
  t.offsets = {3600, 7200};
  auto z = TimeZone::FromTzif("v1", t.Bytes());
  REQUIRE(z.ok());
  CHECK(z.value()->OffsetAt(-1) == 3600);
  CHECK(z.value()->OffsetAt(0) == 7200);
  CHECK(z.value()->OffsetAt(999999) == 7200);
  CHECK(z.value()->OffsetAt(1000000) == 3600);
  CHECK(z.value()->OffsetAt(int64_t{1} << 35) == 3600);  // no footer: the last offset stays
  CHECK(Resolve(**z, 1000000 + 7200 - 1).kind == Kind::kAmbiguous);
}

TEST_CASE("slim TZif files: the footer rule applies after the last transition") {
  auto z = TimeZone::FromTzif("slim", SlimBerlin().Bytes());
  REQUIRE(z.ok());
  TimeZone::Resolved r = Resolve(**z, Local(1996, 6, 1, 0, 0));  // from the transitions
  CHECK((r.kind == Kind::kUnique && r.earliest == 833580000));
  r = Resolve(**z, Local(1990, 6, 1, 0, 0));  // before them: type 0
  CHECK((r.kind == Kind::kUnique && r.earliest == 644194800));
  r = Resolve(**z, Local(2026, 3, 29, 2, 30));  // from the footer
  CHECK((r.kind == Kind::kNonexistent && r.earliest == 1774747800));
  r = Resolve(**z, Local(2026, 10, 25, 2, 30));
  CHECK((r.kind == Kind::kAmbiguous && r.earliest == 1792888200 && r.latest == 1792891800));
  r = Resolve(**z, Local(2026, 7, 1, 12, 0));
  CHECK((r.kind == Kind::kUnique && r.earliest == 1782900000));
  CHECK(z.value()->OffsetAt(846378000) == 3600);
  CHECK(z.value()->OffsetAt(1774746000) == 7200);
}

TEST_CASE("malformed TZif files are refused with a reason") {
  const std::string good = SlimBerlin().Bytes();
  std::vector<std::pair<std::string, std::string>> bad = {
      {"", "bad header"},
      {"TZjf" + good.substr(4), "bad header"},
      {good.substr(0, 60), "bad second header"},
      {good.substr(0, good.size() - 1), "unterminated footer"},
      {good.substr(0, good.size() - SlimBerlin().footer.size() - 2), "missing footer"},
  };
  Tzif t = SlimBerlin();
  t.transitions[1].second = 7;
  bad.push_back({t.Bytes(), "bad type index"});
  t = SlimBerlin();
  std::swap(t.transitions[0], t.transitions[1]);
  bad.push_back({t.Bytes(), "times not ascending"});
  t = SlimBerlin();
  t.leapcnt = 1;
  bad.push_back({t.Bytes(), "leap-second zones are not supported; use the zone without right/"});
  t = SlimBerlin();
  t.footer = "CET-1CEST,M3.5.0";
  bad.push_back({t.Bytes(), "invalid TZ rule \"CET-1CEST,M3.5.0\" in the footer"});
  t = SlimBerlin();
  t.offsets[1] = 100000;
  bad.push_back({t.Bytes(), "UT offset out of range"});
  for (const auto& [bytes, why] : bad) {
    INFO(why);
    auto z = TimeZone::FromTzif("x", bytes);
    REQUIRE_FALSE(z.ok());
    CHECK(z.status().message() == "time zone \"x\": not a valid TZif file (" + why + ")");
  }
}

TEST_CASE("zones load by name from TZDIR; UTC needs no files") {
  TzDir dir;
  dir.Write("Test/Berlin", SlimBerlin().Bytes());
  dir.Write("Test/Junk", "not a zone");
  auto z = TimeZone::Load("Test/Berlin");
  REQUIRE(z.ok());
  CHECK(z.value()->name() == "Test/Berlin");
  CHECK(z.value()->OffsetAt(1782900000) == 7200);
  auto utc = TimeZone::Load("UTC");
  REQUIRE(utc.ok());
  CHECK(utc.value()->fixed());
  CHECK(utc.value()->OffsetAt(0) == 0);

  auto junk = TimeZone::Load("Test/Junk");
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.status().message() == "time zone \"Test/Junk\": not a valid TZif file (bad header)");
  auto missing = TimeZone::Load("Test/Nowhere");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().rfind("unknown time zone \"Test/Nowhere\": no zone file ", 0) ==
        0);
  CHECK_FALSE(TimeZone::Load("Test").ok());  // a directory
  for (const char* name : {"", "../etc/passwd", "/etc/localtime", "Test//Berlin", "Test/Berlin/",
                           "Test/./Berlin", "Test/Berl in", "Test\\Berlin"}) {
    INFO(name);
    auto r = TimeZone::Load(name);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "unknown time zone \"" + std::string(name) + "\"");
  }
}

TEST_CASE("system zones load from the zone database (the tzdata package)") {
  auto berlin = TimeZone::Load("Europe/Berlin");
  INFO(berlin.status().ToString());
  REQUIRE(berlin.ok());
  CHECK_FALSE(berlin.value()->fixed());
  TimeZone::Resolved r = Resolve(**berlin, Local(2026, 10, 25, 2, 30));
  CHECK((r.kind == Kind::kAmbiguous && r.earliest == 1792888200 && r.latest == 1792891800));
  auto etc = TimeZone::Load("Etc/GMT+5");  // POSIX sign: 5 hours west
  REQUIRE(etc.ok());
  CHECK(etc.value()->OffsetAt(0) == -5 * 3600);
}

TEST_CASE("a slim file written by zic: few transitions, the rest from the footer") {
  // tests/fuzz/corpus/timestamp_fuzz/slim_v2.tzif: `zic -b slim` of Berlin's rules since
  // 1977 (EU rules, CET-1CEST,M3.5.0,M10.5.0/3), 514 bytes.
  std::ifstream in(
      std::string(EDGELINE_SOURCE_DIR) + "/tests/fuzz/corpus/timestamp_fuzz/slim_v2.tzif",
      std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto z = TimeZone::FromTzif("Test/Slim", bytes);
  REQUIRE(z.ok());
  TimeZone::Resolved r = Resolve(**z, Local(2026, 10, 25, 2, 30));
  CHECK((r.kind == Kind::kAmbiguous && r.earliest == 1792888200 && r.latest == 1792891800));
  r = Resolve(**z, Local(2026, 3, 29, 2, 30));
  CHECK((r.kind == Kind::kNonexistent && r.earliest == 1774747800));
  r = Resolve(**z, Local(1960, 6, 1, 12, 0));  // python3 zoneinfo Europe/Berlin agrees
  CHECK((r.kind == Kind::kUnique && r.earliest == -302446800));
}
