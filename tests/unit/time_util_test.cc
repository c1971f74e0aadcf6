#include <catch2/catch.hpp>

#include "common/time_util.h"

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
  for (const char* bad : {"", "not-a-time", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2026-11-01T24:00:00Z", "2026-11-01T10:00Z",
                          "2026-11-01T10:00:00ZZ", "2026-11-01T10:00:00+1", "2026-11-01T10:00:00.Z",
                          "2026-11-01X10:00:00Z"}) {
    INFO(bad);
    CHECK_FALSE(ParseIso8601Ms(bad).has_value());
  }
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
  for (const char* bad : {"", "5", "m", "0s", "-1s", "5 m", "1.5s", "5w", "99999999999999999999s"}) {
    INFO(bad);
    CHECK_FALSE(ParseDurationMs(bad).has_value());
  }
}
