// DDSketch: a mergeable quantile sketch with a relative-error guarantee
// (Masson, Rim, Lee: "DDSketch: A Fast and Fully-Mergeable Quantile Sketch with
// Relative-Error Guarantees", VLDB 2019).
//
// Buckets. With relative accuracy alpha, gamma = (1 + alpha) / (1 - alpha). A value x with
// |x| >= kMinIndexable goes to bucket index(|x|) = ceil(log(|x|) / log(gamma)) of the positive
// store (x > 0) or of the mirrored negative store (x < 0); bucket i holds the values in
// (gamma^(i-1), gamma^i] and is represented by 2 * gamma^i / (gamma + 1), which is within
// alpha (relative) of every value in the bucket. Values with |x| < kMinIndexable (the
// smallest normal double, ~2.2e-308: zero and subnormals) are counted as zeros and
// represented by 0.
//
// Rank convention. Quantile(q) estimates the element of rank floor(q * (n - 1)) (0-based)
// of the sorted multiset of the n added values: Quantile(0) is the exact minimum and
// Quantile(1) the exact maximum (both are tracked exactly), Quantile(0.5) is the lower
// median. The estimate e of a true quantile v satisfies |e - v| <= alpha * |v| (up to
// floating-point rounding, ~1e-15 relative), except in the one case below.
//
// Bounded memory ("collapsing lowest"). Each store keeps a dense array over at most
// `max_buckets` consecutive indexes, so a sketch uses at most about 2 * 8 * max_buckets
// bytes (see MemoryUsageBytes()). When a store's indexes would span more than max_buckets,
// its lowest-index buckets (the values of smallest magnitude in that store) are folded into
// the lowest bucket kept, max_index - max_buckets + 1. This is the only way the guarantee
// weakens: it needs values of one sign spanning a ratio of more than gamma^(max_buckets-1)
// (about 10^17 at alpha = 0.01, max_buckets = 2048), and only the folded values, those
// with |x| < max|x| / gamma^(max_buckets-1) in their store, are then overestimated in
// magnitude (to at most ~max|x| / gamma^(max_buckets-2)). For all-positive data these are
// the lowest quantiles; the negative store mirrors the positive one, so for negative
// values it is the ones closest to zero. The folding is a function of the final multiset
// (every index is clamped to max_index - max_buckets + 1), so merging stays exact.
//
// Merging. Counts are uint64 and min/max are exact, so Merge is exactly associative and
// commutative: merging sketches of any partition of a multiset, in any order, yields a
// sketch equal (operator==, byte-identical Serialize()) to the sketch of the whole.
//
// Serialized format, version 1 (little-endian; "varint" is unsigned LEB128, minimal
// length; "zigzag" maps a signed n to (n << 1) ^ (n >> 63)):
//   "DD"                magic (0x44 0x44)
//   0x01                format version
//   alpha               8 bytes, IEEE-754 binary64
//   max_buckets         varint
//   zero_count          varint
//   positive store, then negative store, each:
//     n                 varint, number of non-empty buckets
//     n times           index (the first: zigzag varint of the index; the others: varint of
//                       index - previous index - 1), then count (varint, >= 1)
//   min, max            8 bytes each, IEEE-754 binary64; present iff the total count > 0
// The encoding is canonical: Serialize(*Deserialize(s)) == s for every accepted s.
// Deserialize treats its input as untrusted: it rejects (std::nullopt, never a crash or
// an exception) truncated input, trailing bytes, unknown versions, parameters out of
// range, non-minimal varints, zero counts, indexes outside the representable range, a
// store span over max_buckets, total counts over INT64_MAX, and min/max inconsistent
// with the buckets. It allocates at most O(input size + max_buckets) memory, with
// max_buckets <= kMaxBucketsLimit.
//
// Thread safety: not thread-safe. Concurrent const calls are safe (no mutable state);
// anything that mutates a sketch needs external locking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace edgeline {

class DDSketch {
 public:
  static constexpr double kMinAlpha = 1e-6;
  static constexpr double kMaxAlpha = 0.5;
  static constexpr int kMaxBucketsLimit = 1 << 16;
  static constexpr double kMinIndexable = std::numeric_limits<double>::min();
  static constexpr uint8_t kFormatVersion = 1;

  // REQUIRES: kMinAlpha <= alpha <= kMaxAlpha and 1 <= max_buckets <= kMaxBucketsLimit;
  // throws std::invalid_argument otherwise (a configuration error).
  explicit DDSketch(double alpha = 0.01, int max_buckets = 2048);

