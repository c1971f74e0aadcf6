// TimestampParser: every format, every pattern conversion, time zones and the DST
// policies. Expected values were computed independently with Python, e.g.
//   python3 -c 'from datetime import *; print(int(datetime(2026,3,29,14,5,9,
//               tzinfo=timezone.utc).timestamp()*1000))'
// and, for zones (tzdata 2025b; these rules have not changed in decades),
//   python3 -c 'from zoneinfo import ZoneInfo; from datetime import datetime;
//               print(int(datetime(2026,10,25,2,30, fold=0,
//                     tzinfo=ZoneInfo("Europe/Berlin")).timestamp()*1000))'
// where fold=0 is the earliest instant of an ambiguous time and, for a nonexistent time,
// the instant shift_forward gives (the local time read with the offset before the gap).
#include "common/timestamp.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

using namespace edgeline;

namespace {

TimestampParser Make(TimestampFormat format, const std::string& pattern = "",
                     const std::string& zone = "UTC",
                     AmbiguousPolicy ambiguous = AmbiguousPolicy::kEarliest,
                     NonexistentPolicy nonexistent = NonexistentPolicy::kShiftForward) {
  TimestampSpec spec;
  spec.format = format;
  spec.pattern = pattern;
  spec.timezone = zone;
  spec.ambiguous = ambiguous;
  spec.nonexistent = nonexistent;
  auto p = TimestampParser::Create(spec);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return std::move(p.value());
}

TimestampParser Pattern(const std::string& pattern, const std::string& zone = "UTC") {
  return Make(TimestampFormat::kStrftime, pattern, zone);
}

// Epoch ms, or nullopt for a reject.
std::optional<int64_t> Ms(TimestampParser& p, std::string_view text) {
  TimestampResult r = p.Parse(text);
  if (!r.ok()) return std::nullopt;
  return r.ms;
}

std::string Reason(TimestampParser& p, std::string_view text) {
  TimestampResult r = p.Parse(text);
  return r.ok() ? "ok" : r.reject;
}

std::optional<int64_t> Ms(TimestampParser&& p, std::string_view text) { return Ms(p, text); }
std::string Reason(TimestampParser&& p, std::string_view text) { return Reason(p, text); }

}  // namespace

TEST_CASE("epoch_ns integers convert exactly, rounding down to the millisecond") {
  TimestampParser ns = Make(TimestampFormat::kEpochNs);
  CHECK(Ms(ns, "1793527200123456789") == 1793527200123);
  CHECK(Ms(ns, "0") == 0);
  CHECK(Ms(ns, "999999") == 0);
  CHECK(Ms(ns, "-1") == -1);  // floor, not truncation
  CHECK(Ms(ns, "-1000000") == -1);
  CHECK(Ms(ns, "-1000001") == -2);
  CHECK(Ms(ns, "-1793527200123456789") == -1793527200124);
  CHECK(Ms(ns, "9223372036854775807") == 9223372036854);
  CHECK(Ms(ns, "12345678901234567890") == 12345678901234);  // beyond int64 as ns, fine as ms
  CHECK(Ms(ns, "+5000000") == 5);
}

