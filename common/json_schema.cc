#include "common/json_schema.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace edgeline {
namespace {

using nlohmann::json;

constexpr int kMaxInstanceDepth = 256;       // Deepest instance location descended into.
constexpr int kMaxEvalDepth = 1024;          // Deepest chain of nested schema evaluations.
constexpr size_t kMaxBacktrackInput = 1000;  // Longest string given to a backtracking regex.
constexpr size_t kBranchErrorLimit = 64;     // Errors collected per anyOf/oneOf branch.
constexpr size_t kMinCollected = 256;        // Errors collected before sorting and truncating.
constexpr size_t kMaxListedValues = 16;      // Values listed in one "must be one of" message.

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

// A compiled `pattern`. With libstdc++ the pattern is wrapped as [\s\S]*(?:p)[\s\S]* and run by
// the non-backtracking executor, so search takes linear time and constant stack; patterns that
// need backtracking (back-references) use std::regex_search on bounded input instead.
struct CompiledPattern {
  std::regex re;
  bool linear = false;
};

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

// Errors collected so far; additions beyond `limit` are dropped.
struct Sink {
  explicit Sink(size_t max) : limit(max) {}
  bool Full() const { return errors.size() >= limit; }
  void Add(const std::string& path, std::string message) {
    if (!Full()) errors.push_back(SchemaError{path, std::move(message)});
  }
  std::vector<SchemaError> errors;
  size_t limit;
};

// Where an evaluation happens. Callees may append to *path but restore it before returning.
struct Loc {
  std::string* path;  // Instance location.
  int depth;          // Number of tokens in *path.
  int eval;           // Number of enclosing schema evaluations.
  Loc Deeper() const { return Loc{path, depth, eval + 1}; }
};

class Validator {
 public:
  // Resolves every $ref and compiles every pattern reachable from `root`, which must outlive
  // the validator. Throws std::invalid_argument for an unresolvable $ref or an invalid pattern.
  explicit Validator(const json& root);

  // Appends to `sink` the errors of `v` (located at *loc.path) against `schema`.
  void Validate(const json& schema, const json& v, Loc loc, Sink* sink);

 private:
  const json* Resolve(const std::string& ref);                 // nullptr when unresolvable.
  const CompiledPattern* Pattern(const std::string& pattern);  // nullptr when invalid.
  const json& ResolveOrThrow(const json& ref);
  const json& Deref(const json& schema);  // Follows $ref of schemas without own properties.
  bool IsValid(const json& schema, const json& v, Loc loc);
  void Descend(const json& schema, const json& child, const std::string& token, Loc loc,
               Sink* sink);
  void CheckNumber(const json& s, const json& v, Loc loc, Sink* sink);
  void CheckString(const json& s, const json& v, Loc loc, Sink* sink);
  void CheckObject(const json& s, const json& v, Loc loc, Sink* sink);
  void CheckArray(const json& s, const json& v, Loc loc, Sink* sink);
  void CheckAlternatives(const json& branches, bool one_of, const json& v, Loc loc, Sink* sink);

