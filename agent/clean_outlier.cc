#include "agent/clean_outlier.h"

#include <algorithm>
#include <cmath>

namespace edgeline {

double Median(std::vector<double>* v) {
  const size_t n = v->size();
  auto mid = v->begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(v->begin(), mid, v->end());
  double hi = *mid;
  if (n % 2 == 1) return hi;
  double lo = *std::max_element(v->begin(), mid);
  return (lo + hi) / 2;
}

void WindowStats(CleanOp::Method method, const std::vector<double>& values, double* center,
                 double* scale) {
  const double n = static_cast<double>(values.size());
  if (method == CleanOp::kZScore) {
    double sum = 0;
    for (double x : values) sum += x;
    const double mean = sum / n;
    double ss = 0;
    for (double x : values) ss += (x - mean) * (x - mean);
    *center = mean;
    *scale = std::sqrt(ss / n);
    return;
  }
  std::vector<double> v = values;
  const double m = Median(&v);
  for (double& x : v) x = std::fabs(x - m);
  *center = m;
  *scale = 1.4826 * Median(&v);
}

OutlierOp::OutlierOp(const CleanOp& op) : op_(op), keys_(static_cast<size_t>(op.max_keys)) {}

const char* OutlierOp::Apply(Record* r, CleanTally* t) {
  Value& v = r->values[op_.field];
  if (IsNull(v)) return nullptr;
  const double x = AsDouble(v);
  Key& k = keys_.Get(RecordKey(*r, op_.by));
  bool outlier = false;
  double replacement = x;
  if (static_cast<int64_t>(k.window.size()) >= op_.min_samples) {
    scratch_.assign(k.window.begin(), k.window.end());
    if (op_.method == CleanOp::kHampel) {
      // The value and the window - 1 before it: the trailing form of Hampel's window.
      if (static_cast<int64_t>(scratch_.size()) >= op_.window) scratch_.erase(scratch_.begin());
      scratch_.push_back(x);
    }
    double center, scale;
    WindowStats(op_.method, scratch_, &center, &scale);
    const double limit = op_.threshold * scale;
    outlier = std::fabs(x - center) > limit;
    replacement = op_.method == CleanOp::kHampel ? center
                  : x > center                   ? center + limit
                                                 : center - limit;
  }
  k.window.push_back(x);
  if (static_cast<int64_t>(k.window.size()) > op_.window) k.window.pop_front();
  if (!outlier) return nullptr;
  switch (op_.action) {
    case CleanOp::kNullValue:
      v = std::monostate{};
      t->Repair("outlier_nulled");
      return nullptr;
    case CleanOp::kClamp:
      v = replacement;
      t->Repair("outlier_clamped");
      return nullptr;
    default:
      return "outlier";
  }
}

}  // namespace edgeline
