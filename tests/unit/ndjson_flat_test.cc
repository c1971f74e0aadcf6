#include "agent/ndjson_flat.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <sstream>

#include "agent/ndjson_reader.h"
#include "tests/unit/pipeline_trace.h"

using namespace edgeline;

namespace {

// Columns ts, device (strings only), temp, hum (numbers too).
const std::vector<std::string> kPointers = {"/ts", "/device", "/temp", "/hum"};
const std::vector<bool> kNumbers = {false, false, true, true};

std::unique_ptr<NdjsonFlatReader> Reader(size_t max_line = 200) {
  auto r = NdjsonFlatReader::Make(kPointers, kNumbers, max_line);
  REQUIRE(r != nullptr);
  return r;
}

std::string Padded(std::string s) {
  s.reserve(s.size() + kJsonPadding);
  return s;
}

// Each record as "offset+length:" and its fields, "q" quoted or "u" unquoted, with text.
std::vector<std::string> Records(const std::string& buf, const CsvRecords& recs) {
  std::vector<std::string> out;
  for (size_t r = 0; r < recs.size(); ++r) {
    const CsvRecordSpan& rec = recs.record(r);
    std::string s = std::to_string(rec.offset) + "+" + std::to_string(rec.length) + ":";
    for (size_t k = 0; k < rec.num_fields; ++k) {
      const CsvFieldSpan& f = recs.field(r, k);
      s += std::string(f.quoted ? " q" : " u") + buf.substr(f.offset, f.length);
      if (f.escaped) s += "!";
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("a flat NDJSON line becomes one field per column, in column order") {
  auto reader = Reader();
  const std::string line1 =
      R"({"hum":45.0, "ts":"2024-03-01T00:00:01Z","x":true,"device":"pi-1","temp":-0.5})"
      "\n";
  const std::string line2 = " { \"ts\" : \"t\" ,\t\"temp\" : null , \"y\":false,\"z\":-12 } \r\n";
  const std::string line3 = "{}\n";
  const std::string buf = Padded(line1 + "\n \t\r\n" + line2 + line3);
  CsvRecords recs;
  CHECK(reader->Read(buf.data(), buf.size(), 0, 64, &recs) == buf.size());
  const size_t at2 = line1.size() + 5;
  const size_t at3 = at2 + line2.size();
  CHECK(Records(buf, recs) ==
        std::vector<std::string>{
            "0+" + std::to_string(line1.size()) + ": q2024-03-01T00:00:01Z qpi-1 u-0.5 u45.0",
            std::to_string(at2) + "+" + std::to_string(line2.size()) + ": qt u u u",
            std::to_string(at3) + "+3: u u u u"});
}

TEST_CASE("plain numbers and strings of every length are taken whole") {
  auto reader = Reader();
  for (const std::string number : {"0", "-0", "7", "0.5", "-12.25", "123456789.123456789",
                                   "12345678901234567890123456789012"}) {
    for (size_t len : {0, 1, 7, 8, 9, 15, 16, 17, 40}) {
      const std::string text(len, 'a' + static_cast<char>(len % 26));
      const std::string buf = Padded("{\"device\":\"" + text + "\",\"hum\":" + number + "}\n");
      INFO(buf);
      CsvRecords recs;
      CHECK(reader->Read(buf.data(), buf.size(), 0, 64, &recs) == buf.size());
      CHECK(Records(buf, recs) == std::vector<std::string>{"0+" + std::to_string(buf.size()) +
                                                           ": u q" + text + " u u" + number});
    }
  }
}

TEST_CASE("lines the fast path does not take stop it at their start") {
  const std::vector<std::string> lines = {
      R"({"ts":"a\"b"})",                               // an escape
      "{\"ts\":\"caf\xc3\xa9\"}",                       // non-ASCII
      "{\"ts\":\"a\tb\"}",                              // a control byte in a string
      "{\"ts\":\"a\x7f\xff\"}",                         // invalid UTF-8
      R"({"temp":1e5})",                                // an exponent
      R"({"temp":01})",                                 // a leading zero
      R"({"temp":-})",                                  // no digits
      R"({"temp":1.})",                                 // no fraction digits
      R"({"temp":.5})",                                 // no integer digits
      R"({"temp":+1})",                                 // a plus sign
      R"({"temp":123456789012345678901234567890123})",  // over 32 bytes
      R"({"device":12})",                               // a number in a string column
      R"({"temp":true})",                               // a literal in a wanted column
      R"({"temp":nul})",                                // not a literal
      R"({"x":tru})",                                   // not a literal
      R"({"x":{"a":1}})",                               // an object
      R"({"x":[1]})",                                   // an array
      R"({"temp":1,"temp":2})",                         // a wanted key twice
      R"({"ts":"a"} x)",                                // something after the object
      R"({"ts":"a"}{"ts":"b"})",                        // two objects
      R"([1])",                                         // not an object
      R"("ts")",                                        // not an object
      R"({"ts":"a",})",                                 // a trailing comma
      R"({"ts" "a"})",                                  // no colon
      R"({ts:"a"})",                                    // an unquoted key
      R"({"ts":"a")",                                   // not closed
      R"({"ts":"a)",                                    // a string not closed
      R"({"t\u0073":"a"})",                             // an escaped key
      R"({"ts":"a"}})",                                 // one brace too many
  };
  auto reader = Reader();
  for (const std::string& bad : lines) {
    INFO(bad);
    const std::string good = R"({"ts":"g"})"
                             "\n";
    const std::string buf = Padded(good + bad + "\n" + good);
    CsvRecords recs;
    CHECK(reader->Read(buf.data(), buf.size(), 0, 64, &recs) == good.size());
    CHECK(recs.size() == 1);
    // Started on it: nothing taken.
    CHECK(reader->Read(buf.data(), buf.size(), good.size(), 64, &recs) == good.size());
    CHECK(recs.empty());
  }
}

TEST_CASE(
    "the fast path stops at max_records, a line over max_line_bytes and a last line "
    "without LF") {
  auto reader = Reader(20);
  const std::string line = R"({"ts":"a","hum":1})"
                           "\n";                         // 18 bytes and the LF
  const std::string at_max = R"({"ts":"ab","hum":12})";  // 20 bytes
  const std::string over = R"({"ts":"abc","hum":12})";   // 21 bytes
  const std::string buf =
      Padded(line + line + at_max + "\n" + over + "\n" + line + R"({"ts":"a"})");
  CsvRecords recs;
  CHECK(reader->Read(buf.data(), buf.size(), 0, 2, &recs) == 2 * line.size());
  CHECK(recs.size() == 2);
  const size_t at_over = 2 * line.size() + at_max.size() + 1;
  CHECK(reader->Read(buf.data(), buf.size(), 2 * line.size(), 64, &recs) == at_over);
  CHECK(recs.size() == 1);
  const size_t after_over = at_over + over.size() + 1;
  CHECK(reader->Read(buf.data(), buf.size(), after_over, 64, &recs) == after_over + line.size());
  CHECK(recs.size() == 1);
}

TEST_CASE("the fast path serves only flat keys it can compare in two words") {
  const std::vector<bool> one = {true};
  CHECK(NdjsonFlatReader::Make({"/a~1b"}, one, 10) != nullptr);
  CHECK(NdjsonFlatReader::Make({"/thirteen_byte"}, one, 10) != nullptr);
  CHECK(NdjsonFlatReader::Make({"/fourteen_bytes"}, one, 10) == nullptr);
  CHECK(NdjsonFlatReader::Make({"/a/b"}, one, 10) == nullptr);
  CHECK(NdjsonFlatReader::Make({"/"}, one, 10) == nullptr);
  CHECK(NdjsonFlatReader::Make({"/a\"b"}, one, 10) == nullptr);
  CHECK(NdjsonFlatReader::Make({"/caf\xc3\xa9"}, one, 10) == nullptr);
  CHECK(NdjsonFlatReader::Make({"/a", "/a"}, {true, true}, 10) == nullptr);
  CHECK(NdjsonFlatReader::Make({}, {}, 10) == nullptr);
  std::vector<std::string> many;
  for (int i = 0; i < 65; ++i) many.push_back("/k" + std::to_string(i));
  CHECK(NdjsonFlatReader::Make(many, std::vector<bool>(65, true), 10) == nullptr);
  many.pop_back();
  CHECK(NdjsonFlatReader::Make(many, std::vector<bool>(64, true), 10) != nullptr);
}

namespace {

JobSpec PipelineSpec(const std::string& ts, const std::string& clean) {
  auto r = ParseJobSpec(R"({"job_id": "t", "version": 1, "target": {"agents": ["a"]},
    "mode": "batch", "input": {"type": "stdin", "format": "ndjson", "max_line_bytes": 400},
    "schema": {)" + ts + R"("fields": {"device": {"type": "string", "required": true},
      "temp": {"type": "float"}, "n": {"type": "int"}, "ok": {"type": "bool"}}},
    "clean": )" + clean +
                        "}");
  REQUIRE(r.ok());
  JobSpec s = r.value();
  s.batch_max_records = 5;
  s.batch_max_ms = 3600000;
  return s;
}

// Everything the pipeline tells: each batch with position() at the sink call, each reject
// with its raw text, the counters and the final position.
std::string Trace(const JobSpec& spec, const std::string& text, bool fast, bool stream,
                  int override_field = -1) {
  PipelineTrace trace(spec);
  JobPipeline& p = trace.pipeline;
  p.set_ndjson_fast_path(fast);
  p.set_field_override(override_field, "sensors/pi-9");  // an mqtt input's topic_field
  if (stream) {
    std::istringstream in(text);
    REQUIRE(p.Run(in, "stdin").ok());
  } else {
    // Two chunks, split at a line's end as FileSource does.
    const size_t half = text.find('\n', text.size() / 2);
    const size_t cut = half == std::string::npos ? text.size() : half + 1;
    const std::string a = Padded(text.substr(0, cut));
    const std::string b = Padded(text.substr(cut));
    REQUIRE(p.RunNdjsonChunk(a.data(), a.size(), 0).ok());
    REQUIRE(p.RunNdjsonChunk(b.data(), b.size(), static_cast<int64_t>(cut)).ok());
  }
  REQUIRE(p.Flush().ok());
  return trace.Finish();
}

// A random NDJSON line: a flat object of values the fast path takes, with blanks of every
// kind; an `odd` one has one thing the fast path must refuse, or take with its meaning: a
// value of another kind (a number in any column, a literal, an escape, ...) or a line
// that is not a flat object, is cut short or is too long.
std::string RandomLine(std::mt19937* rng, bool odd) {
  static const std::vector<std::string> keys = {"ts", "device", "temp", "n",
                                                "ok", "x",      "",     "tempx"};
  // Strings and null, taken in any column; numbers only where they cast as their text.
  static const std::vector<std::string> text = {"\"2024-03-01T00:00:01.5Z\"",
                                                "\"2024-03-01T00:00:01+01:00\"",
                                                "\"1709251201000\"",
                                                "\"pi-1\"",
                                                "\"\"",
                                                "\"n/a\"",
                                                "\"12,5\"",
                                                "null",
                                                "\"true\"",
                                                "\"1\"",
                                                "\"0\"",
                                                "\"  3\"",
                                                "\"12.5\""};
  static const std::vector<std::string> numbers = {"1709251201000",
                                                   "1709251201000.5",
                                                   "12.5",
                                                   "-0",
                                                   "0.25",
                                                   "99",
                                                   "-7.125",
                                                   "7",
                                                   "-3",
                                                   "123456789012345678901",
                                                   "9223372036854775808"};
  static const std::vector<std::string> unusual = {
      "1e3",      "01",         "-",     "true",       "false",
      "nul",      "{\"a\":1}",  "[1,2]", "\"a\\\"b\"", "\"caf\xc3\xa9\"",
      "\"a\tb\"", "\"\\u0041\""};
  static const std::vector<std::string> lines = {"",
                                                 " \t\r",
                                                 "[1]",
                                                 "\"pi-1\"",
                                                 R"({"dev\u0069ce":"k","ts":1})",
                                                 R"({"ts":1,"ts":2})",
                                                 R"({"temp":1} x)"};
  static const std::vector<std::string> blanks = {"", "", "", "", "", " ", "\t", "\r", "  "};
  auto pick = [&](const std::vector<std::string>& v) { return v[(*rng)() % v.size()]; };
  const size_t odd_kind = odd ? (*rng)() % 8 : 0;  // 1..3: the line; 4..7: a value
  if (odd_kind == 1) return pick(lines);
  std::string line = pick(blanks) + "{";
  std::vector<std::string> order = keys;  // each key once, in any order
  std::shuffle(order.begin(), order.end(), *rng);
  const size_t n = 1 + (*rng)() % 6;
  const size_t odd_value = odd_kind >= 4 ? (*rng)() % n : n;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) line += pick(blanks) + "," + pick(blanks);
    const std::string& key = order[i];
    const bool text_only = key == "ts" || key == "device" || key == "ok";
    line += "\"" + key + "\"" + pick(blanks) + ":" + pick(blanks) +
            (i == odd_value              ? pick((*rng)() % 3 ? unusual : numbers)
             : text_only || (*rng)() % 2 ? pick(text)
                                         : pick(numbers));
  }
  line += pick(blanks) + "}" + pick(blanks);
  if (odd_kind == 2) return line.substr(0, (*rng)() % line.size());  // cut short
  if (odd_kind == 3) return line + std::string(400, ' ');            // over max_line_bytes
  return line;
}

}  // namespace

