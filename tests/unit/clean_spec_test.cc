// BuildClean: how each op is validated and resolved, and what rename, select, drop and
// redact do to the output fields (JobSpec::out_names, emitted, OutputFields).
#include <catch2/catch.hpp>

#include <sstream>

#include "agent/cleaner.h"
#include "agent/job_pipeline.h"
#include "tests/unit/spec_error.h"

using namespace edgeline;
using nlohmann::ordered_json;

namespace {
ordered_json Base() {
  return ordered_json::parse(R"({
    "job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "ndjson"},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"}, "keys": ["device"],
               "fields": {"device": {"type": "string"}, "temp": {"type": "float", "unit": "degF"},
                          "n": {"type": "int"}, "door": {"type": "bool"}}},
    "clean": []
  })");
}

ordered_json WithClean(const std::string& clean) {
  ordered_json j = Base();
  j["clean"] = ordered_json::parse(clean);
  return j;
}

JobSpec Ok(const ordered_json& j) {
  auto r = ParseJobSpec(j.dump());
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return r.value();
}

std::string CleanError(const std::string& clean) { return ErrorOf(WithClean(clean)); }

std::vector<std::string> Names(const std::vector<FieldDef>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.name);
  return out;
}
}  // namespace

TEST_CASE("every op parses into the model, with its defaults") {
  ::setenv("EDGELINE_TEST_SPEC_KEY", "k", 1);
  JobSpec s = Ok(WithClean(R"([
    {"op": "drop_null", "fields": ["device"]},
    {"op": "range", "field": "n", "min": 0, "max": 10, "action": "clamp"},
    {"op": "convert", "field": "temp", "to": "degC"},
    {"op": "dedup", "by": ["device", "ts"]},
    {"op": "cast", "field": "door", "to": "int", "on_error": "null"},
    {"op": "fill", "fields": ["temp"], "method": "previous"},
    {"op": "outlier", "field": "temp", "method": "hampel"},
    {"op": "rename", "fields": {"temp": "temperature"}},
    {"op": "select", "fields": ["ts", "device", "temperature", "n", "door"]},
    {"op": "drop", "fields": ["door"]},
    {"op": "redact", "fields": ["device"], "action": "hash", "key_env": "EDGELINE_TEST_SPEC_KEY"},
    {"op": "filter", "where": "temperature > 0"},
    {"op": "round", "field": "temperature", "digits": 2}
  ])"));
  REQUIRE(s.clean.size() == 13);
  const auto& c = s.clean;
  CHECK(c[0].kind == CleanOp::kDropNull);
  CHECK(c[1].kind == CleanOp::kRange);
  CHECK(c[1].action == CleanOp::kClamp);
  CHECK(c[2].kind == CleanOp::kConvert);
  CHECK(c[3].kind == CleanOp::kDedup);
  CHECK(c[3].horizon_ms == 600000);
  CHECK(c[4].kind == CleanOp::kCast);
  CHECK(c[5].kind == CleanOp::kFill);
  CHECK(c[5].by == std::vector<int>{0});
  CHECK(c[5].max_keys == 1000);
  CHECK_FALSE(c[5].drop_unfilled);
  CHECK(c[6].kind == CleanOp::kOutlier);
  CHECK(c[6].method == CleanOp::kHampel);
  CHECK(c[6].window == 20);
  CHECK(c[6].min_samples == 5);
  CHECK(c[6].threshold == 3.0);
  CHECK(c[6].action == CleanOp::kDropRecord);
  CHECK(c[6].by == std::vector<int>{0});
  CHECK(c[7].kind == CleanOp::kRename);
  CHECK(c[7].renames == std::vector<std::pair<int, std::string>>{{1, "temperature"}});
  CHECK(c[8].kind == CleanOp::kSelect);
  CHECK(c[8].fields.empty());  // removed nothing
  CHECK(c[9].kind == CleanOp::kDrop);
  CHECK(c[9].fields == std::vector<int>{3});
  CHECK(c[10].kind == CleanOp::kRedact);
  CHECK(c[11].kind == CleanOp::kFilter);
  CHECK(c[11].where.field == 1);
  CHECK(c[12].kind == CleanOp::kRound);
  CHECK(c[12].field == 1);
  CHECK(s.out_names == std::vector<std::string>{"device", "temperature", "n", "door"});
  CHECK(s.emitted == std::vector<bool>{true, true, true, false});
  std::vector<FieldDef> out = s.OutputFields();
  CHECK(Names(out) == std::vector<std::string>{"device", "temperature", "n"});
  CHECK(out[0].type == FieldType::kString);
  CHECK(out[1].type == FieldType::kFloat);
  CHECK(out[1].unit == "degC");
  Cleaner cleaner(s);
  CHECK(cleaner.status().ok());
  ::unsetenv("EDGELINE_TEST_SPEC_KEY");
}

