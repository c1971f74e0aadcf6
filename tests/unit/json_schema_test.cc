#include "common/json_schema.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgeline {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

// Validates and renders each error as "<path>: <message>".
Strings Errors(const json& schema, const json& instance, size_t max_errors = 8) {
  Strings out;
  for (const SchemaError& e : ValidateJson(schema, instance, max_errors)) {
    out.push_back(e.ToString());
  }
  return out;
}

// A cut-down job spec schema in the style edgeline uses.
const json& JobSchema() {
  static const json schema = json::parse(R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "job spec",
    "$defs": {
      "drop_null": {
        "type": "object",
        "properties": {
          "op": {"const": "drop_null"},
          "fields": {"type": "array", "items": {"type": "string"}, "minItems": 1}
        },
        "required": ["op", "fields"],
        "additionalProperties": false
      },
      "range": {
        "type": "object",
        "properties": {
          "op": {"const": "range"},
          "field": {"type": "string"},
          "min": {"type": "number"},
          "max": {"type": "number"},
          "action": {"enum": ["drop", "clamp"]}
        },
        "required": ["op", "field"],
        "additionalProperties": false
      },
      "dedup": {
        "type": "object",
        "properties": {
          "op": {"const": "dedup"},
          "by": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
          "horizon": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"}
        },
        "required": ["op", "by"],
        "additionalProperties": false
      }
    },
    "type": "object",
    "properties": {
      "job_id": {"type": "string", "pattern": "^[a-z][a-z0-9_-]*$", "maxLength": 64},
      "version": {"type": "integer", "minimum": 1},
      "description": {"type": "string"},
      "input": {
        "type": "object",
        "properties": {
          "type": {"enum": ["file", "tail", "mqtt", "stdin"]},
          "path": {"type": "string", "minLength": 1}
        },
        "required": ["type"],
        "additionalProperties": false
      },
      "clean": {
        "type": "array",
        "items": {
          "oneOf": [
            {"$ref": "#/$defs/drop_null"},
            {"$ref": "#/$defs/range"},
            {"$ref": "#/$defs/dedup"}
          ]
        }
      }
    },
    "required": ["job_id", "input"],
    "additionalProperties": false
  })");
  return schema;
}

json ValidJob() {
  return json::parse(R"({
    "job_id": "coldroom",
    "version": 1,
    "description": "Cold-room probe",
    "input": {"type": "file", "path": "examples/data/coldroom.ndjson"},
    "clean": [
      {"op": "drop_null", "fields": ["temp"]},
      {"op": "range", "field": "temp", "min": -30, "max": 15, "action": "drop"},
      {"op": "dedup", "by": ["device", "ts"], "horizon": "10m"}
    ]
  })");
}

// `depth` arrays nested inside each other, built by the (iterative) parser.
json NestedArrays(size_t depth) {
  return json::parse(std::string(depth, '[') + std::string(depth, ']'));
}

TEST_CASE("a valid job spec produces no errors", "[json_schema]") {
  CHECK(Errors(JobSchema(), ValidJob()).empty());
}

TEST_CASE("error ToString uses / for the root path", "[json_schema]") {
  CHECK(SchemaError{"", "must be an object"}.ToString() == "/: must be an object");
  CHECK(SchemaError{"/a/0", "is required"}.ToString() == "/a/0: is required");
}

TEST_CASE("type accepts the matching JSON type and rejects others", "[json_schema]") {
  CHECK(Errors({{"type", "string"}}, "x").empty());
  CHECK(Errors({{"type", "string"}}, 1) == Strings{"/: must be a string"});
  CHECK(Errors({{"type", "number"}}, 1.5).empty());
  CHECK(Errors({{"type", "number"}}, 3).empty());
  CHECK(Errors({{"type", "number"}}, "1") == Strings{"/: must be a number"});
  CHECK(Errors({{"type", "boolean"}}, false).empty());
  CHECK(Errors({{"type", "boolean"}}, 0) == Strings{"/: must be a boolean"});
  CHECK(Errors({{"type", "object"}}, json::object()).empty());
  CHECK(Errors({{"type", "object"}}, json::array()) == Strings{"/: must be an object"});
  CHECK(Errors({{"type", "array"}}, json::array()).empty());
  CHECK(Errors({{"type", "array"}}, json::object()) == Strings{"/: must be an array"});
  CHECK(Errors({{"type", "null"}}, nullptr).empty());
  CHECK(Errors({{"type", "null"}}, false) == Strings{"/: must be null"});
}

