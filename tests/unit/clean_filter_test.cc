// The filter clean op: the text grammar, the structured form, and evaluation.
#include <catch2/catch.hpp>

#include "agent/cleaner.h"

using namespace edgeline;

namespace {
const char* kFields = R"({"device": {"type": "string"}, "temp": {"type": "float"},
                          "n": {"type": "int"}, "door": {"type": "bool"}})";

Result<JobSpec> Parse(const std::string& where_json) {
  return ParseJobSpec(R"({"job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "ndjson"},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"}, "fields": )" +
                      std::string(kFields) + R"(},
    "clean": [{"op": "filter", "where": )" + where_json + "}]}");
}

std::string ErrorOf(const std::string& where_json) {
  auto r = Parse(where_json);
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

Record Rec(int64_t ts, Value device, Value temp, Value n = Value{}, Value door = Value{}) {
  return Record{ts, {device, temp, n, door}};
}

// Which of the records pass the filter, as a string of 1s and 0s.
std::string Passes(const std::string& where_json, const std::vector<Record>& records) {
  auto r = Parse(where_json);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  Cleaner c(r.value());
  std::string out;
  for (Record rec : records) {
    const char* reason = c.Apply(&rec);
    if (reason) CHECK(std::string(reason) == "filter");
    out += reason ? '0' : '1';
  }
  return out;
}

const Value a = std::string("a"), x = std::string("x");
}  // namespace

