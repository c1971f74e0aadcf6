#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include <sqlite3.h>

#include "aggregator/store.h"

using namespace edgeline;

namespace {
std::string TempDb(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("edgeline-store-test-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "agg.db").string();
}
WindowRow Row(const std::string& group, int64_t start, std::initializer_list<double> xs) {
  WindowRow r;
  r.key = WindowKey{"gh", start, group, "temp"};
  r.end = start + 60000;
  for (double x : xs) r.stats.Add(x);
  return r;
}
}  // namespace

TEST_CASE("a commit is read back after reopening the database") {
  std::string path = TempDb("reopen");
  {
    auto s = Store::Open(path);
    REQUIRE(s.ok());
    CommitSet set;
    set.windows = {Row("a", 0, {1, 2, 3}), Row("b", 60000, {5})};
    set.keys = {{"pi-01", "gh", 7, 1, 3}, {"pi-01", "gh", 7, 2, 1}};
    set.jobs = {{"gh", 1, "{\"job_id\":\"gh\"}", false}};
    set.agents = {{"pi-01", "", "{\"status\":\"online\"}"}};
    REQUIRE(s.value()->Commit(set, 1234).ok());
  }
  auto s = Store::Open(path);
  REQUIRE(s.ok());
  std::vector<WindowRow> rows;
  REQUIRE(s.value()->LoadWindows([&](const WindowRow& r) { rows.push_back(r); }).ok());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].key.group == "a");
  CHECK(rows[0].stats.count == 3);
  CHECK(rows[0].stats.mean == 2.0);
  CHECK(rows[0].stats.m2 == 2.0);
  CHECK(rows[0].stats.min == 1.0);
  CHECK(rows[0].end == 60000);
  std::vector<AppliedKey> keys;
  REQUIRE(s.value()->LoadAppliedKeys([&](const AppliedKey& k) { keys.push_back(k); }).ok());
  CHECK(keys.size() == 2);
  int jobs = 0;
  REQUIRE(s.value()->LoadJobs([&](const JobRow& j) { jobs += j.job_id == "gh" && j.version == 1; }).ok());
  CHECK(jobs == 1);

  WindowQuery q;
  q.job_id = "gh";
  auto all = s.value()->QueryWindows(q);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0]["count"] == 3);
  CHECK((*all)[0]["stddev"].get<double>() == 1.0);
  CHECK((*all)[1]["stddev"].is_null());  // one value
  CHECK((*all)[0]["updated_at"] == 1234);
  q.key = "b";
  CHECK(s.value()->QueryWindows(q)->size() == 1);
  q.key.reset();
  q.from = 60000;
  CHECK(s.value()->QueryWindows(q)->size() == 1);
  q.from.reset();
  q.to = 60000;
  CHECK(s.value()->QueryWindows(q)->size() == 1);
}

TEST_CASE("a later commit replaces a window row and a deletion keeps the job's spec") {
  std::string path = TempDb("upsert");
  auto s = Store::Open(path);
  REQUIRE(s.ok());
  CommitSet a;
  a.windows = {Row("a", 0, {1})};
  a.jobs = {{"gh", 2, "{\"v\":2}", false}};
  REQUIRE(s.value()->Commit(a, 1).ok());
  CommitSet b;
  b.windows = {Row("a", 0, {1, 3})};
  b.jobs = {{"gh", 2, "", true}};
  REQUIRE(s.value()->Commit(b, 2).ok());
  WindowQuery q;
  q.job_id = "gh";
  auto rows = s.value()->QueryWindows(q);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0]["count"] == 2);
  CHECK((*rows)[0]["max"] == 3.0);
  std::vector<JobRow> jobs;
  REQUIRE(s.value()->LoadJobs([&](const JobRow& j) { jobs.push_back(j); }).ok());
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].deleted);
  CHECK(jobs[0].spec == "{\"v\":2}");
}

TEST_CASE("a database from a newer version is refused") {
  std::string path = TempDb("newer");
  {
    auto s = Store::Open(path);
    REQUIRE(s.ok());
  }
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "INSERT INTO schema_version VALUES (99)", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(db);
  }
  auto s = Store::Open(path);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().message() == "database " + path +
                                    " has schema version 99, newer than this aggregator's 1");
}
