// Mergeable window statistics (docs/architecture.md#windows).
//
// Stats holds count, sum, min, max, mean and M2 (sum of squared deviations from the
// mean). Two Stats merge with Chan et al.'s parallel formula, so merging is associative
// and commutative up to floating-point rounding: batches may arrive in any order.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <tuple>

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

// Start of the tumbling window of size `size_ms` holding `ts_ms` (floor, also for
// negative times). REQUIRES: size_ms > 0.
inline int64_t WindowStart(int64_t ts_ms, int64_t size_ms) {
  int64_t q = ts_ms / size_ms;
  if (ts_ms % size_ms != 0 && ts_ms < 0) --q;
  return q * size_ms;
}

}  // namespace edgeline