TEST_CASE("filter text: comparisons joined with and") {
  std::vector<Record> rs{Rec(1, a, 11.0), Rec(2, x, 11.0), Rec(3, a, 10.0), Rec(4, a, Value{}),
                         Rec(5, Value{}, 12.0)};
  CHECK(Passes(R"("temp > 10 and device != \"x\"")", rs) == "10001");
  CHECK(Passes(R"("temp >= 10")", rs) == "11101");
  CHECK(Passes(R"("temp < 11")", rs) == "00100");
  CHECK(Passes(R"("temp <= 11")", rs) == "11100");
  CHECK(Passes(R"("temp == 11")", rs) == "11000");
  CHECK(Passes(R"("temp != 11")", rs) == "00111");  // != is the negation of ==, null included
  CHECK(Passes(R"("temp == null")", rs) == "00010");
  CHECK(Passes(R"("device != null")", rs) == "11110");
}

TEST_CASE("filter text: or, not, parentheses and precedence") {
  std::vector<Record> rs{Rec(1, a, 1.0, int64_t{1}), Rec(2, x, 2.0, int64_t{2}), Rec(3, x, 3.0, int64_t{3}),
                         Rec(4, a, 4.0, int64_t{3})};
  // and binds tighter than or
  CHECK(Passes(R"("n == 1 or device == \"x\" and temp > 2")", rs) == "1010");
  CHECK(Passes(R"("(n == 1 or device == \"x\") and temp > 2")", rs) == "0010");
  CHECK(Passes(R"("not device == \"x\"")", rs) == "1001");
  CHECK(Passes(R"j("not (n == 3 or n == 1)")j", rs) == "0100");
  CHECK(Passes(R"("not not n == 2")", rs) == "0100");
}

TEST_CASE("filter text: in, not in, numbers, booleans, the timestamp") {
  std::vector<Record> rs{Rec(1793527200000, a, 1.5, int64_t{1}, true), Rec(1793527260000, x, -2e3, int64_t{2}, false),
                         Rec(1793527320000, std::string("b"), Value{}, Value{}, Value{})};
  CHECK(Passes(R"j("device in (\"a\", \"b\")")j", rs) == "101");
  CHECK(Passes(R"j("device not in (\"a\", \"b\")")j", rs) == "010");
  CHECK(Passes(R"j("n in (2, null)")j", rs) == "011");
  CHECK(Passes(R"("temp < -1e3")", rs) == "010");
  CHECK(Passes(R"("temp == 1.5 or n == 2.0")", rs) == "110");  // int and float compare by value
  CHECK(Passes(R"("door == true")", rs) == "100");
  CHECK(Passes(R"("door != true")", rs) == "011");
  CHECK(Passes(R"("ts >= \"2026-11-01T10:01:00Z\"")", rs) == "011");
  CHECK(Passes(R"("ts < 1793527260000")", rs) == "100");
  CHECK(Passes(R"("device == \"\\u0061\"")", rs) == "100");  // JSON escapes in strings
}

TEST_CASE("filter structured: field/cmp/value, all, any, not") {
  std::vector<Record> rs{Rec(1, a, 11.0), Rec(2, x, 11.0), Rec(3, a, 10.0), Rec(4, a, Value{})};
  CHECK(Passes(R"({"field": "temp", "cmp": ">", "value": 10})", rs) == "1100");
  CHECK(Passes(R"({"all": [{"field": "temp", "cmp": ">", "value": 10},
                           {"field": "device", "cmp": "!=", "value": "x"}]})", rs) == "1000");
  CHECK(Passes(R"({"any": [{"field": "temp", "cmp": "==", "value": null},
                           {"field": "device", "cmp": "in", "value": ["x"]}]})", rs) == "0101");
  CHECK(Passes(R"({"not": {"field": "device", "cmp": "not_in", "value": ["a"]}})", rs) == "1011");
  CHECK(Passes(R"({"all": []})", rs) == "1111");
  CHECK(Passes(R"({"any": []})", rs) == "0000");
}

TEST_CASE("filter builds a condition tree") {
  auto r = Parse(R"("temp > 10 and device != \"x\"")");
  REQUIRE(r.ok());
  const CleanOp::Cond& w = r->clean[0].where;
  CHECK(r->clean[0].kind == CleanOp::kFilter);
  CHECK(w.kind == CleanOp::Cond::kAll);
  REQUIRE(w.children.size() == 2);
  CHECK(w.children[0].kind == CleanOp::Cond::kCmp);
  CHECK(w.children[0].field == 1);
  CHECK(w.children[0].cmp == CleanOp::Cond::kGt);
  CHECK(w.children[0].values == std::vector<Value>{int64_t{10}});
  CHECK(w.children[1].cmp == CleanOp::Cond::kNe);
  CHECK(w.children[1].values == std::vector<Value>{std::string("x")});
}

TEST_CASE("filter text errors say where") {
  CHECK(ErrorOf(R"("tmp > 1")") ==
        "job spec /clean/0/where: at character 1: unknown field \"tmp\" (not in schema.fields)");
  CHECK(ErrorOf(R"("temp >> 1")") ==
        "job spec /clean/0/where: at character 7: expected a number, a \"string\", true, false or null, found \"> 1\"");
  CHECK(ErrorOf(R"("temp = 1")") ==
        "job spec /clean/0/where: at character 6: expected a comparison (==, !=, <, <=, >, >=, in, not in), found \"= 1\"");
  CHECK(ErrorOf(R"("temp > \"warm\"")") ==
        "job spec /clean/0/where: at character 6: field \"temp\" is float and can't be compared with a string");
  CHECK(ErrorOf(R"("door < true")") ==
        "job spec /clean/0/where: at character 6: bool field \"door\" can only be compared with ==, != or in");
  CHECK(ErrorOf(R"("temp > null")") ==
        "job spec /clean/0/where: at character 6: null can only be compared with ==, != or in");
  CHECK(ErrorOf(R"("ts > \"yesterday\"")") ==
        "job spec /clean/0/where: at character 4: \"yesterday\" is not an ISO 8601 time (the timestamp compares with epoch ms or an ISO 8601 string)");
  CHECK(ErrorOf(R"("device == \"a")") == "job spec /clean/0/where: at character 11: unterminated string");
  CHECK(ErrorOf(R"("temp > 1 temp")") == "job spec /clean/0/where: at character 10: unexpected \"temp\"");
  CHECK(ErrorOf(R"("(temp > 1")") == "job spec /clean/0/where: at character 10: expected \")\"");
  CHECK(ErrorOf(R"("temp > 1 and")") == "job spec /clean/0/where: at character 13: expected a field name");
  CHECK(ErrorOf(R"j("device not (\"a\")")j") == "job spec /clean/0/where: at character 12: expected \"in\" after \"not\"");
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += "not ";
  CHECK(ErrorOf("\"" + deep + "n == 1\"") ==
        "job spec /clean/0/where: at character 65: conditions nest more than 16 levels deep");
}

TEST_CASE("filter structured errors name the node") {
  CHECK(ErrorOf(R"({"all": [{"field": "temp", "cmp": ">", "value": "warm"}]})") ==
        "job spec /clean/0/where/all/0/value: field \"temp\" is float and can't be compared with a string");
  CHECK(ErrorOf(R"({"not": {"field": "tmp", "cmp": ">", "value": 1}})") ==
        "job spec /clean/0/where/not/field: unknown field \"tmp\" (not in schema.fields)");
  CHECK(ErrorOf(R"({"field": "temp", "cmp": "in", "value": 1})").rfind("job spec /clean/0/where", 0) == 0);
  CHECK(ErrorOf(R"({"field": "temp", "cmp": "~", "value": 1})").rfind("job spec /clean/0/where", 0) == 0);
}
