#include <catch2/catch.hpp>

#include "common/job_spec.h"
#include "tests/unit/spec_error.h"

using namespace edgeline;
using nlohmann::json;

namespace {
json MqttSpec() {
  return json::parse(R"({
    "job_id": "climate", "version": 1, "target": {"agents": ["pi-01"]}, "mode": "stream",
    "input": {"type": "mqtt", "topics": ["sensors/+/climate"], "format": "csv",
              "csv": {"columns": ["ts", "device", "temp", "hum"]}},
    "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
               "fields": {"device": {"type": "string"}, "temp": {"type": "float"},
                          "hum": {"type": "float"}}}
  })");
}

}  // namespace

TEST_CASE("an mqtt input builds the model with its defaults") {
  auto r = ParseJobSpec(MqttSpec().dump());
  REQUIRE(r.ok());
  const JobSpec& s = r.value();
  CHECK(s.input_type == "mqtt");
  CHECK(s.mqtt_broker == "tcp://127.0.0.1:1883");
  CHECK(s.mqtt_topics == std::vector<std::string>{"sensors/+/climate"});
  CHECK(s.mqtt_qos == 1);
  CHECK(s.mqtt_username.empty());
  CHECK(s.mqtt_password_env.empty());
  CHECK(s.topic_field == -1);
  CHECK(s.mqtt_max_queued == 1000);
  CHECK_FALSE(s.csv_header);
  CHECK(s.csv_columns == std::vector<std::string>{"ts", "device", "temp", "hum"});

  json j = MqttSpec();
  j["input"]["broker"] = "tcp://[::1]:11883";
  j["input"]["topics"] = {"sensors/#", "+/+/x", "#", "site/{agent_id}/+"};
  j["input"]["qos"] = 0;
  j["input"]["username"] = "edge";
  j["input"]["password_env"] = "SENSOR_BROKER_PASSWORD";
  j["input"]["topic_field"] = "device";
  j["input"]["max_queued_messages"] = 5;
  r = ParseJobSpec(j.dump());
  REQUIRE(r.ok());
  CHECK(r->mqtt_broker == "tcp://[::1]:11883");
  CHECK(r->mqtt_topics.size() == 4);
  CHECK(r->ExpandTopics("pi-07") ==
        std::vector<std::string>{"sensors/#", "+/+/x", "#", "site/pi-07/+"});
  CHECK(r->mqtt_qos == 0);
  CHECK(r->mqtt_username == "edge");
  CHECK(r->mqtt_password_env == "SENSOR_BROKER_PASSWORD");
  CHECK(r->topic_field == 0);
  CHECK(r->mqtt_max_queued == 5);

  j = MqttSpec();
  j["input"]["format"] = "ndjson";
  j["input"].erase("csv");
  CHECK(ParseJobSpec(j.dump()).ok());
}

TEST_CASE("mqtt input errors name the JSON pointer") {
  json j = MqttSpec();
  j["mode"] = "batch";
  CHECK(ErrorOf(j) == "job spec /mode: input.type \"mqtt\" needs mode \"stream\"");

  j = MqttSpec();
  j["input"] = {{"type", "file"}, {"path", "/x.csv"}, {"format", "csv"}};
  CHECK(ErrorOf(j) == "job spec /mode: mode \"stream\" needs input.type \"tail\" or \"mqtt\"");

  j = MqttSpec();
  j["input"].erase("topics");
  CHECK(ErrorOf(j) == "job spec /input/topics: is required");

  j = MqttSpec();
  j["input"]["topics"] = json::array();
  CHECK(ErrorOf(j) == "job spec /input/topics: must have at least 1 item");

  for (const char* bad : {"sensors/#/x", "a+/b", "sensors/x#", ""}) {
    j = MqttSpec();
    j["input"]["topics"] = {bad};
    INFO(bad);
    CHECK(ErrorOf(j).rfind("job spec /input/topics/0: must", 0) == 0);
  }

  j = MqttSpec();
  j["input"]["qos"] = 2;
  CHECK(ErrorOf(j) == "job spec /input/qos: must be one of 0, 1");

  j = MqttSpec();
  j["input"]["broker"] = "ssl://localhost:8883";
  CHECK(ErrorOf(j).rfind("job spec /input/broker: must match pattern", 0) == 0);

  j = MqttSpec();
  j["input"]["path"] = "/x.csv";
  CHECK(ErrorOf(j) == "job spec /input/path: is not allowed");

  j = MqttSpec();
  j["input"]["password_env"] = "1BAD";
  CHECK(ErrorOf(j).rfind("job spec /input/password_env: must match pattern", 0) == 0);

  j = MqttSpec();
  j["input"].erase("csv");
  CHECK(ErrorOf(j) == "job spec /input/csv: is required");

  j = MqttSpec();
  j["input"]["csv"] = {{"delimiter", ";"}};
  CHECK(ErrorOf(j) == "job spec /input/csv/columns: is required");

  j = MqttSpec();
  j["input"]["csv"]["header"] = true;
  CHECK(ErrorOf(j) == "job spec /input/csv/header: must be equal to false");

  j = MqttSpec();
  j["input"]["csv"]["columns"] = {"time", "temp"};
  CHECK(ErrorOf(j) == "job spec /input/csv/columns: no column \"ts\" (the timestamp field)");

  j = MqttSpec();
  j["input"]["topic_field"] = "nope";
  CHECK(ErrorOf(j) == "job spec /input/topic_field: unknown field \"nope\" (not in schema.fields)");

  j = MqttSpec();
  j["input"]["topic_field"] = "temp";
  CHECK(ErrorOf(j) == "job spec /input/topic_field: must name a string field");

  j = MqttSpec();
  j["input"]["max_queued_messages"] = 0;
  CHECK(ErrorOf(j) == "job spec /input/max_queued_messages: must be >= 1");
}

TEST_CASE("mqtt options are refused on other input types") {
  json j = MqttSpec();
  j["mode"] = "batch";
  j["input"] = {{"type", "file"}, {"path", "/x.csv"}, {"format", "csv"}, {"topics", {"a"}}};
  CHECK(ErrorOf(j) == "job spec /input/topics: is not allowed");
  j["input"].erase("topics");
  j["input"]["broker"] = "tcp://localhost:1883";
  CHECK(ErrorOf(j) == "job spec /input/broker: is not allowed");
}

TEST_CASE("an mqtt input's topic_field needs no CSV column; any other field does") {
  json j = MqttSpec();
  j["input"]["csv"]["columns"] = {"ts", "temp", "hum"};
  CHECK(ErrorOf(j) == "job spec /input/csv/columns: no column \"device\" (a field in schema.fields)");
  j["input"]["topic_field"] = "device";
  auto r = ParseJobSpec(j.dump());
  REQUIRE(r.ok());
  CHECK(r.value().topic_field == 0);
}
