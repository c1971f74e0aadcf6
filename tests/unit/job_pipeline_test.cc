#include "agent/job_pipeline.h"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>

#include "agent/cast.h"
#include "agent/cleaner.h"
#include "agent/csv_reader.h"

using namespace edgeline;

namespace {
JobSpec Spec(const std::string& format, size_t batch_max = 2) {
  auto r = ParseJobSpec(R"({
    "job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": ")" +
                        format + R"("},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
               "fields": {"device": {"type": "string", "required": true},
                          "temp": {"type": "float"}}},
    "clean": [{"op": "drop_null", "fields": ["temp"]},
              {"op": "range", "field": "temp", "max": 50},
              {"op": "dedup", "by": ["device", "ts"]}]
  })");
  REQUIRE(r.ok());
  JobSpec s = r.value();
  s.batch_max_records = batch_max;
  s.batch_max_ms = 1'000'000;
  return s;
}

struct Collected {
  std::vector<size_t> batch_sizes;
  std::vector<Record> records;
  BatchSink Sink() {
    return [this](std::vector<Record>&& rs) {
      batch_sizes.push_back(rs.size());
      for (auto& r : rs) records.push_back(std::move(r));
      return Status::Ok();
    };
  }
};
}  // namespace

TEST_CASE("CSV rows are cast, cleaned, counted by reason and batched") {
  JobSpec spec = Spec("csv");
  Collected out;
  JobPipeline p(spec, out.Sink());
  std::istringstream in(
      "ts,device,temp,ignored\n"
      "1,a,10.5,x\n"
      "2,a,,x\n"      // drop_null
      "3,a,99,x\n"    // range
      "1,a,10.5,x\n"  // dedup
      "4,,1,x\n"      // missing_required
      "5,a,ERR,x\n"   // cast_error
      "zz,a,1,x\n"    // bad_timestamp
      "6,a,1\n"       // csv_field_count
      "7,b,-2,\"q,\"\"\"\n"
      "8,b,3,x\n");
  REQUIRE(p.Run(in, "test").ok());
  REQUIRE(p.Flush().ok());
  const JobCounters& c = p.counters();
  CHECK(c.read == 10);
  CHECK(c.kept == 3);
  CHECK(c.rejected == 4);
  CHECK(c.dropped == 3);
  CHECK(c.reasons == std::map<std::string, int64_t>{{"bad_timestamp", 1},
                                                    {"cast_error", 1},
                                                    {"csv_field_count", 1},
                                                    {"dedup", 1},
                                                    {"drop_null", 1},
                                                    {"missing_required", 1},
                                                    {"range", 1}});
  CHECK(c.batches == 2);
  CHECK(out.batch_sizes == std::vector<size_t>{2, 1});
  REQUIRE(out.records.size() == 3);
  CHECK(out.records[1].ts_ms == 7);
  CHECK(out.records[1].values == std::vector<Value>{std::string("b"), -2.0});
  CHECK(p.Snapshot().kept == 3);
}

TEST_CASE("a CSV header without the timestamp column fails the input") {
  JobSpec spec = Spec("csv");
  Collected out;
  JobPipeline p(spec, out.Sink());
  std::istringstream in("time,device,temp\n1,a,2\n");
  Status s = p.Run(in, "f.csv");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "f.csv: the CSV header has no column \"ts\" (the timestamp field)");
}

TEST_CASE("NDJSON rows go through the same cast and clean") {
  JobSpec spec = Spec("ndjson", 100);
  Collected out;
  JobPipeline p(spec, out.Sink());
  std::istringstream in(
      "{\"ts\": 1, \"device\": \"a\", \"temp\": 20}\n"
      "{\"ts\": 2, \"device\": \"a\", \"temp\": \"21.5\"}\n"
      "{\"ts\": 3, \"device\": \"a\"}\n"
      "{\"ts\": 4, \"device\": \"a\", \"temp\": \"n/a\"}\n"
      "{\"ts\": 5, \"device\": \"a\", \"temp\": 1\n"
      "[1]\n"
      "\n");
  REQUIRE(p.Run(in, "test").ok());
  REQUIRE(p.Flush().ok());
  const JobCounters& c = p.counters();
  CHECK(c.read == 6);
  CHECK(c.kept == 2);
  CHECK(c.reasons ==
        std::map<std::string, int64_t>{
            {"cast_error", 1}, {"drop_null", 1}, {"json_malformed", 1}, {"json_not_object", 1}});
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[1].values == std::vector<Value>{std::string("a"), 21.5});
}

TEST_CASE("a failing sink stops the job with its error") {
  JobSpec spec = Spec("csv", 1);
  JobPipeline p(spec, [](std::vector<Record>&&) { return Status::Error("broker gone"); });
  std::istringstream in("ts,device,temp\n1,a,1\n");
  Status s = p.Run(in, "x");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "broker gone");
}

TEST_CASE("positions point just after the last record read") {
  JobSpec spec = Spec("ndjson", 1);
  std::vector<int64_t> at_flush;
  JobPipeline* self = nullptr;
  JobPipeline p(spec, [&](std::vector<Record>&&) {
    at_flush.push_back(self->position());
    return Status::Ok();
  });
  self = &p;
  std::string l1 = "{\"ts\": 1, \"device\": \"a\", \"temp\": 1}\n";
  std::string bad = "nope\n";
  std::string l2 = "{\"ts\": 2, \"device\": \"a\", \"temp\": 2}\n";
  std::istringstream in(l1 + bad + l2);
  REQUIRE(p.Run(in, "x", nullptr, 100).ok());
  CHECK(at_flush == std::vector<int64_t>{100 + int64_t(l1.size()),
                                         100 + int64_t(l1.size() + bad.size() + l2.size())});
  CHECK(p.position() == 100 + int64_t(l1.size() + bad.size() + l2.size()));
}

TEST_CASE("a given CSV header lets a stream start in the middle of a file") {
  JobSpec spec = Spec("csv", 10);
  Collected out;
  JobPipeline p(spec, out.Sink());
  std::vector<std::string> header = {"device", "ts", "temp"};
  std::istringstream in("a,5,1.5\n");
  REQUIRE(p.Run(in, "x", &header, 40).ok());
  REQUIRE(p.Flush().ok());
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].ts_ms == 5);
  CHECK(p.position() == 48);
}

TEST_CASE("counters round-trip through JSON for checkpoints") {
  JobCounters c;
  c.read = 10;
  c.kept = 7;
  c.rejected = 2;
  c.dropped = 1;
  c.batches = 3;
  c.reasons = {{"range", 1}, {"cast_error", 2}};
  JobCounters d = JobCounters::FromJson(c.ToJson());
  CHECK(d.ToJson() == c.ToJson());
  CHECK(JobCounters::FromJson(nullptr).read == 0);
}