TEST_CASE("type array accepts any listed type and names them all", "[json_schema]") {
  json schema = {{"type", {"string", "null"}}};
  CHECK(Errors(schema, nullptr).empty());
  CHECK(Errors(schema, "x").empty());
  CHECK(Errors(schema, 1) == Strings{"/: must be a string or null"});
  CHECK(Errors({{"type", {"string", "integer", "null"}}}, 1.5) ==
        Strings{"/: must be a string, an integer or null"});
}

TEST_CASE("integer accepts integral floats such as 1.0 but not 1.5", "[json_schema]") {
  json schema = {{"type", "integer"}};
  CHECK(Errors(schema, 1).empty());
  CHECK(Errors(schema, -7).empty());
  CHECK(Errors(schema, 18446744073709551615ULL).empty());
  CHECK(Errors(schema, json::parse("1.0")).empty());
  CHECK(Errors(schema, 1.5) == Strings{"/: must be an integer"});
  CHECK(Errors(schema, "1") == Strings{"/: must be an integer"});
}

TEST_CASE("required reports the missing key's own path", "[json_schema]") {
  json schema = {{"type", "object"},
                 {"properties", {{"input", {{"type", "object"}, {"required", {"type"}}}}}},
                 {"required", {"input"}}};
  CHECK(Errors(schema, {{"input", {{"type", "file"}}}}).empty());
  CHECK(Errors(schema, json::object()) == Strings{"/input: is required"});
  CHECK(Errors(schema, {{"input", json::object()}}) == Strings{"/input/type: is required"});
}

TEST_CASE("paths escape ~ and / per RFC 6901", "[json_schema]") {
  json schema = {{"required", {"a/b", "c~d"}}};
  CHECK(Errors(schema, json::object()) == Strings{"/a~1b: is required", "/c~0d: is required"});
  json nested = {{"properties", {{"x/y", {{"type", "string"}}}}}};
  CHECK(Errors(nested, {{"x/y", 1}}) == Strings{"/x~1y: must be a string"});
}

TEST_CASE("unknown field is reported with its path", "[json_schema]") {
  json bad = ValidJob();
  bad["input"]["paht"] = "typo";
  CHECK(Errors(JobSchema(), bad) == Strings{"/input/paht: unknown field"});
  bad = ValidJob();
  bad["clean"][1]["maximum"] = 3;
  CHECK(Errors(JobSchema(), bad) == Strings{"/clean/1/maximum: unknown field"});
}

TEST_CASE("additionalProperties schema validates the extra fields", "[json_schema]") {
  json schema = {{"properties", {{"id", {{"type", "string"}}}}},
                 {"additionalProperties", {{"type", "number"}}}};
  CHECK(Errors(schema, {{"id", "a"}, {"x", 1}, {"y", 2.5}}).empty());
  CHECK(Errors(schema, {{"id", "a"}, {"x", "one"}}) == Strings{"/x: must be a number"});
}

TEST_CASE("patternProperties validates matching keys and exempts them", "[json_schema]") {
  json schema = {{"patternProperties", {{"^x-", {{"type", "string"}}}}},
                 {"additionalProperties", false}};
  CHECK(Errors(schema, {{"x-owner", "ops"}}).empty());
  CHECK(Errors(schema, {{"x-owner", 1}}) == Strings{"/x-owner: must be a string"});
  CHECK(Errors(schema, {{"owner", "ops"}}) == Strings{"/owner: unknown field"});
}

