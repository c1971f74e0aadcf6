// Test helper: a RawCell as text, for readable expectations.
#pragma once

#include <string>

#include "agent/raw_cell.h"

namespace edgeline {

// - missing, null, "text", #number-text, true/false, ? other.
inline std::string Show(const RawCell& c) {
  switch (c.kind) {
    case RawCell::kMissing:
      return "-";
    case RawCell::kNull:
      return "null";
    case RawCell::kText:
      return "\"" + std::string(c.text) + "\"";
    case RawCell::kNumber:
      return "#" + std::string(c.text);
    case RawCell::kBool:
      return c.boolean ? "true" : "false";
    default:
      return "?";
  }
}

}  // namespace edgeline
