#include "common/time_util.h"

#include <catch2/catch.hpp>

using namespace edgeline;

TEST_CASE("ISO 8601 times parse to UTC epoch milliseconds") {
  CHECK(ParseIso8601Ms("2026-11-01T10:00:00Z") == 1793527200000);
  CHECK(ParseIso8601Ms("2026-11-01T10:00:00") == 1793527200000);  // no zone = UTC
  CHECK(ParseIso8601Ms("2026-11-01T11:03:20+01:00") == 1793527200000 + 200000);
  CHECK(ParseIso8601Ms("2026-11-01T05:00:00-05:00") == 1793527200000);
  CHECK(ParseIso8601Ms("2026-11-01T10:00:00.5Z") == 1793527200500);
  CHECK(ParseIso8601Ms("2026-11-01T10:00:00.123456Z") == 1793527200123);
  CHECK(ParseIso8601Ms("1970-01-01T00:00:00Z") == 0);
  CHECK(ParseIso8601Ms("1969-12-31T23:59:59Z") == -1000);
  CHECK(ParseIso8601Ms("2024-02-29T00:00:00Z") == 1709164800000);
}

TEST_CASE("malformed ISO 8601 times are rejected") {
  for (const char* bad :
       {"", "not-a-time", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
        "2026-11-01T24:00:00Z", "2026-11-01T10:00Z", "2026-11-01T10:00:00ZZ",
        "2026-11-01T10:00:00+1", "2026-11-01T10:00:00.Z", "2026-11-01X10:00:00Z"}) {
    INFO(bad);
    CHECK_FALSE(ParseIso8601Ms(bad).has_value());
  }
}

TEST_CASE("ISO 8601 parsing with a minute cache gives what parsing each text alone gives") {
  // Good and bad texts sharing the cached "YYYY-MM-DDTHH:MM" prefix, or almost.
  const char* texts[] = {
      "2024-03-01T00:00:00.102Z", "2024-03-01T00:00:59.999Z",  "2024-03-01T00:00:60Z",
      "2024-03-01T00:00:61Z",     "2024-03-01T00:00:6xZ",      "2024-03-01T00:00-01Z",
      "2024-03-01T00:00",         "2024-03-01 00:00:01+02:00", "2024-03-01T00:01:00Z",
      "2024-03-01T00:00:30Z",     "2024-02-30T00:00:00Z",      "2024-02-30T00:00:01Z",
      "2024-03-01t00:00:02Z",     "2024-03-01T24:00:00Z",      "2024-03-01T23:60:00Z",
      "2024-03-01T23:59:00Z"};
  IsoDateCache cache;
  for (int pass = 0; pass < 2; ++pass) {
    for (const char* t : texts) {
      INFO(t);
      LocalTime lt;
      const bool ok = ParseIso8601Local(t, &lt, &cache);
      const auto want = ParseIso8601Ms(t);
      REQUIRE(ok == want.has_value());
      if (ok) CHECK((lt.local_s - lt.offset_s) * 1000 + lt.ms == *want);
    }
  }
  LocalTime lt;
  REQUIRE(ParseIso8601Local("2024-03-01T00:00:00.102Z", &lt, &cache));
  REQUIRE(ParseIso8601Local("2024-03-01T00:00:07.5Z", &lt, &cache));
  CHECK(lt.local_s == 1709251207);
  CHECK(lt.ms == 500);
}

TEST_CASE("times format back as ISO 8601 with milliseconds") {
  CHECK(FormatIso8601(1793527200000) == "2026-11-01T10:00:00.000Z");
  CHECK(FormatIso8601(1793527200500) == "2026-11-01T10:00:00.500Z");
  CHECK(FormatIso8601(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("durations parse with units ms, s, m, h, d") {
  CHECK(ParseDurationMs("500ms") == 500);
  CHECK(ParseDurationMs("30s") == 30000);
  CHECK(ParseDurationMs("5m") == 300000);
  CHECK(ParseDurationMs("2h") == 7200000);
  CHECK(ParseDurationMs("1d") == 86400000);
  for (const char* bad :
       {"", "5", "m", "0s", "-1s", "5 m", "1.5s", "5w", "99999999999999999999s"}) {
    INFO(bad);
    CHECK_FALSE(ParseDurationMs(bad).has_value());
  }
}
