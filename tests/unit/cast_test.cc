#include "agent/cast.h"

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <random>

using namespace edgeline;

namespace {
// Cells view their text: the helpers take string literals (static storage), never temporaries.
RawCell Text(std::string_view t) { return RawCell{RawCell::kText, t, 0, false}; }
RawCell Num(double d, std::string_view t) { return RawCell{RawCell::kNumber, t, d, false}; }
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

// The reference: what ParseStrictDouble accepted before its fast path, i.e. std::from_chars
// over the whole text after an optional '+', restricted to [-.0-9] starts and finite results.
static std::optional<double> ReferenceStrictDouble(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  const char c = text[0];
  if (!((c >= '0' && c <= '9') || c == '-' || c == '.')) return std::nullopt;
  for (char ch : text) {
    if (!((ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' ||
          ch == 'E')) {
      return std::nullopt;
    }
  }
  double v;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

TEST_CASE("strict decimal parsing: the fast path equals from_chars, bit for bit") {
  std::vector<std::string> cases = {"0",
                                    "-0",
                                    "0.0",
                                    "5.",
                                    ".5",
                                    "-.5",
                                    "+-5",
                                    "1e22",
                                    "1e23",
                                    "9007199254740992",
                                    "9007199254740993",
                                    "0.1",
                                    "0.3",
                                    "123456789012345678",
                                    "1234567890123456789",
                                    "12345678901234567890",
                                    "1e-22",
                                    "1e-23",
                                    "4.35",
                                    "21.37",
                                    "1013.25",
                                    "-40.125",
                                    "1E+05",
                                    "1e",
                                    "1e+",
                                    "1.2.3",
                                    "1e5.5",
                                    "00000000000000000000000001.5",
                                    "0.000000000000000000000001",
                                    "1e-400",
                                    "1e400",
                                    "2.2250738585072014e-308",
                                    "17976931348623157e292",
                                    "12345678",
                                    "1234.567",
                                    ".1234567",
                                    "1234567.",
                                    "0000.000",
                                    "-99999999"};
  std::mt19937_64 rng(42);
  const std::string alphabet = "0123456789012345678901234567890123456789..--+eE";
  for (int i = 0; i < 200000; ++i) {
    std::string t;
    const size_t n = 1 + rng() % 24;
    for (size_t k = 0; k < n; ++k) t += alphabet[rng() % alphabet.size()];
    cases.push_back(t);
  }
  // Short texts (the 4-8 byte word-at-a-time path) with the bytes next to the digits and
  // the point in ASCII ('/' ':' '-' '.') and high bytes.
  const std::string near =
      std::string("0123456789012345678901234567890123456789./:-+ eE") + "\x80\xae\xb0\xb9\xff";
  for (int i = 0; i < 200000; ++i) {
    std::string t = rng() % 4 == 0 ? "-" : "";
    const size_t n = 3 + rng() % 7;
    for (size_t k = 0; k < n; ++k) t += near[rng() % near.size()];
    cases.push_back(t);
  }
  for (int i = 0; i < 100000; ++i) {  // typical sensor values: digits '.' digits
    std::string t = std::to_string(rng() % 100000) + "." + std::to_string(rng() % 10000000);
    if (rng() % 2) t = "-" + t;
    cases.push_back(t);
  }
  size_t accepted = 0;
  for (const auto& t : cases) {
    const auto got = ParseStrictDouble(t);
    const auto want = ReferenceStrictDouble(t);
    INFO(t);
    REQUIRE(got.has_value() == want.has_value());
    if (got) {
      ++accepted;
      uint64_t a, b;
      std::memcpy(&a, &*got, 8);
      std::memcpy(&b, &*want, 8);
      REQUIRE(a == b);
    }
  }
  CHECK(accepted > 150000);
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

TEST_CASE("CastRecord into a reused record gives what it gives into a new one") {
  // A reused record keeps its values: a number into a float that held one and text into a
  // string of the same length overwrite them in place; every other pair is cast in full.
  JobSpec spec;
  spec.fields = {{"device", FieldType::kString, true, ""}, {"temp", FieldType::kFloat, false, ""}};
  const std::vector<std::vector<RawCell>> rows = {
      {Text("pi-1"), Num(21.5, "21.5")},   {Text("pi-2"), Num(-3.25, "-3.25")},
      {Text("pi-10"), Num(7, "7")},        {Text("pi-3"), RawCell{RawCell::kNull, "", 0, false}},
      {Text("pi-4"), Num(1e300, "1e300")}, {Text(""), Text("22.5")},
      {Text("pi-5"), Text("x")},           {RawCell{}, Num(1, "1")},
      {Text("pi-6"), RawCell{}},           {Text("pi-7"), Num(0.125, "0.125")}};
  Record reused;
  for (size_t i = 0; i < rows.size(); ++i) {
    INFO(i);
    Record fresh;
    const char* want = CastRecord(spec, rows[i], nullptr, &fresh);
    const char* got = CastRecord(spec, rows[i], nullptr, &reused);
    REQUIRE((want == nullptr) == (got == nullptr));
    if (want != nullptr) {
      CHECK(std::string(got) == want);
      continue;
    }
    CHECK(reused.values == fresh.values);
  }
  // The outcomes themselves: a row of each path.
  Record r;
  REQUIRE(CastRecord(spec, rows[0], nullptr, &r) == nullptr);
  REQUIRE(CastRecord(spec, rows[1], nullptr, &r) == nullptr);
  CHECK(r.values == std::vector<Value>{std::string("pi-2"), -3.25});
  REQUIRE(CastRecord(spec, rows[2], nullptr, &r) == nullptr);
  CHECK(r.values == std::vector<Value>{std::string("pi-10"), 7.0});
  REQUIRE(CastRecord(spec, rows[3], nullptr, &r) == nullptr);
  CHECK(r.values == std::vector<Value>{std::string("pi-3"), Value{}});
  REQUIRE(CastRecord(spec, rows[4], nullptr, &r) == nullptr);
  CHECK(r.values == std::vector<Value>{std::string("pi-4"), 1e300});
  REQUIRE(CastRecord(spec, rows[5], nullptr, &r) == nullptr);
  CHECK(r.values == std::vector<Value>{std::string(""), 22.5});
  CHECK(std::string(CastRecord(spec, rows[6], nullptr, &r)) == "cast_error");
  CHECK(std::string(CastRecord(spec, rows[7], nullptr, &r)) == "missing_required");
}

TEST_CASE("a decimal comma spec reads float text with ',' and nothing else as the mark") {
  JobSpec spec;
  spec.csv_decimal = ',';
  spec.fields = {{"temp", FieldType::kFloat, false, ""}, {"n", FieldType::kInt, false, ""}};
  auto cast = [&](std::string_view temp, std::string_view n = "1") -> std::string {
    Record r;
    const std::vector<RawCell> cells = {RawCell{RawCell::kText, temp, 0, false},
                                        RawCell{RawCell::kText, n, 0, false}};
    if (const char* reason = CastRecord(spec, cells, nullptr, &r)) return reason;
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
  REQUIRE(CastRecord(spec, {RawCell{RawCell::kNumber, "21.5", 21.5, false}, RawCell{}}, nullptr,
                     &r) == nullptr);
  CHECK(r.values[0] == Value{21.5});
  // With '.', ',' stays an error, as before.
  spec.csv_decimal = '.';
  CHECK(cast("21,5") == "cast_error");
  CHECK(cast("21.5") == "21.5");
}
