#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/batch_codec.h"
#include "common/json_schema.h"

using namespace edgeline;

namespace {
Batch SampleBatch() {
  std::vector<FieldDef> fields = {{"device", FieldType::kString, true, ""},
                                  {"temp", FieldType::kFloat, false, "degC"},
                                  {"n", FieldType::kInt, false, ""},
                                  {"ok", FieldType::kBool, false, ""}};
  std::vector<Record> recs = {
      {1000, {std::string("gh-01"), 21.5, int64_t{3}, true}},
      {500, {std::string("gh-\"02\""), Value{}, int64_t{-7}, false}},
      {2000, {std::string("gh-01"), -0.125, Value{}, Value{}}},
  };
  Batch b = MakeBatch(fields, "ts", recs);
  b.header.agent_id = "pi-01";
  b.header.job_id = "gh";
  b.header.job_version = 2;
  b.header.epoch = 123456789;
  b.header.seq = 7;
  b.header.published_ms = 99;
  b.header.schema_hash = "abc";
  return b;
}

void CheckSame(const Batch& a, const Batch& b) {
  CHECK(a.header.agent_id == b.header.agent_id);
  CHECK(a.header.job_id == b.header.job_id);
  CHECK(a.header.job_version == b.header.job_version);
  CHECK(a.header.epoch == b.header.epoch);
  CHECK(a.header.seq == b.header.seq);
  CHECK(a.header.count == b.header.count);
  CHECK(a.header.first_ts == b.header.first_ts);
  CHECK(a.header.last_ts == b.header.last_ts);
  CHECK(a.header.published_ms == b.header.published_ms);
  CHECK(a.header.schema_hash == b.header.schema_hash);
  CHECK(a.ts_field == b.ts_field);
  CHECK(a.ts == b.ts);
  REQUIRE(a.columns.size() == b.columns.size());
  for (size_t i = 0; i < a.columns.size(); ++i) {
    CHECK(a.columns[i].name == b.columns[i].name);
    CHECK(a.columns[i].type == b.columns[i].type);
    CHECK(a.columns[i].values == b.columns[i].values);
  }
}
}  // namespace

TEST_CASE("MakeBatch fills count and the event-time range") {
  Batch b = SampleBatch();
  CHECK(b.header.count == 3);
  CHECK(b.header.first_ts == 500);
  CHECK(b.header.last_ts == 2000);
  CHECK(b.ts == std::vector<int64_t>{1000, 500, 2000});
}

TEST_CASE("a batch survives encode and decode, plain and zstd") {
  Batch b = SampleBatch();
  for (bool zstd : {false, true}) {
    std::string payload = EncodeBatch(b, zstd);
    CHECK((static_cast<unsigned char>(payload[0]) == 0x28) == zstd);
    auto d = DecodeBatch(payload);
    REQUIRE(d.ok());
    CheckSame(b, d.value());
  }
}

TEST_CASE("malformed batches are rejected with a reason") {
  Batch b = SampleBatch();
  std::string good = EncodeBatch(b, false);
  auto reason = [](std::string_view p, const DecodeLimits& l = {}) {
    auto d = DecodeBatch(p, l);
    REQUIRE_FALSE(d.ok());
    return d.status().message();
  };
  CHECK(reason("").rfind("invalid batch: not JSON (", 0) == 0);
  CHECK(reason("[1,2]") == "invalid batch: not a JSON object");
  CHECK(reason(good.substr(0, good.size() / 2)).rfind("invalid batch: not JSON (", 0) == 0);
  std::string v2 = good;
  v2.replace(v2.find("\"edgeline_batch\":1"), 18, "\"edgeline_batch\":2");
  CHECK(reason(v2) == "invalid batch: unsupported format version 2");
  std::string short_ts = good;
  short_ts.replace(short_ts.find("[1000,500,2000]"), 15, "[1000,500]");
  CHECK(reason(short_ts) == "invalid batch: ts has 2 entries, count is 3");
  std::string wrong_type = good;
  wrong_type.replace(wrong_type.find("21.5"), 4, "\"x\"");
  CHECK(reason(wrong_type) == "invalid batch: column \"temp\": float column holds a non-number");
  std::string bad_seq = good;
  bad_seq.replace(bad_seq.find("\"seq\":7"), 7, "\"seq\":0");
  CHECK(reason(bad_seq) == "invalid batch: seq must be >= 1, epoch and count >= 0");
  DecodeLimits small;
  small.max_payload_bytes = 10;
  CHECK(reason(good, small) == "invalid batch: payload of " + std::to_string(good.size()) +
                                   " bytes exceeds the limit of 10");
  CHECK(reason(good + " {}") == "invalid batch: trailing content after the JSON object");
  CHECK(reason(good + " x").rfind("invalid batch: not JSON (", 0) == 0);
}