  const json& root_;
  std::unordered_map<std::string, const json*> refs_;
  std::unordered_map<std::string, std::unique_ptr<CompiledPattern>> patterns_;
};

Validator::Validator(const json& root) : root_(root) {
  // Keywords whose value is a schema, a map of schemas or an array of schemas.
  static const char* const kSchemaKeywords[] = {"additionalProperties",
                                                "propertyNames",
                                                "items",
                                                "additionalItems",
                                                "contains",
                                                "not",
                                                "if",
                                                "then",
                                                "else"};
  static const char* const kSchemaMapKeywords[] = {"properties", "patternProperties", "$defs",
                                                   "definitions", "dependentSchemas"};
  static const char* const kSchemaListKeywords[] = {"allOf", "anyOf", "oneOf", "prefixItems",
                                                    "items"};
  std::vector<const json*> stack{&root};
  std::unordered_set<const json*> seen;
  while (!stack.empty()) {
    const json& s = *stack.back();
    stack.pop_back();
    if (!s.is_object() || !seen.insert(&s).second) continue;
    auto ref = s.find("$ref");
    if (ref != s.end() && ref->is_string()) stack.push_back(&ResolveOrThrow(*ref));
    std::vector<std::string> regexes;
    auto pattern = s.find("pattern");
    if (pattern != s.end() && pattern->is_string()) regexes.push_back(pattern->get<std::string>());
    for (const char* keyword : kSchemaKeywords) {
      auto it = s.find(keyword);
      if (it != s.end()) stack.push_back(&*it);
    }
    for (const char* keyword : kSchemaMapKeywords) {
      auto it = s.find(keyword);
      if (it == s.end() || !it->is_object()) continue;
      for (auto sub = it->begin(); sub != it->end(); ++sub) {
        stack.push_back(&sub.value());
        if (it.key() == "patternProperties") regexes.push_back(sub.key());
      }
    }
    for (const char* keyword : kSchemaListKeywords) {
      auto it = s.find(keyword);
      if (it == s.end() || !it->is_array()) continue;
      for (const json& sub : *it) stack.push_back(&sub);
    }
    for (const std::string& regex : regexes) {
      if (!Pattern(regex)) throw std::invalid_argument("invalid pattern \"" + regex + "\"");
    }
  }
}

const json* Validator::Resolve(const std::string& ref) {
  auto cached = refs_.find(ref);
  if (cached != refs_.end()) return cached->second;
  if (ref.empty() || ref[0] != '#') return nullptr;
  std::string pointer = PercentDecode(ref.substr(1));
  if (!pointer.empty() && pointer[0] != '/') return nullptr;  // Anchors are not supported.
  try {
    const json* target = &root_.at(json::json_pointer(pointer));
    refs_.emplace(ref, target);
    return target;
  } catch (const json::exception&) {
    return nullptr;
  }
}

const json& Validator::ResolveOrThrow(const json& ref) {
  const std::string& text = ref.get_ref<const std::string&>();
  const json* target = Resolve(text);
  if (!target) throw std::invalid_argument("cannot resolve $ref \"" + text + "\"");
  return *target;
}

const CompiledPattern* Validator::Pattern(const std::string& pattern) {
  auto cached = patterns_.find(pattern);
  if (cached != patterns_.end()) return cached->second.get();
  auto compiled = std::make_unique<CompiledPattern>();
  try {
    compiled->re = std::regex(pattern, std::regex::ECMAScript);  // Validates the syntax.
  } catch (const std::regex_error&) {
    return nullptr;
  }
#ifdef __GLIBCXX__
  try {
    compiled->re = std::regex("[\\s\\S]*(?:" + pattern + ")[\\s\\S]*",
                              std::regex::ECMAScript | std::regex_constants::__polynomial);
    compiled->linear = true;
  } catch (const std::regex_error&) {
    compiled->re = std::regex(pattern, std::regex::ECMAScript);  // Uses back-references.
  }
#endif
  return (patterns_[pattern] = std::move(compiled)).get();
}

const json& Validator::Deref(const json& schema) {
  const json* s = &schema;
  for (int hops = 0; hops < 32 && s->is_object() && !s->contains("properties"); ++hops) {
    auto ref = s->find("$ref");
    if (ref == s->end() || !ref->is_string()) break;
    const json* target = Resolve(ref->get<std::string>());
    if (!target) break;
    s = target;
  }
  return *s;
}

bool Validator::IsValid(const json& schema, const json& v, Loc loc) {
  Sink probe(1);
  Validate(schema, v, loc.Deeper(), &probe);
  return probe.errors.empty();
}

void Validator::Descend(const json& schema, const json& child, const std::string& token, Loc loc,
                        Sink* sink) {
  if ((schema.is_boolean() && schema.get<bool>()) || (schema.is_object() && schema.empty())) {
    return;  // Accepts anything; no need to look (or to complain about depth).
  }
  size_t old_size = loc.path->size();
  *loc.path += "/" + EscapeJsonPointerToken(token);
  if (loc.depth + 1 > kMaxInstanceDepth) {
    sink->Add(*loc.path, "nesting too deep");
  } else {
    Validate(schema, child, Loc{loc.path, loc.depth + 1, loc.eval + 1}, sink);
  }
  loc.path->resize(old_size);
}

void Validator::Validate(const json& s, const json& v, Loc loc, Sink* sink) {
  if (sink->Full()) return;
  if (s.is_boolean()) {
    if (!s.get<bool>()) sink->Add(*loc.path, "is not allowed");
    return;
  }
  if (!s.is_object() || s.empty()) return;
  if (loc.eval >= kMaxEvalDepth) {
    sink->Add(*loc.path, "schema recursion too deep");
    return;
  }
  auto end = s.end();
  auto it = s.find("$ref");
  if (it != end && it->is_string()) Validate(ResolveOrThrow(*it), v, loc.Deeper(), sink);
  std::vector<std::string> nouns;
  it = s.find("type");
  if (it != end && !TypeAccepts(*it, v, &nouns)) sink->Add(*loc.path, MustBeOneOf(nouns));
  it = s.find("enum");
  if (it != end && it->is_array()) {
    std::vector<const json*> values;
    bool found = false;
    for (const json& e : *it) {
      values.push_back(&e);
      found = found || JsonEqual(e, v);
    }
    if (!found) sink->Add(*loc.path, "must be one of " + DescribeList(values));
  }
  it = s.find("const");
  if (it != end && !JsonEqual(*it, v)) sink->Add(*loc.path, "must be equal to " + Describe(*it));

  if (v.is_number()) CheckNumber(s, v, loc, sink);
  if (v.is_string()) CheckString(s, v, loc, sink);
  if (v.is_object()) CheckObject(s, v, loc, sink);
  if (v.is_array()) CheckArray(s, v, loc, sink);

  it = s.find("allOf");
  if (it != end && it->is_array()) {
    for (const json& sub : *it) Validate(sub, v, loc.Deeper(), sink);
  }
  it = s.find("anyOf");
  if (it != end) CheckAlternatives(*it, false, v, loc, sink);
  it = s.find("oneOf");
  if (it != end) CheckAlternatives(*it, true, v, loc, sink);
  it = s.find("not");
  if (it != end && IsValid(*it, v, loc)) {
    sink->Add(*loc.path, "must not match the disallowed schema");
  }
  it = s.find("if");
  if (it != end) {
    auto branch = s.find(IsValid(*it, v, loc) ? "then" : "else");
    if (branch != end) Validate(*branch, v, loc.Deeper(), sink);
  }
}

void Validator::CheckNumber(const json& s, const json& v, Loc loc, Sink* sink) {
  struct Bound {
    const char* keyword;
    int rejected_sign_a, rejected_sign_b;  // Comparison results that fail the bound.
    const char* op;
  };
  static const Bound kBounds[] = {{"minimum", -1, -1, ">="},
                                  {"maximum", 1, 1, "<="},
                                  {"exclusiveMinimum", -1, 0, ">"},
                                  {"exclusiveMaximum", 1, 0, "<"}};
  for (const Bound& bound : kBounds) {
    auto it = s.find(bound.keyword);
    if (it == s.end() || !it->is_number()) continue;
    int cmp = CompareNumbers(v, *it);
    if (cmp == bound.rejected_sign_a || cmp == bound.rejected_sign_b) {
      sink->Add(*loc.path, std::string("must be ") + bound.op + " " + FormatNumber(*it));
    }
  }
  auto it = s.find("multipleOf");
  if (it != s.end() && it->is_number() && CompareNumbers(*it, json(0)) > 0 &&
      !IsMultipleOf(v, *it)) {
    sink->Add(*loc.path, "must be a multiple of " + FormatNumber(*it));
  }
}

void Validator::CheckString(const json& s, const json& v, Loc loc, Sink* sink) {
  const std::string& str = v.get_ref<const std::string&>();
  size_t limit = 0;
  if (GetCount(s, "minLength", &limit) && CodePoints(str) < limit) {
    sink->Add(*loc.path, "must be at least " + Count(limit, "character", "characters") + " long");
  }
  if (GetCount(s, "maxLength", &limit) && CodePoints(str) > limit) {
    sink->Add(*loc.path, "must be at most " + Count(limit, "character", "characters") + " long");
  }
  auto it = s.find("pattern");
  if (it == s.end() || !it->is_string()) return;
  const std::string& pattern = it->get_ref<const std::string&>();
  const CompiledPattern* re = Pattern(pattern);
  int match = re ? Matches(*re, str) : -1;
  if (match == 0) sink->Add(*loc.path, "must match pattern \"" + pattern + "\"");
  if (match < 0) sink->Add(*loc.path, "could not be checked against pattern \"" + pattern + "\"");
}

void Validator::CheckObject(const json& s, const json& v, Loc loc, Sink* sink) {
  const std::string& path = *loc.path;
  auto end = s.end();
  auto it = s.find("required");
  if (it != end && it->is_array()) {
    for (const json& key : *it) {
      if (key.is_string() && !v.contains(key.get_ref<const std::string&>())) {
        sink->Add(path + "/" + EscapeJsonPointerToken(key.get<std::string>()), "is required");
      }
    }
  }
  it = s.find("dependentRequired");
  if (it != end && it->is_object()) {
    for (auto dep = it->begin(); dep != it->end(); ++dep) {
      if (!v.contains(dep.key()) || !dep->is_array()) continue;
      for (const json& key : *dep) {
        if (key.is_string() && !v.contains(key.get_ref<const std::string&>())) {
          sink->Add(path + "/" + EscapeJsonPointerToken(key.get<std::string>()),
                    "is required when \"" + dep.key() + "\" is present");
        }
      }
    }
  }
  size_t limit = 0;
  if (GetCount(s, "minProperties", &limit) && v.size() < limit) {
    sink->Add(path, "must have at least " + Count(limit, "property", "properties"));
  }
  if (GetCount(s, "maxProperties", &limit) && v.size() > limit) {
    sink->Add(path, "must have at most " + Count(limit, "property", "properties"));
  }
  auto props = s.find("properties");
  auto pattern_props = s.find("patternProperties");
  auto additional = s.find("additionalProperties");
  auto names = s.find("propertyNames");
  for (auto field = v.begin(); field != v.end() && !sink->Full(); ++field) {
    const std::string& key = field.key();
    bool known = false;
    if (props != end && props->is_object()) {
      auto p = props->find(key);
      if (p != props->end()) {
        known = true;
        Descend(*p, *field, key, loc, sink);
      }
    }
    if (pattern_props != end && pattern_props->is_object()) {
      for (auto p = pattern_props->begin(); p != pattern_props->end(); ++p) {
        const CompiledPattern* re = Pattern(p.key());
        if (re && Matches(*re, key) == 1) {
          known = true;
          Descend(p.value(), *field, key, loc, sink);
        }
      }
    }
    if (!known && additional != end) {
      if (additional->is_boolean() && !additional->get<bool>()) {
        sink->Add(path + "/" + EscapeJsonPointerToken(key), "unknown field");
      } else {
        Descend(*additional, *field, key, loc, sink);
      }
    }
    if (names != end) {
      std::string key_path = path + "/" + EscapeJsonPointerToken(key);
      Sink probe(kBranchErrorLimit);
      Validate(*names, json(key), Loc{&key_path, loc.depth + 1, loc.eval + 1}, &probe);
      for (const SchemaError& e : probe.errors) sink->Add(e.path, "property name " + e.message);
    }
  }
  it = s.find("dependentSchemas");
  if (it != end && it->is_object()) {
    for (auto dep = it->begin(); dep != it->end(); ++dep) {
      if (v.contains(dep.key())) Validate(dep.value(), v, loc.Deeper(), sink);
    }
  }
}

void Validator::CheckArray(const json& s, const json& v, Loc loc, Sink* sink) {
  const std::string& path = *loc.path;
  auto end = s.end();
  size_t limit = 0;
  if (GetCount(s, "minItems", &limit) && v.size() < limit) {
    sink->Add(path, "must have at least " + Count(limit, "item", "items"));
  }
  if (GetCount(s, "maxItems", &limit) && v.size() > limit) {
    sink->Add(path, "must have at most " + Count(limit, "item", "items"));
  }
  auto items = s.find("items");
  auto prefix = s.find("prefixItems");
  auto rest = items;
  if (items != end && items->is_array()) {  // Draft 2019-09 tuple form.
    prefix = items;
    rest = s.find("additionalItems");
  }
  size_t start = 0;
  if (prefix != end && prefix->is_array()) {
    start = prefix->size();
    for (size_t i = 0; i < std::min(start, v.size()); ++i) {
      Descend((*prefix)[i], v[i], std::to_string(i), loc, sink);
    }
  }
  if (rest != end) {
    for (size_t i = start; i < v.size() && !sink->Full(); ++i) {
      Descend(*rest, v[i], std::to_string(i), loc, sink);
    }
  }
  auto contains = s.find("contains");
  if (contains != end) {
    size_t matches = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      Sink probe(1);
      Descend(*contains, v[i], std::to_string(i), loc, &probe);
      matches += probe.errors.empty();
    }
    size_t min = 1;
    GetCount(s, "minContains", &min);
    if (matches < min) {
      sink->Add(path, "must contain at least " + Count(min, "matching item", "matching items"));
    }
    if (GetCount(s, "maxContains", &limit) && matches > limit) {
      sink->Add(path, "must contain at most " + Count(limit, "matching item", "matching items"));
    }
  }
  auto unique = s.find("uniqueItems");
  if (unique != end && unique->is_boolean() && unique->get<bool>()) {
    std::unordered_multimap<size_t, size_t> seen;  // Hash -> index of first occurrence.
    for (size_t j = 0; j < v.size() && !sink->Full(); ++j) {
      size_t hash = DeepHash(v[j]);
      auto range = seen.equal_range(hash);
      auto dup = std::find_if(range.first, range.second,
                              [&](const auto& entry) { return JsonEqual(v[entry.second], v[j]); });
      if (dup == range.second) {
        seen.emplace(hash, j);
      } else {
        sink->Add(path + "/" + std::to_string(j),
                  "is a duplicate of item " + std::to_string(dup->second));
      }
    }
  }
}