TEST_CASE("propertyNames validates every key", "[json_schema]") {
  json schema = {{"propertyNames", {{"pattern", "^[a-z_]+$"}, {"maxLength", 5}}}};
  CHECK(Errors(schema, {{"site", 1}}).empty());
  CHECK(Errors(schema, {{"Site", 1}}) ==
        Strings{"/Site: property name must match pattern \"^[a-z_]+$\""});
  CHECK(Errors(schema, {{"abcdef", 1}}) ==
        Strings{"/abcdef: property name must be at most 5 characters long"});
}

TEST_CASE("minProperties and maxProperties bound the key count", "[json_schema]") {
  json schema = {{"minProperties", 1}, {"maxProperties", 2}};
  CHECK(Errors(schema, {{"a", 1}}).empty());
  CHECK(Errors(schema, json::object()) == Strings{"/: must have at least 1 property"});
  CHECK(Errors(schema, {{"a", 1}, {"b", 2}, {"c", 3}}) ==
        Strings{"/: must have at most 2 properties"});
}

TEST_CASE("dependentRequired requires keys when the trigger is present", "[json_schema]") {
  json schema = {{"dependentRequired", {{"csv", {"delimiter"}}}}};
  CHECK(Errors(schema, json::object()).empty());
  CHECK(Errors(schema, {{"csv", true}, {"delimiter", ","}}).empty());
  CHECK(Errors(schema, {{"csv", true}}) ==
        Strings{"/delimiter: is required when \"csv\" is present"});
}

TEST_CASE("enum lists the allowed values", "[json_schema]") {
  json bad = ValidJob();
  bad["input"]["type"] = "ftp";
  CHECK(Errors(JobSchema(), bad) ==
        Strings{"/input/type: must be one of \"file\", \"tail\", \"mqtt\", \"stdin\""});
  CHECK(Errors({{"enum", {1, "a", nullptr}}}, nullptr).empty());
  CHECK(Errors({{"enum", {1, 2.5, true}}}, 3) == Strings{"/: must be one of 1, 2.5, true"});
}

TEST_CASE("const compares by JSON value", "[json_schema]") {
  CHECK(Errors({{"const", "range"}}, "range").empty());
  CHECK(Errors({{"const", "range"}}, "Range") == Strings{"/: must be equal to \"range\""});
  CHECK(Errors({{"const", 1}}, json::parse("1.0")).empty());
  CHECK(Errors({{"const", {{"a", {1, 2}}, {"b", nullptr}}}},
               json::parse(R"({"b": null, "a": [1, 2.0]})"))
            .empty());
  CHECK(Errors({{"const", {1, 2}}}, {2, 1}) == Strings{"/: must be equal to [1,2]"});
}

TEST_CASE("numeric bounds print numbers compactly", "[json_schema]") {
  json schema = {{"minimum", 0.0}, {"maximum", 60.0}};
  CHECK(Errors(schema, 0).empty());
  CHECK(Errors(schema, 60).empty());
  CHECK(Errors(schema, 60.5) == Strings{"/: must be <= 60"});
  CHECK(Errors(schema, -1) == Strings{"/: must be >= 0"});
  CHECK(Errors({{"minimum", 0.1}}, 0.05) == Strings{"/: must be >= 0.1"});
  CHECK(Errors({{"maximum", -2.5}}, 0) == Strings{"/: must be <= -2.5"});
}

TEST_CASE("exclusive bounds reject the bound itself", "[json_schema]") {
  json schema = {{"exclusiveMinimum", 0}, {"exclusiveMaximum", 10}};
  CHECK(Errors(schema, 5).empty());
  CHECK(Errors(schema, 0.001).empty());
  CHECK(Errors(schema, 0) == Strings{"/: must be > 0"});
  CHECK(Errors(schema, 10.0) == Strings{"/: must be < 10"});
}

TEST_CASE("integer bounds are exact for large values", "[json_schema]") {
  CHECK(Errors({{"maximum", 9007199254740992LL}}, 9007199254740993LL) ==
        Strings{"/: must be <= 9007199254740992"});
  CHECK(Errors({{"minimum", -1}}, 18446744073709551615ULL).empty());
}