TEST_CASE("epoch decimals convert exactly, without double rounding") {
  TimestampParser s = Make(TimestampFormat::kEpochS);
  CHECK(Ms(s, "1.001") == 1001);  // 1.001 * 1000 in doubles is 1000.9999999999999
  CHECK(Ms(s, "1793527200.001") == 1793527200001);
  CHECK(Ms(s, "104.9") == 104900);
  CHECK(Ms(s, "-1.5") == -1500);
  CHECK(Ms(s, "-0.0001") == -1);
  CHECK(Ms(s, ".5") == 500);
  CHECK(Ms(s, "5.") == 5000);
  CHECK(Ms(s, "1.7935272E9") == 1793527200000);
  CHECK(Ms(s, "17935272e+2") == 1793527200000);
  CHECK(Ms(s, "-0") == 0);
  CHECK(Ms(s, "0e999999") == 0);
  TimestampParser ns = Make(TimestampFormat::kEpochNs);
  CHECK(Ms(ns, "1793527200123456789.9") == 1793527200123);
  CHECK(Ms(ns, "1.5") == 0);
  CHECK(Ms(ns, "-1.5") == -1);
  CHECK(Ms(ns, "1.7935272001234567e18") == 1793527200123);
  CHECK(Ms(ns, "1e-30") == 0);
  CHECK(Ms(ns, "-1e-30") == -1);
  // More significant digits than a uint64 holds: the dropped ones still round negatives.
  CHECK(Ms(ns, "-999999.00000000000000000001") == -1);
  CHECK(Ms(Make(TimestampFormat::kEpochMs), "12.999") == 12);
  CHECK(Ms(Make(TimestampFormat::kEpochUs), "-1500") == -2);
}

TEST_CASE("malformed or out-of-range epoch numbers are bad_timestamp") {
  TimestampParser s = Make(TimestampFormat::kEpochS);
  for (const char* bad : {"",
                          "-",
                          "+",
                          ".",
                          "e5",
                          "1e",
                          "1e+",
                          "1.2.3",
                          " 1",
                          "1 ",
                          "0x10",
                          "nan",
                          "inf",
                          "1,5",
                          "+-1",
                          "--1",
                          "9223372036854776",
                          "1e16",
                          "99999999999999999",
                          "1e400"}) {
    INFO(bad);
    CHECK(Reason(s, bad) == "bad_timestamp");
  }
  CHECK(Reason(Make(TimestampFormat::kEpochMs), "9223372036854775808") == "bad_timestamp");
}

TEST_CASE("ISO 8601 local times use the job's time zone; an offset wins") {
  TimestampParser berlin = Make(TimestampFormat::kIso8601, "", "Europe/Berlin");
  CHECK(Ms(berlin, "2026-07-01T12:00:00") == 1782900000000);  // CEST, +02:00
  CHECK(Ms(berlin, "2026-01-15 08:00:00") == 1768460400000);  // CET, +01:00
  CHECK(Ms(berlin, "2026-01-15T08:00:00.250") == 1768460400250);
  CHECK(Ms(berlin, "2026-11-01T10:00:00Z") == 1793527200000);
  CHECK(Ms(berlin, "2026-11-01T05:00:00-05:00") == 1793527200000);
  CHECK(Reason(berlin, "2026-11-01T10:00") == "bad_timestamp");
  TimestampParser utc = Make(TimestampFormat::kIso8601);
  CHECK(Ms(utc, "2026-11-01T10:00:00") == 1793527200000);
}

TEST_CASE("Europe/Berlin: a nonexistent local time moves forward by the gap, or is rejected") {
  // 2026-03-29 02:00 CET -> 03:00 CEST; 02:30 is read as 01:30 UTC, which is 03:30 CEST.
  TimestampParser shift = Make(TimestampFormat::kIso8601, "", "Europe/Berlin");
  CHECK(Ms(shift, "2026-03-29T02:30:00") == 1774747800000);
  CHECK(Ms(shift, "2026-03-29T03:30:00") == 1774747800000);
  CHECK(Ms(shift, "2026-03-29T01:59:59") == 1774745999000);
  CHECK(Ms(shift, "2026-03-29T03:00:00") == 1774746000000);
  TimestampParser reject = Make(TimestampFormat::kIso8601, "", "Europe/Berlin",
                                AmbiguousPolicy::kEarliest, NonexistentPolicy::kReject);
  CHECK(Reason(reject, "2026-03-29T02:30:00") == "nonexistent_time");
  CHECK(Reason(reject, "2026-03-29T02:00:00") == "nonexistent_time");
  CHECK(Ms(reject, "2026-03-29T03:00:00") == 1774746000000);
  CHECK(Ms(reject, "2026-03-29T02:30:00+01:00") == 1774747800000);  // own offset: no zone
}

