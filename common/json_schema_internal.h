// Internals of the JSON Schema validator (common/json_schema.h), shared by its files:
// json_schema.cc (the validator's walk and the public functions), json_schema_checks.cc
// (objects, arrays, anyOf/oneOf) and json_schema_values.cc (comparing, hashing and
// describing JSON values, patterns). Not for other code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/json_schema.h"

namespace edgeline {
namespace json_schema_internal {

using nlohmann::json;

constexpr int kMaxInstanceDepth = 256;       // Deepest instance location descended into.
constexpr int kMaxEvalDepth = 1024;          // Deepest chain of nested schema evaluations.
constexpr size_t kMaxBacktrackInput = 1000;  // Longest string given to a backtracking regex.
constexpr size_t kBranchErrorLimit = 64;     // Errors collected per anyOf/oneOf branch.
constexpr size_t kMinCollected = 256;        // Errors collected before sorting and truncating.
constexpr size_t kMaxListedValues = 16;      // Values listed in one "must be one of" message.

size_t PathDepth(const std::string& path);
// Shortest decimal text that round-trips `d` ("60", "0.1", "1e+300").
std::string FormatDouble(double d);
std::string FormatNumber(const json& n);
// Compact, human-readable rendering of a schema value (strings quoted).
std::string Describe(const json& v);
std::string DescribeList(const std::vector<const json*>& values);
// "1 item" / "3 items".
std::string Count(size_t n, const char* singular, const char* plural);
bool IsNegativeInt(const json& v);
// Three-way comparison of two JSON numbers, exact when both are integers.
int CompareNumbers(const json& a, const json& b);
// `m` must be a positive number.
bool IsMultipleOf(const json& v, const json& m);
// JSON Schema equality (1 == 1.0, object key order irrelevant). Iterative, so arbitrarily deep
// values cannot overflow the stack.
bool JsonEqual(const json& a, const json& b);
// Structural hash; values equal under JsonEqual hash equally. Iterative, like JsonEqual.
size_t DeepHash(const json& v);
bool HasType(const json& v, const std::string& type);
std::string TypeNoun(const std::string& type);
// Returns true when `v` satisfies the `type` keyword value; otherwise appends the accepted
// type nouns to `nouns` (without duplicates).
bool TypeAccepts(const json& type, const json& v, std::vector<std::string>* nouns);
// "must be a", "must be a or b", "must be a, b or c".
std::string MustBeOneOf(const std::vector<std::string>& nouns);
size_t CodePoints(const std::string& s);
// Reads a non-negative count keyword; returns false when absent or malformed.
bool GetCount(const json& schema, const char* keyword, size_t* out);
std::string PercentDecode(const std::string& s);
// A compiled `pattern`. With libstdc++ the pattern is wrapped as [\s\S]*(?:p)[\s\S]* and run by
// the non-backtracking executor, so search takes linear time and constant stack; patterns that
// need backtracking (back-references) use std::regex_search on bounded input instead.
struct CompiledPattern {
  std::regex re;
  bool linear = false;
};
// Returns 1 on match, 0 on no match, -1 when the string could not be checked.
int Matches(const CompiledPattern& p, const std::string& s);

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

}  // namespace json_schema_internal
}  // namespace edgeline