TEST_CASE("without clean ops every field is emitted under its schema name") {
  ordered_json j = Base();
  j.erase("clean");
  JobSpec s = Ok(j);
  CHECK(s.out_names.empty());
  CHECK(s.emitted.empty());
  JobSpec e = Ok(Base());  // "clean": []
  CHECK(e.out_names == std::vector<std::string>{"device", "temp", "n", "door"});
  CHECK(e.emitted == std::vector<bool>{true, true, true, true});
  CHECK(Names(s.OutputFields()) == std::vector<std::string>{"device", "temp", "n", "door"});
  std::vector<Record> rs{Record{1, {std::string("a"), 1.0, int64_t{2}, true}}};
  CHECK(s.OutputRecords(rs)[0].values == rs[0].values);
}

TEST_CASE("rename, select and drop change the output, not the record layout") {
  JobSpec s = Ok(WithClean(R"([
    {"op": "rename", "fields": {"temp": "n", "n": "count"}},
    {"op": "drop", "fields": ["device"]},
    {"op": "range", "field": "n", "max": 100}
  ])"));
  CHECK(s.out_names == std::vector<std::string>{"device", "n", "count", "door"});
  CHECK(s.emitted == std::vector<bool>{false, true, true, true});
  CHECK(s.clean[2].field == 1);  // "n" is now the old temp
  std::vector<FieldDef> out = s.OutputFields();
  CHECK(Names(out) == std::vector<std::string>{"n", "count", "door"});
  CHECK(out[0].type == FieldType::kFloat);
  CHECK(out[1].type == FieldType::kInt);
  std::vector<Record> rs = s.OutputRecords({Record{7, {std::string("a"), 1.5, int64_t{2}, true}}});
  CHECK(rs[0].ts_ms == 7);
  CHECK(rs[0].values == std::vector<Value>{1.5, int64_t{2}, true});

  JobSpec sel = Ok(WithClean(R"([{"op": "select", "fields": ["door", "temp"]}])"));
  CHECK(sel.emitted == std::vector<bool>{false, true, false, true});
  CHECK(sel.clean[0].fields == std::vector<int>{0, 2});
  CHECK(Names(sel.OutputFields()) == std::vector<std::string>{"temp", "door"});  // schema order
}

TEST_CASE("the aggregate section names output fields") {
  ordered_json j = WithClean(R"([{"op": "rename", "fields": {"temp": "temperature", "device": "dev"}}])");
  j["aggregate"] = ordered_json::parse(R"({"window": {"type": "tumbling", "size": "1m"},
                                           "group_by": ["dev"], "metrics": {"temperature": ["mean"]}})");
  JobSpec s = Ok(j);
  CHECK(s.group_by == std::vector<std::string>{"dev"});
  CHECK(s.metrics.count("temperature") == 1);

  j["aggregate"]["group_by"] = {"device"};
  CHECK(ErrorOf(j) == "job spec /aggregate/group_by/0: field \"device\" is renamed or removed by the clean "
                      "ops; use its output name");
  j["aggregate"]["group_by"] = {"dev"};
  j["aggregate"]["metrics"] = ordered_json::parse(R"({"temp": ["mean"]})");
  CHECK(ErrorOf(j) == "job spec /aggregate/metrics/temp: field \"temp\" is renamed or removed by the clean "
                      "ops; use its output name");

  ordered_json d = WithClean(R"([{"op": "drop", "fields": ["n"]}, {"op": "cast", "field": "temp", "to": "string"}])");
  d["aggregate"] = ordered_json::parse(R"({"window": {"type": "tumbling", "size": "1m"},
                                           "metrics": {"n": ["mean"]}})");
  CHECK(ErrorOf(d) == "job spec /aggregate/metrics/n: field \"n\" is renamed or removed by the clean ops; "
                      "use its output name");
  d["aggregate"]["metrics"] = ordered_json::parse(R"({"temp": ["mean"]})");
  CHECK(ErrorOf(d) == "job spec /aggregate/metrics/temp: metrics need a numeric field in schema.fields");
}

