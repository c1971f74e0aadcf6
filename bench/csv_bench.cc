// CSV scan throughput: CsvReader (scalar reference) vs CsvScanner in scalar and SIMD mode,
// on the generated sensor data (bench/gen_sensor_data.py; the build generates ~100 MB into
// the build directory). Set EDGELINE_BENCH_CSV=FILE to use another file.
//
// Every benchmark reads the whole file from memory per iteration and reports bytes/s.
//   BM_CsvReader                CsvReader::Next over an in-memory istream (copies texts)
//   BM_CsvScan/{scalar,simd}    CsvScanner::Scan over 1 MiB windows: records and spans
//   BM_CsvScanFields/...        the same, and every field's text as a string_view
//   BM_CsvScanTarget/<target>   simd mode pinned to each Highway target this CPU supports
#include <benchmark/benchmark.h>
#include <hwy/targets.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <istream>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "agent/csv_reader.h"
#include "agent/csv_scanner.h"
#include "bench/bench_data.h"

#ifndef EDGELINE_BENCH_CSV
#define EDGELINE_BENCH_CSV "sensor.csv"
#endif

namespace {

using edgeline::CsvRecords;
using edgeline::CsvScanMode;
using edgeline::CsvScanner;

constexpr size_t kWindow = size_t{1} << 20;  // bytes per Scan call, as a streaming caller
constexpr size_t kMaxLine = size_t{1} << 20;

const std::string& Data() {
  static const std::string* data =
      new std::string(edgeline::bench::ReadBenchFile("EDGELINE_BENCH_CSV", EDGELINE_BENCH_CSV));
  return *data;
}

// A read-only istream over memory, without copying it.
class MemBuf : public std::streambuf {
 public:
  MemBuf(const char* p, size_t n) {
    char* b = const_cast<char*>(p);
    setg(b, b, b + n);
  }
};

void BM_CsvReader(benchmark::State& state) {
  const std::string& data = Data();
  size_t records = 0;
  size_t fields_total = 0;
  for (auto _ : state) {
    MemBuf mb(data.data(), data.size());
    std::istream in(&mb);
    edgeline::CsvReader reader(in, ',', kMaxLine);
    std::vector<edgeline::CsvField> fields;
    std::string reason;
    records = 0;
    fields_total = 0;
    while (true) {
      const auto o = reader.Next(&fields, &reason);
      if (o == edgeline::CsvReader::Outcome::kEnd) break;
      ++records;
      if (o == edgeline::CsvReader::Outcome::kRow) fields_total += fields.size();
    }
    benchmark::DoNotOptimize(fields_total);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.counters["records"] = static_cast<double>(records);
  state.counters["fields"] = static_cast<double>(fields_total);
}

// Scans the data in kWindow pieces like a streaming caller (without the read): each call
// gets the unconsumed tail followed by new bytes, all in place in the data buffer.
template <bool kVisitFields>
void ScanAll(CsvScanMode mode, benchmark::State& state) {
  const std::string& data = Data();
  CsvScanner scanner({',', kMaxLine, mode, ""});
  CsvRecords recs;
  std::string scratch;
  size_t records = 0;
  size_t fields_total = 0;
  for (auto _ : state) {
    records = 0;
    fields_total = 0;
    size_t text_bytes = 0;
    size_t pos = 0;
    while (true) {
      const size_t n = std::min(kWindow, data.size() - pos);
      const bool final = pos + n == data.size();
      const char* buf = data.data() + pos;
      pos += scanner.Scan(buf, n, final, &recs);
      records += recs.size();
      fields_total += recs.num_fields();
      if (kVisitFields) {
        for (size_t f = 0; f < recs.num_fields(); ++f) {
          text_bytes += edgeline::CsvFieldText(buf, recs.field(f), &scratch).size();
        }
      }
      if (final) break;
    }
    benchmark::DoNotOptimize(text_bytes);
    benchmark::DoNotOptimize(fields_total);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.counters["records"] = static_cast<double>(records);
  state.counters["fields"] = static_cast<double>(fields_total);
}

void BM_CsvScan(benchmark::State& state) {
  const CsvScanMode mode = state.range(0) ? CsvScanMode::kSimd : CsvScanMode::kScalar;
  state.SetLabel(mode == CsvScanMode::kSimd ? edgeline::CsvSimdTargetName() : "scalar");
  ScanAll<false>(mode, state);
}

void BM_CsvScanFields(benchmark::State& state) {
  const CsvScanMode mode = state.range(0) ? CsvScanMode::kSimd : CsvScanMode::kScalar;
  state.SetLabel(mode == CsvScanMode::kSimd ? edgeline::CsvSimdTargetName() : "scalar");
  ScanAll<true>(mode, state);
}

BENCHMARK(BM_CsvReader)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CsvScan)->ArgName("simd")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CsvScanFields)->ArgName("simd")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  // One benchmark per Highway target this CPU supports (SSE4, AVX2, AVX3 on x86; NEON on
  // Arm; SCALAR/EMU128 is Highway's portable fallback).
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    const std::string name = std::string("BM_CsvScanTarget/") + hwy::TargetName(target);
    benchmark::RegisterBenchmark(name.c_str(), [target](benchmark::State& state) {
      hwy::SetSupportedTargetsForTest(target);
      state.SetLabel(edgeline::CsvSimdTargetName());
      ScanAll<false>(CsvScanMode::kSimd, state);
      hwy::SetSupportedTargetsForTest(0);
    })->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
