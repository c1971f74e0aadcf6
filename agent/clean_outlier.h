// The `outlier` clean op (docs/job-spec.md#outlier): z-score, MAD and Hampel tests over
// a trailing window of values per key.
#pragma once

#include <deque>
#include <vector>

#include "agent/clean_keys.h"
#include "common/job_spec.h"
#include "common/record.h"

namespace edgeline {

// The statistics of a window, exposed for tests.
double Median(std::vector<double>* values);  // reorders *values; REQUIRES: not empty
// The center and the scale an outlier test compares |x - center| with (times k):
// zscore: mean and population standard deviation; mad and hampel: median and
// 1.4826 * median absolute deviation.
void WindowStats(CleanOp::Method method, const std::vector<double>& values, double* center,
                 double* scale);

class OutlierOp {
 public:
  explicit OutlierOp(const CleanOp& op);
  // Tests r's value against its key's window, then adds the value to the window.
  // Returns "outlier" when the record is dropped, else nullptr (null and clamp actions
  // change the value and tally a repair).
  const char* Apply(Record* r, CleanTally* t);

 private:
  struct Key {
    std::deque<double> window;  // the latest values as read (before the action)
  };
  CleanOp op_;
  LruStates<Key> keys_;
  std::vector<double> scratch_;
};

}  // namespace edgeline
