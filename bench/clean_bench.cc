// The agent's per-record path on the generated sensor data (bench/gen_sensor_data.py):
// parse + cast + drop_null + range + batch, as JobPipeline runs it for a file input.
//
//   BM_CsvClean   JobPipeline::RunCsvChunk over 1 MiB windows of the CSV, each starting
//                 where the last complete record of the previous one ended (as FileSource
//                 reads), batches of 5000 to a sink that only counts them
//
// Reports bytes/s of input and records/s (rows read). Set EDGELINE_BENCH_CSV=FILE to use
// another file.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "agent/job_pipeline.h"
#include "bench/bench_data.h"

#ifndef EDGELINE_BENCH_CSV
#define EDGELINE_BENCH_CSV "sensor.csv"
#endif

namespace {

constexpr size_t kWindow = size_t{1} << 20;

const std::string& Csv() {
  static const std::string* data =
      new std::string(edgeline::bench::ReadBenchFile("EDGELINE_BENCH_CSV", EDGELINE_BENCH_CSV));
  return *data;
}

// The job of docs/benchmarks.md: cast ts/device/temp/hum/pressure, drop_null, range.
const edgeline::JobSpec& Spec() {
  static const edgeline::JobSpec spec = [] {
    auto r = edgeline::ParseJobSpec(R"({"job_id": "bench", "version": 1,
      "target": {"agents": ["local"]}, "mode": "batch",
      "input": {"type": "stdin", "format": "csv"},
      "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
                 "fields": {"device": {"type": "string", "required": true},
                            "temp": {"type": "float"}, "hum": {"type": "float"},
                            "pressure": {"type": "float"}}},
      "clean": [{"op": "drop_null", "fields": ["temp", "hum"]},
                {"op": "range", "field": "hum", "min": 0, "max": 100}]})");
    if (!r.ok()) {
      std::fprintf(stderr, "bench spec: %s\n", r.status().message().c_str());
      std::exit(1);
    }
    return r.value();
  }();
  return spec;
}

void BM_CsvClean(benchmark::State& state) {
  const std::string& data = Csv();
  int64_t kept = 0, read = 0;
  for (auto _ : state) {
    size_t batches = 0;
    edgeline::JobPipeline pipeline(Spec(), [&](std::vector<edgeline::Record>&& records) {
      batches += records.size() > 0;
      return edgeline::Status::Ok();
    });
    std::vector<std::string> header;  // read from the first chunk
    bool skipping = false;
    size_t pos = 0;
    while (pos < data.size()) {
      const size_t end = std::min(pos + kWindow, data.size());
      size_t used = 0;
      edgeline::Status s =
          pipeline.RunCsvChunk(data.data() + pos, end - pos, end == data.size(), "bench",
                               static_cast<int64_t>(pos), &header, &skipping, &used);
      if (!s.ok()) state.SkipWithError(s.message().c_str());
      pos += used;
    }
    (void)pipeline.Flush();
    kept = pipeline.counters().kept;
    read = pipeline.counters().read;
    benchmark::DoNotOptimize(batches);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.SetItemsProcessed(state.iterations() * read);
  state.counters["read"] = static_cast<double>(read);
  state.counters["kept"] = static_cast<double>(kept);
}

BENCHMARK(BM_CsvClean)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
