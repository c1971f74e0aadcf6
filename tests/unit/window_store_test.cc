#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "common/window_store.h"

using namespace edgeline;

namespace {
JobSpec Spec(const std::string& aggregate) {
  auto r = ParseJobSpec(R"({"job_id": "j", "version": 1, "target": {"agents": ["a"]},
    "mode": "batch", "input": {"type": "stdin", "format": "csv"},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
               "fields": {"dev": {"type": "string"}, "v": {"type": "float"}}},
    "aggregate": )" + aggregate + "}");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return r.value();
}

Batch Make(const JobSpec& spec, const std::vector<std::pair<int64_t, double>>& rows,
           const std::string& dev = "d", int64_t seq = 1) {
  std::vector<Record> recs;
  for (auto [ts, v] : rows) recs.push_back(Record{ts, {dev, v}});
  Batch b = MakeBatch(spec.fields, spec.ts_field, recs);
  b.header.agent_id = "a";
  b.header.job_id = "j";
  b.header.seq = seq;
  return b;
}

std::map<int64_t, WindowRow> Rows(WindowStore& ws) {
  std::vector<WindowRow> rows;
  std::map<std::string, int64_t> marks;
  ws.TakeDirty(&rows, &marks);
  std::map<int64_t, WindowRow> out;
  for (auto& r : rows) out[r.key.start] = r;
  return out;
}
}  // namespace

TEST_CASE("hopping windows put each record in size / slide windows") {
  CHECK([] {
    std::vector<int64_t> s;
    WindowStarts(25, 30, 10, &s);
    return s;
  }() == std::vector<int64_t>{20, 10, 0});
  JobSpec spec = Spec(R"({"window": {"type": "hopping", "size": "30ms", "slide": "10ms"},
                          "metrics": {"v": ["count", "sum"]}})");
  WindowStore ws;
  auto r = ws.Apply(Make(spec, {{5, 1}, {25, 2}, {31, 4}}), spec);
  CHECK(r.merged == 3);
  auto rows = Rows(ws);
  std::map<int64_t, std::pair<int64_t, double>> got;
  for (auto& [start, row] : rows) got[start] = {row.state.stats.count, row.state.stats.sum};
  CHECK(got == std::map<int64_t, std::pair<int64_t, double>>{
                   {-20, {1, 1}}, {-10, {1, 1}}, {0, {2, 3}}, {10, {2, 6}}, {20, {2, 6}},
                   {30, {1, 4}}});
  CHECK(rows[0].end == 30);
}

TEST_CASE("without allowed_lateness nothing is late") {
  JobSpec spec = Spec(R"({"window": {"type": "tumbling", "size": "1s"},
                          "metrics": {"v": ["count"]}})");
  WindowStore ws;
  ws.Apply(Make(spec, {{100000, 1}}), spec);
  auto r = ws.Apply(Make(spec, {{0, 1}}, "d", 2), spec);
  CHECK(r.late == 0);
  CHECK(r.merged == 1);
}

TEST_CASE("late records are dropped and counted by default") {
  JobSpec spec = Spec(R"({"window": {"type": "tumbling", "size": "1s"},
                          "allowed_lateness": "2s", "metrics": {"v": ["count", "sum"]}})");
  WindowStore ws;
  ws.Apply(Make(spec, {{500, 1}, {5500, 1}}), spec);  // watermark now 3500
  Rows(ws);
  // Window [2000, 3000) is final (3000 <= 3500); [3000, 4000) is not.
  auto r = ws.Apply(Make(spec, {{2999, 10}, {3000, 20}}, "d", 2), spec);
  CHECK(r.late == 1);
  CHECK(r.late_dropped == 1);
  CHECK(r.merged == 1);
  auto rows = Rows(ws);
  CHECK(rows.count(2000) == 0);
  CHECK(rows.at(3000).state.stats.sum == 20);
  CHECK(rows.at(3000).revision == 0);
}

TEST_CASE("with late_policy revise a late record updates the window and bumps its revision") {
  JobSpec spec = Spec(R"({"window": {"type": "tumbling", "size": "1s"},
                          "allowed_lateness": "0", "late_policy": "revise",
                          "metrics": {"v": ["count", "sum"]}})");
  WindowStore ws;
  ws.Apply(Make(spec, {{500, 1}, {1500, 1}}), spec);  // watermark 1500: [0, 1000) final
  auto r = ws.Apply(Make(spec, {{600, 5}}, "d", 2), spec);
  CHECK(r.late == 1);
  CHECK(r.late_dropped == 0);
  auto rows = Rows(ws);
  CHECK(rows.at(0).state.stats.count == 2);
  CHECK(rows.at(0).state.stats.sum == 6);
  CHECK(rows.at(0).revision == 1);
  std::vector<WindowRow> none;
  std::map<std::string, int64_t> marks;
  ws.TakeDirty(&none, &marks);
  CHECK(none.empty());
}