TEST_CASE("ops see the names and types the ops before them left") {
  CHECK(CleanError(R"([{"op": "rename", "fields": {"temp": "temperature"}}, {"op": "range", "field": "temp", "max": 1}])") ==
        "job spec /clean/1/field: field \"temp\" was renamed to \"temperature\" by /clean/0");
  CHECK(CleanError(R"([{"op": "select", "fields": ["temp"]}, {"op": "drop_null", "fields": ["temp", "n"]}])") ==
        "job spec /clean/1/fields/1: field \"n\" was removed by /clean/0");
  CHECK(CleanError(R"([{"op": "drop", "fields": ["door"]}, {"op": "filter", "where": "door == true"}])") ==
        "job spec /clean/1/where: at character 1: field \"door\" was removed by /clean/0");
  CHECK(CleanError(R"([{"op": "convert", "field": "temp", "scale": 2}, {"op": "convert", "field": "temp", "to": "degC"}])") ==
        "job spec /clean/1/field: field \"temp\" has no unit to convert from after the scale/offset convert /clean/0");
  CHECK(CleanError(R"([{"op": "drop_null", "fields": ["ts"]}])") ==
        "job spec /clean/0/fields/0: \"ts\" is the timestamp field; this op takes schema fields only");
}

TEST_CASE("rename checks the new names") {
  CHECK(CleanError(R"([{"op": "rename", "fields": {"temp": "device"}}])") ==
        "job spec /clean/0/fields/temp: \"device\" is already the name of another field");
  CHECK(CleanError(R"([{"op": "rename", "fields": {"temp": "ts"}}])") ==
        "job spec /clean/0/fields/temp: \"ts\" is the timestamp field's name");
  CHECK(CleanError(R"([{"op": "rename", "fields": {"tmp": "t2"}}])") ==
        "job spec /clean/0/fields/tmp: unknown field \"tmp\" (not in schema.fields)");
  CHECK(CleanError(R"([{"op": "rename", "fields": {"temp": "bad-name"}}])").rfind("job spec /clean/0/fields/temp: ", 0) == 0);
  // A swap in one op is fine; a dropped field's name can be reused.
  JobSpec s = Ok(WithClean(R"([{"op": "rename", "fields": {"temp": "n", "n": "temp"}},
                               {"op": "drop", "fields": ["door"]},
                               {"op": "rename", "fields": {"device": "door"}}])"));
  CHECK(s.out_names == std::vector<std::string>{"door", "n", "temp", "door"});
  CHECK(Names(s.OutputFields()) == std::vector<std::string>{"door", "n", "temp"});
}

TEST_CASE("select and drop keep at least one field and the timestamp") {
  CHECK(CleanError(R"([{"op": "select", "fields": ["ts"]}])") ==
        "job spec /clean/0/fields: no field would be left to emit");
  CHECK(CleanError(R"([{"op": "drop", "fields": ["device", "temp", "n", "door"]}])") ==
        "job spec /clean/0/fields: no field would be left to emit");
  CHECK(CleanError(R"([{"op": "drop", "fields": ["ts"]}])") ==
        "job spec /clean/0/fields/0: the timestamp field is always emitted");
  CHECK(CleanError(R"([{"op": "select", "fields": []}])") == "job spec /clean/0/fields: must have at least 1 item");
}

