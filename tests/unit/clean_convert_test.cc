// convert (units, scale/offset) and round.
#include <catch2/catch.hpp>

#include "agent/cleaner.h"

using namespace edgeline;

namespace {
JobSpec Spec(const std::string& fields, const std::string& clean) {
  auto r = ParseJobSpec(R"({"job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "ndjson"},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"}, "fields": )" + fields + R"(},
    "clean": )" + clean + "}");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return r.value();
}
}  // namespace

TEST_CASE("convert: temperature") {
  CHECK(ConvertUnit(212, "degF", "degC") == 100.0);
  CHECK(ConvertUnit(-40, "degC", "degF") == -40.0);
  CHECK(ConvertUnit(0, "degC", "K") == 273.15);
  CHECK(ConvertUnit(273.15, "K", "degC") == 0.0);
  CHECK(ConvertUnit(50, "degF", "degF") == 50.0);
}

TEST_CASE("convert: pressure") {
  CHECK(ConvertUnit(1013.25, "hPa", "Pa") == 101325.0);
  CHECK(ConvertUnit(1, "bar", "hPa") == 1000.0);
  CHECK(ConvertUnit(100, "kPa", "bar") == 1.0);
  CHECK(ConvertUnit(1, "psi", "Pa") == 6894.757293168361);
  CHECK(ConvertUnit(1, "psi", "kPa") == 6.894757293168361);
  CHECK(ConvertUnit(760, "mmHg", "Pa") == 101325.01443540001);
  CHECK(ConvertUnit(1, "inHg", "mmHg") == 25.4);
}

TEST_CASE("convert: length") {
  CHECK(ConvertUnit(1, "mi", "km") == 1.609344);
  CHECK(ConvertUnit(1, "ft", "in") == 12.0);
  CHECK(ConvertUnit(1, "in", "mm") == 25.4);
  CHECK(ConvertUnit(100, "cm", "m") == 1.0);
  CHECK(ConvertUnit(5, "km", "m") == 5000.0);
  CHECK(ConvertUnit(1500, "mm", "m") == 1.5);
}

TEST_CASE("convert: speed") {
  CHECK(ConvertUnit(36, "km/h", "m/s") == 10.0);
  CHECK(ConvertUnit(60, "mph", "km/h") == 96.56064);
  CHECK(ConvertUnit(1, "kn", "km/h") == 1.852);
  CHECK(ConvertUnit(10, "m/s", "kn") == 19.43844492440605);
}

TEST_CASE("convert: units of different quantities don't convert") {
  CHECK(SameQuantity("psi", "inHg"));
  CHECK(SameQuantity("mi", "mm"));
  CHECK_FALSE(SameQuantity("m", "m/s"));
  CHECK_FALSE(SameQuantity("degC", "Pa"));
  CHECK_FALSE(SameQuantity("furlong", "m"));
  CHECK(IsKnownUnit("kn"));
  CHECK_FALSE(IsKnownUnit("knots"));
}

TEST_CASE("convert ops run in a spec, by unit and by scale/offset") {
  JobSpec s = Spec(R"({"p": {"type": "float", "unit": "psi"}, "raw": {"type": "float"}})",
                   R"([{"op": "convert", "field": "p", "to": "kPa"},
                       {"op": "convert", "field": "p", "to": "bar"},
                       {"op": "convert", "field": "raw", "scale": 0.1, "offset": -40}])");
  CHECK(s.clean[0].from_unit == "psi");
  CHECK(s.clean[1].from_unit == "kPa");  // the unit the op before left
  CHECK(s.clean[2].to_unit.empty());
  CHECK(s.clean[2].scale == 0.1);
  CHECK(s.clean[2].offset == -40.0);
  CHECK(s.OutputFields()[0].unit == "bar");
  CHECK(s.OutputFields()[1].unit.empty());
  Cleaner c(s);
  Record r{1, {100.0, 650.0}};
  REQUIRE(c.Apply(&r) == nullptr);
  CHECK(std::get<double>(r.values[0]) == 6.894757293168361);
  CHECK(std::get<double>(r.values[1]) == 25.0);
  Record n{1, {Value{}, Value{}}};
  REQUIRE(c.Apply(&n) == nullptr);
  CHECK(IsNull(n.values[0]));
  CHECK(IsNull(n.values[1]));

  JobSpec offset_only = Spec(R"({"t": {"type": "float"}})",
                             R"([{"op": "convert", "field": "t", "offset": 0.5}])");
  Cleaner c2(offset_only);
  Record r2{1, {20.0}};
  REQUIRE(c2.Apply(&r2) == nullptr);
  CHECK(std::get<double>(r2.values[0]) == 20.5);
}

TEST_CASE("round: half away from zero, decided on the shortest decimal text") {
  CHECK(RoundHalfAway(2.675, 2) == 2.68);  // 2.67499999999999982236431605997495353221893310546875 in binary
  CHECK(RoundHalfAway(-2.675, 2) == -2.68);
  CHECK(RoundHalfAway(1.005, 2) == 1.01);
  CHECK(RoundHalfAway(2.5, 0) == 3.0);
  CHECK(RoundHalfAway(-2.5, 0) == -3.0);
  CHECK(RoundHalfAway(0.125, 2) == 0.13);
  CHECK(RoundHalfAway(1.0049, 2) == 1.0);
  CHECK(RoundHalfAway(123.456, 0) == 123.0);
  CHECK(RoundHalfAway(21.55, 1) == 21.6);
  CHECK(RoundHalfAway(0.005, 2) == 0.01);
  CHECK(RoundHalfAway(0.004, 2) == 0.0);
  CHECK(RoundHalfAway(0.0004, 2) == 0.0);
  CHECK(RoundHalfAway(0.1 + 0.2, 15) == 0.3);
  CHECK(RoundHalfAway(1e20, 2) == 1e20);
  CHECK(RoundHalfAway(7.0, 3) == 7.0);
  CHECK(RoundHalfAway(0.0, 1) == 0.0);
  CHECK(RoundHalfAway(99.95, 1) == 100.0);
}

TEST_CASE("round op rounds a float field and leaves nulls") {
  JobSpec s = Spec(R"({"temp": {"type": "float"}})", R"([{"op": "round", "field": "temp", "digits": 1}])");
  CHECK(s.clean[0].kind == CleanOp::kRound);
  CHECK(s.clean[0].digits == 1);
  Cleaner c(s);
  Record r{1, {21.25}};
  REQUIRE(c.Apply(&r) == nullptr);
  CHECK(std::get<double>(r.values[0]) == 21.3);
  Record n{1, {Value{}}};
  REQUIRE(c.Apply(&n) == nullptr);
  CHECK(IsNull(n.values[0]));

  JobSpec d0 = Spec(R"({"temp": {"type": "float"}})", R"([{"op": "round", "field": "temp"}])");
  Cleaner c0(d0);
  Record m{1, {-0.5}};
  REQUIRE(c0.Apply(&m) == nullptr);
  CHECK(std::get<double>(m.values[0]) == -1.0);
}
