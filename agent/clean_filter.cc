#include "agent/clean_filter.h"

#include <variant>

namespace edgeline {

namespace {

// -1, 0 or 1 for comparable values; 2 when they can't be ordered (null, bool, or
// mixed types).
int Order(const Value& a, const Value& b) {
  if (IsNumeric(a) && IsNumeric(b)) {
    if (std::holds_alternative<int64_t>(a) && std::holds_alternative<int64_t>(b)) {
      int64_t x = std::get<int64_t>(a), y = std::get<int64_t>(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    double x = AsDouble(a), y = AsDouble(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (std::holds_alternative<std::string>(a) && std::holds_alternative<std::string>(b)) {
    int c = std::get<std::string>(a).compare(std::get<std::string>(b));
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return 2;
}

bool Equal(const Value& a, const Value& b) {
  if (IsNull(a) || IsNull(b)) return IsNull(a) && IsNull(b);
  if (std::holds_alternative<bool>(a) && std::holds_alternative<bool>(b)) {
    return std::get<bool>(a) == std::get<bool>(b);
  }
  return Order(a, b) == 0;
}

bool Compare(const CleanOp::Cond& c, const Value& v) {
  using Cond = CleanOp::Cond;
  switch (c.cmp) {
    case Cond::kEq: return Equal(v, c.values[0]);
    case Cond::kNe: return !Equal(v, c.values[0]);
    case Cond::kIn:
    case Cond::kNotIn: {
      bool in = false;
      for (const Value& x : c.values) in = in || Equal(v, x);
      return in == (c.cmp == Cond::kIn);
    }
    default: break;
  }
  int o = Order(v, c.values[0]);
  if (o == 2) return false;
  switch (c.cmp) {
    case Cond::kLt: return o < 0;
    case Cond::kLe: return o <= 0;
    case Cond::kGt: return o > 0;
    default: return o >= 0;  // kGe
  }
}

}  // namespace

bool EvalCond(const CleanOp::Cond& c, const Record& r) {
  using Cond = CleanOp::Cond;
  switch (c.kind) {
    case Cond::kCmp:
      if (c.field < 0) return Compare(c, Value{r.ts_ms});
      return Compare(c, r.values[c.field]);
    case Cond::kAll:
      for (const Cond& x : c.children) {
        if (!EvalCond(x, r)) return false;
      }
      return true;
    case Cond::kAny:
      for (const Cond& x : c.children) {
        if (EvalCond(x, r)) return true;
      }
      return false;
    case Cond::kNot:
      return !c.children.empty() && !EvalCond(c.children[0], r);
  }
  return false;
}

}  // namespace edgeline