TEST_CASE("semantic errors of the value ops name the spot") {
  CHECK(CleanError(R"([{"op": "range", "field": "n", "min": 0.5, "action": "clamp"}])") ==
        "job spec /clean/0/min: clamping an int field needs integer bounds");
  CHECK(CleanError(R"([{"op": "range", "field": "device", "min": 0}])") ==
        "job spec /clean/0/field: range needs a numeric field");
  CHECK(CleanError(R"([{"op": "convert", "field": "temp", "to": "psi"}])") ==
        "job spec /clean/0/to: cannot convert degF to psi");
  CHECK(CleanError(R"([{"op": "convert", "field": "n", "scale": 2}])") ==
        "job spec /clean/0/field: convert needs a float field");
  CHECK(CleanError(R"([{"op": "fill", "fields": ["temp"], "method": "constant", "value": "x"}])") ==
        "job spec /clean/0/value: must be a number to fill float field \"temp\"");
  CHECK(CleanError(R"([{"op": "fill", "fields": ["n"], "method": "constant", "value": 1.5}])") ==
        "job spec /clean/0/value: must be an integer to fill int field \"n\"");
  CHECK(CleanError(R"([{"op": "fill", "fields": ["temp", "n"], "method": "linear"}])") ==
        "job spec /clean/0/fields/1: linear fill needs a float field");
  CHECK(CleanError(R"([{"op": "fill", "fields": ["temp"], "method": "previous", "by": ["dev"]}])") ==
        "job spec /clean/0/by/0: unknown field \"dev\" (not in schema.fields)");
  CHECK(CleanError(R"([{"op": "outlier", "field": "n", "method": "mad"}])") ==
        "job spec /clean/0/field: outlier needs a float field");
  CHECK(CleanError(R"([{"op": "outlier", "field": "temp", "method": "mad", "window": 5, "min_samples": 6}])") ==
        "job spec /clean/0/min_samples: must not be greater than window (5)");
  CHECK(CleanError(R"([{"op": "round", "field": "n"}])") == "job spec /clean/0/field: round needs a float field");
  CHECK(CleanError(R"([{"op": "cast", "field": "ts", "to": "int"}])") ==
        "job spec /clean/0/field: \"ts\" is the timestamp field; this op takes schema fields only");
}

TEST_CASE("the schema checks each op's properties") {
  CHECK(CleanError(R"([{"op": "range", "field": "temp", "max": 1, "action": "wrap"}])") ==
        "job spec /clean/0/action: must be one of \"drop\", \"clamp\"");
  CHECK(CleanError(R"([{"op": "convert", "field": "temp", "to": "degC", "scale": 2}])") ==
        "job spec /clean/0/scale: is not allowed");
  CHECK(CleanError(R"([{"op": "convert", "field": "temp", "to": "furlong"}])").rfind("job spec /clean/0/to: must be one of", 0) == 0);
  CHECK(CleanError(R"([{"op": "cast", "field": "n", "to": "date"}])") ==
        "job spec /clean/0/to: must be one of \"float\", \"int\", \"string\", \"bool\"");
  CHECK(CleanError(R"([{"op": "fill", "fields": ["temp"], "method": "constant"}])") ==
        "job spec /clean/0/value: is required");
  CHECK(CleanError(R"([{"op": "fill", "fields": ["temp"], "method": "previous", "value": 1}])") ==
        "job spec /clean/0/value: is not allowed");
  CHECK(CleanError(R"([{"op": "fill", "fields": ["temp"], "method": "previous", "max_gap": 3}])") ==
        "job spec /clean/0/max_gap: is not allowed");
  CHECK(CleanError(R"([{"op": "fill", "fields": ["temp"], "method": "linear", "max_gap": 0}])") ==
        "job spec /clean/0/max_gap: must be >= 1");
  CHECK(CleanError(R"([{"op": "outlier", "field": "temp", "method": "mad", "window": 2}])") ==
        "job spec /clean/0/window: must be >= 3");
  CHECK(CleanError(R"([{"op": "outlier", "field": "temp", "method": "iqr"}])") ==
        "job spec /clean/0/method: must be one of \"zscore\", \"mad\", \"hampel\"");
  CHECK(CleanError(R"([{"op": "outlier", "field": "temp", "method": "mad", "threshold": 0}])") ==
        "job spec /clean/0/threshold: must be > 0");
  CHECK(CleanError(R"([{"op": "redact", "fields": ["device"], "action": "hash"}])") ==
        "job spec /clean/0/key_env: is required");
  CHECK(CleanError(R"([{"op": "redact", "fields": ["device"], "action": "drop", "key_env": "K"}])") ==
        "job spec /clean/0/key_env: is not allowed");
  CHECK(CleanError(R"([{"op": "redact", "fields": ["device"], "action": "hash", "key_env": "K", "length": 4}])") ==
        "job spec /clean/0/length: must be >= 8");
  CHECK(CleanError(R"([{"op": "round", "field": "temp", "digits": 16}])") == "job spec /clean/0/digits: must be <= 15");
  CHECK(CleanError(R"([{"op": "filter", "where": ""}])").rfind("job spec /clean/0/where", 0) == 0);
  CHECK(CleanError(R"([{"op": "filter", "where": {"field": "temp", "cmp": ">"}}])") ==
        "job spec /clean/0/where/value: is required when \"field\" is present");
}