TEST_CASE("running a job over a glob that matches nothing is an error naming the pattern") {
  JobSpec spec = Spec("csv");
  spec.input_type = "file";
  spec.input_path = std::string(EDGELINE_SOURCE_DIR) + "/examples/data/{agent_id}/*.csv";
  Collected out;
  JobPipeline p(spec, out.Sink());
  Status s = RunJobInputs(&p, spec, "pi-99", "");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() ==
        "no input file matches " + std::string(EDGELINE_SOURCE_DIR) + "/examples/data/pi-99/*.csv");
}

TEST_CASE("the SIMD chunk path gives the same records and counters as the reader") {
  auto text = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  auto spec_text = text(std::string(EDGELINE_SOURCE_DIR) + "/examples/jobs/greenhouse.json");
  auto parsed = ParseJobSpec(spec_text);
  REQUIRE(parsed.ok());
  JobSpec spec = parsed.value();
  spec.batch_max_records = 1000000;
  for (const char* agent : {"pi-01", "pi-02"}) {
    std::string data =
        text(std::string(EDGELINE_SOURCE_DIR) + "/examples/data/" + agent + "/greenhouse.csv");
    Collected a, b;
    JobPipeline reader(spec, a.Sink());
    std::istringstream in(data);
    REQUIRE(reader.Run(in, agent).ok());
    REQUIRE(reader.Flush().ok());
    // The chunk path reads the header itself, as FileSource gives it the file.
    std::vector<std::string> header;
    bool skipping = false;
    size_t used = 0;
    JobPipeline chunked(spec, b.Sink());
    REQUIRE(chunked.RunCsvChunk(data.data(), data.size(), true, agent, 0, &header, &skipping, &used)
                .ok());
    REQUIRE(chunked.Flush().ok());
    CHECK(used == data.size());
    CHECK(header == std::vector<std::string>{"ts", "device", "temp", "hum", "pressure", "note"});
    INFO(agent);
    CHECK(chunked.counters().ToJson() == reader.counters().ToJson());
    CHECK(chunked.position() == static_cast<int64_t>(data.size()));
    REQUIRE(a.records.size() == b.records.size());
    for (size_t i = 0; i < a.records.size(); ++i) {
      CHECK(a.records[i].ts_ms == b.records[i].ts_ms);
      CHECK(a.records[i].values == b.records[i].values);
    }
  }
}

namespace {
JobSpec ZonedSpec(const std::string& timezone) {
  auto r = ParseJobSpec(R"({
    "job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "csv"},
    "schema": {"timestamp": {"field": "ts", "format": "strftime", "pattern": "%d.%m.%Y %H:%M",
                             "timezone": ")" +
                        timezone + R"(", "ambiguous": "reject",
                             "nonexistent": "reject"},
               "fields": {"temp": {"type": "float"}}}
  })");
  REQUIRE(r.ok());
  return r.value();
}
}  // namespace

TEST_CASE("local timestamps are read in the job's zone; DST rejects have their own reasons") {
  JobSpec spec = ZonedSpec("Europe/Berlin");
  Collected out;
  JobPipeline p(spec, out.Sink());
  std::istringstream in(
      "ts,temp\n"
      "01.07.2026 12:00,1\n"  // CEST: 10:00 UTC
      "29.03.2026 02:30,2\n"  // skipped by the spring change
      "25.10.2026 02:30,3\n"  // twice in the autumn
      "25.10.2026 03:30,4\n"  // CET: 02:30 UTC
      "2026-07-01 12:00,5\n");
  REQUIRE(p.Run(in, "test").ok());
  REQUIRE(p.Flush().ok());
  CHECK(p.counters().reasons == std::map<std::string, int64_t>{{"ambiguous_time", 1},
                                                               {"bad_timestamp", 1},
                                                               {"nonexistent_time", 1}});
  REQUIRE(out.records.size() == 2);
  // python3: datetime(2026,7,1,10,tzinfo=timezone.utc).timestamp() and (2026,10,25,2,30)
  CHECK(out.records[0].ts_ms == 1782900000000);
  CHECK(out.records[1].ts_ms == 1792895400000);
}

TEST_CASE("a time zone missing on the device fails the job before it reads anything") {
  JobSpec spec = ZonedSpec("Mars/Olympus_Mons");
  Collected out;
  JobPipeline p(spec, out.Sink());
  const std::string data = "01.07.2026 12:00,1\n";
  std::istringstream in("ts,temp\n" + data);
  Status s = p.Run(in, "test");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().rfind(
            "job spec /schema/timestamp/timezone: unknown time zone \"Mars/Olympus_Mons\"", 0) ==
        0);
  std::vector<std::string> header = {"ts", "temp"};
  bool skipping = false;
  size_t used = 0;
  CHECK(p.RunCsvChunk(data.data(), data.size(), true, "test", 8, &header, &skipping, &used)
            .message() == s.message());
  CHECK(p.Flush().message() == s.message());
  CHECK(p.counters().read == 0);
  CHECK(out.records.empty());
}

namespace {
// What a run produced: counters, kept records as text, final position.
struct Outcome {
  std::string counters;
  std::vector<std::string> records;  // "ts|v1|v2..."
  int64_t position = 0;
  bool operator==(const Outcome& o) const {
    return counters == o.counters && records == o.records && position == o.position;
  }
};

Outcome Finish(JobPipeline& p, const Collected& out) {
  REQUIRE(p.Flush().ok());
  Outcome o{p.counters().ToJson().dump(), {}, p.position()};
  for (const Record& r : out.records) {
    std::string line = std::to_string(r.ts_ms);
    for (const Value& v : r.values) line += "|" + ValueText(v);
    o.records.push_back(line);
  }
  return o;
}

// The stream path (stdin): Run() reads the stream in its own chunks.
Outcome ByReader(const JobSpec& spec, const std::string& text) {
  Collected out;
  JobPipeline p(spec, out.Sink());
  std::istringstream in(text);
  REQUIRE(p.Run(in, "t").ok());
  return Finish(p, out);
}

// The scanner path as FileSource feeds it: a chunk from where the last call stopped up to
// each cut, not final, then the rest, final.
Outcome ByChunks(const JobSpec& spec, const std::string& text, std::vector<size_t> cuts = {}) {
  Collected out;
  JobPipeline p(spec, out.Sink());
  std::vector<std::string> header;
  bool skipping = false;
  size_t at = 0;
  cuts.push_back(text.size());
  for (size_t i = 0; i < cuts.size(); ++i) {
    const bool final = i + 1 == cuts.size();
    size_t used = 0;
    REQUIRE(p.RunCsvChunk(text.data() + at, cuts[i] - at, final, "t", static_cast<int64_t>(at),
                          &header, &skipping, &used)
                .ok());
    REQUIRE(used <= cuts[i] - at);
    at += used;
  }
  CHECK(at == text.size());
  CHECK_FALSE(skipping);
  return Finish(p, out);
}

// Both paths, and the scanner path split at every byte, agree; returns the outcome.
Outcome RunAllWays(const JobSpec& spec, const std::string& text) {
  const Outcome ref = ByReader(spec, text);
  CHECK(ByChunks(spec, text) == ref);
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(ByChunks(spec, text, {cut}) == ref);
  }
  std::vector<size_t> every;  // one byte per call
  for (size_t cut = 0; cut < text.size(); ++cut) every.push_back(cut);
  CHECK(ByChunks(spec, text, every) == ref);
  return ref;
}