  // Adds one value. NaN and +-inf are ignored and return false (the sketch is unchanged),
  // as is a value that would push count() past INT64_MAX; otherwise returns true.
  bool Add(double x);

  // Adds every value of `other` to this sketch. Returns an error and leaves this sketch
  // unchanged when the parameters differ (alpha, compared exactly, or max_buckets) or the
  // merged count would exceed INT64_MAX. `other` may be *this.
  Status Merge(const DDSketch& other);

  // Estimate of the element of rank floor(q * (count() - 1)) (see the file comment);
  // exact for rank 0 (min) and rank count() - 1 (max). NaN when the sketch is empty or q
  // is not in [0, 1] (or is NaN).
  double Quantile(double q) const;

  int64_t count() const { return static_cast<int64_t>(count_); }
  bool empty() const { return count_ == 0; }
  double alpha() const { return alpha_; }
  int max_buckets() const { return max_buckets_; }
  // Exact minimum and maximum of the added values; +inf and -inf when empty.
  double min() const { return min_; }
  double max() const { return max_; }
  uint64_t zero_count() const { return zero_count_; }

  // Non-empty buckets of one store as (index, count), ascending index. The negative store
  // is indexed by magnitude: bucket i holds the values in [-gamma^i, -gamma^(i-1)).
  std::vector<std::pair<int32_t, uint64_t>> PositiveBuckets() const { return positive_.Buckets(); }
  std::vector<std::pair<int32_t, uint64_t>> NegativeBuckets() const { return negative_.Buckets(); }
  // Bucket index of a finite magnitude v >= kMinIndexable (REQUIRED), and the value
  // representing bucket i (may round to +inf at the top of the double range; Quantile
  // clamps its estimates to [min(), max()]).
  int32_t IndexOf(double v) const;
  double BucketValue(int32_t index) const;

  // Bytes used by this object and its bucket arrays, at most
  // sizeof(DDSketch) + 2 * sizeof(uint64_t) * max_buckets().
  size_t MemoryUsageBytes() const;

  std::string Serialize() const;
  static std::optional<DDSketch> Deserialize(std::string_view data);

  // Same parameters, counts, buckets, min and max.
  bool operator==(const DDSketch& o) const;
  bool operator!=(const DDSketch& o) const { return !(*this == o); }

 private:
  // Dense counts over the indexes [offset_, offset_ + counts_.size()); when non-empty,
  // the first and last entries are non-zero, and the span is <= max_buckets.
  class Store {
   public:
    bool empty() const { return counts_.empty(); }
    int32_t lo() const { return offset_; }
    int32_t hi() const { return offset_ + static_cast<int32_t>(counts_.size()) - 1; }
    uint64_t at(int32_t index) const { return counts_[static_cast<size_t>(index - offset_)]; }
    size_t capacity() const { return counts_.capacity(); }
    // REQUIRES: n >= 1, max_buckets >= 1.
    void Add(int32_t index, uint64_t n, int max_buckets);
    // REQUIRES: &o != this.
    void Merge(const Store& o, int max_buckets);
    std::vector<std::pair<int32_t, uint64_t>> Buckets() const;
    // REQUIRES: buckets strictly ascending, counts >= 1, span <= max_buckets.
    void Assign(const std::vector<std::pair<int32_t, uint64_t>>& buckets);
    bool operator==(const Store& o) const { return offset_ == o.offset_ && counts_ == o.counts_; }

   private:
    // Re-lays the counts over [new_lo, new_hi], folding indexes below new_lo into new_lo.
    // REQUIRES: !empty(), new_lo <= new_hi, hi() <= new_hi.
    void Reshape(int64_t new_lo, int64_t new_hi);

    int32_t offset_ = 0;
    std::vector<uint64_t> counts_;
  };

  // Parameters only; used by Deserialize after validating them.
  struct Unchecked {};
  DDSketch(Unchecked, double alpha, int max_buckets);

  static bool ValidParams(double alpha, int max_buckets);

  double alpha_;
  int max_buckets_;
  double log_gamma_;         // gamma = (1 + alpha) / (1 - alpha)
  double log_value_offset_;  // log(2 / (gamma + 1))
  int32_t min_index_;        // IndexOf(kMinIndexable)
  int32_t max_index_;        // IndexOf(DBL_MAX)

  Store positive_;
  Store negative_;
  uint64_t zero_count_ = 0;
  uint64_t count_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace edgeline
