// JSON Schema validation (a practical subset of draft 2020-12) over nlohmann::json.
//
// Supported keywords: type, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
// multipleOf, minLength, maxLength, pattern, properties, patternProperties,
// additionalProperties, propertyNames, required, dependentRequired, dependentSchemas,
// minProperties, maxProperties, items (schema, or legacy array + additionalItems), prefixItems,
// minItems, maxItems, uniqueItems, contains, minContains, maxContains, allOf, anyOf, oneOf, not,
// if/then/else, $ref to local JSON pointers ("#", "#/$defs/x", "#/definitions/x"), and boolean
// schemas. Annotation keywords and `format` are ignored, as are unknown keywords.
//
// Not supported: unevaluatedProperties, unevaluatedItems, $dynamicRef, $anchor, $id-based or
// remote $ref resolution, and format assertions.

#ifndef EDGELINE_COMMON_JSON_SCHEMA_H_
#define EDGELINE_COMMON_JSON_SCHEMA_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace edgeline {

// One reason an instance failed validation.
struct SchemaError {
  // RFC 6901 JSON pointer into the INSTANCE ("" for the root), e.g. "/input/type", "/clean/2/op".
  std::string path;
  // Human-readable reason, e.g. "must be one of \"file\", \"tail\", \"mqtt\", \"stdin\"".
  std::string message;

  // Returns "<path or '/'>: <message>", e.g. "/input/type: must be one of ...".
  std::string ToString() const;
};

// Validates `instance` against `schema`. Returns an empty vector when valid; otherwise between 1
// and `max_errors` errors (a `max_errors` of 0 is treated as 1), most specific (deepest path)
// first.
//
// Error conventions: a missing required property is reported at the property's own path with
// "is required"; a property rejected by `additionalProperties: false` at its own path with
// "unknown field". A failing anyOf/oneOf whose branches are told apart by a `const` on one
// property reports the errors of the branch selected by that property (or "must be one of ..."
// at the property when no branch matches); otherwise the errors of the closest branch.
//
// Never throws for any instance: instances nested deeper than 256 levels are reported as
// "nesting too deep" and not descended into, and patterns are matched in linear time. Throws
// std::invalid_argument if the schema uses a $ref it cannot resolve (only local "#..." pointers
// are supported) or a `pattern`/`patternProperties` regex std::regex (ECMAScript) rejects.
// Escapes one JSON pointer reference token per RFC 6901 ("~" as "~0", "/" as "~1").
std::string EscapeJsonPointerToken(const std::string& token);

std::vector<SchemaError> ValidateJson(const nlohmann::json& schema, const nlohmann::json& instance,
                                      size_t max_errors = 8);

}  // namespace edgeline

#endif  // EDGELINE_COMMON_JSON_SCHEMA_H_
