#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "aggregator/window.h"

using namespace edgeline;

namespace {
// Independent two-pass computation.
void TwoPass(const std::vector<double>& xs, double* mean, double* sd) {
  double s = 0;
  for (double x : xs) s += x;
  *mean = s / xs.size();
  double ss = 0;
  for (double x : xs) ss += (x - *mean) * (x - *mean);
  *sd = std::sqrt(ss / (xs.size() - 1));
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
