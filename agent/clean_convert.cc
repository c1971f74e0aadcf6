#include "agent/clean_convert.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace edgeline {

namespace {

enum Quantity { kTemperature, kPressure, kLength, kSpeed };

// A unit of a linear quantity: 1 unit = num / den base units (Pa, m, m/s). Integer
// ratios keep common conversions exact (36 km/h -> 10 m/s).
struct Unit {
  const char* name;
  Quantity quantity;
  double num, den;
};

constexpr Unit kUnits[] = {
    {"degC", kTemperature, 1, 1},
    {"degF", kTemperature, 1, 1},
    {"K", kTemperature, 1, 1},
    {"Pa", kPressure, 1, 1},
    {"hPa", kPressure, 100, 1},
    {"kPa", kPressure, 1000, 1},
    {"bar", kPressure, 100000, 1},
    {"psi", kPressure, 6894.757293168361, 1},  // lbf/in^2 = 0.45359237 * 9.80665 / 0.0254^2
    {"mmHg", kPressure, 133.322387415, 1},     // conventional: 13.5951 * 9.80665
    {"inHg", kPressure, 3386.388640341, 1},    // 25.4 mmHg
    {"m", kLength, 1, 1},
    {"cm", kLength, 1, 100},
    {"mm", kLength, 1, 1000},
    {"km", kLength, 1000, 1},
    {"in", kLength, 254, 10000},
    {"ft", kLength, 3048, 10000},
    {"mi", kLength, 1609344, 1000},
    {"m/s", kSpeed, 1, 1},
    {"km/h", kSpeed, 1000, 3600},
    {"mph", kSpeed, 1609344, 3600000},
    {"kn", kSpeed, 1852, 3600},
};

const Unit* Find(const std::string& name) {
  for (const Unit& u : kUnits) {
    if (name == u.name) return &u;
  }
  return nullptr;
}

}  // namespace

bool IsKnownUnit(const std::string& unit) { return Find(unit) != nullptr; }

bool SameQuantity(const std::string& from, const std::string& to) {
  const Unit* a = Find(from);
  const Unit* b = Find(to);
  return a && b && a->quantity == b->quantity;
}

double ConvertUnit(double v, const std::string& from, const std::string& to) {
  if (from == to) return v;
  const Unit* a = Find(from);
  const Unit* b = Find(to);
  if (!a || !b) return v;
  if (a->quantity == kTemperature) {
    double c = from == "degC" ? v : from == "degF" ? (v - 32) * 5 / 9 : v - 273.15;
    if (to == "degC") return c;
    if (to == "degF") return c * 9 / 5 + 32;
    return c + 273.15;
  }
  // One multiplication and one division of exact integer products where possible.
  return v * (a->num * b->den) / (a->den * b->num);
}

double RoundHalfAway(double v, int digits) {
  if (!std::isfinite(v) || v == 0) return v;
  // The shortest decimal that reads back as v, as d.ddddde[+-]XX.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), std::fabs(v), std::chars_format::scientific);
  *res.ptr = '\0';
  char* e = std::strchr(buf, 'e');
  const int exp = std::atoi(e + 1);
  std::string mantissa;
  for (char* p = buf; p < e; ++p) {
    if (*p != '.') mantissa += *p;
  }
  // Digit i of the mantissa has weight 10^(exp - i); keep those of weight >= 10^-digits.
  const int keep = exp + digits + 1;
  if (keep >= static_cast<int>(mantissa.size())) return v;  // nothing to round off
  int64_t kept = 0;
  for (int i = 0; i < keep; ++i) kept = kept * 10 + (mantissa[i] - '0');
  const bool up = keep >= 0 && mantissa[keep] >= '5';
  if (keep < 0) kept = 0;  // the first digit is below the rounding position's half
  if (up) ++kept;
  if (kept == 0) return 0.0;
  // kept * 10^-digits, parsed from text so that the result is the double nearest to it.
  std::snprintf(buf, sizeof(buf), "%s%llde-%d", v < 0 ? "-" : "", static_cast<long long>(kept), digits);
  double out = v;
  std::from_chars(buf, buf + std::strlen(buf), out);
  return out;
}

}  // namespace edgeline
