#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/job_spec.h"
#include "tests/unit/spec_error.h"

using namespace edgeline;
using nlohmann::json;

namespace {
json BaseSpec() {
  return json::parse(R"({
    "job_id": "t", "version": 1, "target": {"agents": ["pi-01"]}, "mode": "batch",
    "input": {"type": "file", "path": "/data/{agent_id}/x.csv", "format": "csv"},
    "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
               "fields": {"device": {"type": "string", "required": true},
                          "temp": {"type": "float", "unit": "degF"}}},
    "clean": [{"op": "drop_null", "fields": ["temp"]},
              {"op": "convert", "field": "temp", "to": "degC"},
              {"op": "range", "field": "temp", "min": -40, "max": 60},
              {"op": "dedup", "by": ["device", "ts"]}],
    "aggregate": {"window": {"type": "tumbling", "size": "1m"}, "group_by": ["device"],
                  "metrics": {"temp": ["count", "mean"]}}
  })");
}

}  // namespace

TEST_CASE("a valid spec builds the model") {
  auto r = ParseJobSpec(BaseSpec().dump());
  REQUIRE(r.ok());
  const JobSpec& s = r.value();
  CHECK(s.job_id == "t");
  CHECK(s.ts_field == "ts");
  REQUIRE(s.fields.size() == 2);
  CHECK(s.fields[0].name == "device");  // declared order is kept
  CHECK(s.fields[1].unit == "degF");
  REQUIRE(s.clean.size() == 4);
  CHECK(s.clean[1].from_unit == "degF");
  CHECK(s.clean[1].to_unit == "degC");
  CHECK(s.clean[2].min == -40.0);
  CHECK(s.clean[3].fields == std::vector<int>{0, -1});
  CHECK(s.clean[3].horizon_ms == 600000);  // default 10m
  CHECK(s.window_ms == 60000);
  CHECK(s.ExpandPath("pi-07") == "/data/pi-07/x.csv");
  CHECK(s.Targets("pi-01", {}));
  CHECK_FALSE(s.Targets("pi-02", {{"site", "x"}}));
}

TEST_CASE("label targets need every label to match") {
  json j = BaseSpec();
  j["target"] = {{"labels", {{"site", "gh"}, {"room", "a"}}}};
  auto r = ParseJobSpec(j.dump());
  REQUIRE(r.ok());
  CHECK(r->Targets("x", {{"site", "gh"}, {"room", "a"}, {"extra", "1"}}));
  CHECK_FALSE(r->Targets("x", {{"site", "gh"}}));
}

TEST_CASE("invalid specs are refused with the path of the offending field") {
  json j = BaseSpec();
  j["clean"][2]["max"] = "sixty";
  CHECK(ErrorOf(j) == "job spec /clean/2/max: must be a number");

  j = BaseSpec();
  j["input"]["type"] = "ftp";
  CHECK(ErrorOf(j).rfind("job spec /input/type: must be one of", 0) == 0);

  j = BaseSpec();
  j["clean"][0]["op"] = "drop_nulls";
  CHECK(ErrorOf(j).rfind("job spec /clean/0/op: must be one of", 0) == 0);

  j = BaseSpec();
  j["schema"]["fields"]["temp"]["typo"] = 1;
  CHECK(ErrorOf(j) == "job spec /schema/fields/temp/typo: unknown field");

  j = BaseSpec();
  j.erase("version");
  CHECK(ErrorOf(j) == "job spec /version: is required");

  j = BaseSpec();
  j["job_id"] = "a/b";
  CHECK(ErrorOf(j).rfind("job spec /job_id: ", 0) == 0);
}

TEST_CASE("semantic errors name the field too") {
  json j = BaseSpec();
  j["clean"][0]["fields"] = {"tmp"};
  CHECK(ErrorOf(j) == "job spec /clean/0/fields/0: unknown field \"tmp\" (not in schema.fields)");

  j = BaseSpec();
  j["aggregate"]["group_by"] = {"site"};
  CHECK(ErrorOf(j) == "job spec /aggregate/group_by/0: unknown field \"site\" (not in schema.fields)");

  j = BaseSpec();
  j["schema"].erase("timestamp");
  j["clean"][3]["by"] = {"device"};
  CHECK(ErrorOf(j) == "job spec /schema/timestamp: is required when the job has an aggregate section");

  j = BaseSpec();
  j["aggregate"]["metrics"] = {{"device", {"mean"}}};
  CHECK(ErrorOf(j) == "job spec /aggregate/metrics/device: metrics need a numeric field in schema.fields");

  j = BaseSpec();
  j["schema"]["fields"]["temp"].erase("unit");
  CHECK(ErrorOf(j) == "job spec /clean/1/field: field \"temp\" has no unit in schema.fields to convert from");

  j = BaseSpec();
  j["clean"][2]["min"] = 100;
  CHECK(ErrorOf(j) == "job spec /clean/2/min: min is greater than max");
}

