#include <catch2/catch.hpp>

#include <filesystem>

#include "agent/spool.h"

using namespace edgeline;
namespace fs = std::filesystem;

namespace {
SpoolOptions Opts(const std::string& name) {
  SpoolOptions o;
  o.dir = (fs::temp_directory_path() / ("edgeline-spool-test-" + name)).string();
  fs::remove_all(o.dir);
  return o;
}
std::vector<int64_t> Seqs(const std::vector<SpoolEntry>& es) {
  std::vector<int64_t> out;
  for (const auto& e : es) out.push_back(e.seq);
  return out;
}
}  // namespace

TEST_CASE("spooled batches survive a reopen and leave only when acknowledged") {
  SpoolOptions o = Opts("reopen");
  {
    auto s = Spool::Open(o);
    REQUIRE(s.ok());
    REQUIRE(s.value()->Put("gh", 1, "one", 1000).ok());
    REQUIRE(s.value()->Put("gh", 2, "two!", 1001).ok());
    REQUIRE(s.value()->Put("cold", 1, "x", 1002).ok());
    CHECK(s.value()->Stats().batches == 3);
    CHECK(s.value()->Stats().bytes == 8 + 3 * 12);  // 12 bytes of framing per file
  }
  auto s = Spool::Open(o);
  REQUIRE(s.ok());
  Spool& sp = *s.value();
  CHECK(sp.Stats().batches == 3);
  CHECK(sp.Read("gh", 2) == std::optional<std::string>("two!"));
  CHECK(sp.Ack("gh", 1, 5) == 2);
  CHECK_FALSE(sp.Read("gh", 1).has_value());
  CHECK(sp.JobStats("gh").batches == 0);
  CHECK(sp.JobStats("cold").batches == 1);
  CHECK(sp.Ack("gh", 1, 5) == 0);  // a repeated ack is harmless
  CHECK(fs::is_empty(fs::path(o.dir) / "gh"));
}

TEST_CASE("live batches go first, then the backlog oldest first, then timed-out re-sends") {
  SpoolOptions o = Opts("order");
  auto s = Spool::Open(o);
  REQUIRE(s.ok());
  Spool& sp = *s.value();
  REQUIRE(sp.Put("a", 1, "p", 100).ok());  // backlog (before the connection at 500)
  REQUIRE(sp.Put("a", 2, "p", 200).ok());
  REQUIRE(sp.Put("b", 1, "p", 600).ok());  // live
  REQUIRE(sp.Put("a", 3, "p", 700).ok());  // live
  CHECK(Seqs(sp.Due(1000, 500, 30000, 10)) == std::vector<int64_t>{1, 3, 1, 2});
  CHECK(Seqs(sp.Due(1000, 500, 30000, 2)) == std::vector<int64_t>{1, 3});
  sp.MarkSent("b", 1, 1000);
  sp.MarkSent("a", 3, 1000);
  sp.MarkSent("a", 1, 1000);
  // a/2 was never sent; the others wait for their ack timeout.
  CHECK(Seqs(sp.Due(1500, 500, 30000, 10)) == std::vector<int64_t>{2});
  CHECK(Seqs(sp.Due(31000, 500, 30000, 10)) == std::vector<int64_t>{1, 2, 1, 3});
}

TEST_CASE("over the byte cap the oldest batches are dropped and counted") {
  SpoolOptions o = Opts("cap");
  o.max_bytes = 40;  // two 4-byte batches with their 12-byte framing fit
  auto s = Spool::Open(o);
  REQUIRE(s.ok());
  Spool& sp = *s.value();
  REQUIRE(sp.Put("a", 1, "aaaa", 1, "", 7).ok());
  REQUIRE(sp.Put("b", 1, "bbbb", 2, "", 5).ok());
  REQUIRE(sp.Put("a", 2, "cccc", 3).ok());  // 48 bytes: a/1 goes
  CHECK(sp.Stats().dropped == 1);
  CHECK(sp.JobStats("a").dropped == 1);
  CHECK(sp.JobStats("a").dropped_records == 7);
  CHECK(sp.JobStats("b").dropped == 0);
  CHECK(sp.Stats().bytes == 32);
  CHECK_FALSE(sp.Read("a", 1).has_value());
  CHECK(sp.Read("b", 1).has_value());
  CHECK(sp.Read("a", 2).has_value());
  const std::string big(28, 'd');  // 40 bytes with framing: needs everything else gone
  REQUIRE(sp.Put("b", 2, big, 4).ok());
  CHECK(sp.Stats().dropped == 3);
  CHECK(sp.Stats().batches == 1);
  CHECK(sp.Read("b", 2) == std::optional<std::string>(big));
}

TEST_CASE("batches older than the age cap are dropped and counted") {
  SpoolOptions o = Opts("age");
  o.max_age_ms = 1000;
  auto s = Spool::Open(o);
  REQUIRE(s.ok());
  Spool& sp = *s.value();
  REQUIRE(sp.Put("a", 1, "x", 1000).ok());
  REQUIRE(sp.Put("a", 2, "x", 1500).ok());
  CHECK(sp.ExpireOld(2000) == 0);
  CHECK(sp.ExpireOld(2001) == 1);
  CHECK(sp.Stats().dropped == 1);
  CHECK(sp.Stats().oldest_ms == 1500);
}

TEST_CASE("fsync policies parse by name") {
  FsyncPolicy p;
  REQUIRE(ParseFsyncPolicy("interval", &p));
  CHECK(p == FsyncPolicy::kInterval);
  CHECK_FALSE(ParseFsyncPolicy("sometimes", &p));
  SpoolOptions o = Opts("never");
  o.fsync = FsyncPolicy::kNever;
  auto s = Spool::Open(o);
  REQUIRE(s.ok());
  REQUIRE(s.value()->Put("a", 1, "x", 1).ok());
  CHECK(s.value()->Read("a", 1) == std::optional<std::string>("x"));
}

TEST_CASE("each batch carries its metadata, read back from the newest batch") {
  SpoolOptions o = Opts("meta");
  auto s = Spool::Open(o);
  REQUIRE(s.ok());
  Spool& sp = *s.value();
  CHECK_FALSE(sp.NewestMeta("a").has_value());
  REQUIRE(sp.Put("a", 1, "payload1", 1, "{\"seq\":1}").ok());
  REQUIRE(sp.Put("a", 2, "payload2", 2, "{\"seq\":2}").ok());
  CHECK(sp.NewestMeta("a") == std::optional<std::string>("{\"seq\":2}"));
  CHECK(sp.Read("a", 1) == std::optional<std::string>("payload1"));
  CHECK(sp.Ack("a", 2, 2) == 1);
  CHECK(sp.NewestMeta("a") == std::optional<std::string>("{\"seq\":1}"));
}