TEST_CASE("Europe/Berlin: an ambiguous local time follows the policy") {
  // 2026-10-25 03:00 CEST -> 02:00 CET: 02:00-02:59:59 happen twice.
  const char* t = "2026-10-25 02:30:00";
  TimestampParser earliest = Make(TimestampFormat::kIso8601, "", "Europe/Berlin");
  CHECK(Ms(earliest, t) == 1792888200000);  // 02:30 CEST = 00:30 UTC
  TimestampParser latest =
      Make(TimestampFormat::kIso8601, "", "Europe/Berlin", AmbiguousPolicy::kLatest);
  CHECK(Ms(latest, t) == 1792891800000);  // 02:30 CET = 01:30 UTC
  CHECK(Ms(latest, "2026-10-25 02:00:00") == 1792890000000);
  TimestampParser reject =
      Make(TimestampFormat::kIso8601, "", "Europe/Berlin", AmbiguousPolicy::kReject);
  CHECK(Reason(reject, t) == "ambiguous_time");
  CHECK(Ms(reject, "2026-10-25 01:59:59") == 1792886399000);
  CHECK(Ms(reject, "2026-10-25 03:00:00") == 1792893600000);
}

TEST_CASE("America/New_York, Australia/Lord_Howe (30-minute DST) and other zones") {
  TimestampParser ny = Pattern("%Y-%m-%d %H:%M", "America/New_York");
  CHECK(Ms(ny, "2026-06-01 09:00") == 1780318800000);
  CHECK(Ms(ny, "2026-03-08 02:30") == 1772955000000);  // gap
  CHECK(Ms(ny, "2026-11-01 01:30") == 1793511000000);  // ambiguous, earliest (EDT)
  CHECK(Ms(ny, "1950-07-01 12:00") == -615456000000);  // before 1970, EDT
  TimestampParser lh = Pattern("%Y-%m-%d %H:%M", "Australia/Lord_Howe");
  CHECK(Ms(lh, "2026-01-01 12:00") == 1767229200000);  // +11
  CHECK(Ms(lh, "2026-07-01 12:00") == 1782869400000);  // +10:30
  CHECK(Ms(lh, "2026-10-04 02:15") == 1791042300000);  // gap 02:00-02:30, moved forward 30 min
  CHECK(Ms(lh, "2026-04-05 01:45") == 1775313900000);  // 01:30-02:00 twice, earliest
  TimestampParser lh_latest = Make(TimestampFormat::kStrftime, "%Y-%m-%d %H:%M",
                                   "Australia/Lord_Howe", AmbiguousPolicy::kLatest);
  CHECK(Ms(lh_latest, "2026-04-05 01:45") == 1775315700000);
  TimestampParser kolkata = Pattern("%F %T", "Asia/Kolkata");
  CHECK(Ms(kolkata, "2026-01-01 00:00:00") == 1767205800000);
  TimestampParser berlin = Pattern("%F %T", "Europe/Berlin");
  CHECK(Ms(berlin, "1960-06-01 12:00:00") == -302446800000);
  CHECK(Ms(berlin, "1890-01-01 00:00:00") == -2524524808000);  // local mean time, +00:53:28
}

TEST_CASE("dates past the zone file's transitions follow its footer rule (2100)") {
  TimestampParser berlin = Pattern("%F %T", "Europe/Berlin");
  CHECK(Ms(berlin, "2100-07-01 12:00:00") == 4118119200000);
  CHECK(Ms(berlin, "2100-03-28 02:30:00") == 4109880600000);  // gap
  CHECK(Ms(berlin, "2100-10-31 02:30:00") == 4128625800000);  // ambiguous, earliest
  TimestampParser ny = Pattern("%F %T", "America/New_York");
  CHECK(Ms(ny, "2100-03-14 02:30:00") == 4108692600000);  // gap
  CHECK(Ms(ny, "2100-12-25 18:00:00") == 4133458800000);
}

