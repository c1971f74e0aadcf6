// ParseShortDecimals and ParseIso8601UtcColumn (agent/column_simd.h): the steps of the
// one-word parses on SIMD vectors of 64-bit lanes, one cell per lane, compiled once per target by
// Highway's foreach_target.h (which re-includes this file), dispatched at run time.
#include "agent/column_simd.h"

#include <cstring>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "agent/column_simd.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace edgeline {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

void ParseShortDecimalsImpl(const uint64_t* HWY_RESTRICT words,
                            const uint64_t* HWY_RESTRICT lengths, size_t count,
                            double* HWY_RESTRICT values, uint64_t* HWY_RESTRICT ok) {
  size_t i = 0;
#if HWY_HAVE_FLOAT64 && HWY_TARGET != HWY_SCALAR
  const hn::ScalableTag<uint64_t> d;
  const hn::Repartition<uint32_t, decltype(d)> d32;
  const hn::Repartition<uint8_t, decltype(d)> d8;
  const hn::Rebind<double, decltype(d)> df;
  const size_t lanes = hn::Lanes(d);
  const auto zero = hn::Zero(d);
  const auto one = hn::Set(d, 1);
  for (; i + lanes <= count; i += lanes) {
    const auto x = hn::LoadU(d, words + i);
    const auto n8 = hn::ShiftLeft<3>(hn::LoadU(d, lengths + i));  // 8n: 32..64
    const auto used = hn::Shr(hn::Set(d, ~uint64_t{0}), hn::Sub(hn::Set(d, 64), n8));
    auto t = hn::Xor(hn::And(x, used), hn::And(hn::Set(d, 0x3030303030303030), used));
    // A leading '-' becomes a leading digit 0; the value is negated at the end.
    const auto neg = hn::Eq(hn::And(t, hn::Set(d, 0xFF)), hn::Set(d, '-' ^ '0'));
    t = hn::IfThenElse(neg, hn::AndNot(hn::Set(d, 0xFF), t), t);
    const auto other = hn::And(
        hn::Or(hn::Add(hn::And(t, hn::Set(d, 0x7F7F7F7F7F7F7F7F)), hn::Set(d, 0x7676767676767676)),
               t),
        hn::And(hn::Set(d, 0x8080808080808080), used));
    const auto single = hn::Eq(hn::And(other, hn::Sub(other, one)), zero);  // at most one
    const auto has_dot = hn::Ne(other, zero);
    // With one non-digit: 0x01 at its byte, 0xFF there, and the bytes below it; with none,
    // zero, zero and every byte.
    const auto unit = hn::ShiftRight<7>(other);
    const auto at_byte = hn::Sub(hn::ShiftLeft<8>(unit), unit);
    const auto below = hn::Sub(unit, one);
    const auto is_dot =
        hn::Eq(hn::And(t, at_byte), hn::And(at_byte, hn::Set(d, 0x1E1E1E1E1E1E1E1E)));
    const auto take = hn::And(single, is_dot);
    // The point taken out; leading zero bytes make it eight digits: a shift by
    // 8 * (8 - num_digits), num_digits = n - has_dot.
    auto digits = hn::Or(hn::And(t, below), hn::AndNot(below, hn::ShiftRight<8>(t)));
    const auto shift =
        hn::Add(hn::Sub(hn::Set(d, 64), n8), hn::And(hn::VecFromMask(d, has_dot), hn::Set(d, 8)));
    digits = hn::Shl(digits, shift);
    // Pairs of digits (bytes 0, 2, 4, 6), then fours (bits 0 and 32), then the number.
    digits = hn::Add(hn::Add(hn::ShiftLeft<3>(digits), hn::ShiftLeft<1>(digits)),
                     hn::ShiftRight<8>(digits));
    digits = hn::And(digits, hn::Set(d, 0x00FF00FF00FF00FF));
    digits = hn::Add(hn::Add(hn::Add(hn::ShiftLeft<6>(digits), hn::ShiftLeft<5>(digits)),
                             hn::ShiftLeft<2>(digits)),
                     hn::ShiftRight<16>(digits));
    digits = hn::And(digits, hn::Set(d, 0x0000FFFF0000FFFF));
    const auto m = hn::Add(hn::MulEven(hn::BitCast(d32, digits), hn::Set(d32, 10000)),
                           hn::ShiftRight<32>(digits));
    // m < 2^52 as a double: its bits under 2^52's exponent, less 2^52.
    const auto md = hn::Sub(hn::BitCast(df, hn::Or(m, hn::Set(d, 0x4330000000000000))),
                            hn::Set(df, 4503599627370496.0));
    // frac = n - 1 - (the point's byte) digits after the point; 10^frac as 10^(1, 2, 4).
    const auto at = hn::SumsOf8(hn::BitCast(d8, hn::And(below, hn::Set(d, 0x0101010101010101))));
    const auto frac = hn::IfThenElseZero(has_dot, hn::Sub(hn::Sub(hn::ShiftRight<3>(n8), one), at));
    const auto one_d = hn::Set(df, 1.0);
    const auto pow10 =
        hn::Mul(hn::Mul(hn::IfThenElse(hn::RebindMask(df, hn::TestBit(frac, hn::Set(d, 1))),
                                       hn::Set(df, 10.0), one_d),
                        hn::IfThenElse(hn::RebindMask(df, hn::TestBit(frac, hn::Set(d, 2))),
                                       hn::Set(df, 100.0), one_d)),
                hn::IfThenElse(hn::RebindMask(df, hn::TestBit(frac, hn::Set(d, 4))),
                               hn::Set(df, 10000.0), one_d));
    const auto v = hn::Div(md, pow10);
    hn::StoreU(hn::IfThenElse(hn::RebindMask(df, neg), hn::Neg(v), v), df, values + i);
    hn::StoreU(hn::VecFromMask(d, take), d, ok + i);
  }
#endif
  for (; i < count; ++i) {  // the rest, one at a time
    ok[i] = ParseSignedShortDecimalWord(words[i], lengths[i], &values[i]) ? ~uint64_t{0} : 0;
  }
}

