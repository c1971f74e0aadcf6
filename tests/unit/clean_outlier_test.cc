// The outlier clean op: zscore, mad, hampel over a trailing window per key.
#include <catch2/catch.hpp>

#include "agent/cleaner.h"

using namespace edgeline;

namespace {
JobSpec Spec(const std::string& op) {
  auto r = ParseJobSpec(R"({"job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "ndjson"},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
               "fields": {"device": {"type": "string"}, "temp": {"type": "float"}}},
    "clean": [)" + op + "]}");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return r.value();
}

struct Feed {
  ReasonCounts drops, repairs;
  std::vector<Value> out;  // the value after the op, or "dropped"
  Feed(Cleaner& c, const std::vector<std::pair<const char*, Value>>& in) {
    int64_t ts = 0;
    for (const auto& [device, v] : in) {
      std::vector<Record> kept;
      c.Push(Record{ts++, {std::string(device), v}}, &kept, &drops, &repairs);
      out.push_back(kept.empty() ? Value{std::string("dropped")} : kept[0].values[1]);
    }
  }
};
const Value kDropped = std::string("dropped");

std::vector<std::pair<const char*, Value>> Values(const char* device, std::vector<Value> vs) {
  std::vector<std::pair<const char*, Value>> out;
  for (auto& v : vs) out.emplace_back(device, v);
  return out;
}
}  // namespace

TEST_CASE("window statistics") {
  double center, scale;
  WindowStats(CleanOp::kZScore, {2, 4, 4, 4, 5, 5, 7, 9}, &center, &scale);
  CHECK(center == 5.0);
  CHECK(scale == 2.0);  // population standard deviation
  WindowStats(CleanOp::kMad, {1, 1, 2, 2, 4, 6, 9}, &center, &scale);
  CHECK(center == 2.0);
  CHECK(scale == 1.4826);  // MAD 1
  std::vector<double> even{4, 1, 3, 2};
  CHECK(Median(&even) == 2.5);
}

TEST_CASE("outlier zscore drops a value more than k standard deviations from the mean") {
  JobSpec s = Spec(R"({"op": "outlier", "field": "temp", "method": "zscore", "window": 8, "threshold": 2,
                       "min_samples": 8, "by": []})");
  CHECK(s.clean[0].window == 8);
  CHECK(s.clean[0].threshold == 2.0);
  CHECK(s.clean[0].action == CleanOp::kDropRecord);
  Cleaner c(s);
  // The first 8 values fill the window untested; 15 is |15 - 5| = 10 > 2 * 2 from it.
  // The window keeps raw values: then {4,4,4,5,5,7,9,15}, mean 6.625, sd 3.5685...
  Feed f(c, Values("a", {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0, 15.0, 8.0, Value{}, 14.0}));
  CHECK(f.out == std::vector<Value>{2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0, kDropped, 8.0, Value{}, 14.0});
  CHECK(f.drops == ReasonCounts{{"outlier", 1}});
}

TEST_CASE("outlier actions null and clamp repair the value instead") {
  JobSpec s = Spec(R"({"op": "outlier", "field": "temp", "method": "zscore", "window": 8, "threshold": 2,
                       "min_samples": 8, "action": "clamp"})");
  Cleaner c(s);
  Feed f(c, Values("a", {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0, 15.0, -20.0}));
  // 15 -> mean + 2 sd = 9; then the window is {4,4,4,5,5,7,9,15}: -20 -> 6.625 - 2 * 3.5685...
  CHECK(f.out[8] == Value{9.0});
  CHECK(f.out[9] == Value{6.625 - 2 * 3.5685256059050494});
  CHECK(f.repairs == ReasonCounts{{"outlier_clamped", 2}});

  JobSpec sn = Spec(R"({"op": "outlier", "field": "temp", "method": "zscore", "window": 8, "threshold": 2,
                        "min_samples": 8, "action": "null"})");
  Cleaner cn(sn);
  Feed fn(cn, Values("a", {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0, 15.0}));
  CHECK(IsNull(fn.out[8]));
  CHECK(fn.repairs == ReasonCounts{{"outlier_nulled", 1}});
  CHECK(fn.drops.empty());
}