JobSpec OptionsSpec() {
  JobSpec spec = Spec("csv", 100);
  spec.csv_delimiter = ';';
  spec.csv_header = false;
  spec.csv_columns = {"ts", "x", "device", "temp"};
  spec.csv_comment = "#";
  spec.csv_decimal = ',';
  return spec;
}
}  // namespace

TEST_CASE("CSV without a header row, with comment lines and a decimal comma, in every path") {
  const std::string text =
      "# exported by logger \"A\"; a comment\n"
      "ts;x;device;temp\n"  // no header row: a row, and "ts" is no timestamp
      "1;a;d1;21,5\n"
      "2;a;d1;21.5\n"  // cast_error: '.' is not the decimal mark
      "#2;a;d1;1\n"
      "3;a;d1\n"  // csv_field_count: input.csv.columns has 4
      "\n"
      "4;\"a\nb\";d1;\"1,25\"\r\n"
      "5;a;\xC3\x28;1\n"  // invalid_utf8
      "6;\"x\"y;d1;1\n"   // csv_bad_quote
      "7;a;\xC3\xA9t\xC3\xA9;-0,5";
  const Outcome o = RunAllWays(OptionsSpec(), text);
  CHECK(o.records ==
        std::vector<std::string>{"1|d1|21.5", "4|d1|1.25", "7|\xC3\xA9t\xC3\xA9|-0.5"});
  CHECK(o.counters ==
        R"({"batches":1,"dropped":0,"kept":3,"read":8,"reasons":{"bad_timestamp":1,"cast_error":1,)"
        R"("csv_bad_quote":1,"csv_field_count":1,"invalid_utf8":1},"rejected":5})");
  CHECK(o.position == static_cast<int64_t>(text.size()));
}

TEST_CASE("input.csv.columns replace the header row's names, which must be as many") {
  JobSpec spec = Spec("csv", 100);
  spec.csv_columns = {"ts", "device", "temp"};
  const Outcome o = RunAllWays(spec, "time,Device (id),T\n1,a,2\n2,b\n");
  CHECK(o.records == std::vector<std::string>{"1|a|2"});
  CHECK(
      o.counters ==
      R"({"batches":1,"dropped":0,"kept":1,"read":2,"reasons":{"csv_field_count":1},"rejected":1})");

  Collected out;
  JobPipeline p(spec, out.Sink());
  std::istringstream in("ts,device\n1,a\n");
  Status s = p.Run(in, "f.csv");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "f.csv: the CSV header has 2 columns, input.csv.columns names 3");
}

TEST_CASE("invalid UTF-8 is a reject of its own, after the CSV parse errors") {
  JobSpec spec = Spec("csv", 100);
  std::vector<std::pair<std::string, std::string>> seen;  // reason, raw
  const std::string text =
      "ts,device,temp\n"
      "1,\xFF,1\n"              // invalid_utf8
      "2,\"\xFF\"x,1\n"         // csv_bad_quote first
      "3,\xE2\x82,1,extra\n"    // invalid_utf8 before csv_field_count
      "4,\xE2\x82\xAC,1\n"      // kept: the euro sign
      "5,\xED\xA0\x80,1\n"      // invalid_utf8: a UTF-16 surrogate
      "6,\xC0\xAF,1\n"          // invalid_utf8: an overlong form
      "7,a,\xF0\x9F\x8C\xA1\n"  // valid (a cast_error)
      "8,\xF0\x9F";             // invalid_utf8: the input ends inside a character
  const Outcome o = RunAllWays(spec, text);
  CHECK(o.records == std::vector<std::string>{"4|\xE2\x82\xAC|1"});
  CHECK(o.counters ==
        R"({"batches":1,"dropped":0,"kept":1,"read":8,"reasons":{"cast_error":1,"csv_bad_quote":1,)"
        R"("invalid_utf8":5},"rejected":7})");

  JobPipeline p(spec, [](std::vector<Record>&&) { return Status::Ok(); });
  p.set_reject_observer(
      [&](const std::string& reason, std::string_view raw) { seen.emplace_back(reason, raw); });
  std::vector<std::string> header;
  bool skipping = false;
  size_t used = 0;
  REQUIRE(p.RunCsvChunk(text.data(), text.size(), true, "t", 0, &header, &skipping, &used).ok());
  REQUIRE(seen.size() == 7);
  CHECK(seen[0] == std::pair<std::string, std::string>{"invalid_utf8", "1,\xFF,1\n"});
  CHECK(seen[1].first == "csv_bad_quote");
  CHECK(seen[2] == std::pair<std::string, std::string>{"invalid_utf8", "3,\xE2\x82,1,extra\n"});
  CHECK(seen[6] == std::pair<std::string, std::string>{"invalid_utf8", "8,\xF0\x9F"});
}

TEST_CASE("bytes outside rows are not checked for UTF-8: header, comments, blank lines") {
  JobSpec spec = Spec("csv", 100);
  spec.csv_comment = "#";
  const Outcome o = RunAllWays(spec, "#\xFF\nts,device,temp,\xFF\n\n1,a,1,x\n");
  CHECK(o.records == std::vector<std::string>{"1|a|1"});
  CHECK(o.counters == R"({"batches":1,"dropped":0,"kept":1,"read":1,"reasons":{},"rejected":0})");
}

TEST_CASE("NDJSON lines with invalid UTF-8 are json_malformed") {
  JobSpec spec = Spec("ndjson", 100);
  Collected out;
  JobPipeline p(spec, out.Sink());
  std::istringstream in(
      "{\"ts\": 1, \"device\": \"\xFF\", \"temp\": 1}\n{\"ts\": 2, \"device\": \"a\", \"temp\": "
      "1}\n");
  REQUIRE(p.Run(in, "t").ok());
  CHECK(p.counters().reasons == std::map<std::string, int64_t>{{"json_malformed", 1}});
  CHECK(p.counters().kept == 1);
}

