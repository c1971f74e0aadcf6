#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/job_spec.h"

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

std::string ErrorOf(const json& j) {
  auto r = ParseJobSpec(j.dump());
  REQUIRE_FALSE(r.ok());
  return r.status().message();
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