TEST_CASE("multipleOf tolerates float rounding", "[json_schema]") {
  CHECK(Errors({{"multipleOf", 5}}, 15).empty());
  CHECK(Errors({{"multipleOf", 5}}, -15).empty());
  CHECK(Errors({{"multipleOf", 5}}, 7) == Strings{"/: must be a multiple of 5"});
  CHECK(Errors({{"multipleOf", 0.1}}, 0.3).empty());
  CHECK(Errors({{"multipleOf", 0.01}}, 0.07).empty());
  CHECK(Errors({{"multipleOf", 0.1}}, 0.35) == Strings{"/: must be a multiple of 0.1"});
  CHECK(Errors({{"multipleOf", 2}}, 4.0).empty());
}

TEST_CASE("string length counts UTF-8 code points", "[json_schema]") {
  json schema = {{"minLength", 2}, {"maxLength", 5}};
  CHECK(Errors(schema, "h\xC3\xA9llo").empty());              // "héllo": 5 code points.
  CHECK(Errors(schema, "\xE6\x97\xA5\xE6\x9C\xAC").empty());  // "日本": 2 code points.
  CHECK(Errors(schema, "\xF0\x9F\x98\x80") ==                 // One emoji.
        Strings{"/: must be at least 2 characters long"});
  CHECK(Errors(schema, "h\xC3\xA9llo!") == Strings{"/: must be at most 5 characters long"});
  CHECK(Errors({{"minLength", 1}}, "") == Strings{"/: must be at least 1 character long"});
}

TEST_CASE("pattern uses ECMAScript search semantics", "[json_schema]") {
  CHECK(Errors({{"pattern", "b"}}, "abc").empty());
  CHECK(Errors({{"pattern", "^b"}}, "abc") == Strings{"/: must match pattern \"^b\""});
  CHECK(Errors({{"pattern", "^[0-9]+(ms|s|m|h)$"}}, "10m").empty());
  CHECK(Errors({{"pattern", "^[0-9]+(ms|s|m|h)$"}}, "10 m") ==
        Strings{"/: must match pattern \"^[0-9]+(ms|s|m|h)$\""});
  CHECK(Errors({{"pattern", "x|^a"}}, "abc").empty());
  CHECK(Errors({{"pattern", "c$"}}, "abc\n") == Strings{"/: must match pattern \"c$\""});
  CHECK(Errors({{"pattern", "\\d{2}"}}, "a12").empty());
}

TEST_CASE("pattern matching of very long strings does not crash", "[json_schema]") {
  std::string long_value(200000, 'a');
  CHECK(Errors({{"pattern", "^(a|b)*$"}}, long_value).empty());
  CHECK(Errors({{"pattern", "(a*)*b"}}, long_value) == Strings{"/: must match pattern \"(a*)*b\""});
}

TEST_CASE("patterns with back-references still work on short strings", "[json_schema]") {
  json schema = {{"pattern", "^(a+)-\\1$"}};
  CHECK(Errors(schema, "aa-aa").empty());
  CHECK(Errors(schema, "aa-a") == Strings{"/: must match pattern \"^(a+)-\\1$\""});
}

TEST_CASE("format is ignored", "[json_schema]") {
  CHECK(Errors({{"type", "string"}, {"format", "email"}}, "not an email").empty());
}

TEST_CASE("malformed keyword values are ignored, float counts are accepted", "[json_schema]") {
  json schema = {{"minimum", "x"}, {"required", "a"}, {"maxLength", 1e300}, {"type", 5}};
  CHECK(Errors(schema, "anything").empty());
  CHECK(Errors({{"minItems", 2.0}}, {1}) == Strings{"/: must have at least 2 items"});
}

