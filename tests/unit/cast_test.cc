#include "agent/cast.h"

#include <catch2/catch.hpp>

using namespace edgeline;

namespace {
RawCell Text(const std::string& t) { return RawCell{RawCell::kText, t, 0, false}; }
RawCell Num(double d, const std::string& t) { return RawCell{RawCell::kNumber, t, d, false}; }
}  // namespace

TEST_CASE("strict decimal parsing") {
  CHECK(ParseStrictDouble("12") == 12.0);
  CHECK(ParseStrictDouble("-3.5") == -3.5);
  CHECK(ParseStrictDouble("+.5") == 0.5);
  CHECK(ParseStrictDouble("1e3") == 1000.0);
  for (const char* bad :
       {"", " 1", "1 ", "nan", "inf", "-inf", "0x10", "1,5", "ERR", "--", "1e999", "+"}) {
    INFO(bad);
    CHECK_FALSE(ParseStrictDouble(bad).has_value());
  }
}

namespace {
TimestampParser Parser(TimestampFormat format) {
  TimestampSpec ts;
  ts.format = format;
  return TimestampParser::Create(ts).value();
}
// The epoch ms of a cell, or -1 for a reject.
int64_t Cast(const RawCell& cell, TimestampFormat format) {
  TimestampParser p = Parser(format);
  TimestampResult r = CastTimestamp(cell, &p);
  return r.ok() ? r.ms : -1;
}
}  // namespace

TEST_CASE("timestamps in every epoch unit and ISO 8601") {
  CHECK(Cast(Text("2026-11-01T10:00:00Z"), TimestampFormat::kIso8601) == 1793527200000);
  CHECK(Cast(Num(1793527200, "1793527200"), TimestampFormat::kEpochS) == 1793527200000);
  CHECK(Cast(Text("1793527200.25"), TimestampFormat::kEpochS) == 1793527200250);
  CHECK(Cast(Num(1793527200000, "1793527200000"), TimestampFormat::kEpochMs) == 1793527200000);
  CHECK(Cast(Text("1793527200000123"), TimestampFormat::kEpochUs) == 1793527200000);
  CHECK(Cast(Text("-1500"), TimestampFormat::kEpochUs) == -2);
  CHECK(Cast(Num(1793527200000123456.0, "1793527200000123456"), TimestampFormat::kEpochNs) ==
        1793527200000);
  CHECK(Cast(Text("yesterday"), TimestampFormat::kEpochMs) == -1);
  CHECK(Cast(RawCell{}, TimestampFormat::kEpochMs) == -1);
  CHECK(Cast(RawCell{RawCell::kBool, "", 0, true}, TimestampFormat::kEpochMs) == -1);
  CHECK(Cast(Num(5, "5"), TimestampFormat::kIso8601) == -1);  // a JSON number is not ISO 8601
  CHECK(Cast(Text("99999999999999999"), TimestampFormat::kEpochS) == -1);
}

TEST_CASE("a strftime timestamp reads a JSON number by its text") {
  TimestampSpec ts;
  ts.format = TimestampFormat::kStrftime;
  ts.pattern = "%Y%m%d";
  TimestampParser p = TimestampParser::Create(ts).value();
  // 2026-03-01T00:00:00Z = 1772323200 s (python3: datetime(2026,3,1,tzinfo=timezone.utc))
  CHECK(CastTimestamp(Num(20260301, "20260301"), &p).ms == 1772323200000);
  CHECK(std::string(CastTimestamp(Num(2026.5, "2026.5"), &p).reject) == "bad_timestamp");
}

TEST_CASE("CastRecord casts each field and reports the first problem") {
  JobSpec spec;
  spec.ts_field = "ts";
  spec.ts.format = TimestampFormat::kEpochMs;
  TimestampParser ts = Parser(TimestampFormat::kEpochMs);
  spec.fields = {{"device", FieldType::kString, true, ""},
                 {"temp", FieldType::kFloat, false, ""},
                 {"n", FieldType::kInt, false, ""},
                 {"on", FieldType::kBool, false, ""}};
  Record r;
  std::vector<RawCell> cells = {Text("10"), Text("gh"), Text("21.5"), Num(3, "3"), Text("TRUE")};
  REQUIRE(CastRecord(spec, cells, &ts, &r) == nullptr);
  CHECK(r.ts_ms == 10);
  CHECK(r.values == std::vector<Value>{std::string("gh"), 21.5, int64_t{3}, true});

  cells = {Text("10"), Text("gh"), RawCell{RawCell::kNull, "", 0, false}, Text(""), RawCell{}};
  REQUIRE(CastRecord(spec, cells, &ts, &r) == nullptr);
  CHECK(r.values == std::vector<Value>{std::string("gh"), Value{}, Value{}, Value{}});

  cells = {Text("x"), Text("gh"), Text("1"), Text("1"), Text("1")};
  CHECK(std::string(CastRecord(spec, cells, &ts, &r)) == "bad_timestamp");
  cells = {Text("10"), Text("gh"), Text("ERR"), Text("1"), Text("1")};
  CHECK(std::string(CastRecord(spec, cells, &ts, &r)) == "cast_error");
  cells = {Text("10"), Text("gh"), Text("1"), Text("1.5"), Text("1")};
  CHECK(std::string(CastRecord(spec, cells, &ts, &r)) == "cast_error");
  cells = {Text("10"), Text("gh"), Text("1"), Text("1"), Text("maybe")};
  CHECK(std::string(CastRecord(spec, cells, &ts, &r)) == "cast_error");
  cells = {Text("10"), Num(5, "5"), Text("1"), Text("1"), Text("1")};
  CHECK(std::string(CastRecord(spec, cells, &ts, &r)) == "cast_error");
  cells = {Text("10"), RawCell{}, Text("1"), Text("1"), Text("1")};
  CHECK(std::string(CastRecord(spec, cells, &ts, &r)) == "missing_required");
}
