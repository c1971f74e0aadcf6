#include "agent/cleaner.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace edgeline;

namespace {
JobSpec TwoFieldSpec() {
  JobSpec s;
  s.ts_field = "ts";
  s.fields = {{"device", FieldType::kString, false, ""},
              {"temp", FieldType::kFloat, false, "degF"}};
  return s;
}
Record Rec(int64_t ts, Value device, Value temp) { return Record{ts, {device, temp}}; }
std::string Apply(Cleaner& c, Record r) {
  const char* reason = c.Apply(&r);
  return reason ? reason : "kept";
}
}  // namespace

TEST_CASE("drop_null drops a record when any listed field is null") {
  JobSpec s = TwoFieldSpec();
  CleanOp op;
  op.kind = CleanOp::kDropNull;
  op.fields = {0, 1};
  s.clean = {op};
  Cleaner c(s);
  CHECK(Apply(c, Rec(1, std::string("a"), 1.0)) == "kept");
  CHECK(Apply(c, Rec(1, Value{}, 1.0)) == "drop_null");
  CHECK(Apply(c, Rec(1, std::string("a"), Value{})) == "drop_null");
}

TEST_CASE("range drops values outside the bounds, inclusive, and lets nulls pass") {
  JobSpec s = TwoFieldSpec();
  CleanOp op;
  op.kind = CleanOp::kRange;
  op.field = 1;
  op.min = 0;
  op.max = 100;
  s.clean = {op};
  Cleaner c(s);
  CHECK(Apply(c, Rec(1, Value{}, 0.0)) == "kept");
  CHECK(Apply(c, Rec(1, Value{}, 100.0)) == "kept");
  CHECK(Apply(c, Rec(1, Value{}, 100.5)) == "range");
  CHECK(Apply(c, Rec(1, Value{}, -0.1)) == "range");
  CHECK(Apply(c, Rec(1, Value{}, Value{})) == "kept");
  // Integers are compared as numbers (the inline check leaves them to the op itself).
  CHECK(Apply(c, Rec(1, Value{}, int64_t{100})) == "kept");
  CHECK(Apply(c, Rec(1, Value{}, int64_t{101})) == "range");
  CHECK(Apply(c, Rec(1, Value{}, int64_t{-1})) == "range");
  // NaN (which no cast yields, but a convert of a huge value could) is within no bound
  // and outside none: kept, as before the inline check.
  CHECK(Apply(c, Rec(1, Value{}, std::nan(""))) == "kept");
  s.clean[0].max.reset();  // only a lower bound
  Cleaner c2(s);
  CHECK(Apply(c2, Rec(1, Value{}, 1e9)) == "kept");
  CHECK(Apply(c2, Rec(1, Value{}, -1e-9)) == "range");
  s.clean[0].min.reset();  // only an upper bound
  s.clean[0].max = 10;
  Cleaner c3(s);
  CHECK(Apply(c3, Rec(1, Value{}, -1e9)) == "kept");
  CHECK(Apply(c3, Rec(1, Value{}, 10.5)) == "range");
}

TEST_CASE("convert changes temperature units in place") {
  CHECK(ConvertUnit(212, "degF", "degC") == 100.0);
  CHECK(ConvertUnit(-40, "degC", "degF") == -40.0);
  CHECK(ConvertUnit(0, "degC", "K") == 273.15);
  CHECK(ConvertUnit(273.15, "K", "degC") == 0.0);
  JobSpec s = TwoFieldSpec();
  CleanOp op;
  op.kind = CleanOp::kConvert;
  op.field = 1;
  op.from_unit = "degF";
  op.to_unit = "degC";
  s.clean = {op};
  Cleaner c(s);
  Record r = Rec(1, Value{}, 50.0);
  REQUIRE(c.Apply(&r) == nullptr);
  CHECK(std::get<double>(r.values[1]) == 10.0);
  Record n = Rec(1, Value{}, Value{});
  REQUIRE(c.Apply(&n) == nullptr);
  CHECK(IsNull(n.values[1]));
}