TEST_CASE("the timestamp section: formats, pattern, time zone and DST policy") {
  json j = BaseSpec();
  j["schema"]["timestamp"] = {{"field", "ts"},
                              {"format", "strftime"},
                              {"pattern", "%d/%m/%Y %H:%M:%S"},
                              {"timezone", "Europe/Berlin"},
                              {"ambiguous", "latest"},
                              {"nonexistent", "reject"}};
  auto r = ParseJobSpec(j.dump());
  REQUIRE(r.ok());
  CHECK(r->ts.format == TimestampFormat::kStrftime);
  CHECK(r->ts.pattern == "%d/%m/%Y %H:%M:%S");
  CHECK(r->ts.timezone == "Europe/Berlin");
  CHECK(r->ts.ambiguous == AmbiguousPolicy::kLatest);
  CHECK(r->ts.nonexistent == NonexistentPolicy::kReject);

  j = BaseSpec();  // the defaults
  r = ParseJobSpec(j.dump());
  REQUIRE(r.ok());
  CHECK(r->ts.format == TimestampFormat::kIso8601);
  CHECK(r->ts.timezone == "UTC");
  CHECK(r->ts.ambiguous == AmbiguousPolicy::kEarliest);
  CHECK(r->ts.nonexistent == NonexistentPolicy::kShiftForward);

  j["schema"]["timestamp"]["format"] = "epoch_ns";
  r = ParseJobSpec(j.dump());
  REQUIRE(r.ok());
  CHECK(r->ts.format == TimestampFormat::kEpochNs);

  // ParseJobSpec checks the name, not the zone database: the CLI and the aggregator
  // accept a zone they may not have; the agent loads it when the job starts.
  j = BaseSpec();
  j["schema"]["timestamp"]["timezone"] = "Mars/Olympus_Mons";
  CHECK(ParseJobSpec(j.dump()).ok());
}

TEST_CASE("timestamp section errors name the field") {
  json j = BaseSpec();
  j["schema"]["timestamp"] = {{"field", "ts"}, {"format", "strftime"}};
  CHECK(ErrorOf(j) == "job spec /schema/timestamp/pattern: is required");

  j["schema"]["timestamp"]["pattern"] = "%Y-%m-%d %Q";
  CHECK(ErrorOf(j) == "job spec /schema/timestamp/pattern: unknown conversion %Q at character 10");

  j["schema"]["timestamp"]["pattern"] = "%H:%M";
  CHECK(ErrorOf(j) == "job spec /schema/timestamp/pattern: no year (%Y or %y) and no %s");

  j = BaseSpec();
  j["schema"]["timestamp"]["pattern"] = "%Y";  // only with strftime
  CHECK(ErrorOf(j) == "job spec /schema/timestamp/pattern: is not allowed");

  j = BaseSpec();
  j["schema"]["timestamp"]["format"] = "epoch_ms";  // epoch times are UTC already
  j["schema"]["timestamp"]["timezone"] = "Europe/Berlin";
  CHECK(ErrorOf(j) == "job spec /schema/timestamp/timezone: is not allowed");

  for (const char* bad : {"../../etc/passwd", "/etc/localtime", "Europe//Berlin", "", "Europe/"}) {
    INFO(bad);
    j = BaseSpec();
    j["schema"]["timestamp"]["timezone"] = bad;
    CHECK(ErrorOf(j).rfind("job spec /schema/timestamp/timezone: must match pattern", 0) == 0);
  }

  j = BaseSpec();
  j["schema"]["timestamp"]["ambiguous"] = "first";
  CHECK(
      ErrorOf(j) ==
      "job spec /schema/timestamp/ambiguous: must be one of \"earliest\", \"latest\", \"reject\"");
  j = BaseSpec();
  j["schema"]["timestamp"]["nonexistent"] = "shift_backward";
  CHECK(ErrorOf(j) ==
        "job spec /schema/timestamp/nonexistent: must be one of \"shift_forward\", \"reject\"");
}

TEST_CASE("non-JSON and oversized specs are refused") {
  CHECK(ParseJobSpec("{").status().message() == "job spec: not valid JSON");
  CHECK(ParseJobSpec(std::string(300 * 1024, ' ')).status().message() ==
        "job spec: 307200 bytes exceeds the limit of 262144");
}

TEST_CASE("every shipped example job validates against the schema") {
  namespace fs = std::filesystem;
  int n = 0;
  for (const auto& e : fs::directory_iterator(fs::path(EDGELINE_SOURCE_DIR) / "examples/jobs")) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto r = ParseJobSpec(ss.str());
    INFO(e.path().string() << ": " << r.status().ToString());
    CHECK(r.ok());
    ++n;
  }
  CHECK(n >= 2);
}

