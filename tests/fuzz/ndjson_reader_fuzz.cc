// Fuzz target: the JSON readers, alone and through the pipeline.
//  - NDJSON: iterate_many windows and line-by-line parsing must give exactly the same
//    outcomes, cells, positions and raw texts (the fallback design rests on this);
//  - JSON array: reading in chunks of any size must give the same records and reasons
//    as reading the document whole;
//  - both formats through JobPipeline (JSON pointer paths included): read = kept +
//    rejected + dropped;
//  - NDJSON with top-level keys only, through JobPipeline with and without its fast path
//    (agent/ndjson_flat.h): the same batches, positions, rejects and counters.
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "agent/job_pipeline.h"
#include "agent/json_array_reader.h"
#include "agent/ndjson_reader.h"
#include "tests/unit/pipeline_trace.h"

namespace {

using edgeline::RawCell;

const std::vector<std::string> kPointers = {"/ts", "/d", "/v/x", "/a/0", "/a/1/b", "/k~1~0", "/"};
constexpr size_t kMax = 64;

std::string Cell(const RawCell& c) {
  std::string s(1, static_cast<char>('0' + c.kind));
  if (c.kind == RawCell::kText || c.kind == RawCell::kNumber) s += std::string(c.text);
  if (c.kind == RawCell::kBool) s += c.boolean ? "t" : "f";
  return s + "|";
}

std::string NdjsonTrace(const std::string& buf, edgeline::NdjsonReader::Mode mode) {
  edgeline::NdjsonReader r(kPointers, kMax, mode);
  r.Reset(buf.data(), buf.size());
  std::vector<RawCell> cells;
  std::string reason, out;
  for (auto o = r.Next(&cells, &reason); o != edgeline::NdjsonReader::Outcome::kEnd;
       o = r.Next(&cells, &reason)) {
    if (o == edgeline::NdjsonReader::Outcome::kRow) {
      for (const auto& c : cells) out += Cell(c);
    } else {
      out += reason;
    }
    out += "@" + std::to_string(r.position()) + ":" + std::string(r.raw()) + "\n";
  }
  return out;
}

// Reads the array document in chunks of `chunk` bytes as FileSource does.
std::string ArrayTrace(const std::string& text, size_t chunk) {
  edgeline::JsonArrayReader r(kPointers, kMax);
  edgeline::JsonArrayCursor cursor;
  std::vector<RawCell> cells;
  std::string reason, out;
  size_t offset = 0;
  while (true) {
    std::string buf = text.substr(offset, chunk);
    buf.reserve(buf.size() + edgeline::kJsonPadding);
    const bool final = offset + buf.size() == text.size();
    r.Reset(buf.data(), buf.size(), final, &cursor);
    for (auto o = r.Next(&cells, &reason); o != edgeline::JsonArrayReader::Outcome::kEnd;
         o = r.Next(&cells, &reason)) {
      if (o == edgeline::JsonArrayReader::Outcome::kRow) {
        for (const auto& c : cells) out += Cell(c);
      } else {
        out += reason;
      }
      out += "\n";  // positions differ for line_too_long found at a chunk's end
    }
    if (final) break;
    if (r.used() == 0) __builtin_trap();  // chunks longer than kMax always progress
    offset += r.used();
  }
  return out;
}

edgeline::JobSpec Spec(const char* format) {
  auto r = edgeline::ParseJobSpec(std::string(R"({"job_id": "f", "version": 1,
    "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": ")") +
                                  format + R"(", "max_line_bytes": 512},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
               "fields": {"d": {"type": "string"}, "v": {"type": "float", "path": "/v/x"},
                          "n": {"type": "int", "path": "/a/0"}, "b": {"type": "bool"}}}})");
  if (!r.ok()) __builtin_trap();
  return r.value();
}

// Top-level keys only, so the fast path serves the job; `ts_format` decides whether a
// number may be the timestamp's value there.
edgeline::JobSpec FlatSpec(const char* ts_format) {
  auto r = edgeline::ParseJobSpec(std::string(R"({"job_id": "f", "version": 1,
    "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "ndjson", "max_line_bytes": 512},
    "schema": {"timestamp": {"field": "ts", "format": ")") +
                                  ts_format + R"("},
               "fields": {"d": {"type": "string"}, "v": {"type": "float"},
                          "n": {"type": "int"}, "b": {"type": "bool"}}},
    "clean": [{"op": "drop_null", "fields": ["v"]}, {"op": "range", "field": "v", "max": 50}]})");
  if (!r.ok()) __builtin_trap();
  edgeline::JobSpec spec = r.value();
  spec.batch_max_records = 3;
  return spec;
}

std::string FlatTrace(const edgeline::JobSpec& spec, const std::string& text, bool fast) {
  edgeline::PipelineTrace trace(spec);
  trace.pipeline.set_ndjson_fast_path(fast);
  std::istringstream in(text);
  if (!trace.pipeline.Run(in, "fuzz").ok() || !trace.pipeline.Flush().ok()) __builtin_trap();
  return trace.Finish();
}

void RunPipeline(const edgeline::JobSpec& spec, const std::string& text) {
  std::istringstream in(text);
  edgeline::JobPipeline p(spec,
                          [](std::vector<edgeline::Record>&&) { return edgeline::Status::Ok(); });
  (void)p.Run(in, "fuzz");
  const auto& c = p.counters();
  if (c.read != c.kept + c.rejected + c.dropped) __builtin_trap();
}

// Stops the run, showing how the two readings differ.
void Differ(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "%s differ:\n--- a\n%s--- b\n%s", what, a.c_str(), b.c_str());
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const edgeline::JobSpec ndjson = Spec("ndjson");
  static const edgeline::JobSpec array = Spec("json");
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string buf = text;
  buf.reserve(buf.size() + edgeline::kJsonPadding);
  const std::string batched = NdjsonTrace(buf, edgeline::NdjsonReader::Mode::kBatched);
  const std::string alone = NdjsonTrace(buf, edgeline::NdjsonReader::Mode::kPerLine);
  if (batched != alone) Differ("NDJSON iterate_many and per-line", batched, alone);
  const std::string whole = ArrayTrace(text, text.size() + 1);
  const std::string chunked = ArrayTrace(text, kMax + 1 + (size > 0 ? data[0] % 61 : 0));
  if (chunked != whole) Differ("JSON array chunked and whole", chunked, whole);
  RunPipeline(ndjson, text);
  RunPipeline(array, text);
  static const edgeline::JobSpec flat[] = {FlatSpec("epoch_ms"), FlatSpec("iso8601")};
  for (const edgeline::JobSpec& spec : flat) {
    const std::string fast = FlatTrace(spec, text, true);
    const std::string reference = FlatTrace(spec, text, false);
    if (fast != reference)
      Differ("NDJSON pipeline with and without the fast path", fast, reference);
  }
  return 0;
}
