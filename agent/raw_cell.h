// A value as it came out of a parser, before the schema's cast: both the CSV and the
// NDJSON reader produce RawCells, so casting and cleaning are format-independent.
// Cells do not own their text, so parsing a row allocates nothing.
#pragma once

#include <cstdint>
#include <string_view>

namespace edgeline {

struct RawCell {
  enum Kind { kMissing, kNull, kText, kNumber, kBool, kOther } kind = kMissing;
  // kText: the text; kNumber: the number's JSON text. A view into the reader's buffers:
  // valid until the reader moves on to the next record.
  std::string_view text;
  double number = 0;  // kNumber
  bool boolean = false;  // kBool
};

}  // namespace edgeline