TEST_CASE("CSV options build the model") {
  json j = BaseSpec();
  auto r = ParseJobSpec(j.dump());
  REQUIRE(r.ok());
  CHECK(r->csv_header);
  CHECK(r->csv_columns.empty());
  CHECK(r->csv_comment.empty());
  CHECK(r->csv_decimal == '.');

  j["input"]["csv"] = {{"delimiter", ";"},
                       {"header", false},
                       {"columns", {"ts", "x", "device", "temp"}},
                       {"comment", "//"},
                       {"decimal", ","}};
  r = ParseJobSpec(j.dump());
  REQUIRE(r.ok());
  CHECK(r->csv_delimiter == ';');
  CHECK_FALSE(r->csv_header);
  CHECK(r->csv_columns == std::vector<std::string>{"ts", "x", "device", "temp"});
  CHECK(r->csv_comment == "//");
  CHECK(r->csv_decimal == ',');
}

TEST_CASE("CSV option rules") {
  auto with_csv = [](const json& csv) {
    json j = BaseSpec();
    j["input"]["csv"] = csv;
    return j;
  };
  CHECK(ErrorOf(with_csv({{"header", false}})) == "job spec /input/csv/columns: is required");
  CHECK(ErrorOf(with_csv({{"decimal", ","}})) == "job spec /input/csv/delimiter: is required");
  CHECK(ErrorOf(with_csv({{"decimal", ","}, {"delimiter", ","}})) ==
        "job spec /input/csv/delimiter: must not match the disallowed schema");
  CHECK(ParseJobSpec(with_csv({{"decimal", ","}, {"delimiter", "\t"}}).dump()).ok());
  CHECK(ErrorOf(with_csv({{"decimal", "·"}}))
            .rfind("job spec /input/csv/decimal: must be one of", 0) == 0);
  CHECK(ErrorOf(with_csv({{"comment", "#\""}})) ==
        "job spec /input/csv/comment: must match pattern \"^[^\"\\r\\n]+$\"");
  CHECK(ErrorOf(with_csv({{"comment", "123456789"}})) ==
        "job spec /input/csv/comment: must be at most 8 characters long");
  CHECK(ErrorOf(with_csv({{"columns", json::array()}})) ==
        "job spec /input/csv/columns: must have at least 1 item");

  // Columns are known when the spec is checked: the timestamp and every schema field need one.
  CHECK(ErrorOf(with_csv({{"header", false}, {"columns", {"ts", "device", "ts"}}})) ==
        "job spec /input/csv/columns/2: duplicate column \"ts\"");
  CHECK(ErrorOf(with_csv({{"columns", {"time", "device", "temp"}}})) ==
        "job spec /input/csv/columns: no column \"ts\" (the timestamp field)");
  CHECK(ErrorOf(with_csv({{"header", false}, {"columns", {"ts", "device", "t"}}})) ==
        "job spec /input/csv/columns: no column \"temp\" (a field in schema.fields)");
  // Extra columns are fine, in any order.
  CHECK(ParseJobSpec(with_csv({{"columns", {"x", "temp", "ts", "device", "y"}}}).dump()).ok());
}

TEST_CASE("JSON pointer paths: JSON formats only, and valid RFC 6901 pointers") {
  json j = BaseSpec();
  j["input"]["format"] = "ndjson";
  j["schema"]["timestamp"]["path"] = "/meta/time";
  j["schema"]["fields"]["temp"]["path"] = "/sensor/temp~1F";
  auto r = ParseJobSpec(j.dump());
  REQUIRE(r.ok());
  CHECK(r->ts_path == "/meta/time");
  CHECK(r->field_paths == std::vector<std::string>{"", "/sensor/temp~1F"});

  j["input"]["format"] = "csv";
  CHECK(ErrorOf(j) ==
        "job spec /schema/timestamp/path: only allowed with format \"ndjson\" or "
        "\"json\" (CSV columns are named by the header)");
  j["schema"]["timestamp"].erase("path");
  CHECK(ErrorOf(j) ==
        "job spec /schema/fields/temp/path: only allowed with format \"ndjson\" or "
        "\"json\" (CSV columns are named by the header)");

  j["input"]["format"] = "json";
  for (const char* bad : {"temp", "", "/a~2", "/a~"}) {
    j["schema"]["fields"]["temp"]["path"] = bad;
    INFO(bad);
    CHECK(ErrorOf(j) ==
          "job spec /schema/fields/temp/path: must match pattern \"^/([^~]|~[01])*$\"");
  }
}

TEST_CASE("format json is read once: a tail input is refused") {
  json j = BaseSpec();
  j["input"]["format"] = "json";
  REQUIRE(ParseJobSpec(j.dump()).ok());
  j["mode"] = "stream";
  j["input"]["type"] = "tail";
  CHECK(ErrorOf(j) ==
        "job spec /input/format: format \"json\" (one JSON array) is read once; "
        "input.type \"tail\" needs \"ndjson\" or \"csv\"");
}
