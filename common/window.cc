#include "common/window.h"

#include <algorithm>
#include <cmath>

namespace edgeline {

void Stats::Add(double x) {
  if (shift_count_ < 0) {
    // First value, or the first since a merge or load: shift by the current mean.
    shift_ = count == 0 ? x : mean;
    dsum_ = 0;
    dsq_ = m2;
    shift_count_ = count;
  }
  ++count;
  sum += x;
  min = std::min(min, x);
  max = std::max(max, x);
  const double d = x - shift_;
  dsum_ += d;
  dsq_ += d * d;
  // Over the values since the shift (n of them) plus the m2 carried in at the shift:
  // mean = shift + dsum / count holds when the shift is the mean at shift_count_.
  const double n = static_cast<double>(count - shift_count_);
  const double before = static_cast<double>(shift_count_);
  const double total = static_cast<double>(count);
  mean = shift_ + dsum_ / total;
  // m2 = m2_at_shift + sum (x - shift)^2 - (dsum)^2 / n, then Chan's correction for
  // combining with the shift_count_ values whose mean was the shift.
  m2 = dsq_ - dsum_ * dsum_ / n + (before > 0 ? (dsum_ / n) * (dsum_ / n) * before * n / total : 0);
}

void Stats::Merge(const Stats& o) {
  if (o.count == 0) return;
  shift_count_ = -1;  // the next Add shifts by the merged mean
  if (count == 0) {
    *this = o;
    shift_count_ = -1;
    return;
  }
  double n_a = static_cast<double>(count), n_b = static_cast<double>(o.count);
  double n = n_a + n_b;
  double delta = o.mean - mean;
  mean += delta * n_b / n;
  m2 += o.m2 + delta * delta * n_a * n_b / n;
  count += o.count;
  sum += o.sum;
  min = std::min(min, o.min);
  max = std::max(max, o.max);
}

void WindowState::Add(double x, int64_t ts) {
  stats.Add(x);
  if (ts < first_ts || (ts == first_ts && x < first)) {
    first_ts = ts;
    first = x;
  }
  if (ts > last_ts || (ts == last_ts && x > last)) {
    last_ts = ts;
    last = x;
  }
  if (sketch) sketch->Add(x);
}

void WindowState::Merge(const WindowState& o) {
  if (o.stats.count == 0) return;
  stats.Merge(o.stats);
  if (o.first_ts < first_ts || (o.first_ts == first_ts && o.first < first)) {
    first_ts = o.first_ts;
    first = o.first;
  }
  if (o.last_ts > last_ts || (o.last_ts == last_ts && o.last > last)) {
    last_ts = o.last_ts;
    last = o.last;
  }
  if (o.sketch) {
    if (!sketch) {
      sketch = o.sketch;
    } else if (!sketch->Merge(*o.sketch).ok()) {
      // Different accuracy (the job's sketch_accuracy changed): keep the finer one's
      // data as is; quantiles of this window then cover the records of one side only.
      if (o.sketch->alpha() < sketch->alpha()) sketch = o.sketch;
    }
  }
}

double Stats::SampleStddev() const {
  if (count < 2) return std::nan("");
  return std::sqrt(std::max(0.0, m2) / static_cast<double>(count - 1));
}

}  // namespace edgeline