TEST_CASE("outlier mad uses the median and 1.4826 * MAD of the earlier values") {
  JobSpec s = Spec(R"({"op": "outlier", "field": "temp", "method": "mad", "window": 5, "action": "clamp"})");
  CHECK(s.clean[0].min_samples == 5);  // min(5, window)
  CHECK(s.clean[0].threshold == 3.0);
  Cleaner c(s);
  // Window {10,11,10,12,11}: median 11, MAD 1; 30 is above 11 + 3 * 1.4826.
  Feed f(c, Values("a", {10.0, 11.0, 10.0, 12.0, 11.0, 30.0, 13.0}));
  CHECK(f.out[5] == Value{11 + 3 * 1.4826});
  CHECK(f.out[6] == Value{13.0});  // window {11,10,12,11,30}: median 11, MAD 1; |13 - 11| <= 4.4478
  CHECK(f.repairs == ReasonCounts{{"outlier_clamped", 1}});
}

TEST_CASE("outlier mad with a flat window flags any other value") {
  JobSpec s = Spec(R"({"op": "outlier", "field": "temp", "method": "mad", "window": 5})");
  Cleaner c(s);
  Feed f(c, Values("a", {10.0, 10.0, 10.0, 10.0, 10.0, 10.5, 10.0}));
  CHECK(f.out[5] == kDropped);  // MAD 0: |10.5 - 10| > 0
  CHECK(f.out[6] == Value{10.0});
}

TEST_CASE("outlier hampel includes the value in its window and clamps to the median") {
  JobSpec s = Spec(R"({"op": "outlier", "field": "temp", "method": "hampel", "window": 5, "threshold": 2,
                       "min_samples": 4, "action": "clamp"})");
  Cleaner c(s);
  // {10,11,10,12} + 30: median 11, MAD 1 -> 30 is an outlier, replaced by 11.
  Feed f(c, Values("a", {10.0, 11.0, 10.0, 12.0, 30.0, 12.5}));
  CHECK(f.out[4] == Value{11.0});
  // {11,10,12,30} + 12.5: median 12, |x - 12| = {1,2,0,18,0.5} -> MAD 1; 0.5 <= 2.9652.
  CHECK(f.out[5] == Value{12.5});
  CHECK(f.repairs == ReasonCounts{{"outlier_clamped", 1}});
}

TEST_CASE("outlier keeps a window per key, and min_samples values before testing") {
  JobSpec s = Spec(R"({"op": "outlier", "field": "temp", "method": "mad", "window": 3, "min_samples": 3})");
  CHECK(s.clean[0].by.empty());  // no schema.keys: one window
  JobSpec k = Spec(R"({"op": "outlier", "field": "temp", "method": "mad", "window": 3, "min_samples": 3,
                       "by": ["device"]})");
  Cleaner c(k);
  Feed f(c, {{"a", 1.0}, {"a", 1.0}, {"b", 100.0}, {"a", 1.0}, {"b", 100.0}, {"b", 100.0},
             {"a", 100.0}, {"b", 1.0}});
  CHECK(f.out == std::vector<Value>{1.0, 1.0, 100.0, 1.0, 100.0, 100.0, kDropped, kDropped});
}

TEST_CASE("outlier forgets the least recently used key beyond max_keys") {
  JobSpec s = Spec(R"({"op": "outlier", "field": "temp", "method": "mad", "window": 3, "min_samples": 3,
                       "by": ["device"], "max_keys": 1})");
  Cleaner c(s);
  Feed f(c, {{"a", 1.0}, {"a", 1.0}, {"a", 1.0}, {"b", 5.0}, {"a", 100.0}});
  CHECK(f.out.back() == Value{100.0});  // "a" was evicted by "b": its window starts again
}