void ParseIso8601UtcColumnImpl(const uint64_t* HWY_RESTRICT a, const uint64_t* HWY_RESTRICT b,
                               const uint64_t* HWY_RESTRICT x, size_t count,
                               const IsoDateCache& minute, int64_t* HWY_RESTRICT ms,
                               uint64_t* HWY_RESTRICT ok) {
  size_t i = 0;
#if HWY_TARGET != HWY_SCALAR
  const hn::ScalableTag<uint64_t> d;
  const hn::Rebind<int64_t, decltype(d)> di;
  const size_t lanes = hn::Lanes(d);
  uint64_t c0, c1;
  std::memcpy(&c0, minute.text, 8);
  std::memcpy(&c1, minute.text + 8, 8);
  const auto text0 = hn::Set(d, c0);
  const auto text1 = hn::Set(d, c1);
  const auto base = hn::Set(d, static_cast<uint64_t>(minute.minute_s) * 1000);  // mod 2^64
  const auto digits = hn::Set(d, 0x00FFFFFF00FFFF00);                           // bytes 1 2 4 5 6
  const auto byte = hn::Set(d, 0xFF);
  for (; i + lanes <= count; i += lanes) {
    const auto xv = hn::LoadU(d, x + i);
    auto take = hn::And(hn::Eq(hn::LoadU(d, a + i), text0), hn::Eq(hn::LoadU(d, b + i), text1));
    take = hn::And(take, hn::Eq(hn::And(xv, hn::Set(d, 0xFF000000FF0000FF)),
                                hn::Set(d, 0x5A0000002E00003A)));  // ':' '.' 'Z'
    const auto t = hn::And(hn::Xor(xv, hn::Set(d, 0x3030303030303030)), digits);
    const auto above9 = hn::And(
        hn::Or(hn::Add(hn::And(t, hn::Set(d, 0x7F7F7F7F7F7F7F7F)), hn::Set(d, 0x7676767676767676)),
               t),
        hn::And(hn::Set(d, 0x8080808080808080), digits));
    take = hn::And(take, hn::Eq(above9, hn::Zero(d)));
    // Byte i of u: digit i * 10 + digit i + 1; the seconds in byte 1, the first two digits
    // of the milliseconds in byte 4.
    const auto u = hn::Add(hn::Add(hn::ShiftLeft<3>(t), hn::ShiftLeft<1>(t)), hn::ShiftRight<8>(t));
    const auto sec = hn::And(hn::ShiftRight<8>(u), byte);
    take = hn::And(take, hn::RebindMask(d, hn::Lt(hn::BitCast(di, sec), hn::Set(di, 61))));
    const auto ms10 = hn::And(hn::ShiftRight<32>(u), byte);
    const auto millis =
        hn::Add(hn::Add(hn::ShiftLeft<3>(ms10), hn::ShiftLeft<1>(ms10)), hn::ShiftRight<48>(t));
    // sec * 1000 = sec * (1024 - 16 - 8)
    const auto sec_ms =
        hn::Sub(hn::Sub(hn::ShiftLeft<10>(sec), hn::ShiftLeft<4>(sec)), hn::ShiftLeft<3>(sec));
    hn::StoreU(hn::BitCast(di, hn::Add(hn::Add(base, sec_ms), millis)), di, ms + i);
    hn::StoreU(hn::VecFromMask(d, take), d, ok + i);
  }
#endif
  for (; i < count; ++i) {  // the rest, one at a time
    ok[i] = ParseIso8601UtcWords(a[i], b[i], x[i], minute, &ms[i]) ? ~uint64_t{0} : 0;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace edgeline
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace edgeline {

HWY_EXPORT(ParseShortDecimalsImpl);
HWY_EXPORT(ParseIso8601UtcColumnImpl);

void ParseShortDecimals(const uint64_t* words, const uint64_t* lengths, size_t count,
                        double* values, uint64_t* ok) {
  HWY_DYNAMIC_DISPATCH(ParseShortDecimalsImpl)(words, lengths, count, values, ok);
}

void ParseIso8601UtcColumn(const uint64_t* a, const uint64_t* b, const uint64_t* x, size_t count,
                           const IsoDateCache& minute, int64_t* ms, uint64_t* ok) {
  HWY_DYNAMIC_DISPATCH(ParseIso8601UtcColumnImpl)(a, b, x, count, minute, ms, ok);
}

}  // namespace edgeline
#endif  // HWY_ONCE