TEST_CASE("RunCsvChunk leaves an open record for the next call and tells a line being dropped") {
  JobSpec spec = Spec("csv", 100);
  spec.csv_comment = "#";
  JobPipeline p(spec, [](std::vector<Record>&&) { return Status::Ok(); });
  std::vector<std::string> header;
  bool skipping = false;
  size_t used = 0;
  std::string chunk = "ts,device,temp\n1,a,1\n2,a,\"open";
  REQUIRE(p.RunCsvChunk(chunk.data(), chunk.size(), false, "t", 0, &header, &skipping, &used).ok());
  CHECK(header == std::vector<std::string>{"ts", "device", "temp"});
  CHECK(used == 21);  // up to the open record
  CHECK(p.position() == 21);
  CHECK_FALSE(skipping);
  chunk = "2,a,\"open\n\"\n# a comment, \"";
  REQUIRE(
      p.RunCsvChunk(chunk.data(), chunk.size(), false, "t", 21, &header, &skipping, &used).ok());
  CHECK(used == chunk.size());
  CHECK(skipping);  // the comment goes on in the next chunk
  chunk = "still\n3,a,1\n";
  REQUIRE(p.RunCsvChunk(chunk.data(), chunk.size(), true, "t", 60, &header, &skipping, &used).ok());
  CHECK(used == chunk.size());
  CHECK_FALSE(skipping);
  CHECK(p.position() == 72);
  CHECK(p.counters().read == 3);
  CHECK(p.counters().reasons == std::map<std::string, int64_t>{{"cast_error", 1}});
}

TEST_CASE("NDJSON from a stream and from chunks: same records, counters and rejects") {
  JobSpec spec = Spec("ndjson", 100);
  const std::string big = "{\"ts\": 9, \"device\": \"" + std::string((1 << 20) + 5, 'x') + "\"}\n";
  const std::string text = "{\"ts\": 1, \"device\": \"a\", \"temp\": 20}\n" + big +
                           "{\"ts\": 2, \"device\": \"a\", \"temp\": 21}\n{\"ts\": 3,\n[1]\n"
                           "{\"ts\": 4, \"device\": \"b\", \"temp\": 22}";
  Collected a, b;
  std::vector<std::string> rejects_a, rejects_b;
  JobPipeline streamed(spec, a.Sink());
  streamed.set_reject_observer([&](const std::string& reason, std::string_view raw) {
    rejects_a.push_back(reason + ":" + std::string(raw.substr(0, 10)));
  });
  std::istringstream in(text);
  REQUIRE(streamed.Run(in, "stdin").ok());
  REQUIRE(streamed.Flush().ok());
  CHECK(streamed.position() == static_cast<int64_t>(text.size()));

  std::string buf = text;
  buf.reserve(buf.size() + kJsonPadding);
  JobPipeline chunked(spec, b.Sink());
  chunked.set_reject_observer([&](const std::string& reason, std::string_view raw) {
    rejects_b.push_back(reason + ":" + std::string(raw.substr(0, 10)));
  });
  REQUIRE(chunked.RunNdjsonChunk(buf.data(), buf.size(), 0).ok());
  REQUIRE(chunked.Flush().ok());

  const std::string want =
      R"({"batches":1,"dropped":0,"kept":3,"read":6,"reasons":{"json_malformed":1,"json_not_object":1,"line_too_long":1},"rejected":3})";
  CHECK(streamed.counters().ToJson().dump() == want);
  CHECK(chunked.counters().ToJson().dump() == want);
  // The stream reader never holds the over-long line whole, so it cannot show it.
  CHECK(rejects_a == std::vector<std::string>{"line_too_long:", "json_malformed:{\"ts\": 3,",
                                              "json_not_object:[1]"});
  CHECK(rejects_b == std::vector<std::string>{"line_too_long:{\"ts\": 9, ",
                                              "json_malformed:{\"ts\": 3,", "json_not_object:[1]"});
  REQUIRE(a.records.size() == 3);
  REQUIRE(b.records.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(a.records[i].ts_ms == b.records[i].ts_ms);
    CHECK(a.records[i].values == b.records[i].values);
  }
}

TEST_CASE("a JSON array with path fields goes through cast and clean, rejects with their text") {
  auto parsed = ParseJobSpec(R"({
    "job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "json"},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms", "path": "/meta/t"},
               "fields": {"device": {"type": "string", "required": true, "path": "/meta/dev"},
                          "temp": {"type": "float", "path": "/readings/0/v"}}},
    "clean": [{"op": "drop_null", "fields": ["temp"]},
              {"op": "range", "field": "temp", "max": 50}]})");
  REQUIRE(parsed.ok());
  JobSpec spec = parsed.value();
  spec.batch_max_records = 1;
  spec.batch_max_ms = 1'000'000;
  const std::string text =
      "[{\"meta\": {\"t\": 1, \"dev\": \"a\"}, \"readings\": [{\"v\": 20.5}]},\n"
      " {\"meta\": {\"t\": 2, \"dev\": \"a\"}, \"readings\": []},\n"
      " {\"meta\": {\"t\": 3}, \"readings\": [{\"v\": 1}]},\n"
      " 17, {\"meta\" 1},\n"
      " {\"meta\": {\"t\": 4, \"dev\": \"b\"}, \"readings\": [{\"v\": 99}]},\n"
      " {\"meta\": {\"t\": 5, \"dev\": \"b\"}, \"readings\": [{\"v\": \"7\"}, 0]}]\n";
  Collected out;
  std::vector<int64_t> positions;
  std::vector<std::string> rejects;
  JobPipeline* self = nullptr;
  JobPipeline p(spec, [&](std::vector<Record>&& rs) {
    positions.push_back(self->position());
    for (auto& r : rs) out.records.push_back(std::move(r));
    return Status::Ok();
  });
  self = &p;
  p.set_reject_observer([&](const std::string& reason, std::string_view raw) {
    rejects.push_back(reason + ":" + std::string(raw));
  });
  std::istringstream in(text);
  REQUIRE(p.Run(in, "stdin").ok());
  REQUIRE(p.Flush().ok());
  CHECK(
      p.counters().ToJson().dump() ==
      R"({"batches":2,"dropped":2,"kept":2,"read":7,"reasons":{"drop_null":1,"json_malformed":1,"json_not_object":1,"missing_required":1,"range":1},"rejected":3})");
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[0].ts_ms == 1);
  CHECK(out.records[0].values == std::vector<Value>{std::string("a"), 20.5});
  CHECK(out.records[1].values == std::vector<Value>{std::string("b"), 7.0});
  // Each sink call sees the position just after the element that completed the batch.
  CHECK(positions == std::vector<int64_t>{static_cast<int64_t>(text.find("]},") + 2),
                                          static_cast<int64_t>(text.rfind("]}") + 2)});
  CHECK(rejects == std::vector<std::string>{
                       "missing_required:{\"meta\": {\"t\": 3}, \"readings\": [{\"v\": 1}]}",
                       "json_not_object:17", "json_malformed:{\"meta\" 1}"});
}

