// JSON parse throughput on the generated sensor data (bench/gen_sensor_data.py writes
// sensor.ndjson next to sensor.csv; EDGELINE_BENCH_NDJSON=FILE reads another file).
//
// Every benchmark goes over the whole file in memory per iteration, in 1 MiB chunks as
// FileSource hands them (whole lines for NDJSON), and reports bytes/s and records/s.
// The NDJSON readers extract the five keys ts, device, temp, hum, pressure.
//   BM_NdjsonParse/many:0         NdjsonReader::Mode::kPerLine: parser.iterate per line
//   BM_NdjsonParse/many:1         NdjsonReader::Mode::kBatched: iterate_many windows
//   BM_NdjsonParseDirty/many:*    the same with every 100th line cut in half (malformed,
//                                 mostly an unclosed string: the fallback's worst case)
//   BM_NdjsonParseNested/many:*   the readings nested one level ({"sensor": {...}}) and
//                                 read by JSON pointers (/sensor/temp ...)
//   BM_NdjsonFlatRead             the fast path's reader alone (agent/ndjson_flat.h): the
//                                 lines into field spans, nothing cast
//   BM_JsonArrayParse             the same records as one JSON array (input.format json)
//   BM_NdjsonPipeline/dirty:0/fast:1  JobPipeline::RunNdjsonChunk: parse, cast (ISO 8601
//                                 timestamp, 3 floats, a string), drop_null and range;
//                                 lines through the fast path (agent/ndjson_flat.h)
//   BM_NdjsonPipeline/dirty:0/fast:0  the same with every line through NdjsonReader
//   BM_NdjsonPipeline/dirty:1/fast:*  the file with every 100th line cut in half: lines
//                                 the fast path leaves to NdjsonReader, parsed alone
//   BM_SimdjsonBare/values:0      simdjson alone, the floor under the above: iterate_many
//                                 over each chunk, counting documents (stage 1 + splitting)
//   BM_SimdjsonBare/values:1      the same, visiting every field of every document and
//                                 getting its value (get_double, get_string); nothing else
//   BM_SimdjsonBare/values:2      the same, taking each value's raw token (raw_json_token)
//                                 instead: the walk without simdjson's value parsing
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/job_pipeline.h"
#include "agent/json_array_reader.h"
#include "agent/ndjson_flat.h"
#include "agent/ndjson_reader.h"
#include "bench/bench_data.h"

#ifndef EDGELINE_BENCH_NDJSON
#define EDGELINE_BENCH_NDJSON "sensor.ndjson"
#endif