TEST_CASE("annotation keywords are ignored", "[json_schema]") {
  json schema = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                 {"$id", "https://example.com/x"},
                 {"$comment", "c"},
                 {"title", "t"},
                 {"description", "d"},
                 {"default", 1},
                 {"examples", {1}},
                 {"deprecated", true},
                 {"readOnly", true},
                 {"type", "integer"}};
  CHECK(Errors(schema, 3).empty());
  CHECK(Errors(schema, "x") == Strings{"/: must be an integer"});
}

TEST_CASE("items validates each element with its index in the path", "[json_schema]") {
  json schema = {{"type", "array"}, {"items", {{"type", "string"}}}};
  CHECK(Errors(schema, {"a", "b"}).empty());
  CHECK(Errors(schema, {"a", "b", 3}) == Strings{"/2: must be a string"});
  json bad = ValidJob();
  bad["clean"][0]["fields"] = {"temp", 7};
  CHECK(Errors(JobSchema(), bad) == Strings{"/clean/0/fields/1: must be a string"});
}

TEST_CASE("prefixItems validates positions and items covers the rest", "[json_schema]") {
  json schema = {{"prefixItems", {{{"type", "string"}}, {{"type", "number"}}}},
                 {"items", {{"type", "boolean"}}}};
  CHECK(Errors(schema, {"a", 1, true, false}).empty());
  CHECK(Errors(schema, {"a"}).empty());
  CHECK(Errors(schema, {1, "x", true}) == Strings{"/0: must be a string", "/1: must be a number"});
  CHECK(Errors(schema, {"a", 1, "no"}) == Strings{"/2: must be a boolean"});
}

TEST_CASE("minItems and maxItems bound the length", "[json_schema]") {
  json schema = {{"minItems", 1}, {"maxItems", 2}};
  CHECK(Errors(schema, {1}).empty());
  CHECK(Errors(schema, json::array()) == Strings{"/: must have at least 1 item"});
  CHECK(Errors(schema, {1, 2, 3}) == Strings{"/: must have at most 2 items"});
  json bad = ValidJob();
  bad["clean"][0]["fields"] = json::array();
  CHECK(Errors(JobSchema(), bad) == Strings{"/clean/0/fields: must have at least 1 item"});
}

TEST_CASE("uniqueItems reports the duplicate element", "[json_schema]") {
  json schema = {{"uniqueItems", true}};
  CHECK(Errors(schema, {1, 2, "1", nullptr, false, true}).empty());
  CHECK(Errors(schema, {1, 2, json::parse("1.0")}) == Strings{"/2: is a duplicate of item 0"});
  CHECK(Errors(schema, json::parse(R"([{"a": 1, "b": 2}, {"b": 2, "a": 1}])")) ==
        Strings{"/1: is a duplicate of item 0"});
  CHECK(Errors(schema, json::parse(R"([{"a": 1}, {"a": 2}, [1], [2]])")).empty());
  CHECK(Errors({{"uniqueItems", false}}, {1, 1}).empty());
}

TEST_CASE("contains requires matching elements", "[json_schema]") {
  json schema = {{"contains", {{"const", "device"}}}};
  CHECK(Errors(schema, {"ts", "device"}).empty());
  CHECK(Errors(schema, {"ts"}) == Strings{"/: must contain at least 1 matching item"});
  json bounded = {{"contains", {{"type", "string"}}}, {"minContains", 2}, {"maxContains", 3}};
  CHECK(Errors(bounded, {"a", 1, "b"}).empty());
  CHECK(Errors(bounded, {"a", 1}) == Strings{"/: must contain at least 2 matching items"});
  CHECK(Errors(bounded, {"a", "b", "c", "d"}) ==
        Strings{"/: must contain at most 3 matching items"});
}

TEST_CASE("allOf reports the errors of every failing branch", "[json_schema]") {
  json schema = {{"allOf", {{{"required", {"a"}}}, {{"required", {"b"}}}}}};
  CHECK(Errors(schema, {{"a", 1}, {"b", 2}}).empty());
  CHECK(Errors(schema, json::object()) == Strings{"/a: is required", "/b: is required"});
}