TEST_CASE("CSV rows cast in blocks give what casting and cleaning each row alone gives") {
  // Thousands of rows (many blocks of the column-by-column cast) mixing every outcome:
  // kept, each reject before and during the cast, each clean op's drop; a topic override.
  auto parsed = ParseJobSpec(R"({
    "job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "csv"},
    "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
               "fields": {"device": {"type": "string", "required": true},
                          "temp": {"type": "float"}, "n": {"type": "int"},
                          "ok": {"type": "bool"}, "absent": {"type": "float"}}},
    "clean": [{"op": "drop_null", "fields": ["temp"]},
              {"op": "range", "field": "temp", "min": -20, "max": 50},
              {"op": "range", "field": "n", "max": 90, "action": "clamp"}]
  })");
  REQUIRE(parsed.ok());
  JobSpec spec = parsed.value();
  spec.batch_max_ms = 3600000;  // batches sealed by size only
  std::mt19937 rng(7);
  auto pick = [&](std::initializer_list<const char*> xs) {
    return std::string(xs.begin()[rng() % xs.size()]);
  };
  std::string csv = "ts,device,temp,n,ok,extra\n";
  for (int i = 0; i < 3000; ++i) {
    const int s = i % 60;
    // Mostly the 24-byte form the column reads together (a new minute every 60 rows).
    std::string ts = "2024-03-01T00:" + std::to_string(10 + i / 60 % 50) + ":" +
                     (s < 10 ? "0" : "") + std::to_string(s) + (rng() % 4 ? ".500Z" : ".5Z");
    if (rng() % 50 == 0) ts = pick({"2024-02-30T00:00:00Z", "", "yesterday"});
    auto rare = [&](const std::string& common, std::initializer_list<const char*> odd) {
      return rng() % 8 ? common : pick(odd);
    };
    const std::string device = rare("pi-1", {"\"pi,2\"", "\"pi \"\"3\"\"\"", "", "\"\""});
    const std::string temp =
        rare(pick({"21.5", "-3.25", "1013.25", "49.875"}), {"51", "-40", "", "x1", "1e1", "\"7\""});
    const std::string n = rare("7", {"95", "-2", "", "3.5"});
    const std::string ok = rare("true", {"FALSE", "1", "", "yes"});
    std::string row = ts + "," + device + "," + temp + "," + n + "," + ok + ",e";
    if (rng() % 40 == 0) row += ",surplus";
    if (rng() % 97 == 0) row = "\"unterminated," + row;
    if (rng() % 89 == 0) row = "\xff" + row;
    csv += row + (rng() % 3 ? "\n" : "\r\n");
  }

  for (int run = 0; run < 8; ++run) {
    const bool override_device = run == 1;
    const size_t window = run == 2 ? 100 : 64 << 10;  // scan windows splitting most rows
    // Rows are cast in place at the end of the pending batch in blocks that stop where the
    // batch is full: batch sizes that do and do not divide the block size.
    spec.batch_max_records = run == 3 || run >= 5 ? 97 : run == 4 ? 1 : 1000;
    // What the sink leaves in a batch is reused for later rows: the records moved out of
    // it (0), all of them untouched (1), nothing, the vector taken (2), the first half (3).
    const int sink_mode = run < 5 ? 0 : run - 4;
    INFO("override " << override_device << ", scan window " << window << ", batch "
                     << spec.batch_max_records << ", sink " << sink_mode);
    // The reference: row by row through CastRecord and Cleaner::Apply.
    JobCounters want;
    std::vector<Record> want_records;
    {
      auto ts = TimestampParser::Create(spec.ts);
      REQUIRE(ts.ok());
      Cleaner cleaner(spec);
      std::istringstream in(csv);
      CsvReader reader(in, ',', spec.max_line_bytes);
      std::vector<CsvField> fields, header;
      std::string reason;
      REQUIRE(reader.Next(&header, &reason) == CsvReader::Outcome::kRow);
      while (true) {
        const CsvReader::Outcome o = reader.Next(&fields, &reason);
        if (o == CsvReader::Outcome::kEnd) break;
        ++want.read;
        bool utf8 = true;
        for (const auto& f : fields) utf8 = utf8 && simdjson::validate_utf8(f.text);
        if (o == CsvReader::Outcome::kRow && !utf8) reason = "invalid_utf8";
        if (o == CsvReader::Outcome::kRow && utf8 && fields.size() != header.size()) {
          reason = "csv_field_count";
        }
        if (o == CsvReader::Outcome::kRow && utf8 && fields.size() == header.size()) {
          // Cells as [ts, device, temp, n, ok, absent]: columns 0..4 and a missing one.
          std::vector<RawCell> cells(6);
          for (size_t c = 0; c < 5; ++c) {
            cells[c].text = fields[c].text;
            cells[c].kind =
                fields[c].text.empty() && !fields[c].quoted ? RawCell::kNull : RawCell::kText;
          }
          if (override_device) cells[1] = RawCell{RawCell::kText, "topic/x"};
          Record r;
          if (const char* why = CastRecord(spec, cells, &ts.value(), &r)) {
            reason = why;
          } else if (const char* drop = cleaner.Apply(&r, &want.repaired)) {
            ++want.dropped;
            ++want.reasons[drop];
            continue;
          } else {
            ++want.kept;
            want_records.push_back(std::move(r));
            continue;
          }
        }
        ++want.rejected;
        ++want.reasons[reason];
      }
    }
    Collected got;
    JobPipeline pipeline(spec, [&](std::vector<Record>&& rs) {
      got.batch_sizes.push_back(rs.size());
      for (auto& r : rs) got.records.push_back(sink_mode == 0 ? std::move(r) : r);
      if (sink_mode == 2) std::vector<Record>().swap(rs);
      if (sink_mode == 3) rs.resize(rs.size() / 2);
      return Status::Ok();
    });
    if (override_device) pipeline.set_field_override(0, "topic/x");
    pipeline.set_csv_scan_window(window);
    std::istringstream in(csv);
    REQUIRE(pipeline.Run(in, "stdin").ok());
    REQUIRE(pipeline.Flush().ok());
    const JobCounters& c = pipeline.counters();
    CHECK(c.read == want.read);
    CHECK(c.kept == want.kept);
    CHECK(c.rejected == want.rejected);
    CHECK(c.dropped == want.dropped);
    CHECK(c.reasons == want.reasons);
    CHECK(c.repaired == want.repaired);
    CHECK(c.kept > 1000);
    for (const char* reason : {"bad_timestamp", "cast_error", "csv_bad_quote", "csv_field_count",
                               "invalid_utf8", "drop_null", "range"}) {
      INFO(reason);
      CHECK(c.reasons.count(reason) == 1);  // every outcome occurs
    }
    CHECK(c.reasons.count("missing_required") == (override_device ? 0 : 1));
    CHECK(c.repaired.count("range_clamped") == 1);
    REQUIRE(got.records.size() == want_records.size());
    for (size_t i = 0; i < want_records.size(); ++i) {
      INFO(i);
      CHECK(got.records[i].ts_ms == want_records[i].ts_ms);
      CHECK(got.records[i].values == want_records[i].values);
    }
    // Every batch full but the last.
    const size_t full = want_records.size() / spec.batch_max_records;
    const size_t rest = want_records.size() % spec.batch_max_records;
    std::vector<size_t> want_sizes(full, spec.batch_max_records);
    if (rest > 0) want_sizes.push_back(rest);
    CHECK(got.batch_sizes == want_sizes);
    CHECK(c.batches == static_cast<int64_t>(want_sizes.size()));
  }
}