TEST_CASE(
    "NDJSON through the fast path gives what NdjsonReader gives: records, rejects, "
    "positions") {
  const std::string epoch = R"("timestamp": {"field": "ts", "format": "epoch_ms"},)";
  const std::string iso = R"("timestamp": {"field": "ts", "format": "iso8601"},)";
  const std::string quick = R"([{"op": "drop_null", "fields": ["temp"]},
      {"op": "range", "field": "temp", "max": 50}])";
  const std::string dedup = R"([{"op": "dedup", "by": ["device", "ts"]},
      {"op": "range", "field": "n", "min": 0, "action": "clamp"}])";
  const std::string held = R"([{"op": "fill", "fields": ["temp"], "method": "linear",
      "by": ["device"], "max_gap": 3, "unfilled": "keep"}])";
  std::vector<JobSpec> specs = {PipelineSpec(epoch, quick), PipelineSpec(iso, dedup),
                                PipelineSpec(epoch, held), PipelineSpec("", quick)};
  // The agent_vs_pandas shape, every cell kind in each column.
  std::string sensor;
  for (int i = 0; i < 300; ++i) {
    const std::string ts = i % 2 ? std::to_string(1709251200000 + i)
                                 : "\"2024-03-01T00:00:0" + std::to_string(i % 10) + ".5Z\"";
    const std::string cells[] = {"21.5", "\"n/a\"", "null", "\"21,5\"", "99.25", "-3", "\"\""};
    sensor += "{\"ts\":" + ts + ",\"device\":\"pi-" + std::to_string(i % 4) +
              "\",\"temp\":" + cells[i % 7] + ",\"n\":" + std::to_string(i % 5 - 2) + ",\"ok\":\"" +
              (i % 3 ? "true" : "0") + "\"}\n";
  }
  std::mt19937 rng(7);
  std::string random, mixed;
  for (int i = 0; i < 20000; ++i) {
    random += RandomLine(&rng, i % 20 == 10) + (i % 50 ? "\n" : "\r\n");
  }
  random += RandomLine(&rng, false);  // a last line without LF
  for (int i = 0; i < 2000; ++i) mixed += RandomLine(&rng, i % 3 == 0) + "\n";
  for (size_t s = 0; s < specs.size(); ++s) {
    for (const std::string* text : {&sensor, &random, &mixed}) {
      for (bool stream : {false, true}) {
        INFO("spec " << s
                     << (text == &sensor   ? ", sensor"
                         : text == &random ? ", random"
                                           : ", mixed")
                     << (stream ? ", stream" : ", chunks"));
        const std::string want = Trace(specs[s], *text, false, stream);
        const std::string got = Trace(specs[s], *text, true, stream);
        CHECK(got == want);
      }
    }
  }
  for (int field : {0, 1}) {  // device (a string), temp (a float) from the topic
    INFO("override " << field);
    CHECK(Trace(specs[0], random, true, true, field) ==
          Trace(specs[0], random, false, true, field));
  }
  // The reference really read rows and rejects of each kind (the sensor text in spec 0).
  const std::string sensor_trace = Trace(specs[0], sensor, true, false);
  CHECK(sensor_trace.find("reject cast_error") != std::string::npos);
  CHECK(sensor_trace.find("reject bad_timestamp") != std::string::npos);
  CHECK(sensor_trace.find(R"("kept":)") != std::string::npos);
}