TEST_CASE("oneOf with a const discriminator reports the selected branch", "[json_schema]") {
  json bad = ValidJob();
  bad["clean"][1]["max"] = "15";
  CHECK(Errors(JobSchema(), bad) == Strings{"/clean/1/max: must be a number"});
  bad = ValidJob();
  bad["clean"][2]["horizon"] = "ten minutes";
  CHECK(Errors(JobSchema(), bad) ==
        Strings{"/clean/2/horizon: must match pattern \"^[0-9]+(ms|s|m|h)$\""});
  bad = ValidJob();
  bad["clean"][1].erase("field");
  CHECK(Errors(JobSchema(), bad) == Strings{"/clean/1/field: is required"});
}

TEST_CASE("unknown discriminator value lists the allowed consts", "[json_schema]") {
  json bad = ValidJob();
  bad["clean"][1]["op"] = "rnage";
  CHECK(Errors(JobSchema(), bad) ==
        Strings{"/clean/1/op: must be one of \"drop_null\", \"range\", \"dedup\""});
  bad["clean"][1]["op"] = 5;
  CHECK(Errors(JobSchema(), bad) ==
        Strings{"/clean/1/op: must be one of \"drop_null\", \"range\", \"dedup\""});
}

TEST_CASE("missing discriminator is reported as required", "[json_schema]") {
  json bad = ValidJob();
  bad["clean"][0].erase("op");
  CHECK(Errors(JobSchema(), bad) == Strings{"/clean/0/op: is required"});
}

TEST_CASE("discriminator works with single-value enums and anyOf", "[json_schema]") {
  json schema = {{"anyOf",
                  {{{"properties", {{"kind", {{"enum", {"a"}}}}, {"x", {{"type", "string"}}}}}},
                   {{"properties", {{"kind", {{"enum", {"b"}}}}, {"y", {{"type", "string"}}}}}}}}};
  CHECK(Errors(schema, {{"kind", "b"}, {"y", "ok"}}).empty());
  CHECK(Errors(schema, {{"kind", "b"}, {"y", 1}}) == Strings{"/y: must be a string"});
  CHECK(Errors(schema, {{"kind", "c"}}) == Strings{"/kind: must be one of \"a\", \"b\""});
}

TEST_CASE("oneOf matching several branches is refused", "[json_schema]") {
  json schema = {{"oneOf", {{{"type", "number"}}, {{"type", "integer"}}}}};
  CHECK(Errors(schema, 1.5).empty());
  CHECK(Errors(schema, 2) == Strings{"/: must match exactly one of the allowed schemas"});
}

TEST_CASE("anyOf passes when any branch matches", "[json_schema]") {
  json schema = {{"anyOf", {{{"type", "number"}}, {{"type", "integer"}}}}};
  CHECK(Errors(schema, 2).empty());
  CHECK(Errors(schema, 2.5).empty());
}

TEST_CASE("anyOf without discriminator reports the closest branch", "[json_schema]") {
  json fewest = {{"anyOf", {{{"required", {"a", "b"}}}, {{"required", {"c"}}}}}};
  CHECK(Errors(fewest, json::object()) == Strings{"/c: is required"});
  json deepest = json::parse(R"({"anyOf": [
      {"required": ["a"]},
      {"properties": {"x": {"properties": {"y": {"type": "string"}}}}}
  ]})");
  CHECK(Errors(deepest, {{"x", {{"y", 1}}}}) == Strings{"/x/y: must be a string"});
}

TEST_CASE("anyOf of types names every accepted type", "[json_schema]") {
  json schema = {{"anyOf", {{{"type", "string"}}, {{"type", "array"}, {"items", true}}}}};
  CHECK(Errors(schema, 5) == Strings{"/: must be a string or an array"});
}

TEST_CASE("not rejects instances matching the schema", "[json_schema]") {
  json schema = {{"not", {{"type", "string"}}}};
  CHECK(Errors(schema, 1).empty());
  CHECK(Errors(schema, "s") == Strings{"/: must not match the disallowed schema"});
}

