#include "common/ddsketch.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace edgeline {

namespace {

constexpr uint64_t kMaxCount = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
constexpr char kMagic[2] = {'D', 'D'};

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutDouble(std::string* out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Bounds-checked reader over untrusted bytes; every read fails cleanly at the end.
class Reader {
 public:
  explicit Reader(std::string_view data)
      : p_(reinterpret_cast<const uint8_t*>(data.data())), end_(p_ + data.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  bool Byte(uint8_t* b) {
    if (p_ == end_) return false;
    *b = *p_++;
    return true;
  }

  // Unsigned LEB128 of at most 10 bytes, minimal length only (no trailing 0x00 group).
  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int i = 0; i < 10; ++i) {
      if (p_ == end_) return false;
      uint8_t b = *p_++;
      if (i == 9 && b > 1) return false;  // more than 64 bits
      result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) return false;  // non-minimal
        *v = result;
        return true;
      }
    }
    return false;
  }

  bool Double(double* d) {
    if (remaining() < 8) return false;
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += 8;
    std::memcpy(d, &bits, sizeof bits);
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// Reads one store's bucket list into `out`, adding its counts to `*total`. Rejects counts
// of 0, indexes outside [min_index, max_index], a span over max_buckets and a total over
// kMaxCount.
bool ReadStore(Reader* r, int32_t min_index, int32_t max_index, int max_buckets,
               std::vector<std::pair<int32_t, uint64_t>>* out, uint64_t* total) {
  uint64_t n;
  if (!r->Varint(&n)) return false;
  // Each bucket takes at least two bytes, so `n` cannot make us allocate much.
  if (n > static_cast<uint64_t>(max_buckets) || n > r->remaining() / 2) return false;
  out->reserve(static_cast<size_t>(n));
  int64_t prev = 0;
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t raw;
    if (!r->Varint(&raw)) return false;
    int64_t index;
    if (k == 0) {
      index = UnZigZag(raw);
    } else {
      if (prev >= max_index || raw > static_cast<uint64_t>(max_index - prev - 1)) return false;
      index = prev + 1 + static_cast<int64_t>(raw);
    }
    if (index < min_index || index > max_index) return false;
    uint64_t count;
    if (!r->Varint(&count)) return false;
    if (count == 0 || count > kMaxCount - *total) return false;
    *total += count;
    out->emplace_back(static_cast<int32_t>(index), count);
    prev = index;
  }
  if (!out->empty() && out->back().first - static_cast<int64_t>(out->front().first) + 1 >
                           static_cast<int64_t>(max_buckets)) {
    return false;
  }
  return true;
}