TEST_CASE("the watermark of a batch is the one before it: a batch is not late to itself") {
  JobSpec spec = Spec(R"({"window": {"type": "tumbling", "size": "1s"},
                          "allowed_lateness": "0", "metrics": {"v": ["count"]}})");
  WindowStore ws;
  auto r = ws.Apply(Make(spec, {{9000, 1}, {100, 1}}), spec);
  CHECK(r.late == 0);
  std::vector<WindowRow> rows;
  std::map<std::string, int64_t> marks;
  ws.TakeDirty(&rows, &marks);
  CHECK(marks == std::map<std::string, int64_t>{{"j", 9000}});
}

TEST_CASE("any order of batches gives the same rows, first/last and quantiles included") {
  JobSpec spec = Spec(R"({"window": {"type": "tumbling", "size": "1m"},
                          "metrics": {"v": ["count", "first", "last", "p50", "p99"]}})");
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(1, 1);
  std::vector<Batch> batches;
  std::vector<double> all;
  for (int b = 0; b < 20; ++b) {
    std::vector<std::pair<int64_t, double>> rows;
    for (int i = 0; i < 500; ++i) {
      double v = dist(rng);
      rows.push_back({static_cast<int64_t>(rng() % 60000), v});
      all.push_back(v);
    }
    batches.push_back(Make(spec, rows, "d", b + 1));
  }
  auto run = [&](std::vector<Batch> order) {
    WindowStore ws;
    for (const auto& b : order) ws.Apply(b, spec);
    return Rows(ws).at(0);
  };
  WindowRow fwd = run(batches);
  std::shuffle(batches.begin(), batches.end(), rng);
  WindowRow shuffled = run(batches);
  CHECK(fwd.state.stats.count == 10000);
  CHECK(fwd.state.first_ts == shuffled.state.first_ts);
  CHECK(fwd.state.first == shuffled.state.first);
  CHECK(fwd.state.last == shuffled.state.last);
  REQUIRE(fwd.state.sketch.has_value());
  CHECK(*fwd.state.sketch == *shuffled.state.sketch);
  std::sort(all.begin(), all.end());
  for (double q : {0.5, 0.99}) {
    double exact = all[static_cast<size_t>(q * (all.size() - 1))];
    CHECK(std::abs(fwd.state.sketch->Quantile(q) - exact) <= 0.01 * exact);
  }
}

TEST_CASE("retention forgets windows that ended before the cutoff, dirty ones too") {
  JobSpec spec = Spec(R"({"window": {"type": "tumbling", "size": "1s"},
                          "metrics": {"v": ["count"]}})");
  WindowStore ws;
  ws.Apply(Make(spec, {{500, 1}, {1500, 1}, {2500, 1}}), spec);
  CHECK(ws.DropEndedBefore(2001) == 2);  // [0,1000) and [1000,2000)
  CHECK(ws.size() == 1);
  auto rows = Rows(ws);
  CHECK(rows.size() == 1);
  CHECK(rows.count(2000) == 1);
}

TEST_CASE("partials merge like the records they summarise, and must fit the job") {
  JobSpec spec = Spec(R"({"window": {"type": "tumbling", "size": "1s"},
                          "allowed_lateness": "0", "metrics": {"v": ["count", "sum", "p50"]}})");
  Batch records = Make(spec, {{100, 1}, {200, 2}, {1500, 4}});
  WindowStore direct;
  direct.Apply(records, spec);
  Batch partials;
  partials.header = records.header;
  partials.is_partials = true;
  partials.partials = WindowStore::Summarise(records, spec);
  REQUIRE(partials.partials.size() == 2);
  WindowStore merged;
  auto r = merged.ApplyPartials(partials, spec);
  REQUIRE(r.ok());
  CHECK(r->merged == 3);
  auto a = Rows(direct), b = Rows(merged);
  REQUIRE(a.size() == b.size());
  for (auto& [start, row] : a) {
    CHECK(row.state.stats.count == b[start].state.stats.count);
    CHECK(row.state.stats.sum == b[start].state.stats.sum);
    CHECK(*row.state.sketch == *b[start].state.sketch);
  }
  // The watermark is now 1500: a partial for [0, 1000) is late and dropped.
  auto late = merged.ApplyPartials(partials, spec);
  REQUIRE(late.ok());
  CHECK(late->late == 2);
  Batch misaligned = partials;
  misaligned.partials[0].key.start = 250;
  auto bad = merged.ApplyPartials(misaligned, spec);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "partial start 250 is not a window start of the job");
}
