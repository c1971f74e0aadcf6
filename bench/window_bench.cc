// Aggregator benchmarks (docs/benchmarks.md#aggregator):
//   BM_WindowMerge: WindowStore::Apply, records/s for 4 numeric fields with count, mean,
//     min, max, stddev and one quantile sketch, 10 devices, 1-minute windows.
//   BM_AggregatorPath: the aggregator's work per batch without MQTT: zstd + simdjson
//     decode, dedup, window merge, and a SQLite commit every 20 batches (one flush
//     interval's worth), from batches of 5000 records.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "aggregator/applied_set.h"
#include "aggregator/store.h"
#include "common/batch_codec.h"
#include "common/job_spec.h"
#include "common/window_store.h"

namespace {

using namespace edgeline;

const JobSpec& Spec() {
  static const JobSpec spec = [] {
    auto r = ParseJobSpec(R"({"job_id": "bench", "version": 1, "target": {"agents": ["a"]},
      "mode": "batch", "input": {"type": "stdin", "format": "csv"},
      "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
                 "fields": {"device": {"type": "string"}, "temp": {"type": "float"},
                            "hum": {"type": "float"}, "pressure": {"type": "float"},
                            "co2": {"type": "float"}}},
      "aggregate": {"window": {"type": "tumbling", "size": "1m"}, "group_by": ["device"],
        "metrics": {"temp": ["count", "mean", "min", "max", "stddev", "p99"],
                    "hum": ["count", "mean", "min", "max", "stddev"],
                    "pressure": ["count", "mean", "min", "max", "stddev"],
                    "co2": ["count", "mean", "min", "max", "stddev"]}}})");
    if (!r.ok()) std::abort();
    return r.value();
  }();
  return spec;
}

// Batch number `seq` of 5000 records: 10 devices, one record per device every 100 ms.
Batch MakeBench(int64_t seq) {
  std::mt19937_64 rng(seq);
  std::normal_distribution<double> d(20, 3);
  std::vector<Record> recs;
  recs.reserve(5000);
  for (int i = 0; i < 5000; ++i) {
    int64_t n = seq * 5000 + i;
    recs.push_back(Record{1793491200000 + (n / 10) * 100,
                          {std::string("dev-") + std::to_string(n % 10), d(rng), d(rng) + 40,
                           d(rng) + 990, d(rng) * 20 + 400}});
  }
  Batch b = MakeBatch(Spec().fields, "ts", recs);
  b.header.agent_id = "pi-01";
  b.header.job_id = "bench";
  b.header.job_version = 1;
  b.header.epoch = 1;
  b.header.seq = seq + 1;
  b.header.spool_floor = seq + 1;
  return b;
}

void BM_WindowMerge(benchmark::State& state) {
  std::vector<Batch> batches;
  for (int64_t i = 0; i < 20; ++i) batches.push_back(MakeBench(i));
  WindowStore ws;
  size_t i = 0;
  for (auto _ : state) {
    ws.Apply(batches[i++ % batches.size()], Spec());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 5000);
}
BENCHMARK(BM_WindowMerge)->Unit(benchmark::kMillisecond);

void BM_AggregatorPath(benchmark::State& state) {
  std::vector<std::string> payloads;
  for (int64_t i = 0; i < 200; ++i) payloads.push_back(EncodeBatch(MakeBench(i), true));
  auto dir = std::filesystem::temp_directory_path() / "edgeline-bench-agg";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = Store::Open((dir / "bench.db").string());
  if (!store.ok()) std::abort();
  WindowStore ws;
  AppliedSet applied;
  CommitSet pending;
  int64_t seq_base = 0;
  size_t i = 0;
  for (auto _ : state) {
    auto b = DecodeBatch(payloads[i % payloads.size()]);
    if (!b.ok()) std::abort();
    // Each round through the payloads is a new epoch, so nothing is a duplicate.
    BatchStream s{b->header.agent_id, b->header.job_id, seq_base + 1};
    if (!applied.Contains(s, b->header.seq)) {
      ws.Apply(b.value(), Spec());
      applied.Insert(s, b->header.seq, b->header.spool_floor);
      pending.keys.push_back({s.agent_id, s.job_id, s.epoch, b->header.seq, b->header.count});
    }
    if (++i % 20 == 0) {
      ws.TakeDirty(&pending.windows, &pending.max_event_ts);
      pending.marks = applied.TakeChangedMarks();
      if (!store.value()->Commit(pending, 1).ok()) std::abort();
      pending = CommitSet();
    }
    if (i % payloads.size() == 0) ++seq_base;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 5000);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AggregatorPath)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