TEST_CASE("dedup drops repeats of kept records within the horizon only") {
  JobSpec s = TwoFieldSpec();
  CleanOp op;
  op.kind = CleanOp::kDedup;
  op.fields = {0, -1};  // device and timestamp
  op.horizon_ms = 1000;
  s.clean = {op};
  Cleaner c(s);
  CHECK(Apply(c, Rec(100, std::string("a"), 1.0)) == "kept");
  CHECK(Apply(c, Rec(100, std::string("a"), 2.0)) == "dedup");  // same key, value ignored
  CHECK(Apply(c, Rec(100, std::string("b"), 1.0)) == "kept");
  CHECK(Apply(c, Rec(200, std::string("a"), 1.0)) == "kept");

  JobSpec s2 = TwoFieldSpec();
  op.fields = {0};  // device only: a repeat within 1 s of event time
  s2.clean = {op};
  Cleaner c2(s2);
  CHECK(Apply(c2, Rec(0, std::string("a"), 1.0)) == "kept");
  CHECK(Apply(c2, Rec(1000, std::string("a"), 1.0)) == "dedup");  // horizon is inclusive
  CHECK(Apply(c2, Rec(2001, std::string("a"), 1.0)) == "kept");   // 1001 ms after the last kept
  CHECK(Apply(c2, Rec(5000, std::string("b"), 1.0)) == "kept");   // evicts "a"
  CHECK(Apply(c2, Rec(2500, std::string("a"), 1.0)) == "kept");   // "a" was evicted
}

TEST_CASE("ops run in order and the first drop wins") {
  JobSpec s = TwoFieldSpec();
  CleanOp conv;
  conv.kind = CleanOp::kConvert;
  conv.field = 1;
  conv.from_unit = "degF";
  conv.to_unit = "degC";
  CleanOp range;
  range.kind = CleanOp::kRange;
  range.field = 1;
  range.max = 15;
  s.clean = {conv, range};
  Cleaner c(s);
  CHECK(Apply(c, Rec(1, Value{}, 59.0)) == "kept");   // 15 C
  CHECK(Apply(c, Rec(1, Value{}, 60.0)) == "range");  // 15.56 C
}

TEST_CASE("Push appends what comes out and counts drops by reason") {
  JobSpec s = TwoFieldSpec();
  CleanOp nn;
  nn.kind = CleanOp::kDropNull;
  nn.fields = {1};
  CleanOp dd;
  dd.kind = CleanOp::kDedup;
  dd.fields = {0};
  dd.horizon_ms = 1000;
  s.clean = {nn, dd};
  Cleaner c(s);
  ReasonCounts drops, repairs;
  std::vector<Record> out;
  CHECK(c.Push(Rec(0, std::string("a"), 1.0), &out, &drops, &repairs) == 0);
  CHECK(c.Push(Rec(1, std::string("a"), Value{}), &out, &drops, &repairs) == 1);
  CHECK(c.Push(Rec(2, std::string("a"), 2.0), &out, &drops, &repairs) == 1);
  CHECK(c.Push(Rec(3, std::string("b"), 3.0), &out, nullptr, nullptr) == 0);
  REQUIRE(out.size() == 2);
  CHECK(out[0].ts_ms == 0);
  CHECK(out[1].values == std::vector<Value>{std::string("b"), 3.0});
  CHECK(drops == ReasonCounts{{"dedup", 1}, {"drop_null", 1}});
  CHECK(repairs.empty());
  CHECK(c.Drain(&out, &drops, &repairs) == 0);  // nothing held
  CHECK(out.size() == 2);
  CHECK(c.held() == 0);
  CHECK(c.status().ok());
}

TEST_CASE("rename, select and drop have no run-time effect") {
  JobSpec s = TwoFieldSpec();
  CleanOp rn;
  rn.kind = CleanOp::kRename;
  rn.renames = {{1, "t"}};
  CleanOp dr;
  dr.kind = CleanOp::kDrop;
  dr.fields = {0};
  s.clean = {rn, dr};
  Cleaner c(s);
  Record r = Rec(1, std::string("a"), 2.0);
  REQUIRE(c.Apply(&r) == nullptr);
  CHECK(r.values == std::vector<Value>{std::string("a"), 2.0});
}