namespace {

using edgeline::NdjsonReader;

constexpr size_t kChunk = size_t{1} << 20;
const std::vector<std::string> kPointers = {"/ts", "/device", "/temp", "/hum", "/pressure"};

std::string Pad(std::string s) {
  s.reserve(s.size() + edgeline::kJsonPadding);
  return s;
}

const std::string& Data() {
  static const std::string* data = new std::string(edgeline::bench::ReadBenchFile(
      "EDGELINE_BENCH_NDJSON", EDGELINE_BENCH_NDJSON, edgeline::kJsonPadding));
  return *data;
}

// Applies f to each line of the reference data and joins the results.
template <typename F>
std::string MapLines(F f) {
  const std::string& data = Data();
  std::string out;
  out.reserve(data.size() + data.size() / 8);
  size_t i = 0;
  for (size_t n = 0; i < data.size(); ++n) {
    size_t nl = data.find('\n', i);
    if (nl == std::string::npos) nl = data.size();
    f(n, std::string_view(data.data() + i, nl - i), &out);
    i = nl + 1;
  }
  return Pad(std::move(out));
}

const std::string& Dirty() {  // every 100th line cut short: malformed
  static const std::string* s =
      new std::string(MapLines([](size_t n, std::string_view l, std::string* o) {
        *o += n % 100 == 99 ? l.substr(0, l.size() / 2) : l;
        *o += '\n';
      }));
  return *s;
}

// {"ts":..,"device":..,"sensor":{"temp":..,"hum":..,"pressure":..}}
const std::string& Nested() {
  static const std::string* s =
      new std::string(MapLines([](size_t, std::string_view l, std::string* o) {
        const size_t t = l.find(",\"", l.find("\"device\""));  // the readings after the device
        if (t == std::string_view::npos) {
          *o += std::string(l) + "\n";
          return;
        }
        *o += std::string(l.substr(0, t)) + ",\"sensor\":{" + std::string(l.substr(t + 1)) + "}\n";
      }));
  return *s;
}

const std::string& Array() {  // one array, one element per line
  static const std::string* s =
      new std::string(MapLines([](size_t n, std::string_view l, std::string* o) {
                        *o += n == 0 ? "[" : ",\n";
                        *o += l;
                      }) +
                      "]\n");
  return *s;
}

// The end of the last whole line in data[from, from + kChunk), as FileSource cuts.
size_t ChunkEnd(const std::string& data, size_t from) {
  if (data.size() - from <= kChunk) return data.size();
  return data.rfind('\n', from + kChunk - 1) + 1;
}

void ParseNdjson(benchmark::State& state, const std::string& data,
                 const std::vector<std::string>& pointers) {
  const auto mode = state.range(0) ? NdjsonReader::Mode::kBatched : NdjsonReader::Mode::kPerLine;
  state.SetLabel(state.range(0) ? "iterate_many" : "per_line");
  NdjsonReader reader(pointers, size_t{1} << 20, mode);
  std::vector<edgeline::RawCell> cells;
  std::string reason;
  size_t records = 0, rejects = 0;
  for (auto _ : state) {
    records = rejects = 0;
    for (size_t from = 0; from < data.size();) {
      const size_t end = ChunkEnd(data, from);
      reader.Reset(data.data() + from, end - from);
      for (auto o = reader.Next(&cells, &reason); o != NdjsonReader::Outcome::kEnd;
           o = reader.Next(&cells, &reason)) {
        ++(o == NdjsonReader::Outcome::kRow ? records : rejects);
      }
      from = end;
    }
    benchmark::DoNotOptimize(records);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.counters["records"] = static_cast<double>(records);
  state.counters["rejects"] = static_cast<double>(rejects);
  state.counters["records/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * (records + rejects)), benchmark::Counter::kIsRate);
}

void BM_NdjsonParse(benchmark::State& state) { ParseNdjson(state, Data(), kPointers); }
void BM_NdjsonParseDirty(benchmark::State& state) { ParseNdjson(state, Dirty(), kPointers); }
void BM_NdjsonParseNested(benchmark::State& state) {
  ParseNdjson(state, Nested(),
              {"/ts", "/device", "/sensor/temp", "/sensor/hum", "/sensor/pressure"});
}

// The fast path's reader alone (agent/ndjson_flat.h): the lines into field spans, 64 at a
// time as JobPipeline::RunNdjsonFlat reads them; nothing cast.
void BM_NdjsonFlatRead(benchmark::State& state) {
  const std::string& data = Data();
  auto reader = edgeline::NdjsonFlatReader::Make(kPointers, {false, false, true, true, true},
                                                 size_t{1} << 20);
  edgeline::CsvRecords recs;
  size_t records = 0;
  for (auto _ : state) {
    records = 0;
    for (size_t from = 0; from < data.size();) {
      const size_t end = ChunkEnd(data, from);
      for (size_t pos = 0; pos < end - from;) {
        pos = reader->Read(data.data() + from, end - from, pos, 64, &recs);
        if (recs.empty()) std::abort();  // every line of this file is taken
        records += recs.size();
      }
      from = end;
    }
    benchmark::DoNotOptimize(records);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.counters["records"] = static_cast<double>(records);
}

void BM_JsonArrayParse(benchmark::State& state) {
  const std::string& data = Array();
  edgeline::JsonArrayReader reader(kPointers, size_t{1} << 20);
  std::vector<edgeline::RawCell> cells;
  std::string reason;
  size_t records = 0;
  for (auto _ : state) {
    records = 0;
    edgeline::JsonArrayCursor cursor;
    for (size_t from = 0; from < data.size();) {
      const size_t n = std::min(kChunk, data.size() - from);
      reader.Reset(data.data() + from, n, from + n == data.size(), &cursor);
      while (reader.Next(&cells, &reason) != edgeline::JsonArrayReader::Outcome::kEnd) ++records;
      from += reader.used();
    }
    benchmark::DoNotOptimize(records);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.counters["records"] = static_cast<double>(records);
  state.counters["records/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * records), benchmark::Counter::kIsRate);
}

void BM_NdjsonPipeline(benchmark::State& state) {
  const std::string& data = state.range(0) ? Dirty() : Data();
  const bool fast = state.range(1) != 0;
  auto spec = edgeline::ParseJobSpec(R"({"job_id": "b", "version": 1,
    "target": {"agents": ["a"]}, "mode": "batch", "input": {"type": "stdin", "format": "ndjson"},
    "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
               "fields": {"device": {"type": "string"}, "temp": {"type": "float"},
                          "hum": {"type": "float"}, "pressure": {"type": "float"}}},
    "clean": [{"op": "drop_null", "fields": ["temp"]},
              {"op": "range", "field": "hum", "min": 0, "max": 100}]})");
  if (!spec.ok()) std::abort();
  int64_t kept = 0;
  for (auto _ : state) {
    edgeline::JobPipeline p(spec.value(),
                            [](std::vector<edgeline::Record>&&) { return edgeline::Status::Ok(); });
    p.set_ndjson_fast_path(fast);
    for (size_t from = 0; from < data.size();) {
      const size_t end = ChunkEnd(data, from);
      if (!p.RunNdjsonChunk(data.data() + from, end - from, static_cast<int64_t>(from)).ok()) {
        std::abort();
      }
      from = end;
    }
    if (!p.Flush().ok()) std::abort();
    kept = p.counters().kept;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.counters["kept"] = static_cast<double>(kept);
}

// What simdjson On-Demand alone costs on this data: no line checks, no key matching, no
// cast, no clean. The checksum keeps the values from being optimised away.
void BM_SimdjsonBare(benchmark::State& state) {
  const std::string& data = Data();
  const int64_t values = state.range(0);
  simdjson::ondemand::parser parser;
  size_t docs = 0;
  double sum = 0;
  for (auto _ : state) {
    docs = 0;
    sum = 0;
    for (size_t from = 0; from < data.size();) {
      const size_t end = ChunkEnd(data, from);
      simdjson::ondemand::document_stream stream;
      if (parser.iterate_many(data.data() + from, end - from, kChunk).get(stream)) std::abort();
      for (auto doc : stream) {
        ++docs;
        if (!values) continue;
        simdjson::ondemand::object object;
        if (doc.get_object().get(object)) std::abort();
        for (auto field : object) {
          simdjson::ondemand::value v;
          if (field.value().get(v)) std::abort();
          if (values == 2) {
            sum += static_cast<double>(v.raw_json_token().size());
            continue;
          }
          double d;
          std::string_view text;
          if (v.get_double().get(d) == simdjson::SUCCESS) {
            sum += d;
          } else if (v.get_string().get(text) == simdjson::SUCCESS) {
            sum += static_cast<double>(text.size());
          }
        }
      }
      from = end;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.counters["docs"] = static_cast<double>(docs);
}

BENCHMARK(BM_NdjsonParse)->ArgName("many")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NdjsonParseDirty)->ArgName("many")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NdjsonParseNested)->ArgName("many")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NdjsonFlatRead)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_JsonArrayParse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NdjsonPipeline)
    ->ArgNames({"dirty", "fast"})
    ->Args({0, 1})
    ->Args({0, 0})
    ->Args({1, 1})
    ->Args({1, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimdjsonBare)
    ->ArgName("values")
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
