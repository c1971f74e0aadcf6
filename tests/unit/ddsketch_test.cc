#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/ddsketch.h"

using namespace edgeline;

namespace {

constexpr double kAlpha = 0.01;
constexpr size_t kN = 100000;
const std::vector<double> kQuantiles = {0.01, 0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999};

// The rank convention of DDSketch::Quantile: the element of rank floor(q * (n - 1)).
double ExactQuantile(const std::vector<double>& sorted, double q) {
  auto rank = static_cast<size_t>(std::floor(q * static_cast<double>(sorted.size() - 1)));
  return sorted[rank];
}

DDSketch SketchOf(const std::vector<double>& xs, double alpha = kAlpha, int max_buckets = 2048) {
  DDSketch s(alpha, max_buckets);
  for (double x : xs) REQUIRE(s.Add(x));
  return s;
}

bool WithinAlpha(double estimate, double truth, double alpha = kAlpha) {
  return std::fabs(estimate - truth) <= alpha * std::fabs(truth);
}

// The data sets of the accuracy tests, n = kN each.
std::vector<double> Lognormal(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(1.0, 1.5);
  std::vector<double> xs(kN);
  for (auto& x : xs) x = d(rng);
  return xs;
}

std::vector<double> Bimodal(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> low(100, 10), high(50000, 2000);
  std::bernoulli_distribution pick_low(0.3);
  std::vector<double> xs(kN);
  for (auto& x : xs) {
    do {
      x = pick_low(rng) ? low(rng) : high(rng);
    } while (x <= 0);
  }
  return xs;
}

std::vector<double> Pareto(uint64_t seed) {  // shape 1.2, scale 1: infinite variance
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> xs(kN);
  for (auto& x : xs) x = 1.0 / std::pow(1.0 - u(rng), 1.0 / 1.2);  // 1 - u in (0, 1]
  return xs;
}

// 40% negative (lognormal magnitudes), 20% exact zeros (some -0.0), 40% positive: the
// median is 0, q <= 0.25 are negative, q >= 0.75 positive.
std::vector<double> NegativesAndZeros(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> neg(2.0, 2.0), pos(0.0, 1.0);
  std::uniform_int_distribution<int> pick(0, 9);
  std::vector<double> xs(kN);
  for (auto& x : xs) {
    int k = pick(rng);
    x = k < 4 ? -neg(rng) : k < 6 ? (k == 4 ? 0.0 : -0.0) : pos(rng);
  }
  return xs;
}

std::vector<double> Uniform(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(0.0, 1000.0);
  std::vector<double> xs(kN);
  for (auto& x : xs) x = d(rng);
  return xs;
}

// Values spread evenly in log scale over [10^lo, 10^hi].
std::vector<double> LogUniform(uint64_t seed, double lo, double hi, size_t n = kN) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> e(lo, hi);
  std::vector<double> xs(n);
  for (auto& x : xs) x = std::pow(10.0, e(rng));
  return xs;
}

void CheckAccuracy(const std::vector<double>& xs, const DDSketch& s, double alpha = kAlpha) {
  std::vector<double> sorted = xs;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(s.count() == static_cast<int64_t>(xs.size()));
  CHECK(s.Quantile(0) == sorted.front());
  CHECK(s.Quantile(1) == sorted.back());
  for (double q : kQuantiles) {
    double truth = ExactQuantile(sorted, q), estimate = s.Quantile(q);
    INFO("q=" << q << " truth=" << truth << " estimate=" << estimate);
    CHECK(WithinAlpha(estimate, truth, alpha));
  }
}

// Little-endian writers for hand-built serializations (the format in ddsketch.h).
void Varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void Double(std::string* out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(bits >> (8 * i)));
}

// Header up to and including zero_count.
std::string Header(double alpha = 0.01, uint64_t max_buckets = 2048, uint64_t zeros = 0) {
  std::string s = "DD\x01";
  Double(&s, alpha);
  Varint(&s, max_buckets);
  Varint(&s, zeros);
  return s;
}

