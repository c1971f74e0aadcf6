// JSON values for the validator: formatting, comparing, hashing, types, patterns.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <utility>

#include "common/json_schema_internal.h"

namespace edgeline {
namespace json_schema_internal {

size_t PathDepth(const std::string& path) {
  return static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
}

// Shortest decimal text that round-trips `d` ("60", "0.1", "1e+300").
std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  if (d == std::floor(d) && std::fabs(d) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", d == 0 ? 0.0 : d);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

std::string FormatNumber(const json& n) {
  if (n.is_number_unsigned()) return std::to_string(n.get<std::uint64_t>());
  if (n.is_number_integer()) return std::to_string(n.get<std::int64_t>());
  return FormatDouble(n.get<double>());
}

// Compact, human-readable rendering of a schema value (strings quoted).
std::string Describe(const json& v) {
  if (v.is_number()) return FormatNumber(v);
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string DescribeList(const std::vector<const json*>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i == kMaxListedValues) return out + ", ...";
    out += (i > 0 ? ", " : "") + Describe(*values[i]);
  }
  return out;
}

// "1 item" / "3 items".
std::string Count(size_t n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

bool IsNegativeInt(const json& v) {
  return v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() < 0;
}

// Three-way comparison of two JSON numbers, exact when both are integers.
int CompareNumbers(const json& a, const json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    bool a_neg = IsNegativeInt(a);
    bool b_neg = IsNegativeInt(b);
    if (a_neg != b_neg) return a_neg ? -1 : 1;
    if (a_neg) {
      std::int64_t x = a.get<std::int64_t>(), y = b.get<std::int64_t>();
      return (x > y) - (x < y);
    }
    std::uint64_t x = a.get<std::uint64_t>(), y = b.get<std::uint64_t>();
    return (x > y) - (x < y);
  }
  double x = a.get<double>(), y = b.get<double>();
  return (x > y) - (x < y);
}

// `m` must be a positive number.
bool IsMultipleOf(const json& v, const json& m) {
  if (v.is_number_integer() && m.is_number_integer()) {
    std::uint64_t magnitude = IsNegativeInt(v)
                                  ? 0 - static_cast<std::uint64_t>(v.get<std::int64_t>())
                                  : v.get<std::uint64_t>();
    return magnitude % m.get<std::uint64_t>() == 0;
  }
  double q = v.get<double>() / m.get<double>();
  if (!std::isfinite(q)) return false;
  return std::fabs(q - std::round(q)) <= 1e-12 * std::max(1.0, std::fabs(q));
}

// JSON Schema equality (1 == 1.0, object key order irrelevant). Iterative, so arbitrarily deep
// values cannot overflow the stack.
bool JsonEqual(const json& a, const json& b) {
  std::vector<std::pair<const json*, const json*>> stack{{&a, &b}};
  while (!stack.empty()) {
    const json& x = *stack.back().first;
    const json& y = *stack.back().second;
    stack.pop_back();
    if (x.is_number() && y.is_number()) {
      if (CompareNumbers(x, y) != 0) return false;
    } else if (x.type() != y.type()) {
      return false;
    } else if (x.is_array()) {
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) stack.emplace_back(&x[i], &y[i]);
    } else if (x.is_object()) {
      if (x.size() != y.size()) return false;
      for (auto it = x.begin(); it != x.end(); ++it) {
        auto other = y.find(it.key());
        if (other == y.end()) return false;
        stack.emplace_back(&it.value(), &*other);
      }
    } else if (x != y) {
      return false;
    }
  }
  return true;
}

// Structural hash; values equal under JsonEqual hash equally. Iterative, like JsonEqual.
size_t DeepHash(const json& v) {
  size_t h = 0;
  auto mix = [&h](size_t x) { h = (h ^ x) * 1099511628211u; };
  std::vector<const json*> stack{&v};
  while (!stack.empty()) {
    const json& x = *stack.back();
    stack.pop_back();
    if (x.is_number()) {
      mix(std::hash<double>{}(x.get<double>()));
    } else if (x.is_string()) {
      mix(std::hash<std::string>{}(x.get_ref<const std::string&>()));
    } else {
      mix(static_cast<size_t>(x.type()) * 1000003u + x.size() * 2 +
          (x.is_boolean() && x.get<bool>()));
    }
    for (auto it = x.begin(); x.is_structured() && it != x.end(); ++it) {
      if (x.is_object()) mix(std::hash<std::string>{}(it.key()));
      stack.push_back(&it.value());
    }
  }
  return h;
}

bool HasType(const json& v, const std::string& type) {
  if (type == "integer") {
    if (v.is_number_integer()) return true;
    if (!v.is_number_float()) return false;
    double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
  }
  if (type == "number") return v.is_number();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return false;
}

std::string TypeNoun(const std::string& type) {
  if (type == "integer" || type == "object" || type == "array") return "an " + type;
  if (type == "number" || type == "string" || type == "boolean") return "a " + type;
  if (type == "null") return "null";
  return "of type \"" + type + "\"";
}

// Returns true when `v` satisfies the `type` keyword value; otherwise appends the accepted
// type nouns to `nouns` (without duplicates).
bool TypeAccepts(const json& type, const json& v, std::vector<std::string>* nouns) {
  std::vector<std::string> names;
  if (type.is_string()) names.push_back(type.get<std::string>());
  if (type.is_array()) {
    for (const json& t : type) {
      if (t.is_string()) names.push_back(t.get<std::string>());
    }
  }
  if (names.empty()) return true;
  for (const std::string& name : names) {
    if (HasType(v, name)) return true;
  }
  for (const std::string& name : names) {
    std::string noun = TypeNoun(name);
    if (std::find(nouns->begin(), nouns->end(), noun) == nouns->end()) nouns->push_back(noun);
  }
  return false;
}

// "must be a", "must be a or b", "must be a, b or c".
std::string MustBeOneOf(const std::vector<std::string>& nouns) {
  std::string out = "must be ";
  for (size_t i = 0; i < nouns.size(); ++i) {
    if (i > 0) out += i + 1 == nouns.size() ? " or " : ", ";
    out += nouns[i];
  }
  return out;
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Reads a non-negative count keyword; returns false when absent or malformed.
bool GetCount(const json& schema, const char* keyword, size_t* out) {
  auto it = schema.find(keyword);
  if (it == schema.end() || !it->is_number() || IsNegativeInt(*it)) return false;
  if (!it->is_number_float()) {
    *out = static_cast<size_t>(it->get<std::uint64_t>());
    return true;
  }
  double d = std::ceil(it->get<double>());
  if (!(d >= 0)) return false;
  *out = d < 1e18 ? static_cast<size_t>(d) : static_cast<size_t>(-1);
  return true;
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Returns 1 on match, 0 on no match, -1 when the string could not be checked.
int Matches(const CompiledPattern& p, const std::string& s) {
  try {
    if (p.linear) return std::regex_match(s, p.re) ? 1 : 0;
    if (s.size() > kMaxBacktrackInput) return -1;
    return std::regex_search(s, p.re) ? 1 : 0;
  } catch (const std::regex_error&) {
    return -1;
  }
}

}  // namespace json_schema_internal
}  // namespace edgeline
