// CSV scanner stage 1 (agent/csv_stage1.h): the SIMD classification compiled once per
// target by Highway's foreach_target.h (which re-includes this file), the SWAR one and the
// run-time choice (in the HWY_ONCE section at the end).
#include "agent/csv_stage1.h"

#include <cstdint>
#include <cstring>

// Helpers shared by all targets: defined once although this file is included once per target.
#ifndef EDGELINE_AGENT_CSV_STAGE1_SHARED_
#define EDGELINE_AGENT_CSV_STAGE1_SHARED_
namespace edgeline {
namespace csv_detail {

// Bytes b[0, n) (n <= 8) as a little-endian integer: StoreMaskBits puts lane i in bit i % 8 of
// byte i / 8, so this is the mask with lane i in bit i.
inline uint64_t LoadLE(const uint8_t* b, size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t v = 0;
  std::memcpy(&v, b, n);  // one register move once inlined
  return v;
#else
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | b[i];
  return v;
#endif
}

// SWAR helpers for the scalar stage 1 (8 bytes in a uint64_t, byte 0 in the low bits).
// High bit of each byte of w that equals c (exact: no false positives, no carries between
// bytes).
inline uint64_t EqBytes(uint64_t w, uint8_t c) {
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Full;
  const uint64_t x = w ^ (0x0101010101010101ull * c);  // zero bytes where w has c
  return ~(((x & kLow7) + kLow7) | x) & 0x8080808080808080ull;
}
// The high bits of the 8 bytes of h (only those bits set) as an 8-bit mask, byte i to bit i.
inline uint64_t GatherHighBits(uint64_t h) { return ((h >> 7) * 0x0102040810204080ull) >> 56; }

// Stage 1 without SIMD: for each 64-byte block, bit i of quote[b] is set iff byte i is '"',
// bit i of structural[b] iff byte i is the delimiter or '\n', bit i of lf[b] iff it is '\n'.
// `in` holds num_blocks * 64 bytes.
inline void ClassifyBlocksScalar(const uint8_t* in, size_t num_blocks, uint8_t delim,
                                 uint64_t* quote, uint64_t* structural, uint64_t* lf) {
  for (size_t b = 0; b < num_blocks; ++b) {
    const uint8_t* p = in + b * kBlockBytes;
    uint64_t q = 0;
    uint64_t s = 0;
    uint64_t l = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (size_t i = 0; i < kBlockBytes; i += 8) {  // 8 bytes at a time (SWAR)
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      q |= GatherHighBits(EqBytes(w, '"')) << i;
      const uint64_t lf_bytes = EqBytes(w, '\n');
      s |= GatherHighBits(EqBytes(w, delim) | lf_bytes) << i;
      l |= GatherHighBits(lf_bytes) << i;
    }
#else
    for (size_t i = 0; i < kBlockBytes; ++i) {
      q |= uint64_t{p[i] == '"'} << i;
      s |= uint64_t{p[i] == delim || p[i] == '\n'} << i;
      l |= uint64_t{p[i] == '\n'} << i;
    }
#endif
    quote[b] = q;
    structural[b] = s;
    lf[b] = l;
  }
}

}  // namespace csv_detail
}  // namespace edgeline
#endif  // EDGELINE_AGENT_CSV_STAGE1_SHARED_

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "agent/csv_stage1.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace edgeline {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

// Stage 1 with SIMD; the same results as csv_detail::ClassifyBlocksScalar.
void ClassifyBlocks(const uint8_t* HWY_RESTRICT in, size_t num_blocks, uint8_t delim,
                    uint64_t* HWY_RESTRICT quote, uint64_t* HWY_RESTRICT structural,
                    uint64_t* HWY_RESTRICT lf) {
  const hn::CappedTag<uint8_t, csv_detail::kBlockBytes> d;
  const size_t n = hn::Lanes(d);
  if (n < 8 || csv_detail::kBlockBytes % n != 0) {  // e.g. HWY_SCALAR, or 384-bit SVE
    csv_detail::ClassifyBlocksScalar(in, num_blocks, delim, quote, structural, lf);
    return;
  }
  const auto v_quote = hn::Set(d, uint8_t{'"'});
  const auto v_delim = hn::Set(d, delim);
  const auto v_lf = hn::Set(d, uint8_t{'\n'});
  for (size_t b = 0; b < num_blocks; ++b) {
    const uint8_t* p = in + b * csv_detail::kBlockBytes;
    uint64_t q = 0;
    uint64_t s = 0;
    uint64_t l = 0;
    for (size_t i = 0; i < csv_detail::kBlockBytes; i += n) {
      const auto v = hn::LoadU(d, p + i);
      uint8_t bytes[8];
      const size_t nb = hn::StoreMaskBits(d, hn::Eq(v, v_quote), bytes);
      q |= csv_detail::LoadLE(bytes, nb) << i;
      const auto is_lf = hn::Eq(v, v_lf);
      hn::StoreMaskBits(d, hn::Or(hn::Eq(v, v_delim), is_lf), bytes);
      s |= csv_detail::LoadLE(bytes, nb) << i;
      hn::StoreMaskBits(d, is_lf, bytes);
      l |= csv_detail::LoadLE(bytes, nb) << i;
    }
    quote[b] = q;
    structural[b] = s;
    lf[b] = l;
  }
}

const char* TargetNameImpl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace edgeline
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace edgeline {

HWY_EXPORT(ClassifyBlocks);
HWY_EXPORT(TargetNameImpl);

namespace csv_detail {

void ClassifyBlocks(CsvScanMode mode, const uint8_t* in, size_t num_blocks, uint8_t delim,
                    uint64_t* quote, uint64_t* structural, uint64_t* lf) {
  if (mode == CsvScanMode::kSimd) {
    HWY_DYNAMIC_DISPATCH(ClassifyBlocks)(in, num_blocks, delim, quote, structural, lf);
  } else {
    ClassifyBlocksScalar(in, num_blocks, delim, quote, structural, lf);
  }
}

}  // namespace csv_detail

const char* CsvSimdTargetName() { return HWY_DYNAMIC_DISPATCH(TargetNameImpl)(); }

}  // namespace edgeline
#endif  // HWY_ONCE