// Checks what an accepted (possibly corrupted) input decodes to: canonical and usable.
void CheckDecodedIsSane(const std::string& bytes, const DDSketch& d) {
  REQUIRE(d.Serialize() == bytes);
  uint64_t total = d.zero_count();
  for (const auto& b : d.PositiveBuckets()) total += b.second;
  for (const auto& b : d.NegativeBuckets()) total += b.second;
  REQUIRE(static_cast<int64_t>(total) == d.count());
  if (d.count() == 0) {
    REQUIRE(std::isnan(d.Quantile(0.5)));
    return;
  }
  double prev = -std::numeric_limits<double>::infinity();
  for (double q : {0.0, 0.001, 0.1, 0.5, 0.9, 0.999, 1.0}) {
    double v = d.Quantile(q);
    REQUIRE(v >= d.min());
    REQUIRE(v <= d.max());
    REQUIRE(v >= prev);  // monotone in q
    prev = v;
  }
  DDSketch copy = d;
  if (copy.Merge(d).ok()) REQUIRE(copy.count() == 2 * d.count());
}

}  // namespace

TEST_CASE("DDSketch: an empty sketch has count 0 and NaN quantiles") {
  DDSketch s;
  CHECK(s.count() == 0);
  CHECK(s.empty());
  for (double q : {0.0, 0.5, 1.0}) CHECK(std::isnan(s.Quantile(q)));
  CHECK(s.alpha() == 0.01);
  CHECK(s.max_buckets() == 2048);
  // Non-finite input is ignored.
  CHECK_FALSE(s.Add(std::numeric_limits<double>::quiet_NaN()));
  CHECK_FALSE(s.Add(std::numeric_limits<double>::infinity()));
  CHECK_FALSE(s.Add(-std::numeric_limits<double>::infinity()));
  CHECK(s.count() == 0);
  CHECK(std::isnan(s.Quantile(0.5)));
  // q outside [0, 1] is NaN also when not empty.
  CHECK(s.Add(3.0));
  CHECK(std::isnan(s.Quantile(-0.01)));
  CHECK(std::isnan(s.Quantile(1.01)));
  CHECK(std::isnan(s.Quantile(std::numeric_limits<double>::quiet_NaN())));
  CHECK(s.Quantile(0.5) == 3.0);  // rank 0 of 1: the exact minimum
}

