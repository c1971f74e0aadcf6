// The redact clean op: drop, or HMAC-SHA256 with a key from the device's environment.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>

#include "agent/cleaner.h"
#include "agent/job_pipeline.h"

using namespace edgeline;

namespace {
JobSpec Spec(const std::string& clean, const std::string& extra = "") {
  auto r = ParseJobSpec(R"({"job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "ndjson"},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
               "fields": {"serial": {"type": "string"}, "n": {"type": "int"}, "temp": {"type": "float"},
                          "ok": {"type": "bool"}}},
    "clean": )" + clean + extra + "}");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return r.value();
}
}  // namespace

TEST_CASE("HMAC-SHA256 matches RFC 4231") {
  CHECK(HmacSha256Hex(std::string(20, '\x0b'), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(HmacSha256Hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("redact hash replaces values by the keyed hash of their text") {
  ::setenv("EDGELINE_TEST_REDACT_KEY", "Jefe", 1);
  JobSpec s = Spec(R"([{"op": "redact", "fields": ["serial", "n", "temp", "ok"], "action": "hash",
                        "key_env": "EDGELINE_TEST_REDACT_KEY"},
                       {"op": "redact", "fields": ["serial"], "action": "hash",
                        "key_env": "EDGELINE_TEST_REDACT_KEY", "length": 16}])");
  CHECK(s.clean[0].action == CleanOp::kHash);
  CHECK(s.clean[0].key_env == "EDGELINE_TEST_REDACT_KEY");
  CHECK(s.clean[0].hash_length == 64);
  CHECK(s.clean[1].hash_length == 16);
  for (const FieldDef& f : s.OutputFields()) CHECK(f.type == FieldType::kString);
  Cleaner c(s);
  REQUIRE(c.status().ok());
  Record r{1, {std::string("what do ya want for nothing?"), int64_t{42}, 21.5, true}};
  REQUIRE(c.Apply(&r) == nullptr);
  // serial was hashed twice: the second op hashes the first one's hex digest.
  CHECK(r.values[0] == Value{HmacSha256Hex("Jefe", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843").substr(0, 16)});
  CHECK(r.values[1] == Value{std::string("2e28d94f19ad4b7cbc288ed7e1b05ac2635df6dacb8922be19048228de303838")});
  CHECK(r.values[2] == Value{std::string("fb35d493bb68c46de261eed7ab58a200ec6c85f8261b3886aec281e24d3cd00a")});
  CHECK(r.values[3] == Value{HmacSha256Hex("Jefe", "true")});
  Record n{2, {Value{}, Value{}, Value{}, Value{}}};
  REQUIRE(c.Apply(&n) == nullptr);
  CHECK(n.values == std::vector<Value>{Value{}, Value{}, Value{}, Value{}});
  ::unsetenv("EDGELINE_TEST_REDACT_KEY");
}

TEST_CASE("redact hash truncates to length hex digits") {
  ::setenv("EDGELINE_TEST_REDACT_KEY", "Jefe", 1);
  JobSpec s = Spec(R"([{"op": "redact", "fields": ["serial"], "action": "hash",
                        "key_env": "EDGELINE_TEST_REDACT_KEY", "length": 16}])");
  Cleaner c(s);
  Record r{1, {std::string("gh-01"), Value{}, Value{}, Value{}}};
  REQUIRE(c.Apply(&r) == nullptr);
  CHECK(r.values[0] == Value{std::string("c1d2019a592cf54c")});
  ::unsetenv("EDGELINE_TEST_REDACT_KEY");
}

TEST_CASE("redact hash without its key variable fails the job, and never leaks a value") {
  ::unsetenv("EDGELINE_TEST_REDACT_MISSING");
  JobSpec s = Spec(R"([{"op": "drop_null", "fields": ["n"]},
                       {"op": "redact", "fields": ["serial"], "action": "hash",
                        "key_env": "EDGELINE_TEST_REDACT_MISSING"}])");
  Cleaner c(s);
  REQUIRE_FALSE(c.status().ok());
  CHECK(c.status().message() ==
        "clean op /clean/1 (redact): environment variable EDGELINE_TEST_REDACT_MISSING is not set; "
        "it must hold the hash key on the device");
  Record r{1, {std::string("secret"), int64_t{1}, Value{}, Value{}}};
  REQUIRE(c.Apply(&r) == nullptr);
  CHECK(IsNull(r.values[0]));

  ::setenv("EDGELINE_TEST_REDACT_MISSING", "", 1);
  Cleaner empty(s);
  CHECK(empty.status().message() ==
        "clean op /clean/1 (redact): environment variable EDGELINE_TEST_REDACT_MISSING is empty; "
        "it must hold the hash key on the device");
  ::unsetenv("EDGELINE_TEST_REDACT_MISSING");

  // The pipeline fails before reading anything, and on Flush/FlushIfDue (a followed
  // input may have nothing to read yet).
  std::vector<Record> got;
  JobPipeline p(s, [&](std::vector<Record>&& rs) {
    for (auto& x : rs) got.push_back(std::move(x));
    return Status::Ok();
  });
  std::istringstream in(R"({"ts": 1, "serial": "secret", "n": 1})" "\n");
  Status st = p.Run(in, "test");
  REQUIRE_FALSE(st.ok());
  CHECK(st.message() == c.status().message());
  CHECK_FALSE(p.Flush().ok());
  CHECK_FALSE(p.FlushIfDue(INT64_MAX).ok());
  CHECK(p.counters().read == 0);
  CHECK(got.empty());
}

TEST_CASE("redact drop nulls the values and removes the fields from the output") {
  JobSpec s = Spec(R"([{"op": "redact", "fields": ["serial", "ok"], "action": "drop"}])");
  CHECK(s.clean[0].action == CleanOp::kNullValue);
  CHECK(s.emitted == std::vector<bool>{false, true, true, false});
  std::vector<FieldDef> out = s.OutputFields();
  REQUIRE(out.size() == 2);
  CHECK(out[0].name == "n");
  CHECK(out[1].name == "temp");
  Cleaner c(s);
  REQUIRE(c.status().ok());
  Record r{1, {std::string("secret"), int64_t{1}, 2.5, true}};
  REQUIRE(c.Apply(&r) == nullptr);
  CHECK(r.values == std::vector<Value>{Value{}, int64_t{1}, 2.5, Value{}});
  std::vector<Record> emitted = s.OutputRecords({r});
  CHECK(emitted[0].values == std::vector<Value>{int64_t{1}, 2.5});
}

TEST_CASE("redacted fields can't be used after the op") {
  auto r = ParseJobSpec(R"({"job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "ndjson"},
    "schema": {"fields": {"serial": {"type": "string"}, "n": {"type": "int"}}},
    "clean": [{"op": "redact", "fields": ["serial"], "action": "drop"},
              {"op": "drop_null", "fields": ["serial"]}]})");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "job spec /clean/1/fields/0: field \"serial\" was removed by /clean/0");
}