TEST_CASE("range clamp sets the value to the bound and counts a repair") {
  JobSpec s = Ok(WithClean(R"([{"op": "range", "field": "temp", "min": -10, "max": 40.5, "action": "clamp"},
                               {"op": "range", "field": "n", "max": 3, "action": "clamp"}])"));
  Cleaner c(s);
  ReasonCounts repairs;
  Record r{1, {std::string("a"), 50.0, int64_t{7}, true}};
  REQUIRE(c.Apply(&r, &repairs) == nullptr);
  CHECK(r.values[1] == Value{40.5});
  CHECK(r.values[2] == Value{int64_t{3}});  // an int stays an int
  Record low{2, {std::string("a"), -11.0, int64_t{3}, true}};
  REQUIRE(c.Apply(&low, &repairs) == nullptr);
  CHECK(low.values[1] == Value{-10.0});
  CHECK(low.values[2] == Value{int64_t{3}});  // the bound itself is in range
  CHECK(repairs == ReasonCounts{{"range_clamped", 3}});
}

TEST_CASE("the pipeline counts repairs, reports them, and drains held records at Flush") {
  JobSpec s = Ok(WithClean(R"([{"op": "fill", "fields": ["temp"], "method": "linear"},
                               {"op": "range", "field": "temp", "max": 100, "action": "clamp"},
                               {"op": "filter", "where": "device != \"x\""}])"));
  s.batch_max_records = 2;
  std::vector<Record> got;
  std::vector<size_t> batches;
  JobPipeline p(s, [&](std::vector<Record>&& rs) {
    batches.push_back(rs.size());
    for (auto& r : rs) got.push_back(std::move(r));
    return Status::Ok();
  });
  std::istringstream in(R"({"ts": 0, "device": "a", "temp": 10}
{"ts": 10, "device": "a", "temp": null}
{"ts": 5, "device": "x", "temp": 1}
{"ts": 20, "device": "a", "temp": 30}
{"ts": 30, "device": "a", "temp": 500}
{"ts": 40, "device": "a", "temp": null}
{"ts": 50, "device": "a", "temp": "warm"}
)");
  REQUIRE(p.Run(in, "test").ok());
  CHECK(p.counters().read == 7);
  CHECK(p.counters().kept + p.counters().dropped + p.counters().rejected == 6);  // one held
  REQUIRE(p.Flush().ok());
  const JobCounters& c = p.counters();
  CHECK(c.read == 7);
  CHECK(c.kept == 5);
  CHECK(c.rejected == 1);
  CHECK(c.dropped == 1);
  CHECK(c.reasons == ReasonCounts{{"cast_error", 1}, {"filter", 1}});
  CHECK(c.repaired == ReasonCounts{{"fill_linear", 1}, {"range_clamped", 1}});
  REQUIRE(got.size() == 5);
  CHECK(got[1].ts_ms == 10);
  CHECK(got[1].values[1] == Value{20.0});
  CHECK(got[3].values[1] == Value{100.0});
  CHECK(got[4].ts_ms == 40);
  CHECK(IsNull(got[4].values[1]));
  CHECK(batches == std::vector<size_t>{2, 2, 1});
  nlohmann::json j = c.ToJson();
  CHECK(j["repairs"] == nlohmann::json({{"fill_linear", 1}, {"range_clamped", 1}}));
  CHECK(JobCounters::FromJson(j).repaired == c.repaired);
  JobCounters none;
  CHECK_FALSE(none.ToJson().contains("repairs"));
}