TEST_CASE("every pattern conversion") {
  CHECK(Ms(Pattern("%d/%m/%Y %H:%M:%S"), "29/03/2026 14:05:09") == 1774793109000);
  CHECK(Ms(Pattern("%d/%m/%Y %H:%M:%S"), "29/3/2026 14:5:9") == 1774793109000);  // 1-2 digits
  CHECK(Ms(Pattern("%Y%m%d%H%M%S"), "20260329140509") == 1774793109000);
  CHECK(Ms(Pattern("%y-%m-%d"), "26-03-05") == 1772668800000);
  CHECK(Ms(Pattern("%y-%m-%d"), "69-03-05") == -26092800000);   // 69-99: 19xx
  CHECK(Ms(Pattern("%y-%m-%d"), "68-03-05") == 3098131200000);  // 00-68: 20xx
  CHECK(Ms(Pattern("%b %e %Y"), "Mar  5 2026") == 1772668800000);
  CHECK(Ms(Pattern("%b %e %Y"), "Mar 05 2026") == 1772668800000);
  CHECK(Ms(Pattern("%b%e %Y"), "Mar 5 2026") == 1772668800000);  // %e takes one leading space
  CHECK(Ms(Pattern("%B %d %Y"), "MARCH 05 2026") == 1772668800000);
  CHECK(Ms(Pattern("%B %d %Y"), "mar 05 2026") == 1772668800000);
  CHECK(Ms(Pattern("%h %d %Y"), "March 05 2026") == 1772668800000);
  CHECK(Ms(Pattern("%Y-%j"), "2024-060") == 1709164800000);  // leap year: Feb 29
  CHECK(Ms(Pattern("%Y-%j"), "2025-060") == 1740787200000);
  CHECK(Ms(Pattern("%Y-%j"), "2024-366") == 1735603200000);
  CHECK(Ms(Pattern("%F %I:%M %p"), "2026-03-01 12:00 AM") == 1772323200000);  // midnight
  CHECK(Ms(Pattern("%F %I:%M %p"), "2026-03-01 12:30 PM") == 1772368200000);
  CHECK(Ms(Pattern("%F %I:%M %p"), "2026-03-01 01:00 pm") == 1772370000000);
  CHECK(Ms(Pattern("%F %I:%M%p"), "2026-03-01 1:00Pm") == 1772370000000);
  CHECK(Ms(Pattern("%F %T.%f"), "2026-03-01 00:00:00.1") == 1772323200100);
  CHECK(Ms(Pattern("%F %T.%f"), "2026-03-01 00:00:00.123456789") == 1772323200123);
  CHECK(Ms(Pattern("%F %T.%f"), "2026-03-01 00:00:00.0001") == 1772323200000);
  CHECK(Ms(Pattern("%F %H:%M%z"), "2026-03-01 10:00Z") == 1772359200000);
  CHECK(Ms(Pattern("%F %H:%M%z"), "2026-03-01 10:00+05") == 1772341200000);
  CHECK(Ms(Pattern("%F %H:%M%z"), "2026-03-01 10:00+0530") == 1772339400000);
  CHECK(Ms(Pattern("%F %H:%M%z"), "2026-03-01 10:00+05:30") == 1772339400000);
  CHECK(Ms(Pattern("%F %H:%M %z"), "2026-03-01 10:00 -0800") == 1772388000000);
  CHECK(Ms(Pattern("%F %H:%M %Z"), "2026-03-01 10:00 UTC") == 1772359200000);
  CHECK(Ms(Pattern("%F %H:%M %Z"), "2026-03-01 10:00 gmt") == 1772359200000);
  CHECK(Ms(Pattern("%F %H:%M %Z"), "2026-03-01 10:00 Z") == 1772359200000);
  CHECK(Ms(Pattern("%s"), "1793527200") == 1793527200000);
  CHECK(Ms(Pattern("%s"), "-1") == -1000);
  CHECK(Ms(Pattern("%s.%f"), "1793527200.5") == 1793527200500);
  CHECK(Ms(Pattern("%s.%f"), "-1.5") == -1500);
  CHECK(Ms(Pattern("%s.%f"), "-0.25") == -250);
  CHECK(Ms(Pattern("%D %R"), "03/01/26 12:30") == 1772368200000);
  CHECK(Ms(Pattern("%a, %d %b %Y %T %z"), "Sun, 01 Mar 2026 10:00:00 +0100") == 1772355600000);
  CHECK(Ms(Pattern("%A %F"), "sunday 2026-03-01") == 1772323200000);
  CHECK(Ms(Pattern("%A %F"), "Monday 2026-03-01") == 1772323200000);  // the weekday is not checked
  CHECK(Ms(Pattern("%F%%"), "2026-03-01%") == 1772323200000);
  CHECK(Ms(Pattern("%F%n%T"), "2026-03-01 \t 12:30:00") == 1772368200000);
  CHECK(Ms(Pattern("%FT%T"), "2026-03-01T12:30:00") == 1772368200000);
  CHECK(Ms(Pattern("%F %T"), "2026-12-31 23:59:60") == 1798761600000);  // leap second rolls over
  // Left-out parts default to the start of the period.
  CHECK(Ms(Pattern("%Y"), "2026") == 1767225600000);
  CHECK(Ms(Pattern("%Y-%m"), "2026-03") == 1772323200000);
}