// 0: negative, 1: zero (|v| < kMinIndexable), 2: positive.
int ValueClass(double v) {
  if (std::fabs(v) < DDSketch::kMinIndexable) return 1;
  return v < 0 ? 0 : 2;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Store

void DDSketch::Store::Add(int32_t index, uint64_t n, int max_buckets) {
  if (counts_.empty()) {
    offset_ = index;
    counts_.assign(1, n);
    return;
  }
  int64_t lo = offset_, hi = this->hi();
  if (index >= lo && index <= hi) {
    counts_[static_cast<size_t>(index - lo)] += n;
    return;
  }
  int64_t new_hi = std::max<int64_t>(hi, index);
  int64_t floor = new_hi - max_buckets + 1;
  int64_t new_lo = std::max(std::min<int64_t>(lo, index), floor);
  Reshape(new_lo, new_hi);
  counts_[static_cast<size_t>(std::max<int64_t>(index, new_lo) - new_lo)] += n;
}

void DDSketch::Store::Merge(const Store& o, int max_buckets) {
  if (o.empty()) return;
  if (empty()) {
    offset_ = o.offset_;
    counts_ = o.counts_;
    return;
  }
  int64_t new_hi = std::max(hi(), o.hi());
  int64_t floor = new_hi - max_buckets + 1;
  int64_t new_lo = std::max(std::min<int64_t>(lo(), o.lo()), floor);
  Reshape(new_lo, new_hi);
  for (size_t k = 0; k < o.counts_.size(); ++k) {
    int64_t index = o.offset_ + static_cast<int64_t>(k);
    counts_[static_cast<size_t>(std::max(index, new_lo) - new_lo)] += o.counts_[k];
  }
}

void DDSketch::Store::Reshape(int64_t new_lo, int64_t new_hi) {
  if (new_lo == offset_ && new_hi == hi()) return;
  std::vector<uint64_t> counts(static_cast<size_t>(new_hi - new_lo + 1), 0);
  for (size_t k = 0; k < counts_.size(); ++k) {
    int64_t index = offset_ + static_cast<int64_t>(k);
    counts[static_cast<size_t>(std::max(index, new_lo) - new_lo)] += counts_[k];
  }
  offset_ = static_cast<int32_t>(new_lo);
  counts_ = std::move(counts);
}

std::vector<std::pair<int32_t, uint64_t>> DDSketch::Store::Buckets() const {
  std::vector<std::pair<int32_t, uint64_t>> out;
  for (size_t k = 0; k < counts_.size(); ++k) {
    if (counts_[k] != 0) out.emplace_back(offset_ + static_cast<int32_t>(k), counts_[k]);
  }
  return out;
}

void DDSketch::Store::Assign(const std::vector<std::pair<int32_t, uint64_t>>& buckets) {
  counts_.clear();
  if (buckets.empty()) return;
  offset_ = buckets.front().first;
  counts_.assign(static_cast<size_t>(buckets.back().first - offset_ + 1), 0);
  for (const auto& [index, count] : buckets) counts_[static_cast<size_t>(index - offset_)] = count;
}

// ---------------------------------------------------------------------------------------
// DDSketch

bool DDSketch::ValidParams(double alpha, int max_buckets) {
  return alpha >= kMinAlpha && alpha <= kMaxAlpha && max_buckets >= 1 &&
         max_buckets <= kMaxBucketsLimit;
}

DDSketch::DDSketch(double alpha, int max_buckets) : DDSketch(Unchecked{}, alpha, max_buckets) {
  if (!ValidParams(alpha, max_buckets)) {
    throw std::invalid_argument("DDSketch: alpha must be in [1e-6, 0.5] and max_buckets in [1, " +
                                std::to_string(kMaxBucketsLimit) + "]");
  }
}

DDSketch::DDSketch(Unchecked, double alpha, int max_buckets)
    : alpha_(alpha),
      max_buckets_(max_buckets),
      // log(gamma) = log(1 + 2 alpha / (1 - alpha)); 2 / (gamma + 1) = 1 - alpha.
      log_gamma_(std::log1p(2 * alpha / (1 - alpha))),
      log_value_offset_(std::log1p(-alpha)),
      min_index_(0),
      max_index_(0) {
  if (ValidParams(alpha, max_buckets)) {  // else the public constructor throws
    min_index_ = IndexOf(kMinIndexable);
    max_index_ = IndexOf(std::numeric_limits<double>::max());
  }
}

int32_t DDSketch::IndexOf(double v) const {
  return static_cast<int32_t>(std::ceil(std::log(v) / log_gamma_));
}

double DDSketch::BucketValue(int32_t index) const {
  return std::exp(static_cast<double>(index) * log_gamma_ + log_value_offset_);
}

bool DDSketch::Add(double x) {
  if (!std::isfinite(x) || count_ >= kMaxCount) return false;
  if (x == 0) x = 0.0;  // -0.0 -> +0.0, so that min/max do not depend on the order
  double magnitude = std::fabs(x);
  if (magnitude < kMinIndexable) {
    ++zero_count_;
  } else if (x > 0) {
    positive_.Add(IndexOf(magnitude), 1, max_buckets_);
  } else {
    negative_.Add(IndexOf(magnitude), 1, max_buckets_);
  }
  ++count_;
  min_ = std::min(min_, x);
  max_ = std::max(max_, x);
  return true;
}

Status DDSketch::Merge(const DDSketch& other) {
  if (alpha_ != other.alpha_ || max_buckets_ != other.max_buckets_) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "DDSketch::Merge: parameters differ (alpha %.17g vs %.17g, max_buckets %d vs %d)",
                  alpha_, other.alpha_, max_buckets_, other.max_buckets_);
    return Status::Error(buf);
  }
  if (other.count_ > kMaxCount - count_) {
    return Status::Error("DDSketch::Merge: merged count would exceed INT64_MAX");
  }
  if (&other == this) {
    DDSketch copy = other;
    return Merge(copy);
  }
  positive_.Merge(other.positive_, max_buckets_);
  negative_.Merge(other.negative_, max_buckets_);
  zero_count_ += other.zero_count_;
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  return Status::Ok();
}

