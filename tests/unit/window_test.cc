#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "common/window.h"

using namespace edgeline;

namespace {
// Independent two-pass computation in extended precision (long double), so that it is
// the more accurate side of the comparison even for sums near 1e16.
void TwoPass(const std::vector<double>& xs, double* mean, double* sd) {
  long double s = 0;
  for (double x : xs) s += x;
  long double m = s / xs.size();
  long double ss = 0;
  for (double x : xs) ss += (x - m) * (x - m);
  *mean = static_cast<double>(m);
  *sd = static_cast<double>(std::sqrt(ss / (xs.size() - 1)));
}
}  // namespace

TEST_CASE("window starts floor to the window size, also before 1970") {
  CHECK(WindowStart(0, 300000) == 0);
  CHECK(WindowStart(299999, 300000) == 0);
  CHECK(WindowStart(300000, 300000) == 300000);
  CHECK(WindowStart(-1, 300000) == -300000);
  CHECK(WindowStart(-300000, 300000) == -300000);
}

TEST_CASE("Stats of a few values are exact") {
  Stats s;
  for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) s.Add(x);
  CHECK(s.count == 8);
  CHECK(s.sum == 40.0);
  CHECK(s.min == 2.0);
  CHECK(s.max == 9.0);
  CHECK(s.mean == 5.0);
  CHECK(s.m2 == Approx(32.0).epsilon(1e-15));
  CHECK(s.SampleStddev() == Approx(std::sqrt(32.0 / 7)).epsilon(1e-15));
  Stats one;
  one.Add(3);
  CHECK(std::isnan(one.SampleStddev()));
}

TEST_CASE("merging partial Stats in any order equals one pass, against a two-pass reference") {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> dist(1e6, 3.0);  // large offset, small spread
  std::vector<double> xs(100000);
  for (auto& x : xs) x = dist(rng);
  Stats all;
  std::vector<Stats> parts(7);
  for (size_t i = 0; i < xs.size(); ++i) {
    all.Add(xs[i]);
    parts[(i * 2654435761u) % parts.size()].Add(xs[i]);
  }
  Stats fwd, rev;
  for (const auto& p : parts) fwd.Merge(p);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) rev.Merge(*it);
  double mean, sd;
  TwoPass(xs, &mean, &sd);
  for (const Stats* s : {&all, &fwd, &rev}) {
    CHECK(s->count == 100000);
    CHECK(s->mean == Approx(mean).epsilon(1e-12));
    CHECK(s->SampleStddev() == Approx(sd).epsilon(1e-9));
    CHECK(s->min == all.min);
    CHECK(s->max == all.max);
  }
  Stats empty;
  Stats copy = all;
  copy.Merge(empty);
  CHECK(copy.count == all.count);
  empty.Merge(all);
  CHECK(empty.mean == all.mean);
}

TEST_CASE("ten million values with a large offset: Chan merge matches a two-pass computation") {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  const double offset = 1e9;  // naive sum-of-squares would lose every digit here
  std::vector<double> xs(10'000'000);
  for (auto& x : xs) x = offset + dist(rng);
  std::vector<Stats> parts(64);
  for (size_t i = 0; i < xs.size(); ++i) parts[i % parts.size()].Add(xs[i]);
  Stats merged;
  for (const auto& p : parts) merged.Merge(p);
  double mean, sd;
  TwoPass(xs, &mean, &sd);
  CHECK(merged.count == 10'000'000);
  // Relative to the spread, not to the offset (1e-9 of 1e9 would allow the whole spread).
  CHECK(std::abs(merged.mean - mean) <= 1e-9 * sd);
  CHECK(std::abs(merged.SampleStddev() - sd) <= 1e-9 * sd);
}

TEST_CASE("adding values after a merge or after loading the stored fields stays accurate") {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> dist(5e8, 2.0);
  std::vector<double> xs(200000);
  for (auto& x : xs) x = dist(rng);
  Stats first;
  for (size_t i = 0; i < xs.size() / 2; ++i) first.Add(xs[i]);
  // What SQLite gives back: only the public fields.
  Stats loaded;
  loaded.count = first.count;
  loaded.sum = first.sum;
  loaded.min = first.min;
  loaded.max = first.max;
  loaded.mean = first.mean;
  loaded.m2 = first.m2;
  Stats merged;
  merged.Merge(first);
  for (size_t i = xs.size() / 2; i < xs.size(); ++i) {
    loaded.Add(xs[i]);
    merged.Add(xs[i]);
  }
  double mean, sd;
  TwoPass(xs, &mean, &sd);
  for (const Stats* s : {&loaded, &merged}) {
    CHECK(s->count == 200000);
    CHECK(std::abs(s->mean - mean) <= 1e-12 * std::abs(mean));
    CHECK(std::abs(s->SampleStddev() - sd) <= 1e-9 * sd);
  }
}