TEST_CASE("whitespace in a pattern matches one or more spaces or tabs") {
  TimestampParser p = Pattern("%F %T");
  CHECK(Ms(p, "2026-03-01 12:30:00") == 1772368200000);
  CHECK(Ms(p, "2026-03-01   12:30:00") == 1772368200000);
  CHECK(Ms(p, "2026-03-01\t12:30:00") == 1772368200000);
  CHECK(Reason(p, "2026-03-0112:30:00") == "bad_timestamp");
  CHECK(Reason(p, " 2026-03-01 12:30:00") == "bad_timestamp");
  CHECK(Reason(p, "2026-03-01 12:30:00 ") == "bad_timestamp");
}

TEST_CASE("text that does not match the pattern, or is out of range, is bad_timestamp") {
  const struct {
    const char* pattern;
    const char* text;
  } kBad[] = {
      {"%F %T", ""},
      {"%F %T", "2026-03-01 12:30"},      // too short
      {"%F %T", "2026-03-01 12:30:00x"},  // not consumed
      {"%F %T", "2026-13-01 12:30:00"},   // month 13
      {"%F %T", "2026-00-01 12:30:00"},   // month 0
      {"%F %T", "2025-02-29 12:30:00"},   // not a leap year
      {"%F %T", "2026-04-31 00:00:00"},
      {"%F %T", "2026-03-01 24:00:00"},
      {"%F %T", "2026-03-01 12:60:00"},
      {"%F %T", "2026-03-01 12:30:61"},
      {"%F %T", "226-03-01 12:30:00"},  // %Y takes exactly 4 digits
      {"%F %T", "20260-03-01 12:30:00"},
      {"%y-%m-%d", "2026-03-01"},
      {"%Y-%j", "2025-366"},
      {"%Y-%j", "2025-000"},
      {"%F %I:%M %p", "2026-03-01 13:00 PM"},
      {"%F %I:%M %p", "2026-03-01 00:00 AM"},
      {"%F %I:%M %p", "2026-03-01 10:00 XM"},
      {"%b %d %Y", "Sept 01 2026"},
      {"%b %d %Y", "Mrz 01 2026"},
      {"%F %T.%f", "2026-03-01 00:00:00."},
      {"%F %T.%f", "2026-03-01 00:00:00.1234567890"},  // 10 digits
      {"%F %H:%M%z", "2026-03-01 10:00+24:00"},
      {"%F %H:%M%z", "2026-03-01 10:00+05:3"},
      {"%F %H:%M%z", "2026-03-01 10:00+0560"},
      {"%F %H:%M%z", "2026-03-01 10:00"},
      {"%F %H:%M %Z", "2026-03-01 10:00 CET"},  // abbreviations other than UTC are ambiguous
      {"%s", "1e9"},
      {"%s", "1234567890123"},  // more than 12 digits
      {"%s", ""},
      {"%A %F", "Someday 2026-03-01"},
      {"%F%%", "2026-03-01"},
  };
  for (const auto& b : kBad) {
    INFO(b.pattern << " / " << b.text);
    TimestampParser p = Pattern(b.pattern);
    CHECK(Reason(p, b.text) == "bad_timestamp");
  }
}

