// Mergeable window statistics (docs/architecture.md#windows).
//
// Stats holds count, sum, min, max, mean and M2 (sum of squared deviations from the
// mean). Values are added with the shifted-data method and two Stats merge with Chan et
// al.'s parallel formula, so merging is associative and commutative up to floating-point
// rounding: batches may arrive in any order.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "common/ddsketch.h"

namespace edgeline {

struct Stats {
  int64_t count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double mean = 0;
  double m2 = 0;

  void Add(double x);
  void Merge(const Stats& o);
  // Sample standard deviation (n - 1); NaN when count < 2.
  double SampleStddev() const;

 private:
  // Add() accumulates deviations from a shift (the first value, or the mean after a
  // merge or a load): x - shift is exact for x near the shift, so mean and m2 stay
  // accurate even for large offsets (1e9 + small noise), where a running mean would
  // accumulate rounding. Not persisted: mean and m2 are the state.
  double shift_ = 0;
  double dsum_ = 0;  // sum of (x - shift) since the shift was set
  double dsq_ = 0;   // sum of (x - shift)^2, plus m2 as of the shift
  int64_t shift_count_ = -1;  // count when the shift was set; -1: not set (loaded rows)
};

// Everything a window row keeps for one field. Merging is associative and commutative:
// first/last are the values at the smallest/largest event time, ties going to the
// smaller/larger value, so any order of batches gives the same row.
struct WindowState {
  Stats stats;
  int64_t first_ts = std::numeric_limits<int64_t>::max();
  double first = 0;
  int64_t last_ts = std::numeric_limits<int64_t>::min();
  double last = 0;
  std::optional<DDSketch> sketch;  // when the job asks for quantiles of this field

  void Add(double x, int64_t ts);
  void Merge(const WindowState& o);
};

// Identifies one window row: (job, window start, group key, field).
struct WindowKey {
  std::string job_id;
  int64_t start = 0;
  std::string group;  // values of the job's group_by fields joined with '|'
  std::string field;
  bool operator<(const WindowKey& o) const {
    return std::tie(job_id, start, group, field) < std::tie(o.job_id, o.start, o.group, o.field);
  }
};

// One stored window row: its key, end, state and revision.
struct WindowRow {
  WindowKey key;
  int64_t end = 0;
  WindowState state;
  int64_t revision = 0;  // late records applied after the window became final
};

// Start of the tumbling window of size `size_ms` holding `ts_ms` (floor, also for
// negative times). REQUIRES: size_ms > 0.
inline int64_t WindowStart(int64_t ts_ms, int64_t size_ms) {
  int64_t q = ts_ms / size_ms;
  if (ts_ms % size_ms != 0 && ts_ms < 0) --q;
  return q * size_ms;
}

// Starts of every window of `size_ms` starting each `slide_ms` that holds `ts_ms`, latest
// first (one start for tumbling windows, where slide == size). REQUIRES: 0 < slide <= size.
inline void WindowStarts(int64_t ts_ms, int64_t size_ms, int64_t slide_ms,
                         std::vector<int64_t>* out) {
  out->clear();
  for (int64_t s = WindowStart(ts_ms, slide_ms); s + size_ms > ts_ms; s -= slide_ms) {
    out->push_back(s);
  }
}

}  // namespace edgeline
