// The value-rewriting clean ops without state: unit conversion (`convert`) and `round`.
#pragma once

#include <string>

namespace edgeline {

// True for a unit `convert` knows: temperature degC, degF, K; pressure Pa, hPa, kPa,
// bar, psi, mmHg, inHg; length m, cm, mm, km, in, ft, mi; speed m/s, km/h, mph, kn.
bool IsKnownUnit(const std::string& unit);
// True when both units are known and of the same quantity.
bool SameQuantity(const std::string& from, const std::string& to);
// Converts v between two units of the same quantity (REQUIRES: SameQuantity).
double ConvertUnit(double v, const std::string& from, const std::string& to);

// Rounds to `digits` decimal places (0..15), half away from zero, deciding on the
// shortest decimal text of v (the one JSON output shows): 2.675 -> 2.68, -0.125 -> -0.13
// with digits 2. Non-finite values are returned unchanged.
double RoundHalfAway(double v, int digits);

}  // namespace edgeline