TEST_CASE("invalid patterns are refused with the reason") {
  const struct {
    const char* pattern;
    const char* error;
  } kBad[] = {
      {"%Y-%m-%d %Q", "unknown conversion %Q at character 10"},
      {"%Y %Ey", "unknown conversion %E at character 4"},
      {"%Y-%m-%", "the pattern ends with a lone %"},
      {"%Y %Y", "%Y at character 4 sets the year again"},
      {"%F %y", "%y at character 4 sets the year again"},
      {"%T %Y %H", "%H at character 7 sets the hour again"},
      {"%m/%d %H:%M", "no year (%Y or %y) and no %s"},
      {"%Y %j %m", "%j (day of the year) can't be combined with a month or a day"},
      {"%s %Y", "%s (epoch seconds) can only be combined with %f"},
      {"%F %I:%M", "%I (12-hour clock) needs %p"},
      {"%F %H:%M %p", "%p needs %I (12-hour clock)"},
      {"", "no year (%Y or %y) and no %s"},
  };
  for (const auto& b : kBad) {
    INFO(b.pattern);
    auto p = TimePattern::Compile(b.pattern);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().message() == b.error);
  }
  TimestampSpec spec;
  spec.format = TimestampFormat::kStrftime;
  spec.pattern = "%Y %Q";
  CHECK(TimestampParser::Create(spec).status().message() ==
        "job spec /schema/timestamp/pattern: unknown conversion %Q at character 4");
}

TEST_CASE("an unknown time zone is a clear error, never a crash") {
  TimestampSpec spec;
  spec.timezone = "Mars/Olympus_Mons";
  auto p = TimestampParser::Create(spec);
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().message().rfind(
            "job spec /schema/timestamp/timezone: unknown time zone \"Mars/Olympus_Mons\"", 0) ==
        0);
  CHECK(p.status().message().find("tzdata") != std::string::npos);
  spec.format = TimestampFormat::kEpochMs;  // epoch times never need the zone
  CHECK(TimestampParser::Create(spec).ok());
}

TEST_CASE("a stream of nearby times gives what fresh parsers give, across transitions") {
  // Every minute from 2026-10-24 22:00 to 2026-10-25 05:00 local, then back over the
  // spring gap: the lookup cache must never hand out an offset that does not apply.
  TimestampParser stream = Pattern("%F %H:%M", "Europe/Berlin");
  for (const char* day : {"2026-10-25", "2026-03-29"}) {
    for (int minute = 0; minute < 6 * 60; ++minute) {
      char text[32];
      std::snprintf(text, sizeof(text), "%s %02d:%02d", day, minute / 60, minute % 60);
      TimestampParser fresh = Pattern("%F %H:%M", "Europe/Berlin");
      INFO(text);
      CHECK(Ms(stream, text) == Ms(fresh, text));
    }
  }
}

