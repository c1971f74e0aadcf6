#include "agent/reject_sampler.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace edgeline;
using nlohmann::json;

TEST_CASE("a token bucket starts full and refills per_minute tokens a minute") {
  TokenBucket b(/*per_minute=*/6, /*burst=*/2, /*now_ms=*/1000);
  CHECK(b.tokens() == 2);
  CHECK(b.TryTake(1000));
  CHECK(b.TryTake(1000));
  CHECK_FALSE(b.TryTake(1000));
  // One token every 10 s; 9.999 s is not enough.
  CHECK_FALSE(b.TryTake(10999));
  CHECK(b.TryTake(11000));
  CHECK_FALSE(b.TryTake(11000));
  // A long pause fills it to the burst, no more.
  CHECK_FALSE(b.TryTake(5000));  // time going backwards adds nothing
  CHECK(b.TryTake(1'000'000'000));
  CHECK(b.tokens() == 1);
  CHECK(b.TryTake(1'000'000'000));
  CHECK_FALSE(b.TryTake(1'000'000'000));
}

TEST_CASE("token credit accumulates exactly across uneven calls") {
  TokenBucket b(/*per_minute=*/7, /*burst=*/2, /*now_ms=*/0);
  CHECK(b.TryTake(0));
  CHECK(b.TryTake(0));
  // 60000 / 7 = 8571.43 ms per token: credit from many small steps adds up exactly.
  for (int64_t t = 1000; t <= 8000; t += 1000) CHECK_FALSE(b.TryTake(t));
  CHECK_FALSE(b.TryTake(8571));  // 8571 * 7 = 59997 < 60000
  CHECK(b.TryTake(8572));        // 8572 * 7 = 60004
  // The 4 units left over count toward the next token: due at 8572 + 8571.
  CHECK_FALSE(b.TryTake(17142));  // 4 + 8570 * 7 = 59994
  CHECK(b.TryTake(17143));        // 4 + 8571 * 7 = 60001
}

namespace {
JobSpec Spec() {
  JobSpec s;
  s.job_id = "climate";
  s.version = 3;
  return s;
}
}  // namespace

TEST_CASE("rejects past the rate are suppressed and reported in the next sample") {
  JobSpec spec = Spec();
  int64_t now = 0;
  std::vector<json> sent;
  bool connected = true;
  RejectReporter r(
      spec, "pi-01", /*per_minute=*/60,
      [&](const std::string& payload) {
        if (connected) sent.push_back(json::parse(payload));
        return connected;
      },
      [] { return std::string("sensors/pi-01/climate"); }, [&] { return now; });
  for (int i = 0; i < 15; ++i) r.OnReject("cast_error", "1,x,ERR\n");
  REQUIRE(sent.size() == 10);  // the burst
  CHECK(sent[0] == json{{"job_id", "climate"},
                        {"version", 3},
                        {"agent_id", "pi-01"},
                        {"reason", "cast_error"},
                        {"raw", "1,x,ERR"},
                        {"raw_bytes", 7},
                        {"source", "sensors/pi-01/climate"},
                        {"time", "1970-01-01T00:00:00.000Z"},
                        {"suppressed", 0}});
  CHECK(sent[9]["suppressed"] == 0);
  auto c = r.TakeCounts();
  CHECK(c.published == 10);
  CHECK(c.suppressed == 5);
  CHECK(c.unsent == 0);

  now = 999;  // 0.999 tokens
  r.OnReject("bad_timestamp", "");
  CHECK(sent.size() == 10);
  now = 1000;
  r.OnReject("bad_timestamp", "");
  REQUIRE(sent.size() == 11);
  CHECK(sent[10]["suppressed"] == 6);
  CHECK(sent[10]["reason"] == "bad_timestamp");
  CHECK(sent[10]["time"] == "1970-01-01T00:00:01.000Z");

  // A sample that cannot be handed over counts as suppressed for the next one.
  connected = false;
  now = 2000;
  r.OnReject("cast_error", "a");
  connected = true;
  now = 3000;
  r.OnReject("cast_error", "b");
  REQUIRE(sent.size() == 12);
  CHECK(sent[11]["suppressed"] == 1);
  CHECK(sent[11]["raw"] == "b");
  c = r.TakeCounts();
  CHECK(c.published == 2);
  CHECK(c.unsent == 1);
  CHECK(c.suppressed == 1);
}

TEST_CASE("the burst is at most the per-minute rate") {
  JobSpec spec = Spec();
  int sent = 0;
  RejectReporter r(
      spec, "a", /*per_minute=*/3, [&](const std::string&) { return ++sent, true; }, nullptr,
      [] { return int64_t{0}; });
  for (int i = 0; i < 10; ++i) r.OnReject("cast_error", "");
  CHECK(sent == 3);
  CHECK(r.TakeCounts().suppressed == 7);
}

TEST_CASE("a sample's raw text is cut at a character boundary and made valid UTF-8") {
  RejectSample s;
  s.reason = "line_too_long";
  // 511 ASCII bytes, then a 2-byte character across the 512-byte cut.
  std::string raw = std::string(511, 'a') + "\xC3\xA9" + std::string(100, 'b') + "\r\n";
  s.raw = raw;
  json j = json::parse(EncodeRejectSample(s));
  CHECK(j["raw"] == std::string(511, 'a'));
  CHECK(j["raw_bytes"] == 613);
  CHECK(j["source"] == "");

  std::string bad = "ts,\xFF,1";
  s.raw = bad;
  j = json::parse(EncodeRejectSample(s));
  CHECK(j["raw"] == "ts,\xEF\xBF\xBD,1");  // U+FFFD
  CHECK(j["raw_bytes"] == 6);
}
