// Every 15 minutes of local time from 2020 to 2030 in a few zones, against what Python's
// zoneinfo said when tests/unit/gen_timezone_sweep.py wrote timezone_sweep_data.h.
#include <catch2/catch.hpp>

#include "common/timezone.h"
#include "tests/unit/timezone_sweep_data.h"

using namespace edgeline;

TEST_CASE("every quarter hour of 2020-2030 resolves as Python's zoneinfo does") {
  for (const SweepZone& zone : kSweepZones) {
    INFO(zone.name);
    auto z = TimeZone::Load(zone.name);
    REQUIRE(z.ok());
    TimeZone::Cache cache;  // one cache for the whole stream, as a parser uses it
    int run = 0;
    int64_t mismatches = 0;
    for (int64_t t = kSweepStart; t < kSweepEnd; t += kSweepStep) {
      while (run + 1 < zone.count && zone.runs[run + 1].local_s <= t) ++run;
      const int32_t e = zone.runs[run].earliest_offset, l = zone.runs[run].latest_offset;
      TimeZone::Resolved want;
      want.kind = e == l  ? TimeZone::Resolved::kUnique
                  : e > l ? TimeZone::Resolved::kAmbiguous
                          : TimeZone::Resolved::kNonexistent;
      want.earliest = t - e;
      want.latest = want.kind == TimeZone::Resolved::kAmbiguous ? t - l : t - e;
      for (TimeZone::Cache* c : {&cache, static_cast<TimeZone::Cache*>(nullptr)}) {
        const TimeZone::Resolved got = z.value()->FromLocal(t, c);
        if (got.kind != want.kind || got.earliest != want.earliest || got.latest != want.latest) {
          if (++mismatches <= 5) FAIL_CHECK("local " << t << (c ? " (cached)" : ""));
        }
      }
    }
    CHECK(mismatches == 0);
  }
}
