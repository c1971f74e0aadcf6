#include <catch2/catch.hpp>

#include "agent/cast.h"

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
  for (const char* bad : {"", " 1", "1 ", "nan", "inf", "-inf", "0x10", "1,5", "ERR", "--", "1e999",
                          "+"}) {
    INFO(bad);
    CHECK_FALSE(ParseStrictDouble(bad).has_value());
  }
}

TEST_CASE("timestamps in every epoch unit and ISO 8601") {
  CHECK(CastTimestamp(Text("2026-11-01T10:00:00Z"), TimestampFormat::kIso8601) == 1793527200000);
  CHECK(CastTimestamp(Num(1793527200, "1793527200"), TimestampFormat::kEpochS) == 1793527200000);
  CHECK(CastTimestamp(Text("1793527200.25"), TimestampFormat::kEpochS) == 1793527200250);
  CHECK(CastTimestamp(Num(1793527200000, "1793527200000"), TimestampFormat::kEpochMs) ==
        1793527200000);
  CHECK(CastTimestamp(Text("1793527200000123"), TimestampFormat::kEpochUs) == 1793527200000);
  CHECK(CastTimestamp(Text("-1500"), TimestampFormat::kEpochUs) == -2);
  CHECK_FALSE(CastTimestamp(Text("yesterday"), TimestampFormat::kEpochMs).has_value());
  CHECK_FALSE(CastTimestamp(RawCell{}, TimestampFormat::kEpochMs).has_value());
  CHECK_FALSE(CastTimestamp(Num(5, "5"), TimestampFormat::kIso8601).has_value());
  CHECK_FALSE(CastTimestamp(Text("99999999999999999"), TimestampFormat::kEpochS).has_value());
}

TEST_CASE("CastRecord casts each field and reports the first problem") {
  JobSpec spec;
  spec.ts_field = "ts";
  spec.ts_format = TimestampFormat::kEpochMs;
  spec.fields = {{"device", FieldType::kString, true, ""},
                 {"temp", FieldType::kFloat, false, ""},
                 {"n", FieldType::kInt, false, ""},
                 {"on", FieldType::kBool, false, ""}};
  Record r;
  std::vector<RawCell> cells = {Text("10"), Text("gh"), Text("21.5"), Num(3, "3"), Text("TRUE")};
  REQUIRE(CastRecord(spec, cells, &r) == nullptr);
  CHECK(r.ts_ms == 10);
  CHECK(r.values == std::vector<Value>{std::string("gh"), 21.5, int64_t{3}, true});

  cells = {Text("10"), Text("gh"), RawCell{RawCell::kNull, "", 0, false}, Text(""), RawCell{}};
  REQUIRE(CastRecord(spec, cells, &r) == nullptr);
  CHECK(r.values == std::vector<Value>{std::string("gh"), Value{}, Value{}, Value{}});

  cells = {Text("x"), Text("gh"), Text("1"), Text("1"), Text("1")};
  CHECK(std::string(CastRecord(spec, cells, &r)) == "bad_timestamp");
  cells = {Text("10"), Text("gh"), Text("ERR"), Text("1"), Text("1")};
  CHECK(std::string(CastRecord(spec, cells, &r)) == "cast_error");
  cells = {Text("10"), Text("gh"), Text("1"), Text("1.5"), Text("1")};
  CHECK(std::string(CastRecord(spec, cells, &r)) == "cast_error");
  cells = {Text("10"), Text("gh"), Text("1"), Text("1"), Text("maybe")};
  CHECK(std::string(CastRecord(spec, cells, &r)) == "cast_error");
  cells = {Text("10"), Num(5, "5"), Text("1"), Text("1"), Text("1")};
  CHECK(std::string(CastRecord(spec, cells, &r)) == "cast_error");
  cells = {Text("10"), RawCell{}, Text("1"), Text("1"), Text("1")};
  CHECK(std::string(CastRecord(spec, cells, &r)) == "missing_required");
}

TEST_CASE("a decimal comma spec reads float text with ',' and nothing else as the mark") {
  JobSpec spec;
  spec.csv_decimal = ',';
  spec.fields = {{"temp", FieldType::kFloat, false, ""}, {"n", FieldType::kInt, false, ""}};
  auto cast = [&](std::string_view temp, std::string_view n = "1") -> std::string {
    Record r;
    const std::vector<RawCell> cells = {RawCell{RawCell::kText, temp, 0, false},
                                        RawCell{RawCell::kText, n, 0, false}};
    if (const char* reason = CastRecord(spec, cells, &r)) return reason;
    return ValueText(r.values[0]);
  };
  CHECK(cast("21,5") == "21.5");
  CHECK(cast("-0,25") == "-0.25");
  CHECK(cast(",5") == "0.5");
  CHECK(cast("2,5e3") == "2500");
  CHECK(cast("21,") == "21");  // as "21." is with decimal "."
  CHECK(cast("12") == "12");
  CHECK(cast("") == "");  // null
  const std::string long_text = "0," + std::string(80, '0') + "1e81";
  CHECK(cast(long_text) == "1");
  // No '.' as the mark, no thousands separators; ints are untouched.
  for (const char* bad : {"21.5", "1.234,5", "1,234,5", "1,2,3", ",", "1 5", "nan"}) {
    INFO(bad);
    CHECK(cast(bad) == "cast_error");
  }
  CHECK(cast("1", "1,0") == "cast_error");
  // JSON numbers are numbers whatever the CSV decimal mark.
  Record r;
  REQUIRE(CastRecord(spec, {RawCell{RawCell::kNumber, "21.5", 21.5, false}, RawCell{}}, &r) ==
          nullptr);
  CHECK(r.values[0] == Value{21.5});
  // With '.', ',' stays an error, as before.
  spec.csv_decimal = '.';
  CHECK(cast("21,5") == "cast_error");
  CHECK(cast("21.5") == "21.5");
}
