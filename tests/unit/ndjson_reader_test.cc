#include <catch2/catch.hpp>

#include <sstream>

#include "agent/ndjson_reader.h"

using namespace edgeline;

TEST_CASE("NDJSON lines yield the wanted keys as cells") {
  std::istringstream in(
      "{\"ts\": 5, \"t\": 1.5, \"s\": \"x\", \"extra\": {\"deep\": [1,2]}}\n"
      "\n"
      "{\"t\": null, \"s\": true}\n"
      "{\"ts\": 6, \"t\": [1]}\n");
  NdjsonReader r(in, {"ts", "t", "s"}, 1024);
  std::vector<RawCell> c;
  std::string reason;
  REQUIRE(r.Next(&c, &reason) == NdjsonReader::Outcome::kRow);
  CHECK(c[0].kind == RawCell::kNumber);
  CHECK(c[0].text == "5");
  CHECK(c[1].number == 1.5);
  CHECK(c[2].kind == RawCell::kText);
  CHECK(c[2].text == "x");
  REQUIRE(r.Next(&c, &reason) == NdjsonReader::Outcome::kRow);
  CHECK(r.line() == 3);
  CHECK(c[0].kind == RawCell::kMissing);
  CHECK(c[1].kind == RawCell::kNull);
  CHECK(c[2].kind == RawCell::kBool);
  CHECK(c[2].boolean);
  REQUIRE(r.Next(&c, &reason) == NdjsonReader::Outcome::kRow);
  CHECK(c[1].kind == RawCell::kOther);
  CHECK(r.Next(&c, &reason) == NdjsonReader::Outcome::kEnd);
}

TEST_CASE("malformed, non-object and over-long lines are errors with reasons") {
  std::istringstream in("{\"a\": 1,\n[1,2]\n\"str\"\n{\"a\": 1} x\n" + std::string(80, ' ') +
                        "{}\n{\"a\": 2}\n");
  NdjsonReader r(in, {"a"}, 64);
  std::vector<RawCell> c;
  std::string reason;
  std::vector<std::string> got;
  for (auto o = r.Next(&c, &reason); o != NdjsonReader::Outcome::kEnd; o = r.Next(&c, &reason)) {
    got.push_back(o == NdjsonReader::Outcome::kRow ? "row:" + std::string(c[0].text) : reason);
  }
  CHECK(got == std::vector<std::string>{"json_malformed", "json_not_object", "json_not_object",
                                        "json_malformed", "line_too_long", "row:2"});
}
