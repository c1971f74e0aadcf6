// Short decimals, the commonest shape of a sensor value: 4 to 8 bytes of digits with at most
// one '.' ("21.37", "1013.25", "0.125"). Parsed without a branch per byte, one at a time
// (SWAR: the eight bytes in one uint64_t, the method of fast_float and simdjson), or a
// column's worth at once by ParseShortDecimals (agent/column_simd.h).
// At most 8 digits make the mantissa m < 2^53 and the point makes 10^frac <= 10^7: exact
// doubles, so m / 10^frac is correctly rounded, the value strtod gives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace edgeline {

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr bool kLittleEndian = true;
#else
constexpr bool kLittleEndian = false;
#endif

// Exact powers of ten: a double holds 10^k exactly up to k = 22.
inline constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// The n bytes at p as a little-endian word, the rest zero (two 4-byte loads that overlap on
// identical bytes: nothing outside p[0, n) is read). REQUIRES: 4 <= n <= 8, little endian.
inline uint64_t ShortDecimalWord(const char* p, size_t n) {
  uint32_t a;
  uint32_t b;
  std::memcpy(&a, p, 4);
  std::memcpy(&b, p + n - 4, 4);
  return uint64_t{a} | (uint64_t{b} << (8 * (n - 4)));
}

// Eight bytes at p as a little-endian word.
inline uint64_t Load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// The text of n bytes held in the low bytes of x (ShortDecimalWord, Load8; the bytes above
// are ignored) as a short decimal: sets *out and returns true, or returns false for any
// other text (the caller then scans it byte by byte). REQUIRES: 1 <= n <= 8.
inline bool ParseShortDecimalWord(uint64_t x, size_t n, double* out) {
  const uint64_t used = ~uint64_t{0} >> (8 * (8 - n));
  const uint64_t t = (x & used) ^ (0x3030303030303030 & used);  // a digit 0..9, '.' 0x1E
  // Bit 7 of each text byte that is not 0..9: adding 0x76 to the low 7 bits passes 0x7F
  // exactly for 10..127, and bytes >= 128 have bit 7 already.
  const uint64_t other =
      (((t & 0x7F7F7F7F7F7F7F7F) + 0x7676767676767676) | t) & 0x8080808080808080 & used;
  uint64_t digits = t;
  size_t num_digits = n;
  size_t frac = 0;
  if (other != 0) {
    if ((other & (other - 1)) != 0) return false;  // two or more
    const unsigned at = static_cast<unsigned>(__builtin_ctzll(other)) / 8;
    if (((t >> (8 * at)) & 0xFF) != ('.' ^ '0')) return false;
    const uint64_t below = (uint64_t{1} << (8 * at)) - 1;
    digits = (t & below) | ((t >> 8) & ~below);  // the point taken out
    num_digits = n - 1;
    frac = n - 1 - at;
  }
  // Leading zero bytes make it eight digits, the first one in the lowest byte.
  digits <<= 8 * (8 - num_digits);
  digits = digits * 10 + (digits >> 8);
  digits = (((digits & 0x000000FF000000FF) * 0x000F424000000064) +
            (((digits >> 16) & 0x000000FF000000FF) * 0x0000271000000001)) >>
           32;
  *out = static_cast<double>(digits) / kPow10[frac];
  return true;
}

// ParseShortDecimalWord for the n bytes at p. REQUIRES: 4 <= n <= 8, little endian.
inline bool ParseShortDecimal(const char* p, size_t n, double* out) {
  return ParseShortDecimalWord(ShortDecimalWord(p, n), n, out);
}

// ParseShortDecimalWord with an optional leading '-': the rest of the text negated.
// REQUIRES: 2 <= n <= 8.
inline bool ParseSignedShortDecimalWord(uint64_t x, size_t n, double* out) {
  const bool neg = (x & 0xFF) == '-';
  if (!ParseShortDecimalWord(neg ? x >> 8 : x, n - neg, out)) return false;
  if (neg) *out = -*out;
  return true;
}

}  // namespace edgeline