TEST_CASE("a zstd frame that would decompress past the limit is refused before decompressing") {
  Batch b = SampleBatch();
  std::string payload = EncodeBatch(b, true);
  DecodeLimits l;
  l.max_decompressed_bytes = 16;
  auto d = DecodeBatch(payload, l);
  REQUIRE_FALSE(d.ok());
  CHECK(d.status().message().find("exceeds the limit of 16") != std::string::npos);
  std::string corrupt = payload;
  corrupt[corrupt.size() / 2] ^= 0x55;
  CHECK_FALSE(DecodeBatch(corrupt).ok());
}

TEST_CASE("what EncodeBatch writes conforms to schemas/batch.schema.json") {
  std::ifstream in(std::string(EDGELINE_SOURCE_DIR) + "/schemas/batch.schema.json");
  nlohmann::json schema = nlohmann::json::parse(in);
  std::string payload = EncodeBatch(SampleBatch(), false);
  auto errors = ValidateJson(schema, nlohmann::json::parse(payload));
  for (const auto& e : errors) INFO(e.ToString());
  CHECK(errors.empty());
  nlohmann::json bad = nlohmann::json::parse(payload);
  bad["columns"][1]["values"][0] = "hot";
  errors = ValidateJson(schema, bad);
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0].path == "/columns/1/values/0");
}

TEST_CASE("MarkHistorical sets the header flag in plain and zstd payloads") {
  Batch b = SampleBatch();
  b.columns[0].values[0] = std::string("\"historical\":false");  // a value cannot fool it
  for (bool zstd : {false, true}) {
    auto d = DecodeBatch(MarkHistorical(EncodeBatch(b, zstd)));
    REQUIRE(d.ok());
    CHECK(d->header.historical);
    CHECK(std::get<std::string>(d->columns[0].values[0]) == "\"historical\":false");
    CheckSame(b, d.value());
    CHECK_FALSE(DecodeBatch(EncodeBatch(b, zstd))->header.historical);
  }
}

TEST_CASE("a partials batch survives encode and decode, sketches included") {
  Batch b;
  b.header.agent_id = "pi-01";
  b.header.job_id = "gh";
  b.header.seq = 3;
  b.header.count = 4;
  b.is_partials = true;
  WindowRow r;
  r.key = WindowKey{"gh", 60000, "dev|a", "temp"};
  r.state.sketch.emplace(0.01);
  for (double x : {1.5, 2.5, -3.0, 4.0}) r.state.Add(x, 60000 + static_cast<int64_t>(x * 10));
  b.partials.push_back(r);
  for (bool zstd : {false, true}) {
    auto d = DecodeBatch(EncodeBatch(b, zstd));
    REQUIRE(d.ok());
    REQUIRE(d->is_partials);
    REQUIRE(d->partials.size() == 1);
    const WindowRow& p = d->partials[0];
    CHECK(p.key.job_id == "gh");
    CHECK(p.key.group == "dev|a");
    CHECK(p.state.stats.count == 4);
    CHECK(p.state.stats.m2 == r.state.stats.m2);
    CHECK(p.state.first == -3.0);
    CHECK(p.state.last == 4.0);
    REQUIRE(p.state.sketch.has_value());
    CHECK(*p.state.sketch == *r.state.sketch);
  }
  std::string text = EncodeBatch(b, false);
  auto bad = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    REQUIRE(t.find(from) != std::string::npos);
    t.replace(t.find(from), from.size(), to);
    auto d = DecodeBatch(t);
    REQUIRE_FALSE(d.ok());
    return d.status().message();
  };
  CHECK(bad("\"count\":4,\"sum\"", "\"count\":0,\"sum\"") ==
        "invalid batch: partial 0: partial state is inconsistent");
  CHECK(bad("\"sketch\":\"", "\"sketch\":\"!") == "invalid batch: partial 0: sketch is not base64");
  CHECK(bad("\"count\":4,\"sum\"", "\"count\":5,\"sum\"") ==
        "invalid batch: partial 0: partial sketch count differs from count");
  CHECK(bad("\"seq\":3,\"count\":4", "\"seq\":3,\"count\":3") ==
        "invalid batch: a partial summarises more records than count");
  CHECK(bad("\"kind\":\"partials\"", "\"kind\":\"rows\"") ==
        "invalid batch: kind is not \"records\" or \"partials\"");
}