TEST_CASE("if then else picks the branch by the condition", "[json_schema]") {
  json schema = {{"if", {{"properties", {{"format", {{"const", "csv"}}}}}}},
                 {"then", {{"required", {"csv"}}}},
                 {"else", {{"not", {{"required", {"csv"}}}}}}};
  CHECK(Errors(schema, {{"format", "csv"}, {"csv", json::object()}}).empty());
  CHECK(Errors(schema, {{"format", "csv"}}) == Strings{"/csv: is required"});
  CHECK(Errors(schema, {{"format", "ndjson"}}).empty());
  CHECK(Errors(schema, {{"format", "ndjson"}, {"csv", 1}}) ==
        Strings{"/: must not match the disallowed schema"});
  CHECK(Errors({{"then", false}}, 1).empty());  // then without if is ignored.
}

TEST_CASE("boolean schemas accept or refuse everything", "[json_schema]") {
  CHECK(Errors(true, {{"anything", {1, 2}}}).empty());
  CHECK(Errors(false, 1) == Strings{"/: is not allowed"});
  CHECK(Errors({{"properties", {{"legacy", false}}}}, {{"legacy", 1}}) ==
        Strings{"/legacy: is not allowed"});
}

TEST_CASE("$ref resolves $defs, definitions and the root", "[json_schema]") {
  json schema = json::parse(R"({
    "$defs": {"name": {"type": "string"}},
    "definitions": {"count": {"type": "integer", "minimum": 0}},
    "properties": {
      "name": {"$ref": "#/$defs/name"},
      "count": {"$ref": "#/definitions/count"},
      "child": {"$ref": "#"}
    }
  })");
  CHECK(Errors(schema, {{"name", "a"}, {"count", 1}, {"child", {{"name", "b"}}}}).empty());
  CHECK(Errors(schema, {{"name", 1}}) == Strings{"/name: must be a string"});
  CHECK(Errors(schema, {{"count", -1}}) == Strings{"/count: must be >= 0"});
  CHECK(Errors(schema, {{"child", {{"child", {{"count", "x"}}}}}}) ==
        Strings{"/child/child/count: must be an integer"});
}

TEST_CASE("$ref decodes ~0, ~1 and percent escapes", "[json_schema]") {
  json schema = json::parse(R"({
    "$defs": {"a/b": {"type": "string"}, "c~d": {"type": "number"}, "e f": {"type": "null"}},
    "properties": {
      "x": {"$ref": "#/$defs/a~1b"},
      "y": {"$ref": "#/$defs/c~0d"},
      "z": {"$ref": "#/$defs/e%20f"}
    }
  })");
  CHECK(Errors(schema, {{"x", "s"}, {"y", 1}, {"z", nullptr}}).empty());
  CHECK(Errors(schema, {{"x", 1}, {"y", "s"}, {"z", 0}}) ==
        Strings{"/x: must be a string", "/y: must be a number", "/z: must be null"});
}

TEST_CASE("$ref siblings are applied too", "[json_schema]") {
  json schema = {{"$defs", {{"n", {{"type", "number"}}}}}, {"$ref", "#/$defs/n"}, {"maximum", 3}};
  CHECK(Errors(schema, 2).empty());
  CHECK(Errors(schema, 4) == Strings{"/: must be <= 3"});
  CHECK(Errors(schema, "x") == Strings{"/: must be a number"});
}

TEST_CASE("unresolvable $ref throws invalid_argument", "[json_schema]") {
  // Thrown even when the instance never reaches the reference.
  json missing = {{"properties", {{"x", {{"$ref", "#/$defs/missing"}}}}}};
  CHECK_THROWS_AS(ValidateJson(missing, json::object()), std::invalid_argument);
  json remote = {{"$ref", "other.json#/x"}};
  CHECK_THROWS_AS(ValidateJson(remote, 1), std::invalid_argument);
  json anchor = {{"$ref", "#node"}};
  CHECK_THROWS_AS(ValidateJson(anchor, 1), std::invalid_argument);
  json bad_index = {{"items", {{"$ref", "#/allOf/x"}}}, {"allOf", json::array()}};
  CHECK_THROWS_AS(ValidateJson(bad_index, json::array()), std::invalid_argument);
}

