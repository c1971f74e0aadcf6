#include "common/json_schema.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <regex>
#include <set>
#include <stdexcept>
#include <unordered_set>
#include <utility>

#include "common/json_schema_internal.h"

namespace edgeline {
namespace json_schema_internal {

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

}  // namespace json_schema_internal

using json_schema_internal::kMinCollected;
using json_schema_internal::Loc;
using json_schema_internal::PathDepth;
using json_schema_internal::Sink;
using json_schema_internal::Validator;

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
