#include "agent/mqtt_source.h"

#include <catch2/catch.hpp>

#include "agent/reject_sampler.h"

using namespace edgeline;

namespace {
JobSpec Spec(const std::string& format, const std::string& extra = "") {
  std::string csv = format == "csv" ? R"(, "csv": {"columns": ["ts", "temp", "unused"]})" : "";
  auto r = ParseJobSpec(R"({
    "job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "stream",
    "input": {"type": "mqtt", "topics": ["sensors/+/climate"], "format": ")" +
                        format + "\"" + csv + extra + R"(, "max_line_bytes": 64},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
               "fields": {"device": {"type": "string"}, "temp": {"type": "float"}}}
  })");
  if (!r.ok()) FAIL(r.status().ToString());
  JobSpec s = r.value();
  s.batch_max_ms = 1'000'000;
  return s;
}

struct Collected {
  std::vector<Record> records;
  std::vector<std::pair<std::string, std::string>> rejects;  // reason, raw
  BatchSink Sink() {
    return [this](std::vector<Record>&& rs) {
      for (auto& r : rs) records.push_back(std::move(r));
      return Status::Ok();
    };
  }
  void Observe(JobPipeline* p) {
    p->set_reject_observer([this](const std::string& reason, std::string_view raw) {
      rejects.emplace_back(reason, std::string(raw));
    });
  }
};
}  // namespace

TEST_CASE("CSV payloads are rows named by csv.columns and the topic fills topic_field") {
  JobSpec spec = Spec("csv", R"(, "topic_field": "device")");
  Collected out;
  JobPipeline p(spec, out.Sink());
  out.Observe(&p);
  REQUIRE(FeedMqttPayload(&p, spec, "sensors/pi-01/climate", "1,20.5,x").ok());
  REQUIRE(FeedMqttPayload(&p, spec, "sensors/pi-02/climate", "2,21,x\r\n3,ERR,x\n\n4,22\n").ok());
  REQUIRE(FeedMqttPayload(&p, spec, "sensors/pi-02/climate", "").ok());
  REQUIRE(p.Flush().ok());
  const JobCounters& c = p.counters();
  CHECK(c.read == 4);
  CHECK(c.kept == 2);
  CHECK(c.rejected == 2);
  CHECK(c.reasons == std::map<std::string, int64_t>{{"cast_error", 1}, {"csv_field_count", 1}});
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[0].ts_ms == 1);
  CHECK(out.records[0].values == std::vector<Value>{std::string("sensors/pi-01/climate"), 20.5});
  CHECK(out.records[1].values == std::vector<Value>{std::string("sensors/pi-02/climate"), 21.0});
  CHECK(out.rejects == std::vector<std::pair<std::string, std::string>>{
                           {"cast_error", "3,ERR,x\n"}, {"csv_field_count", "4,22\n"}});
}

TEST_CASE("NDJSON payloads: one object, a pretty-printed object, or one object per line") {
  JobSpec spec = Spec("ndjson");
  Collected out;
  JobPipeline p(spec, out.Sink());
  out.Observe(&p);
  const std::string topic = "sensors/pi-01/climate";
  REQUIRE(FeedMqttPayload(&p, spec, topic, R"({"ts": 1, "device": "d1", "temp": 1.5})").ok());
  REQUIRE(FeedMqttPayload(&p, spec, topic, "{\n  \"ts\": 2,\r\n  \"temp\": 2.5\n}\n").ok());
  REQUIRE(
      FeedMqttPayload(&p, spec, topic, "{\"ts\": 3, \"temp\": 3}\n{\"ts\": 4}\n[1]\n{bad").ok());
  REQUIRE(FeedMqttPayload(&p, spec, topic, "[{\"ts\": 5},\n {\"ts\": 6}]").ok());
  REQUIRE(p.Flush().ok());
  const JobCounters& c = p.counters();
  CHECK(c.read == 7);
  CHECK(c.kept == 4);
  CHECK(c.reasons == std::map<std::string, int64_t>{{"json_malformed", 1}, {"json_not_object", 2}});
  REQUIRE(out.records.size() == 4);
  CHECK(out.records[1].ts_ms == 2);
  CHECK(out.records[1].values == std::vector<Value>{std::monostate{}, 2.5});
  CHECK(out.records[0].values == std::vector<Value>{std::string("d1"), 1.5});
  REQUIRE(out.rejects.size() == 3);
  CHECK(out.rejects[1] == std::make_pair(std::string("json_malformed"), std::string("{bad")));
  CHECK(out.rejects[2].second == "[{\"ts\": 5},  {\"ts\": 6}]");  // one line
}

TEST_CASE("a payload over max_line_bytes is one line_too_long reject") {
  JobSpec spec = Spec("ndjson");
  Collected out;
  JobPipeline p(spec, out.Sink());
  out.Observe(&p);
  const std::string big = R"({"ts": 1, "temp": 1, "device": ")" + std::string(100, 'x') + "\"}";
  REQUIRE(FeedMqttPayload(&p, spec, "t", big).ok());
  CHECK(p.counters().read == 1);
  CHECK(p.counters().reasons == std::map<std::string, int64_t>{{"line_too_long", 1}});
  REQUIRE(out.rejects.size() == 1);
  CHECK(out.rejects[0].second == big);  // shorter than the sample cut
}

TEST_CASE("the input queue drops and counts what does not fit") {
  MqttInputQueue q(/*max_messages=*/3, /*max_bytes=*/10, /*max_payload_bytes=*/8);
  CHECK_FALSE(q.pending());
  CHECK(q.Push({"a", "1234", false}));
  CHECK(q.Push({"a", "1234", false}));
  CHECK_FALSE(q.Push({"a", "123", false}));  // 11 bytes
  CHECK(q.Push({"a", "12", false}));
  CHECK_FALSE(q.Push({"a", "", false}));  // 3 messages
  CHECK(q.pending());
  std::deque<MqttInputQueue::Item> items;
  CHECK(q.TakeAll(&items) == 2);
  CHECK(items.size() == 3);
  CHECK_FALSE(q.pending());
  // An empty queue takes any message; an over-long payload is kept cut and flagged.
  std::string big(kRejectRawMaxBytes + 100, 'x');
  CHECK(q.Push({"b", big, false}));
  items.clear();
  CHECK(q.TakeAll(&items) == 0);
  REQUIRE(items.size() == 1);
  CHECK(items[0].too_long);
  CHECK(items[0].payload.size() == kRejectRawMaxBytes);
}

TEST_CASE("the session key changes with broker, topics and QoS only") {
  JobSpec a = Spec("ndjson");
  JobSpec b = a;
  b.version = 2;
  b.batch_max_records = 7;
  CHECK(MqttSource::SessionKey(a) == MqttSource::SessionKey(b));
  b.mqtt_topics = {"sensors/#"};
  CHECK(MqttSource::SessionKey(a) != MqttSource::SessionKey(b));
  b = a;
  b.mqtt_qos = 0;
  CHECK(MqttSource::SessionKey(a) != MqttSource::SessionKey(b));
  CHECK(MqttSource::ClientId("pi-01", "climate") == "edgeline-input-pi-01-climate");
}
