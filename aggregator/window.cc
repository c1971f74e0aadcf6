#include "aggregator/window.h"

#include <algorithm>
#include <cmath>

namespace edgeline {

void Stats::Add(double x) {
  ++count;
  sum += x;
  min = std::min(min, x);
  max = std::max(max, x);
  double delta = x - mean;
  mean += delta / static_cast<double>(count);
  m2 += delta * (x - mean);
}

void Stats::Merge(const Stats& o) {
  if (o.count == 0) return;
  if (count == 0) {
    *this = o;
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

double Stats::SampleStddev() const {
  if (count < 2) return std::nan("");
  return std::sqrt(std::max(0.0, m2) / static_cast<double>(count - 1));
}

}  // namespace edgeline