TEST_CASE("CSV records longer than the scan window, within and over max_line_bytes") {
  // RunCsvChunk scans a chunk 64 KiB at a time; a record longer than that must still be
  // read whole (or rejected as line_too_long), and the rows around it stay intact.
  JobSpec spec = Spec("csv", 1000);
  spec.clean.clear();
  spec.max_line_bytes = 300000;
  const std::string long_device(100000, 'd');
  std::string csv = "ts,device,temp\n";
  for (int i = 0; i < 3000; ++i) csv += std::to_string(i) + ",pi-" + std::to_string(i) + ",1.5\n";
  csv += "5000,\"" + long_device + "\",2.5\n";           // 100 KB, within the limit
  csv += "5001," + std::string(400000, 'x') + ",3.5\n";  // over it
  for (int i = 0; i < 3000; ++i) csv += std::to_string(6000 + i) + ",pi,4.5\n";
  for (bool stream : {false, true}) {
    INFO("stream " << stream);
    Collected got;
    JobPipeline pipeline(spec, got.Sink());
    if (stream) {
      std::istringstream in(csv);
      REQUIRE(pipeline.Run(in, "stdin").ok());
    } else {
      std::vector<std::string> header;
      bool skipping = false;
      size_t used = 0;
      REQUIRE(pipeline.RunCsvChunk(csv.data(), csv.size(), true, "f", 0, &header, &skipping, &used)
                  .ok());
      CHECK(used == csv.size());
    }
    REQUIRE(pipeline.Flush().ok());
    CHECK(pipeline.counters().read == 6002);
    CHECK(pipeline.counters().kept == 6001);
    CHECK(pipeline.counters().reasons == std::map<std::string, int64_t>{{"line_too_long", 1}});
    REQUIRE(got.records.size() == 6001);
    CHECK(got.records[2999].ts_ms == 2999);
    CHECK(got.records[3000].ts_ms == 5000);
    CHECK(std::get<std::string>(got.records[3000].values[0]) == long_device);
    CHECK(got.records[3001].ts_ms == 6000);
    CHECK(std::get<double>(got.records[6000].values[1]) == 4.5);
  }
}

TEST_CASE("a restart from any checkpoint with its clean state gives the uninterrupted result") {
  // Linear fill holds records across batches; previous fill and range depend on earlier
  // rows. A checkpoint (position, counters, clean state) is taken at every batch, as the
  // agent does; resuming from any of them must give exactly the records and counters of
  // one uninterrupted run: nothing lost (held or released records), nothing twice.
  auto parsed = ParseJobSpec(R"({
    "job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "csv"},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
               "fields": {"device": {"type": "string"}, "temp": {"type": "float"},
                          "hum": {"type": "float"}}},
    "clean": [{"op": "fill", "fields": ["temp"], "method": "linear", "by": ["device"],
               "max_gap": 3, "unfilled": "drop"},
              {"op": "fill", "fields": ["hum"], "method": "previous", "by": ["device"]},
              {"op": "range", "field": "temp", "min": -50, "max": 80}]
  })");
  REQUIRE(parsed.ok());
  JobSpec spec = parsed.value();
  spec.batch_max_records = 7;
  std::mt19937 rng(11);
  std::string csv = "ts,device,temp,hum\n";
  for (int i = 0; i < 400; ++i) {
    const std::string temp =
        rng() % 10 < 3 ? "" : std::to_string(static_cast<int>(rng() % 140) - 50) + ".25";
    const std::string hum = rng() % 5 == 0 ? "" : std::to_string(rng() % 100) + ".5";
    csv +=
        std::to_string(1000 * i) + ",d" + std::to_string(rng() % 4) + "," + temp + "," + hum + "\n";
  }
  const std::vector<std::string> columns = {"ts", "device", "temp", "hum"};

  struct Checkpoint {
    int64_t position;
    std::string counters, clean;
    size_t emitted;  // records in the batches up to and including this one
  };
  Collected all;
  std::vector<Checkpoint> checkpoints;
  JobPipeline* a_ptr = nullptr;
  JobPipeline a(spec, [&](std::vector<Record>&& rs) {
    for (auto& r : rs) all.records.push_back(std::move(r));
    checkpoints.push_back({a_ptr->position(), a_ptr->counters().ToJson().dump(),
                           a_ptr->CleanState().dump(), all.records.size()});
    return Status::Ok();
  });
  a_ptr = &a;
  std::istringstream in(csv);
  REQUIRE(a.Run(in, "f").ok());
  REQUIRE(a.Flush().ok());
  REQUIRE(checkpoints.size() > 20);
  CHECK(a.counters().reasons.count("fill") == 1);  // gaps over max_gap were dropped
  CHECK(a.counters().repaired.count("fill_linear") == 1);
  size_t with_held = 0;
  for (size_t c = 0; c < checkpoints.size(); ++c) {
    const Checkpoint& cp = checkpoints[c];
    INFO("restart at checkpoint " << c << ", position " << cp.position);
    with_held += cp.clean.find("queue") != std::string::npos;
    Collected rest;
    JobPipeline b(spec, rest.Sink());
    b.RestoreCounters(JobCounters::FromJson(nlohmann::json::parse(cp.counters)));
    REQUIRE(b.RestoreCleanState(nlohmann::json::parse(cp.clean)).ok());
    std::vector<std::string> header = columns;
    bool skipping = false;
    size_t used = 0;
    const size_t pos = static_cast<size_t>(cp.position);
    REQUIRE(b.RunCsvChunk(csv.data() + pos, csv.size() - pos, true, "f", cp.position, &header,
                          &skipping, &used)
                .ok());
    REQUIRE(b.Flush().ok());
    CHECK(b.counters().ToJson() == a.counters().ToJson());
    REQUIRE(cp.emitted + rest.records.size() == all.records.size());
    for (size_t i = 0; i < rest.records.size(); ++i) {
      const Record& want = all.records[cp.emitted + i];
      CHECK(rest.records[i].ts_ms == want.ts_ms);
      CHECK(rest.records[i].values == want.values);
    }
  }
  CHECK(with_held > 10);  // most checkpoints had records held by the linear fill
}