double DDSketch::Quantile(double q) const {
  if (count_ == 0 || !(q >= 0 && q <= 1)) return std::numeric_limits<double>::quiet_NaN();
  uint64_t rank = static_cast<uint64_t>(std::floor(q * static_cast<double>(count_ - 1)));
  if (rank == 0) return min_;
  if (rank >= count_ - 1) return max_;
  auto clamp = [this](double v) { return std::min(std::max(v, min_), max_); };
  uint64_t seen = 0;
  if (!negative_.empty()) {
    for (int32_t i = negative_.hi(); i >= negative_.lo(); --i) {
      seen += negative_.at(i);
      if (rank < seen) return clamp(-BucketValue(i));
    }
  }
  seen += zero_count_;
  if (rank < seen) return clamp(0.0);
  if (!positive_.empty()) {
    for (int32_t i = positive_.lo(); i <= positive_.hi(); ++i) {
      seen += positive_.at(i);
      if (rank < seen) return clamp(BucketValue(i));
    }
  }
  return max_;  // not reached: the buckets hold count_ values
}

size_t DDSketch::MemoryUsageBytes() const {
  return sizeof(*this) + sizeof(uint64_t) * (positive_.capacity() + negative_.capacity());
}

bool DDSketch::operator==(const DDSketch& o) const {
  return alpha_ == o.alpha_ && max_buckets_ == o.max_buckets_ && count_ == o.count_ &&
         zero_count_ == o.zero_count_ && min_ == o.min_ && max_ == o.max_ &&
         positive_ == o.positive_ && negative_ == o.negative_;
}

std::string DDSketch::Serialize() const {
  std::string out(kMagic, sizeof kMagic);
  out.push_back(static_cast<char>(kFormatVersion));
  PutDouble(&out, alpha_);
  PutVarint(&out, static_cast<uint64_t>(max_buckets_));
  PutVarint(&out, zero_count_);
  for (const Store* store : {&positive_, &negative_}) {
    auto buckets = store->Buckets();
    PutVarint(&out, buckets.size());
    for (size_t k = 0; k < buckets.size(); ++k) {
      if (k == 0) {
        PutVarint(&out, ZigZag(buckets[k].first));
      } else {
        PutVarint(&out, static_cast<uint64_t>(static_cast<int64_t>(buckets[k].first) -
                                              buckets[k - 1].first - 1));
      }
      PutVarint(&out, buckets[k].second);
    }
  }
  if (count_ > 0) {
    PutDouble(&out, min_);
    PutDouble(&out, max_);
  }
  return out;
}

std::optional<DDSketch> DDSketch::Deserialize(std::string_view data) {
  Reader r(data);
  uint8_t magic0, magic1, version;
  if (!r.Byte(&magic0) || !r.Byte(&magic1) || !r.Byte(&version)) return std::nullopt;
  if (magic0 != static_cast<uint8_t>(kMagic[0]) || magic1 != static_cast<uint8_t>(kMagic[1]) ||
      version != kFormatVersion) {
    return std::nullopt;
  }
  double alpha;
  uint64_t max_buckets, zero_count;
  if (!r.Double(&alpha) || !r.Varint(&max_buckets) || !r.Varint(&zero_count)) {
    return std::nullopt;
  }
  if (max_buckets > static_cast<uint64_t>(kMaxBucketsLimit) ||
      !ValidParams(alpha, static_cast<int>(max_buckets)) || zero_count > kMaxCount) {
    return std::nullopt;
  }
  DDSketch s(Unchecked{}, alpha, static_cast<int>(max_buckets));
  uint64_t total = zero_count;
  std::vector<std::pair<int32_t, uint64_t>> positive, negative;
  if (!ReadStore(&r, s.min_index_, s.max_index_, s.max_buckets_, &positive, &total) ||
      !ReadStore(&r, s.min_index_, s.max_index_, s.max_buckets_, &negative, &total)) {
    return std::nullopt;
  }
  if (total > 0) {
    double min, max;
    if (!r.Double(&min) || !r.Double(&max)) return std::nullopt;
    if (!std::isfinite(min) || !std::isfinite(max) || !(min <= max)) return std::nullopt;
    if ((min == 0 && std::signbit(min)) || (max == 0 && std::signbit(max))) return std::nullopt;
    if (total == 1 && min != max) return std::nullopt;
    int lowest = !negative.empty() ? 0 : zero_count > 0 ? 1 : 2;
    int highest = !positive.empty() ? 2 : zero_count > 0 ? 1 : 0;
    if (ValueClass(min) != lowest || ValueClass(max) != highest) return std::nullopt;
    s.min_ = min;
    s.max_ = max;
  }
  if (r.remaining() != 0) return std::nullopt;
  s.positive_.Assign(positive);
  s.negative_.Assign(negative);
  s.zero_count_ = zero_count;
  s.count_ = total;
  return s;
}

}  // namespace edgeline
