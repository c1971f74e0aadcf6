// The cast clean op and its conversion table (agent/cast.h RecastValue).
#include <catch2/catch.hpp>

#include "agent/cast.h"
#include "agent/cleaner.h"

using namespace edgeline;

namespace {
// The cast of v to `to`, or the string "error".
Value Cast(const Value& v, FieldType to) {
  Value out;
  if (!RecastValue(v, to, &out)) return std::string("error");
  return out;
}
const Value kError = std::string("error");

JobSpec Spec(const std::string& clean) {
  auto r = ParseJobSpec(R"({"job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "ndjson"},
    "schema": {"fields": {"level": {"type": "float", "unit": "m"}, "code": {"type": "string"}}},
    "clean": )" + clean + "}");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return r.value();
}
}  // namespace

TEST_CASE("cast from float") {
  CHECK(Cast(3.0, FieldType::kInt) == Value{int64_t{3}});
  CHECK(Cast(-0.0, FieldType::kInt) == Value{int64_t{0}});
  CHECK(Cast(3.5, FieldType::kInt) == kError);
  CHECK(Cast(1e19, FieldType::kInt) == kError);
  CHECK(Cast(21.5, FieldType::kString) == Value{std::string("21.5")});
  CHECK(Cast(100.0, FieldType::kString) == Value{std::string("100")});
  CHECK(Cast(1e20, FieldType::kString) == Value{std::string("1e+20")});
  CHECK(Cast(0.1, FieldType::kString) == Value{std::string("0.1")});
  CHECK(Cast(1.0, FieldType::kBool) == Value{true});
  CHECK(Cast(0.0, FieldType::kBool) == Value{false});
  CHECK(Cast(2.0, FieldType::kBool) == kError);
  CHECK(Cast(2.5, FieldType::kFloat) == Value{2.5});
}

TEST_CASE("cast from int") {
  CHECK(Cast(int64_t{3}, FieldType::kFloat) == Value{3.0});
  CHECK(Cast(int64_t{-42}, FieldType::kString) == Value{std::string("-42")});
  CHECK(Cast(int64_t{1}, FieldType::kBool) == Value{true});
  CHECK(Cast(int64_t{0}, FieldType::kBool) == Value{false});
  CHECK(Cast(int64_t{5}, FieldType::kBool) == kError);
  CHECK(Cast(int64_t{7}, FieldType::kInt) == Value{int64_t{7}});
}

TEST_CASE("cast from string follows the schema's text rules") {
  CHECK(Cast(std::string("12"), FieldType::kInt) == Value{int64_t{12}});
  CHECK(Cast(std::string("+7"), FieldType::kInt) == Value{int64_t{7}});
  CHECK(Cast(std::string("3.0"), FieldType::kInt) == kError);
  CHECK(Cast(std::string("x"), FieldType::kInt) == kError);
  CHECK(Cast(std::string("1e3"), FieldType::kFloat) == Value{1000.0});
  CHECK(Cast(std::string("nan"), FieldType::kFloat) == kError);
  CHECK(Cast(std::string(" 1"), FieldType::kFloat) == kError);
  CHECK(Cast(std::string("TRUE"), FieldType::kBool) == Value{true});
  CHECK(Cast(std::string("0"), FieldType::kBool) == Value{false});
  CHECK(Cast(std::string("yes"), FieldType::kBool) == kError);
  CHECK(IsNull(Cast(std::string(""), FieldType::kFloat)));
  CHECK(IsNull(Cast(std::string(""), FieldType::kInt)));
  CHECK(IsNull(Cast(std::string(""), FieldType::kBool)));
  CHECK(Cast(std::string(""), FieldType::kString) == Value{std::string("")});
}

TEST_CASE("cast from bool, and null stays null") {
  CHECK(Cast(true, FieldType::kFloat) == Value{1.0});
  CHECK(Cast(false, FieldType::kInt) == Value{int64_t{0}});
  CHECK(Cast(true, FieldType::kString) == Value{std::string("true")});
  CHECK(Cast(false, FieldType::kBool) == Value{false});
  for (FieldType t : {FieldType::kFloat, FieldType::kInt, FieldType::kString, FieldType::kBool}) {
    CHECK(IsNull(Cast(Value{}, t)));
  }
}

TEST_CASE("cast op: on_error reject drops the record, null nulls the value") {
  JobSpec s = Spec(R"([{"op": "cast", "field": "level", "to": "int"},
                       {"op": "cast", "field": "code", "to": "int", "on_error": "null"}])");
  REQUIRE(s.clean.size() == 2);
  CHECK(s.clean[0].kind == CleanOp::kCast);
  CHECK(s.clean[0].to_type == FieldType::kInt);
  CHECK_FALSE(s.clean[0].null_on_error);
  CHECK(s.clean[1].null_on_error);
  // The output carries the cast types; a unit stays with a number.
  std::vector<FieldDef> out = s.OutputFields();
  CHECK(out[0].type == FieldType::kInt);
  CHECK(out[0].unit == "m");
  CHECK(out[1].type == FieldType::kInt);

  Cleaner c(s);
  ReasonCounts drops, repairs;
  std::vector<Record> kept;
  CHECK(c.Push(Record{1, {4.0, std::string("17")}}, &kept, &drops, &repairs) == 0);
  CHECK(c.Push(Record{2, {4.5, std::string("17")}}, &kept, &drops, &repairs) == 1);
  CHECK(c.Push(Record{3, {5.0, std::string("n/a")}}, &kept, &drops, &repairs) == 0);
  CHECK(c.Push(Record{4, {Value{}, Value{}}}, &kept, &drops, &repairs) == 0);
  REQUIRE(kept.size() == 3);
  CHECK(kept[0].values == std::vector<Value>{int64_t{4}, int64_t{17}});
  CHECK(kept[1].values == std::vector<Value>{int64_t{5}, Value{}});
  CHECK(kept[2].values == std::vector<Value>{Value{}, Value{}});
  CHECK(drops == ReasonCounts{{"cast", 1}});
  CHECK(repairs == ReasonCounts{{"cast_nulled", 1}});
}

TEST_CASE("cast changes what later ops accept") {
  // After a cast to float, an int field can be converted; after a cast to string, it
  // is no longer numeric.
  auto r = ParseJobSpec(R"({"job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "ndjson"},
    "schema": {"fields": {"n": {"type": "int", "unit": "ft"}}},
    "clean": [{"op": "cast", "field": "n", "to": "float"}, {"op": "convert", "field": "n", "to": "m"}]})");
  REQUIRE(r.ok());
  Cleaner c(r.value());
  Record rec{0, {int64_t{10}}};
  REQUIRE(c.Apply(&rec) == nullptr);
  CHECK(rec.values[0] == Value{3.048});

  auto bad = ParseJobSpec(R"({"job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "ndjson"},
    "schema": {"fields": {"n": {"type": "int"}}},
    "clean": [{"op": "cast", "field": "n", "to": "string"}, {"op": "range", "field": "n", "max": 1}]})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "job spec /clean/1/field: range needs a numeric field");
}