TEST_CASE("malformed clean state is refused and the clean ops start empty") {
  JobSpec spec = Spec("csv");
  Collected got;
  JobPipeline p(spec, got.Sink());
  CHECK(p.RestoreCleanState(nullptr).ok());
  CHECK_FALSE(p.RestoreCleanState(nlohmann::json::array()).ok());
  CHECK_FALSE(p.RestoreCleanState({{"ops", {{"fill", {{"0", {{"keys", 5}}}}}}}}).ok());
  // A released record of as many values as the schema has fields, then one of three.
  const nlohmann::json ok_record = nlohmann::json::array({7, nlohmann::json::array({"d", 2.5})});
  const nlohmann::json bad_record =
      nlohmann::json::array({7, nlohmann::json::array({"d", 2.5, 1})});
  CHECK(p.RestoreCleanState({{"ops", nullptr}, {"released", {ok_record}}}).ok());
  CHECK_FALSE(p.RestoreCleanState({{"ops", nullptr}, {"released", {bad_record}}}).ok());
  // The accepted record comes out at the end of the input, ahead of anything read after.
  REQUIRE(p.RestoreCleanState({{"ops", nullptr}, {"released", {ok_record}}}).ok());
  REQUIRE(p.Flush().ok());
  REQUIRE(got.records.size() == 1);
  CHECK(got.records[0].ts_ms == 7);
  CHECK(got.records[0].values == std::vector<Value>{std::string("d"), 2.5});
}

TEST_CASE("CSV float cells give ParseStrictDouble's value, whatever the texts around them") {
  // The column cast reads the commonest texts together (ParseShortDecimals); each value
  // must still be what the text alone gives. Runs of texts of one layout, broken by others
  // of the same length with the point elsewhere or another byte in its place, signs,
  // exponents and junk.
  auto parsed = ParseJobSpec(R"({
    "job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "csv"},
    "schema": {"fields": {"i": {"type": "int", "required": true}, "v": {"type": "float"}}}
  })");
  REQUIRE(parsed.ok());
  const JobSpec& spec = parsed.value();
  std::mt19937 rng(5);
  const char alphabet[] = "0123456789012345678901234567890123456789.....,e-+x ";
  std::vector<std::string> texts;
  std::string layout = "21.37";
  for (int i = 0; i < 30000; ++i) {
    if (rng() % 16 == 0) {  // a new layout: 1 to 9 bytes
      layout.assign(1 + rng() % 9, '0');
      for (char& c : layout) c = alphabet[rng() % (sizeof(alphabet) - 1)];
    }
    std::string t = layout;
    for (char& c : t) {  // mostly the same layout with other digits
      if (c >= '0' && c <= '9') c = static_cast<char>('0' + rng() % 10);
    }
    if (rng() % 8 == 0) t[rng() % t.size()] = alphabet[rng() % (sizeof(alphabet) - 1)];
    texts.push_back(t);
  }
  std::string csv = "i,v\n";
  for (size_t i = 0; i < texts.size(); ++i) {
    // A comma in the text would split the field: quote those.
    const bool quote = texts[i].find(',') != std::string::npos;
    csv += std::to_string(i) + "," + (quote ? "\"" + texts[i] + "\"" : texts[i]) + "\n";
  }
  Collected got;
  JobPipeline pipeline(spec, got.Sink());
  std::istringstream in(csv);
  REQUIRE(pipeline.Run(in, "stdin").ok());
  REQUIRE(pipeline.Flush().ok());
  size_t k = 0, kept = 0, errors = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    INFO(i << ": \"" << texts[i] << "\"");
    const bool is_null = texts[i].empty();  // never here: every text has a byte
    const std::optional<double> want = ParseStrictDouble(texts[i]);
    if (!want && !is_null) {
      ++errors;  // cast_error: no record
      continue;
    }
    REQUIRE(k < got.records.size());
    const Record& r = got.records[k++];
    REQUIRE(std::get<int64_t>(r.values[0]) == static_cast<int64_t>(i));
    if (want) {
      REQUIRE(std::holds_alternative<double>(r.values[1]));
      CHECK(std::get<double>(r.values[1]) == *want);  // bit for bit: exact parses
      ++kept;
    }
  }
  CHECK(k == got.records.size());
  CHECK(pipeline.counters().reasons.at("cast_error") == static_cast<int64_t>(errors));
  CHECK(kept > 15000);
  CHECK(errors > 1000);
}