TEST_CASE("DDSketch: invalid parameters throw") {
  CHECK_THROWS_AS(DDSketch(0.0), std::invalid_argument);
  CHECK_THROWS_AS(DDSketch(-0.01), std::invalid_argument);
  CHECK_THROWS_AS(DDSketch(0.6), std::invalid_argument);
  CHECK_THROWS_AS(DDSketch(std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(DDSketch(0.01, 0), std::invalid_argument);
  CHECK_THROWS_AS(DDSketch(0.01, DDSketch::kMaxBucketsLimit + 1), std::invalid_argument);
  CHECK_NOTHROW(DDSketch(DDSketch::kMinAlpha, DDSketch::kMaxBucketsLimit));
  CHECK_NOTHROW(DDSketch(DDSketch::kMaxAlpha, 1));
}

TEST_CASE("DDSketch: buckets follow the paper's index and midpoint value") {
  DDSketch s(0.01);
  const double gamma = 1.01 / 0.99;
  CHECK(s.IndexOf(1.0) == 0);
  CHECK(s.IndexOf(gamma * 1.000001) == 2);
  CHECK(s.IndexOf(gamma / 1.000001) == 1);
  CHECK(s.IndexOf(1 / gamma * 1.000001) == 0);
  CHECK(s.IndexOf(1000.0) == static_cast<int32_t>(std::ceil(std::log(1000.0) / std::log(gamma))));
  for (int32_t i : {-5000, -1, 0, 1, 7, 348, 20000}) {
    // pow(gamma, 20000) multiplies the rounding error of gamma by 20000: 1e-9 slack.
    CHECK(s.BucketValue(i) == Approx(2 * std::pow(gamma, i) / (gamma + 1)).epsilon(1e-9));
    // The midpoint is within alpha of both ends of (gamma^(i-1), gamma^i].
    CHECK(s.BucketValue(i) / std::pow(gamma, i) == Approx(1 - 0.01).epsilon(1e-9));
    CHECK(s.BucketValue(i) / std::pow(gamma, i - 1) == Approx(1 + 0.01).epsilon(1e-9));
  }
}

TEST_CASE("DDSketch: quantiles use the rank floor(q * (n - 1))") {
  DDSketch s;
  for (double x : {1e4, 1.0, 1e3, 10.0, 100.0}) s.Add(x);
  CHECK(s.Quantile(0.0) == 1.0);
  CHECK(s.Quantile(0.24) == 1.0);                // floor(0.96) = 0
  CHECK(WithinAlpha(s.Quantile(0.25), 10.0));    // floor(1.00) = 1
  CHECK(WithinAlpha(s.Quantile(0.49), 10.0));    // floor(1.96) = 1
  CHECK(WithinAlpha(s.Quantile(0.5), 100.0));    // floor(2.00) = 2 (the lower median)
  CHECK(WithinAlpha(s.Quantile(0.74), 100.0));   // floor(2.96) = 2
  CHECK(WithinAlpha(s.Quantile(0.75), 1000.0));  // floor(3.00) = 3
  CHECK(s.Quantile(0.9999) == Approx(1000.0).epsilon(0.01));
  CHECK(s.Quantile(1.0) == 1e4);
  // An even count: the lower median.
  DDSketch t;
  for (double x : {-50.0, -5.0, 0.0, 5.0, 50.0, 500.0}) t.Add(x);
  CHECK(WithinAlpha(t.Quantile(0.2), -5.0));  // floor(1.0) = 1
  CHECK(t.Quantile(0.5) == 0.0);              // floor(2.5) = 2
  CHECK(WithinAlpha(t.Quantile(0.6), 5.0));   // floor(3.0) = 3
}

TEST_CASE("DDSketch: relative error <= alpha against exact quantiles, n = 100000") {
  SECTION("skewed: lognormal(1, 1.5)") {
    auto xs = Lognormal(1);
    CheckAccuracy(xs, SketchOf(xs));
  }
  SECTION("bimodal: 30% N(100, 10), 70% N(50000, 2000)") {
    auto xs = Bimodal(2);
    CheckAccuracy(xs, SketchOf(xs));
  }
  SECTION("heavy-tailed: Pareto, shape 1.2") {
    auto xs = Pareto(3);
    CheckAccuracy(xs, SketchOf(xs));
    CHECK(*std::max_element(xs.begin(), xs.end()) > 1e4);  // the tail really is heavy
  }
  SECTION("negative values and zeros") {
    auto xs = NegativesAndZeros(4);
    DDSketch s = SketchOf(xs);
    CheckAccuracy(xs, s);
    CHECK(s.Quantile(0.5) == 0.0);
    CHECK(s.Quantile(0.25) < 0);
    CHECK(s.Quantile(0.75) > 0);
    CHECK(s.zero_count() > 15000);
    CHECK_FALSE(s.NegativeBuckets().empty());
  }
  SECTION("uniform(0, 1000)") {
    auto xs = Uniform(5);
    CheckAccuracy(xs, SketchOf(xs));
  }
  SECTION("alpha = 0.001 and alpha = 0.05 on lognormal") {
    auto xs = Lognormal(6);
    // At alpha = 0.001, 2048 buckets span only gamma^2048 ~ 60: this data needs ~7000.
    CheckAccuracy(xs, SketchOf(xs, 0.001, 16384), 0.001);
    CheckAccuracy(xs, SketchOf(xs, 0.05), 0.05);
  }
  SECTION("values spanning 16 decades (< gamma^2047) are not collapsed") {
    auto xs = LogUniform(7, -8, 8);
    DDSketch s = SketchOf(xs);
    CheckAccuracy(xs, s);
    auto b = s.PositiveBuckets();
    CHECK(b.back().first - b.front().first + 1 > 1800);
    CHECK(b.back().first - b.front().first + 1 <= 2048);
    CHECK(b.front().first == s.IndexOf(*std::min_element(xs.begin(), xs.end())));
  }
}

TEST_CASE("DDSketch: merging any partition in any order equals the sketch of the union") {
  struct Case {
    const char* name;
    std::vector<double> xs;
    int max_buckets;
  };
  std::vector<double> wide = LogUniform(11, -40, 40, 20000);
  for (size_t i = 0; i < wide.size(); i += 3) wide[i] = -wide[i];  // both stores collapse
  std::vector<Case> cases = {{"negatives and zeros", NegativesAndZeros(10), 2048},
                             {"collapsing, max_buckets 64", wide, 64}};
  for (const auto& c : cases) {
    INFO(c.name);
    const DDSketch whole = SketchOf(c.xs, kAlpha, c.max_buckets);
    const std::string whole_bytes = whole.Serialize();
    std::mt19937_64 rng(12);
    for (int trial = 0; trial < 5; ++trial) {
      INFO("trial " << trial);
      // Random assignment to 10 parts (trial 0-2), or contiguous chunks with random cut
      // points, some possibly empty (trial 3-4).
      std::vector<DDSketch> parts(10, DDSketch(kAlpha, c.max_buckets));
      if (trial < 3) {
        std::uniform_int_distribution<size_t> pick(0, 9);
        for (double x : c.xs) parts[pick(rng)].Add(x);
      } else {
        std::vector<size_t> cuts = {0, c.xs.size()};
        std::uniform_int_distribution<size_t> cut(0, c.xs.size());
        for (int k = 0; k < 9; ++k) cuts.push_back(cut(rng));
        std::sort(cuts.begin(), cuts.end());
        for (size_t p = 0; p < 10; ++p) {
          for (size_t i = cuts[p]; i < cuts[p + 1]; ++i) parts[p].Add(c.xs[i]);
        }
      }
      std::vector<size_t> order(10);
      for (size_t k = 0; k < 10; ++k) order[k] = k;
      std::vector<std::vector<size_t>> orders = {order};
      std::reverse(order.begin(), order.end());
      orders.push_back(order);
      std::shuffle(order.begin(), order.end(), rng);
      orders.push_back(order);
      for (const auto& o : orders) {
        DDSketch merged(kAlpha, c.max_buckets);
        for (size_t k : o) REQUIRE(merged.Merge(parts[k]).ok());
        CHECK(merged == whole);
        CHECK(merged.Serialize() == whole_bytes);
      }
      // A tree of merges: ((0+1)+(2+3))+... and the other way round.
      std::vector<DDSketch> level = parts;
      while (level.size() > 1) {
        std::vector<DDSketch> next;
        for (size_t k = 0; k + 1 < level.size(); k += 2) {
          DDSketch m = level[k + 1];
          REQUIRE(m.Merge(level[k]).ok());
          next.push_back(m);
        }
        if (level.size() % 2 == 1) next.push_back(level.back());
        level = next;
      }
      CHECK(level[0] == whole);
      for (double q : {0.0, 0.001, 0.01, 0.25, 0.5, 0.75, 0.99, 1.0}) {
        CHECK(level[0].Quantile(q) == whole.Quantile(q));
      }
    }
    // A and B in either order.
    const size_t half = c.xs.size() / 3;
    DDSketch a(kAlpha, c.max_buckets), b(kAlpha, c.max_buckets);
    for (size_t i = 0; i < c.xs.size(); ++i) (i < half ? a : b).Add(c.xs[i]);
    DDSketch ab = a, ba = b;
    REQUIRE(ab.Merge(b).ok());
    REQUIRE(ba.Merge(a).ok());
    CHECK(ab == whole);
    CHECK(ba == whole);
  }
}

TEST_CASE("DDSketch: merge edge cases") {
  auto xs = Lognormal(20);
  const DDSketch s = SketchOf(xs);
  DDSketch empty;
  DDSketch copy = s;
  REQUIRE(copy.Merge(empty).ok());
  CHECK(copy == s);
  REQUIRE(empty.Merge(s).ok());
  CHECK(empty == s);

  // Merging with itself doubles every count.
  DDSketch twice = s;
  REQUIRE(twice.Merge(twice).ok());
  DDSketch expected = s;
  REQUIRE(expected.Merge(s).ok());
  CHECK(twice == expected);
  CHECK(twice.count() == 2 * s.count());
  CHECK(twice.Quantile(0.5) == s.Quantile(0.5));

  // Different parameters are refused and leave the sketch unchanged.
  DDSketch other_alpha(0.02), other_buckets(0.01, 1024);
  other_alpha.Add(1);
  other_buckets.Add(1);
  DDSketch target = s;
  Status st = target.Merge(other_alpha);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("alpha") != std::string::npos);
  CHECK_FALSE(target.Merge(other_buckets).ok());
  CHECK(target == s);
}

TEST_CASE("DDSketch: collapsing keeps memory bounded and high quantiles accurate") {
  constexpr int kMaxBuckets = 64;
  // 85% tiny values over 20 decades, 15% in [1000, 2000] (~35 buckets): the top cluster
  // fits in 64 buckets, the tiny values are folded into the lowest kept bucket.
  std::mt19937_64 rng(30);
  std::uniform_real_distribution<double> tiny_exp(-30, -10), top(1000, 2000);
  std::bernoulli_distribution is_top(0.15);
  std::vector<double> xs(kN);
  for (auto& x : xs) x = is_top(rng) ? top(rng) : std::pow(10.0, tiny_exp(rng));
  DDSketch s(kAlpha, kMaxBuckets);
  size_t max_span = 0, max_memory = 0;
  for (double x : xs) {
    s.Add(x);
    auto b = s.PositiveBuckets();
    max_span = std::max<size_t>(max_span, b.back().first - b.front().first + 1);
    max_memory = std::max(max_memory, s.MemoryUsageBytes());
  }
  CHECK(max_span == kMaxBuckets);
  CHECK(max_memory <= sizeof(DDSketch) + sizeof(uint64_t) * kMaxBuckets);
  CHECK(s.count() == static_cast<int64_t>(kN));

  std::vector<double> sorted = xs;
  std::sort(sorted.begin(), sorted.end());
  const auto buckets = s.PositiveBuckets();
  const int32_t floor = buckets.back().first - kMaxBuckets + 1;
  CHECK(buckets.front().first == floor);
  CHECK(s.Quantile(0) == sorted.front());  // min/max stay exact
  CHECK(s.Quantile(1) == sorted.back());
  for (double q : kQuantiles) {
    double truth = ExactQuantile(sorted, q), estimate = s.Quantile(q);
    INFO("q=" << q << " truth=" << truth << " estimate=" << estimate);
    if (q >= 0.9) {
      CHECK(WithinAlpha(estimate, truth));
    } else {
      CHECK(q <= 0.75);
      // The documented failure: a folded value is reported as the lowest kept bucket.
      CHECK(estimate == s.BucketValue(floor));
      CHECK(estimate > truth);
    }
  }

  // The negative store mirrors it: the magnitudes closest to zero are folded, so the most
  // negative values (the lowest quantiles) keep the guarantee.
  DDSketch n(kAlpha, kMaxBuckets);
  std::vector<double> neg(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) neg[i] = -xs[i];
  for (double x : neg) n.Add(x);
  std::sort(neg.begin(), neg.end());
  CHECK(n.MemoryUsageBytes() <= sizeof(DDSketch) + sizeof(uint64_t) * kMaxBuckets);
  for (double q : {0.001, 0.01, 0.05}) {
    CHECK(WithinAlpha(n.Quantile(q), ExactQuantile(neg, q)));
  }
  CHECK(n.Quantile(0.5) == -s.BucketValue(floor));

  // Many decades at max_buckets 2048: memory stays bounded, the top 17 decades are kept.
  auto huge = LogUniform(31, -300, 300);
  DDSketch h = SketchOf(huge);
  auto hb = h.PositiveBuckets();
  CHECK(hb.back().first - hb.front().first + 1 == 2048);
  CHECK(h.MemoryUsageBytes() <= sizeof(DDSketch) + sizeof(uint64_t) * 2048);
  std::sort(huge.begin(), huge.end());
  for (double q : {0.99, 0.999}) CHECK(WithinAlpha(h.Quantile(q), ExactQuantile(huge, q)));
}

TEST_CASE("DDSketch: serialization round-trips exactly") {
  std::vector<DDSketch> sketches;
  sketches.emplace_back();
  sketches.push_back(SketchOf(Lognormal(40)));
  sketches.push_back(SketchOf(NegativesAndZeros(41)));
  sketches.push_back(SketchOf(Pareto(42), 0.001));
  sketches.push_back(SketchOf(LogUniform(43, -300, 300), 0.05, 64));
  DDSketch zeros_only;
  zeros_only.Add(0.0);
  zeros_only.Add(-0.0);
  zeros_only.Add(1e-310);  // subnormal: counted as zero
  sketches.push_back(zeros_only);
  DDSketch extremes(0.05, 16384);  // spans all doubles (~14200 buckets) without collapsing
  for (double x : {std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::min(), -std::numeric_limits<double>::min()}) {
    extremes.Add(x);
  }
  sketches.push_back(extremes);
  for (const auto& s : sketches) {
    std::string bytes = s.Serialize();
    auto d = DDSketch::Deserialize(bytes);
    REQUIRE(d.has_value());
    CHECK(*d == s);
    CHECK(d->Serialize() == bytes);
    CHECK(d->alpha() == s.alpha());
    CHECK(d->max_buckets() == s.max_buckets());
    for (double q : {0.0, 0.01, 0.3, 0.5, 0.99, 1.0}) {
      double a = d->Quantile(q), b = s.Quantile(q);
      CHECK((a == b || (std::isnan(a) && std::isnan(b))));
    }
  }
  CHECK(zeros_only.zero_count() == 3);
  CHECK(zeros_only.Quantile(0.5) == 0.0);
  CHECK(WithinAlpha(extremes.Quantile(0.34), -std::numeric_limits<double>::min(), 0.05));
  CHECK(WithinAlpha(extremes.Quantile(0.67), std::numeric_limits<double>::min(), 0.05));
}

TEST_CASE("DDSketch: the serialization is the documented format") {
  DDSketch s;
  s.Add(1.0);   // positive index 0
  s.Add(1.05);  // positive index ceil(log(1.05) / log(1.0202)) = 3
  s.Add(-1.0);  // negative index 0
  s.Add(0.0);
  std::string expected = Header(0.01, 2048, 1);
  expected += std::string("\x02\x00\x01\x02\x01", 5);  // 2 buckets: zz(0), 1; delta 3-0-1, 1
  expected += std::string("\x01\x00\x01", 3);          // 1 bucket: zz(0), 1
  Double(&expected, -1.0);
  Double(&expected, 1.05);
  CHECK(s.IndexOf(1.05) == 3);
  CHECK(s.Serialize() == expected);
  CHECK(expected.size() == 3 + 8 + 2 + 1 + 5 + 3 + 16);
  // Empty: header and two empty stores, no min/max.
  CHECK(DDSketch().Serialize() == Header() + std::string("\x00\x00", 2));
}

TEST_CASE("DDSketch: malformed input is rejected") {
  const std::string empty_stores("\x00\x00", 2);
  auto with_minmax = [](std::string s, double min, double max) {
    Double(&s, min);
    Double(&s, max);
    return s;
  };
  REQUIRE(DDSketch::Deserialize(Header() + empty_stores).has_value());
  // Single-value positive store at index 5 (zz = 10) count 1.
  const std::string one = std::string("\x01\x0a\x01", 3) + std::string("\x00", 1);
  REQUIRE(DDSketch::Deserialize(with_minmax(Header() + one, 1.1, 1.1)).has_value());

  CHECK_FALSE(DDSketch::Deserialize(""));
  CHECK_FALSE(DDSketch::Deserialize("XD\x01"));
  std::string v2 = Header() + empty_stores;
  v2[2] = 2;  // unknown version
  CHECK_FALSE(DDSketch::Deserialize(v2));
  CHECK_FALSE(DDSketch::Deserialize(Header(std::nan("")) + empty_stores));
  CHECK_FALSE(DDSketch::Deserialize(Header(0.0) + empty_stores));
  CHECK_FALSE(DDSketch::Deserialize(Header(0.9) + empty_stores));
  CHECK_FALSE(DDSketch::Deserialize(Header(0.01, 0) + empty_stores));
  CHECK_FALSE(DDSketch::Deserialize(Header(0.01, DDSketch::kMaxBucketsLimit + 1) + empty_stores));
  CHECK_FALSE(DDSketch::Deserialize(Header(0.01, uint64_t{1} << 40) + empty_stores));
  // Trailing bytes; a missing min/max; min/max on an empty sketch.
  CHECK_FALSE(DDSketch::Deserialize(Header() + empty_stores + "x"));
  CHECK_FALSE(DDSketch::Deserialize(Header() + one));
  CHECK_FALSE(DDSketch::Deserialize(with_minmax(Header() + empty_stores, 1, 1)));
  // A huge claimed bucket count with nothing behind it: rejected without allocating.
  {
    std::string s = Header();
    Varint(&s, uint64_t{1} << 62);
    CHECK_FALSE(DDSketch::Deserialize(s + std::string(64, '\x01')));
  }
  // Non-minimal varints (0 as 0x80 0x00) and 11-byte varints.
  CHECK_FALSE(
      DDSketch::Deserialize(Header().substr(0, 13) + std::string("\x80\x00", 2) + empty_stores));
  {
    std::string s = Header().substr(0, 11) + "\x80\x10";  // max_buckets 2048
    s += std::string(10, '\xff') + '\x01';                // zero_count: 11 bytes
    CHECK_FALSE(DDSketch::Deserialize(s + empty_stores));
  }
  // A zero count; a total over INT64_MAX.
  CHECK_FALSE(
      DDSketch::Deserialize(with_minmax(Header() + std::string("\x01\x0a\x00\x00", 4), 1.1, 1.1)));
  {  // zero_count + bucket count: INT64_MAX is accepted, INT64_MAX + 1 is not
    auto blob = [&](uint64_t bucket_count) {
      std::string s = Header(0.01, 2048, uint64_t{1} << 62);
      Varint(&s, 1);      // one positive bucket
      Varint(&s, 2 * 5);  // at index 5
      Varint(&s, bucket_count);
      Varint(&s, 0);  // no negative bucket
      return with_minmax(s, 0, 1.1);
    };
    auto d = DDSketch::Deserialize(blob((uint64_t{1} << 62) - 1));
    REQUIRE(d);
    CHECK(d->count() == std::numeric_limits<int64_t>::max());
    CHECK_FALSE(d->Add(1.0));                  // count() cannot pass INT64_MAX
    CHECK_FALSE(DDSketch(*d).Merge(*d).ok());  // nor can a merge
    CHECK_FALSE(DDSketch::Deserialize(blob(uint64_t{1} << 62)));
  }
  // Indexes outside the representable range: index(DBL_MIN) ~ -35419, index(DBL_MAX) ~ 35488.
  {
    DDSketch ref;
    auto blob = [&](int64_t index, double value) {
      std::string s = Header();
      Varint(&s, 1);
      Varint(&s, (static_cast<uint64_t>(index) << 1) ^ static_cast<uint64_t>(index >> 63));
      Varint(&s, 1);
      Varint(&s, 0);
      return with_minmax(s, value, value);
    };
    const int32_t lo = ref.IndexOf(DDSketch::kMinIndexable);
    const int32_t hi = ref.IndexOf(std::numeric_limits<double>::max());
    CHECK(lo < -35000);
    CHECK(hi > 35000);
    CHECK(DDSketch::Deserialize(blob(lo, 1.0)));
    CHECK(DDSketch::Deserialize(blob(hi, 1.0)));
    CHECK_FALSE(DDSketch::Deserialize(blob(lo - 1, 1.0)));
    CHECK_FALSE(DDSketch::Deserialize(blob(hi + 1, 1.0)));
    CHECK_FALSE(DDSketch::Deserialize(blob(int64_t{1} << 40, 1.0)));
    CHECK_FALSE(DDSketch::Deserialize(blob(std::numeric_limits<int64_t>::min(), 1.0)));
  }
  // Two buckets at 0 and 1 + delta: a delta past index(DBL_MAX) or a span over max_buckets
  // (64 here) is rejected.
  {
    auto blob = [&](uint64_t delta) {
      std::string s = Header(0.01, 64);
      Varint(&s, 2);
      Varint(&s, 0);
      Varint(&s, 1);
      Varint(&s, delta);
      Varint(&s, 1);
      Varint(&s, 0);
      return with_minmax(s, 1, 1.9);
    };
    auto d = DDSketch::Deserialize(blob(62));  // indexes 0 and 63: span 64
    REQUIRE(d);
    CHECK(d->PositiveBuckets() == std::vector<std::pair<int32_t, uint64_t>>{{0, 1}, {63, 1}});
    CHECK_FALSE(DDSketch::Deserialize(blob(63)));  // span 65
    CHECK_FALSE(DDSketch::Deserialize(blob(uint64_t{1} << 31)));
    CHECK_FALSE(DDSketch::Deserialize(blob(std::numeric_limits<uint64_t>::max())));
  }
  // min/max: NaN, inf, -0.0, min > max, inconsistent with the buckets' signs, or
  // different for a single value.
  const std::string h1 = Header() + one;
  CHECK_FALSE(DDSketch::Deserialize(with_minmax(h1, std::nan(""), 1.1)));
  CHECK_FALSE(DDSketch::Deserialize(with_minmax(h1, 1.1, std::numeric_limits<double>::infinity())));
  CHECK_FALSE(DDSketch::Deserialize(with_minmax(Header(0.01, 2048, 1) + empty_stores, -0.0, -0.0)));
  CHECK(DDSketch::Deserialize(with_minmax(Header(0.01, 2048, 1) + empty_stores, 0.0, 0.0)));
  CHECK_FALSE(DDSketch::Deserialize(with_minmax(h1, -1.1, 1.1)));
  CHECK_FALSE(DDSketch::Deserialize(with_minmax(h1, 1.1, 1.0)));
  CHECK_FALSE(DDSketch::Deserialize(with_minmax(h1, 1.0, 1.1)));
}

TEST_CASE("DDSketch: truncated, random and mutated input never crashes") {
  DDSketch s = SketchOf(NegativesAndZeros(50));
  const std::string valid = s.Serialize();
  REQUIRE(valid.size() > 100);
  // Every strict prefix is missing a field, so every one is rejected.
  for (size_t len = 0; len < valid.size(); ++len) {
    INFO("prefix length " << len);
    CHECK_FALSE(DDSketch::Deserialize(std::string_view(valid).substr(0, len)));
  }
  const std::string empty_valid = DDSketch().Serialize();
  for (size_t len = 0; len < empty_valid.size(); ++len) {
    CHECK_FALSE(DDSketch::Deserialize(std::string_view(empty_valid).substr(0, len)));
  }

  std::mt19937_64 rng(51);
  std::uniform_int_distribution<int> byte(0, 255);
  auto random_bytes = [&](size_t n) {
    std::string r(n, '\0');
    for (auto& c : r) c = static_cast<char>(byte(rng));
    return r;
  };
  size_t accepted = 0;
  // Random byte strings, bare and behind a valid header (to get past the magic).
  for (int i = 0; i < 10000; ++i) {
    std::string r = random_bytes(std::uniform_int_distribution<size_t>(0, 80)(rng));
    if (i % 2 == 1) r = Header(0.01, 64) + r;
    auto d = DDSketch::Deserialize(r);
    if (d) {
      ++accepted;
      CheckDecodedIsSane(r, *d);
    }
  }
  // Mutations of a valid serialization: byte/bit flips, insertions, deletions, splices.
  for (int i = 0; i < 10000; ++i) {
    std::string m = valid;
    int edits = std::uniform_int_distribution<int>(1, 4)(rng);
    for (int e = 0; e < edits && !m.empty(); ++e) {
      size_t pos = std::uniform_int_distribution<size_t>(0, m.size() - 1)(rng);
      switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
        case 0:
          m[pos] = static_cast<char>(byte(rng));
          break;
        case 1:
          m[pos] = static_cast<char>(m[pos] ^ (1 << (byte(rng) % 8)));
          break;
        case 2:
          m.insert(pos, 1, static_cast<char>(byte(rng)));
          break;
        case 3:
          m.erase(pos, 1);
          break;
        case 4:
          m.erase(pos, std::uniform_int_distribution<size_t>(1, 16)(rng));
          break;
      }
    }
    auto d = DDSketch::Deserialize(m);
    if (d) {
      ++accepted;
      CheckDecodedIsSane(m, *d);
    }
  }
  // Some mutations (e.g. of a count) are valid sketches; most are not.
  CHECK(accepted > 0);
  CHECK(accepted < 10000);
}

TEST_CASE("DDSketch: serialized size of 100000 lognormal values") {
  auto xs = Lognormal(60);
  DDSketch s = SketchOf(xs);
  std::string bytes = s.Serialize();
  size_t buckets = s.PositiveBuckets().size();
  WARN("100000 lognormal(1, 1.5) values: " << buckets << " buckets, " << bytes.size()
                                           << " bytes serialized, " << s.MemoryUsageBytes()
                                           << " bytes in memory");
  CHECK(bytes.size() < 4 * buckets + 64);
}
