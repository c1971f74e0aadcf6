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
  int64_t ts = start;
  for (double x : xs) r.state.Add(x, ts++);
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
  CHECK(rows[0].state.stats.count == 3);
  CHECK(rows[0].state.stats.mean == 2.0);
  CHECK(rows[0].state.stats.m2 == 2.0);
  CHECK(rows[0].state.stats.min == 1.0);
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
                                    " has schema version 99, newer than this aggregator's 3");
}

TEST_CASE("first, last, revision and quantile sketches are stored and queried") {
  std::string path = TempDb("sketch");
  auto s = Store::Open(path);
  REQUIRE(s.ok());
  WindowRow r;
  r.key = WindowKey{"gh", 0, "a", "temp"};
  r.end = 60000;
  r.revision = 2;
  r.state.sketch.emplace(0.01);
  for (int i = 1; i <= 100; ++i) r.state.Add(i, 1000 - i);  // later values, earlier times
  CommitSet set;
  set.windows = {r};
  set.max_event_ts = {{"gh", 12345}};
  REQUIRE(s.value()->Commit(set, 1).ok());
  WindowQuery q;
  q.job_id = "gh";
  q.quantiles["temp"] = {{"p50", 0.5}, {"p99", 0.99}};
  auto rows = s.value()->QueryWindows(q);
  REQUIRE(rows->size() == 1);
  const auto& row = (*rows)[0];
  CHECK(row["first"] == 100.0);  // at the earliest event time
  CHECK(row["last"] == 1.0);
  CHECK(row["revision"] == 2);
  // Rank floor(q * (n - 1)): the 50th and 99th smallest values, within 1%.
  CHECK(row["p50"].get<double>() == Approx(50).epsilon(0.01));
  CHECK(row["p99"].get<double>() == Approx(99).epsilon(0.01));
  std::vector<WindowRow> loaded;
  REQUIRE(s.value()->LoadWindows([&](const WindowRow& w) { loaded.push_back(w); }).ok());
  REQUIRE(loaded.size() == 1);
  REQUIRE(loaded[0].state.sketch.has_value());
  CHECK(*loaded[0].state.sketch == *r.state.sketch);
  CHECK(loaded[0].state.first_ts == 900);
  CHECK(loaded[0].revision == 2);
  int64_t max_ts = 0;
  REQUIRE(s.value()->LoadMaxEventTimes([&](const std::string&, int64_t t) { max_ts = t; }).ok());
  CHECK(max_ts == 12345);
}

TEST_CASE("a version 1 database is migrated and keeps its rows") {
  std::string path = TempDb("migrate");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const char* v1 =
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (1);"
        "CREATE TABLE windows (job_id TEXT NOT NULL, window_start INTEGER NOT NULL,"
        " window_end INTEGER NOT NULL, group_key TEXT NOT NULL, field TEXT NOT NULL,"
        " count INTEGER NOT NULL, sum REAL NOT NULL, min REAL, max REAL, mean REAL,"
        " m2 REAL NOT NULL, revision INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL,"
        " PRIMARY KEY (job_id, window_start, group_key, field)) WITHOUT ROWID;"
        "CREATE TABLE applied_batches (agent_id TEXT NOT NULL, job_id TEXT NOT NULL,"
        " epoch INTEGER NOT NULL, seq INTEGER NOT NULL, records INTEGER NOT NULL,"
        " applied_at INTEGER NOT NULL, PRIMARY KEY (agent_id, job_id, epoch, seq)) WITHOUT ROWID;"
        "CREATE TABLE jobs (job_id TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL,"
        " spec TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, received_at INTEGER NOT NULL);"
        "CREATE TABLE agent_status (agent_id TEXT NOT NULL, job_id TEXT NOT NULL,"
        " payload TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (agent_id, job_id));"
        "INSERT INTO windows VALUES ('gh', 0, 60000, 'a', 'temp', 2, 3.0, 1.0, 2.0, 1.5, 0.5, 0, 7);";
    REQUIRE(sqlite3_exec(db, v1, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto s = Store::Open(path);
  REQUIRE(s.ok());
  WindowQuery q;
  q.job_id = "gh";
  auto rows = s.value()->QueryWindows(q);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0]["count"] == 2);
  CHECK((*rows)[0]["first"].is_null());
}

TEST_CASE("a moved mark prunes the applied keys at or below it in the same commit") {
  std::string path = TempDb("marks");
  auto s = Store::Open(path);
  REQUIRE(s.ok());
  CommitSet a;
  a.keys = {{"pi-01", "gh", 7, 1, 1}, {"pi-01", "gh", 7, 2, 1}, {"pi-01", "gh", 7, 5, 1}};
  REQUIRE(s.value()->Commit(a, 1).ok());
  CommitSet b;
  b.marks = {{BatchStream{"pi-01", "gh", 7}, 2}};
  REQUIRE(s.value()->Commit(b, 2).ok());
  std::vector<int64_t> seqs;
  REQUIRE(s.value()->LoadAppliedKeys([&](const AppliedKey& k) { seqs.push_back(k.seq); }).ok());
  CHECK(seqs == std::vector<int64_t>{5});
  int64_t mark = 0;
  REQUIRE(s.value()->LoadMarks([&](const BatchStream&, int64_t m) { mark = m; }).ok());
  CHECK(mark == 2);
}

TEST_CASE("retention deletes the windows that ended before the cutoff") {
  std::string path = TempDb("retention");
  auto s = Store::Open(path);
  REQUIRE(s.ok());
  CommitSet a;
  a.windows = {Row("a", 0, {1}), Row("a", 60000, {2}), Row("a", 120000, {3})};
  REQUIRE(s.value()->Commit(a, 1).ok());
  CommitSet b;
  b.delete_ended_before = 120001;  // ends 60000 and 120000 go
  REQUIRE(s.value()->Commit(b, 2).ok());
  WindowQuery q;
  q.job_id = "gh";
  auto rows = s.value()->QueryWindows(q);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0]["window_start"] == 120000);
  q.metrics = {"count"};
  rows = s.value()->QueryWindows(q);
  CHECK((*rows)[0].size() == 5);  // identity + count
}
