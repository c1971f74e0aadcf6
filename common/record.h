// The record model shared by agent and aggregator.
//
// A Record is one cleaned row: its event time and one Value per schema field, in the
// order the job spec declares the fields. A Value is null, a double, an int64, a
// string or a bool; the field's declared type decides which.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace edgeline {

enum class FieldType { kFloat, kInt, kString, kBool };

const char* FieldTypeName(FieldType type);
// Returns false for an unknown name.
bool ParseFieldType(const std::string& name, FieldType* type);

using Value = std::variant<std::monostate, double, int64_t, std::string, bool>;

inline bool IsNull(const Value& v) { return std::holds_alternative<std::monostate>(v); }
// Numeric view of a float or int value. REQUIRES: the value holds a double or int64.
inline double AsDouble(const Value& v) {
  return std::holds_alternative<double>(v) ? std::get<double>(v)
                                           : static_cast<double>(std::get<int64_t>(v));
}
inline bool IsNumeric(const Value& v) {
  return std::holds_alternative<double>(v) || std::holds_alternative<int64_t>(v);
}

struct Record {
  int64_t ts_ms = 0;
  std::vector<Value> values;  // one per schema field

  // Member by member: cheaper than std::swap's three moves.
  friend void swap(Record& a, Record& b) noexcept {
    std::swap(a.ts_ms, b.ts_ms);
    a.values.swap(b.values);
  }
};

struct FieldDef {
  std::string name;
  FieldType type = FieldType::kFloat;
  bool required = false;
  std::string unit;  // "" when not declared
};

}  // namespace edgeline
