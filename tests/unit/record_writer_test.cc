#include "agent/record_writer.h"

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

using namespace edgeline;

namespace {
JobSpec Spec(const std::string& clean) {
  auto r = ParseJobSpec(R"({
    "job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "csv"},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
               "fields": {"device": {"type": "string"}, "temp": {"type": "float"},
                          "n": {"type": "int"}, "ok": {"type": "bool"}}},
    "clean": )" + clean +
                        "}");
  REQUIRE(r.ok());
  return r.value();
}

std::string Write(const JobSpec& spec, const Record& r) {
  std::string out;
  NdjsonRecordWriter(spec).Append(r, &out);
  return out;
}

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}
}  // namespace

TEST_CASE("record writer: every value type, in schema order") {
  const JobSpec spec = Spec("[]");
  Record r{1793527200000, {std::string("gh-01"), 21.5, int64_t{-7}, true}};
  CHECK(Write(spec, r) ==
        "{\"ts\":1793527200000,\"device\":\"gh-01\",\"temp\":21.5,\"n\":-7,\"ok\":true}\n");
  r.values = {Value{}, 100.0, Value{}, false};
  CHECK(Write(spec, r) ==
        "{\"ts\":1793527200000,\"device\":null,\"temp\":100.0,\"n\":null,\"ok\":false}\n");
}

TEST_CASE("record writer: floats are the fewest digits that read back, whole ones keep .0") {
  const JobSpec spec = Spec(R"([{"op": "select", "fields": ["temp"]}])");
  auto temp = [&](double d) { return Write(spec, Record{0, {Value{}, d, Value{}, Value{}}}); };
  CHECK(temp(0.1) == "{\"ts\":0,\"temp\":0.1}\n");
  CHECK(temp(-0.0) == "{\"ts\":0,\"temp\":-0.0}\n");
  CHECK(temp(1e20) == "{\"ts\":0,\"temp\":1e+20}\n");
  CHECK(temp(1013.25) == "{\"ts\":0,\"temp\":1013.25}\n");
  CHECK(temp(0.0001) == "{\"ts\":0,\"temp\":1e-04}\n");
  CHECK(temp(123456.0) == "{\"ts\":0,\"temp\":123456.0}\n");
  // Every line parses back to the same double.
  CHECK(temp(100000.0) == "{\"ts\":0,\"temp\":100000.0}\n");
  CHECK(temp(0.001) == "{\"ts\":0,\"temp\":0.001}\n");
  CHECK(temp(-0.0625) == "{\"ts\":0,\"temp\":-0.0625}\n");
  CHECK(temp(0.30000000000000004) == "{\"ts\":0,\"temp\":0.30000000000000004}\n");
  CHECK(temp(123456789012345.6) == "{\"ts\":0,\"temp\":123456789012345.6}\n");
  for (double d : {0.1, 1e20, 1e-300, 5e-324, 1.7976931348623157e308, 21.37, -40.125}) {
    const auto j = nlohmann::json::parse(temp(d));
    CHECK(j["temp"].get<double>() == d);
  }
  // In the fixed range the text is the shortest that reads back: the same digits as
  // std::to_chars in fixed format, on a million random values.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000000; ++i) {
    double d;
    switch (i % 3) {
      case 0:
        d = static_cast<double>(rng() % 2000000) / 100.0 - 10000;
        break;  // 2 decimals
      case 1:
        d = std::ldexp(static_cast<double>(rng() >> 11), -40);
        break;  // any bits
      default:
        d = static_cast<double>(rng() % 100000) / 1000.0;
        break;
    }
    if (std::fabs(d) < 1e-3) continue;
    const std::string got = temp(d);
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed);
    std::string want(buf, res.ptr);
    if (want.find('.') == std::string::npos) want += ".0";
    REQUIRE(got == "{\"ts\":0,\"temp\":" + want + "}\n");
  }
}

TEST_CASE("record writer: renamed, dropped and redacted fields") {
  const JobSpec spec = Spec(R"([{"op": "rename", "fields": {"temp": "temp_c"}},
                                {"op": "drop", "fields": ["n", "ok"]}])");
  Record r{5, {std::string("a"), 1.5, int64_t{1}, true}};
  CHECK(Write(spec, r) == "{\"ts\":5,\"device\":\"a\",\"temp_c\":1.5}\n");
}

TEST_CASE("record writer: strings are escaped and invalid UTF-8 is replaced") {
  CHECK(Quote("plain") == "\"plain\"");
  CHECK(Quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(Quote("l1\nl2\r\t\b\f") == "\"l1\\nl2\\r\\t\\b\\f\"");
  CHECK(Quote(std::string("\x01\x1f", 2)) == "\"\\u0001\\u001f\"");
  CHECK(Quote(std::string("nul\0x", 5)) == "\"nul\\u0000x\"");
  CHECK(Quote("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8C\xA1") ==
        "\"\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8C\xA1\"");  // é, €, a 4-byte emoji
  CHECK(Quote("\xFF") == "\"\xEF\xBF\xBD\"");
  CHECK(Quote("a\xC3") == "\"a\xEF\xBF\xBD\"");                                // truncated sequence
  CHECK(Quote("\xC0\xAF") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong '/'
  CHECK(Quote("\xED\xA0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  // Whatever the bytes, the output is valid JSON.
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  CHECK_NOTHROW(nlohmann::json::parse(Quote(all)));
}