TEST_CASE("invalid pattern in the schema throws invalid_argument", "[json_schema]") {
  CHECK_THROWS_AS(ValidateJson({{"pattern", "a)(b"}}, "x"), std::invalid_argument);
  CHECK_THROWS_AS(ValidateJson({{"patternProperties", {{"[", true}}}}, json::object()),
                  std::invalid_argument);
}

TEST_CASE("deeply nested instances report nesting too deep", "[json_schema]") {
  json schema = {{"$defs", {{"node", {{"type", "array"}, {"items", {{"$ref", "#/$defs/node"}}}}}}},
                 {"$ref", "#/$defs/node"}};
  json deep = NestedArrays(10000);
  std::vector<SchemaError> errors = ValidateJson(schema, deep);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message == "nesting too deep");
  std::string expected_path;
  for (int i = 0; i < 257; ++i) expected_path += "/0";
  CHECK(errors[0].path == expected_path);
  CHECK(Errors(schema, NestedArrays(200)).empty());
}

TEST_CASE("deeply nested instances are fine when the schema does not descend", "[json_schema]") {
  json deep = NestedArrays(10000);
  CHECK(Errors({{"type", "array"}, {"items", true}}, deep).empty());
  CHECK(Errors({{"type", "array"}, {"minItems", 1}}, deep).empty());
  CHECK(Errors({{"uniqueItems", true}}, deep).empty());
  json twin = NestedArrays(10000);
  CHECK(Errors({{"enum", {1, "x"}}}, deep) == Strings{"/: must be one of 1, \"x\""});
  json pair = json::array();
  pair.push_back(std::move(deep));
  pair.push_back(std::move(twin));
  CHECK(Errors({{"uniqueItems", true}}, pair) == Strings{"/1: is a duplicate of item 0"});
}

TEST_CASE("cyclic $ref without progress is reported instead of recursing", "[json_schema]") {
  CHECK(Errors({{"$ref", "#"}}, 1) == Strings{"/: schema recursion too deep"});
  json loop = {{"$defs", {{"a", {{"allOf", {{{"$ref", "#/$defs/a"}}}}}}}}, {"$ref", "#/$defs/a"}};
  CHECK(Errors(loop, json::object()) == Strings{"/: schema recursion too deep"});
}

TEST_CASE("errors are ordered most specific first", "[json_schema]") {
  json schema = {{"required", {"c"}},
                 {"properties", {{"a", {{"properties", {{"b", {{"type", "string"}}}}}}}}}};
  CHECK(Errors(schema, {{"a", {{"b", 1}}}}) ==
        Strings{"/a/b: must be a string", "/c: is required"});
}

TEST_CASE("max_errors caps the number of errors", "[json_schema]") {
  json schema = {{"additionalProperties", false}};
  json instance = json::object();
  for (int i = 0; i < 20; ++i) instance["f" + std::to_string(i + 10)] = i;
  CHECK(Errors(schema, instance).size() == 8);
  CHECK(Errors(schema, instance, 3) ==
        Strings{"/f10: unknown field", "/f11: unknown field", "/f12: unknown field"});
  CHECK(Errors(schema, instance, 100).size() == 20);
  CHECK(Errors(schema, instance, 0).size() == 1);  // 0 is treated as 1.
}

TEST_CASE("messages from a job spec with several problems", "[json_schema]") {
  json bad = ValidJob();
  bad.erase("job_id");
  bad["version"] = 0;
  bad["input"]["type"] = "ftp";
  CHECK(Errors(JobSchema(), bad) ==
        Strings{"/input/type: must be one of \"file\", \"tail\", \"mqtt\", \"stdin\"",
                "/job_id: is required", "/version: must be >= 1"});
}

}  // namespace
}  // namespace edgeline