void Validator::CheckAlternatives(const json& branches, bool one_of, const json& v, Loc loc,
                                  Sink* sink) {
  if (!branches.is_array() || branches.empty()) return;
  std::vector<Sink> results;
  size_t matched = 0;
  for (const json& branch : branches) {
    results.emplace_back(kBranchErrorLimit);
    Validate(branch, v, loc.Deeper(), &results.back());
    if (results.back().errors.empty() && (++matched > 1 || !one_of)) break;
  }
  if (matched == 1 || (matched > 0 && !one_of)) return;
  if (matched > 1) {
    sink->Add(*loc.path, "must match exactly one of the allowed schemas");
    return;
  }
  // No branch matched. Look for a discriminator: a property with a `const` (or one-value `enum`)
  // in several branches; pick the one present in the most branches.
  std::map<std::string, std::vector<const json*>> consts;  // Property -> const per branch.
  for (size_t i = 0; i < branches.size() && v.is_object(); ++i) {
    const json& branch = Deref(branches[i]);
    auto props = branch.find("properties");  // end() for non-objects.
    if (props == branch.end() || !props->is_object()) continue;
    for (auto p = props->begin(); p != props->end(); ++p) {
      const json& prop = Deref(p.value());
      if (!prop.is_object()) continue;
      auto c = prop.find("const");
      auto e = prop.find("enum");
      const json* value = c != prop.end()                                      ? &*c
                          : e != prop.end() && e->is_array() && e->size() == 1 ? &(*e)[0]
                                                                               : nullptr;
      if (!value) continue;
      auto& slot = consts[p.key()];
      slot.resize(branches.size(), nullptr);
      slot[i] = value;
    }
  }
  const std::string* name = nullptr;
  const std::vector<const json*>* values = nullptr;
  size_t covered = 1;
  for (const auto& [prop, per_branch] : consts) {
    size_t n = branches.size() - std::count(per_branch.begin(), per_branch.end(), nullptr);
    if (n > covered) {
      name = &prop;
      values = &per_branch;
      covered = n;
    }
  }
  std::vector<size_t> candidates;
  if (name) {
    bool all = covered == branches.size();
    std::string field_path = *loc.path + "/" + EscapeJsonPointerToken(*name);
    auto field = v.find(*name);
    if (field != v.end()) {
      for (size_t i = 0; i < branches.size(); ++i) {
        if ((*values)[i] && JsonEqual(*(*values)[i], *field)) candidates.push_back(i);
      }
      if (candidates.empty() && all) {
        std::vector<const json*> listed;
        for (const json* value : *values) {
          auto same = [&](const json* other) { return JsonEqual(*other, *value); };
          if (std::none_of(listed.begin(), listed.end(), same)) listed.push_back(value);
        }
        sink->Add(field_path, "must be one of " + DescribeList(listed));
        return;
      }
      if (candidates.empty()) {  // Unknown value: consider the branches without a const.
        for (size_t i = 0; i < branches.size(); ++i) {
          if (!(*values)[i]) candidates.push_back(i);
        }
      }
    } else if (all) {
      bool required_everywhere = std::all_of(branches.begin(), branches.end(), [&](const json& b) {
        const json& branch = Deref(b);
        auto req = branch.find("required");
        return req != branch.end() && req->is_array() &&
               std::find(req->begin(), req->end(), json(*name)) != req->end();
      });
      if (required_everywhere) {
        sink->Add(field_path, "is required");
        return;
      }
    }
  }
  if (candidates.empty()) {
    // When every branch rejects the instance by `type`, say which types are accepted.
    std::vector<std::string> nouns;
    bool all_type_errors = std::all_of(branches.begin(), branches.end(), [&](const json& b) {
      const json& branch = Deref(b);
      if (!branch.is_object() || !branch.contains("type")) return false;
      return !TypeAccepts(branch["type"], v, &nouns);
    });
    if (all_type_errors) {
      sink->Add(*loc.path, MustBeOneOf(nouns));
      return;
    }
    for (size_t i = 0; i < branches.size(); ++i) candidates.push_back(i);
  }
  // Report the closest candidate: fewest errors, then deepest error path.
  auto max_depth = [&](size_t i) {
    size_t depth = 0;
    for (const SchemaError& e : results[i].errors) depth = std::max(depth, PathDepth(e.path));
    return depth;
  };
  size_t best = candidates[0];
  for (size_t i : candidates) {
    size_t count = results[i].errors.size(), best_count = results[best].errors.size();
    if (count < best_count || (count == best_count && max_depth(i) > max_depth(best))) best = i;
  }
  for (const SchemaError& e : results[best].errors) sink->Add(e.path, e.message);
}

}  // namespace

std::string SchemaError::ToString() const { return (path.empty() ? "/" : path) + ": " + message; }

std::string EscapeJsonPointerToken(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<SchemaError> ValidateJson(const nlohmann::json& schema, const nlohmann::json& instance,
                                      size_t max_errors) {
  Validator validator(schema);
  max_errors = std::max<size_t>(max_errors, 1);
  Sink sink(std::max(max_errors, kMinCollected));
  std::string path;
  validator.Validate(schema, instance, Loc{&path, 0, 0}, &sink);
  std::vector<SchemaError> errors = std::move(sink.errors);
  std::stable_sort(errors.begin(), errors.end(), [](const SchemaError& a, const SchemaError& b) {
    return PathDepth(a.path) > PathDepth(b.path);
  });
  std::vector<SchemaError> out;
  std::set<std::pair<std::string, std::string>> seen;
  for (SchemaError& e : errors) {
    if (out.size() == max_errors) break;
    if (seen.emplace(e.path, e.message).second) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace edgeline
