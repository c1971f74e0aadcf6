// A value as it came out of a parser, before the schema's cast: both the CSV and the
// NDJSON reader produce RawCells, so casting and cleaning are format-independent.
#pragma once

#include <cstdint>
#include <string>

namespace edgeline {

struct RawCell {
  enum Kind { kMissing, kNull, kText, kNumber, kBool, kOther } kind = kMissing;
  std::string text;  // kText: the text; kNumber: the number's JSON text
  double number = 0;  // kNumber
  bool boolean = false;  // kBool
};

}  // namespace edgeline