TEST_CASE("ISO 8601: the reused date of the previous text never changes a result") {
  // One parser over a sequence (same date, bad times on a cached date, an invalid date
  // after a valid one, a date change) gives what a fresh parser gives for each text.
  TimestampParser stream = Make(TimestampFormat::kIso8601, "", "Europe/Berlin");
  const char* texts[] = {
      "2026-03-29T01:59:59Z",     "2026-03-29T02:30:00", "2026-03-29T02:30:00.5+01:00",
      "2026-03-29T24:00:00",      "2026-03-29T23:59:60", "2026-03-29 12:00:00,250",
      "2026-03-29X12:00:00",      "2026-03-2912:00:00",  "2026-02-29T00:00:00",
      "2026-02-28T00:00:00",      "2024-02-29T00:00:00", "2024-02-29T00:00:00.123456",
      "2024-02-29T00:00:00+0530", "2024-02-2",           "",
      "2024-02-29T00:00:00Z",     "2026-10-25T02:30:00", "2026-10-25T02:30:00Zjunk"};
  for (const char* t : texts) {
    INFO(t);
    CHECK(Ms(stream, t) == Ms(Make(TimestampFormat::kIso8601, "", "Europe/Berlin"), t));
  }
  // 12:00 CEST = 10:00 UTC (python3 zoneinfo: datetime(2026,3,29,12,tzinfo=Berlin))
  CHECK(Ms(stream, "2026-03-29T12:00:00") == 1774778400000);
  CHECK(Ms(stream, "2026-03-29T12:00:00.5") == 1774778400500);
  CHECK_FALSE(Ms(stream, "2026-03-29T12:00:00 ").has_value());
}

TEST_CASE("ISO 8601: the one-step path for a cached minute gives what the full parse gives") {
  // TimestampParser::Parse takes "YYYY-MM-DDTHH:MM:SS.mmmZ" of a cached minute in one step
  // (ParseIso8601UtcCached). Texts around that shape, each byte of ":SS.mmmZ" replaced at
  // random by a byte that is or is not allowed there, through one parser (in Berlin, so a
  // text without "Z" would differ from UTC) against one whose cache holds another minute
  // (it parses a decoy text before each).
  TimestampParser stream = Make(TimestampFormat::kIso8601, "", "Europe/Berlin");
  TimestampParser full = Make(TimestampFormat::kIso8601, "", "Europe/Berlin");
  const std::string minutes[] = {"2024-03-01T00:00", "2024-03-01T00:01", "2024-02-29 23:59",
                                 "2024-13-01T00:00"};
  const char bytes[] = "0123456789:.Zz+-/ \xb0\xff";
  std::mt19937 rng(11);
  int fast_shape = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string t = minutes[rng() % 4] + ":" + std::to_string(10 + rng() % 90).substr(0, 2) + "." +
                    std::to_string(100 + rng() % 900) + "Z";
    const int edits = static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) t[16 + rng() % 8] = bytes[rng() % (sizeof(bytes) - 1)];
    if (rng() % 50 == 0) t.pop_back();
    if (rng() % 50 == 0) t += "0";
    fast_shape += t.size() == 24 && t[23] == 'Z';
    INFO(t);
    REQUIRE(Ms(full, "1999-01-01T00:00:00.000Z") == 915148800000);
    REQUIRE(Ms(stream, t) == Ms(full, t));
  }
  CHECK(fast_shape > 100000);
  // Exact values (python3: datetime(2024,3,1,0,0,59,999000,tzinfo=timezone.utc)), a leap
  // second as the full parse reads it, and seconds out of range.
  CHECK(Ms(stream, "2024-03-01T00:00:00.000Z") == 1709251200000);
  CHECK(Ms(stream, "2024-03-01T00:00:59.999Z") == 1709251259999);
  CHECK(Ms(stream, "2024-03-01T00:00:60.000Z") == 1709251260000);
  CHECK_FALSE(Ms(stream, "2024-03-01T00:00:61.000Z").has_value());
  CHECK_FALSE(Ms(stream, "2024-03-01T00:00:5a.000Z").has_value());
}