TEST_CASE("neighbouring float columns cast side by side keep each row's first reason") {
  // Fields a..e are a run of five float columns (read four, then one, side by side), s a
  // string between them and z, the file's columns in another order. A row failing in two
  // columns is rejected with the first one's reason: cast_error or missing_required.
  auto parsed = ParseJobSpec(R"({
    "job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "csv"},
    "schema": {"fields": {"a": {"type": "float", "required": true}, "b": {"type": "float"},
                          "c": {"type": "float", "required": true}, "d": {"type": "float"},
                          "e": {"type": "float"}, "s": {"type": "string"},
                          "z": {"type": "float", "required": true}}}
  })");
  REQUIRE(parsed.ok());
  const JobSpec& spec = parsed.value();
  std::mt19937 rng(11);
  const char* const texts[] = {"21.5", "-3.25", "1013.25", "0.125", "12345678", "-0.5",
                               "7",    "",      "x1",      "1e1",   "\"7\""};
  // The file's column order: z s e d c b a. Cells in schema order for CastRecord.
  std::string csv = "z,s,e,d,c,b,a\n";
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 4000; ++i) {
    std::vector<std::string> cell(7);  // a b c d e s z
    for (size_t f = 0; f < 7; ++f) {
      cell[f] = rng() % 3 ? texts[rng() % 7] : texts[rng() % std::size(texts)];
    }
    cell[5] = "pi-" + std::to_string(i);
    csv += cell[6] + "," + cell[5] + "," + cell[4] + "," + cell[3] + "," + cell[2] + "," + cell[1] +
           "," + cell[0] + "\n";
    rows.push_back(cell);
  }
  JobCounters want;
  std::vector<Record> want_records;
  for (const auto& cell : rows) {
    std::vector<RawCell> cells(7);
    for (size_t f = 0; f < 7; ++f) {
      const bool quoted = cell[f].size() > 1 && cell[f][0] == '"';
      cells[f].text = quoted ? std::string_view(cell[f]).substr(1, cell[f].size() - 2)
                             : std::string_view(cell[f]);
      cells[f].kind = cell[f].empty() ? RawCell::kNull : RawCell::kText;
    }
    Record r;
    if (const char* why = CastRecord(spec, cells, nullptr, &r)) {
      ++want.rejected;
      ++want.reasons[why];
    } else {
      want_records.push_back(std::move(r));
    }
  }
  Collected got;
  JobPipeline pipeline(spec, got.Sink());
  std::istringstream in(csv);
  REQUIRE(pipeline.Run(in, "stdin").ok());
  REQUIRE(pipeline.Flush().ok());
  const JobCounters& c = pipeline.counters();
  CHECK(c.read == 4000);
  CHECK(c.rejected == want.rejected);
  CHECK(c.reasons == want.reasons);
  CHECK(c.reasons.at("cast_error") > 400);
  CHECK(c.reasons.at("missing_required") > 200);
  REQUIRE(got.records.size() == want_records.size());
  CHECK(got.records.size() > 1000);
  for (size_t i = 0; i < want_records.size(); ++i) {
    INFO(i);
    CHECK(got.records[i].values == want_records[i].values);
  }
}

TEST_CASE("what the sink leaves in a batch is reused: the same batches whatever it leaves") {
  // NDJSON rows (record by record) with every outcome, in place and through a linear fill
  // that holds records back; the sink moves the records out, copies them and leaves all,
  // takes the vector, or leaves the first half. The reference: the sink that takes all.
  const std::string in_place = R"([{"op": "drop_null", "fields": ["temp"]},
      {"op": "range", "field": "temp", "max": 50}, {"op": "dedup", "by": ["device", "ts"]}])";
  const std::string held = R"([{"op": "fill", "fields": ["temp"], "method": "linear",
      "by": ["device"], "max_gap": 3, "unfilled": "keep"}, {"op": "range", "field": "temp",
      "max": 50}])";
  std::string text;
  int64_t expected_in_place = 0;
  for (int i = 0; i < 600; ++i) {
    std::string temp = std::to_string(i % 40) + ".5";
    if (i % 7 == 3) temp = "\"n/a\"";  // cast_error
    if (i % 11 == 5) temp = "null";    // drop_null, or filled
    if (i % 13 == 4) temp = "99";      // range
    const std::string line = "{\"ts\": " + std::to_string(i) + ", \"device\": \"d" +
                             std::to_string(i % 3) + "\", \"temp\": " + temp + "}\n";
    text += line;
    if (i % 17 == 9) text += line;  // a duplicate: dedup
    expected_in_place += i % 7 != 3 && i % 11 != 5 && i % 13 != 4;
  }
  for (const std::string& clean : {in_place, held}) {
    auto parsed = ParseJobSpec(R"({"job_id": "t", "version": 1, "target": {"agents": ["a"]},
      "mode": "batch", "input": {"type": "stdin", "format": "ndjson"},
      "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
                 "fields": {"device": {"type": "string"}, "temp": {"type": "float"}}},
      "clean": )" + clean + "}");
    REQUIRE(parsed.ok());
    JobSpec spec = parsed.value();
    spec.batch_max_records = 7;
    spec.batch_max_ms = 3600000;
    std::vector<Record> want;
    std::vector<size_t> want_sizes;
    std::string want_counters;
    for (int sink_mode : {2, 0, 1, 3}) {
      INFO((&clean == &in_place ? "in place" : "held") << ", sink " << sink_mode);
      std::vector<Record> got;
      std::vector<size_t> sizes;
      JobPipeline p(spec, [&](std::vector<Record>&& rs) {
        sizes.push_back(rs.size());
        for (auto& r : rs) got.push_back(sink_mode == 0 ? std::move(r) : r);
        if (sink_mode == 2) std::vector<Record>().swap(rs);
        if (sink_mode == 3) rs.resize(rs.size() / 2);
        return Status::Ok();
      });
      std::istringstream in(text);
      REQUIRE(p.Run(in, "stdin").ok());
      REQUIRE(p.Flush().ok());
      if (sink_mode == 2) {
        want = got;
        want_sizes = sizes;
        want_counters = p.counters().ToJson().dump();
        if (&clean == &in_place) CHECK(p.counters().kept == expected_in_place);
        CHECK(p.counters().read == 600 + 600 / 17);
        continue;
      }
      CHECK(p.counters().ToJson().dump() == want_counters);
      CHECK(sizes == want_sizes);
      REQUIRE(got.size() == want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        INFO(i);
        CHECK(got[i].ts_ms == want[i].ts_ms);
        CHECK(got[i].values == want[i].values);
      }
    }
  }
}

TEST_CASE("counters restored after rows were counted go on from the restored ones") {
  // Reasons are counted through a cache of where each one's count is: a restore replaces
  // the counts (here by fewer: the old places are reused or freed), and later rows count
  // into the new ones.
  JobSpec spec = Spec("csv", 100);
  Collected out;
  JobPipeline p(spec, out.Sink());
  std::istringstream first("ts,device,temp\n1,a,ERR\n2,a,\n3,a,1\n");
  REQUIRE(p.Run(first, "test").ok());
  CHECK(p.counters().reasons ==
        std::map<std::string, int64_t>{{"cast_error", 1}, {"drop_null", 1}});
  JobCounters restored;
  restored.read = 10;
  restored.dropped = 1;
  restored.reasons = {{"range", 1}};
  p.RestoreCounters(restored);
  const std::vector<std::string> header = {"ts", "device", "temp"};
  std::istringstream second("4,a,ERR\n5,a,\n6,a,99\n");
  REQUIRE(p.Run(second, "test", &header).ok());
  const JobCounters& c = p.counters();
  CHECK(c.read == 13);
  CHECK(c.rejected == 1);
  CHECK(c.dropped == 3);
  CHECK(c.reasons ==
        std::map<std::string, int64_t>{{"cast_error", 1}, {"drop_null", 1}, {"range", 2}});
}
