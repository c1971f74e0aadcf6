#include "aggregator/store.h"

#include <sqlite3.h>

#include <cmath>

#include "common/log.h"

namespace edgeline {

namespace {
constexpr int kSchemaVersion = 3;

const char kSchemaV1[] = R"sql(
CREATE TABLE IF NOT EXISTS windows (
  job_id       TEXT    NOT NULL,
  window_start INTEGER NOT NULL,   -- UTC epoch ms, inclusive
  window_end   INTEGER NOT NULL,   -- UTC epoch ms, exclusive
  group_key    TEXT    NOT NULL,   -- group_by values joined with '|'
  field        TEXT    NOT NULL,
  count        INTEGER NOT NULL,
  sum          REAL    NOT NULL,
  min          REAL,
  max          REAL,
  mean         REAL,
  m2           REAL    NOT NULL,   -- sum of squared deviations from the mean
  revision     INTEGER NOT NULL DEFAULT 0,
  updated_at   INTEGER NOT NULL,   -- UTC epoch ms of the last change
  PRIMARY KEY (job_id, window_start, group_key, field)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS applied_batches (
  agent_id   TEXT    NOT NULL,
  job_id     TEXT    NOT NULL,
  epoch      INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  records    INTEGER NOT NULL,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (agent_id, job_id, epoch, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS jobs (
  job_id      TEXT    NOT NULL PRIMARY KEY,
  version     INTEGER NOT NULL,
  spec        TEXT    NOT NULL,
  deleted     INTEGER NOT NULL DEFAULT 0,
  received_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_status (
  agent_id   TEXT NOT NULL,
  job_id     TEXT NOT NULL,          -- '' for the agent's own state message
  payload    TEXT NOT NULL,          -- the last retained JSON message
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (agent_id, job_id)
);
)sql";

// Version 2: first/last, quantile sketches, revisions in use, per-job watermarks.
const char kSchemaV2[] = R"sql(
ALTER TABLE windows ADD COLUMN first_ts INTEGER;  -- event time of 'first'
ALTER TABLE windows ADD COLUMN first REAL;        -- value at the earliest event time
ALTER TABLE windows ADD COLUMN last_ts INTEGER;
ALTER TABLE windows ADD COLUMN last REAL;         -- value at the latest event time
ALTER TABLE windows ADD COLUMN sketch BLOB;       -- DDSketch (docs/storage.md#sketches)
CREATE TABLE IF NOT EXISTS watermarks (
  job_id       TEXT    NOT NULL PRIMARY KEY,
  max_event_ts INTEGER NOT NULL                   -- watermark = this - allowed_lateness
);
)sql";

// Version 3: applied batches kept as a mark per (agent, job, epoch) plus the seqs above it.
const char kSchemaV3[] = R"sql(
CREATE TABLE IF NOT EXISTS applied_marks (
  agent_id TEXT    NOT NULL,
  job_id   TEXT    NOT NULL,
  epoch    INTEGER NOT NULL,
  mark     INTEGER NOT NULL,   -- every seq <= mark is applied or will never be sent
  PRIMARY KEY (agent_id, job_id, epoch)
) WITHOUT ROWID;
)sql";

double OrNull(sqlite3_stmt* st, int col) {
  return sqlite3_column_type(st, col) == SQLITE_NULL ? std::nan("") : sqlite3_column_double(st, col);
}
std::string Text(sqlite3_stmt* st, int col) {
  const unsigned char* t = sqlite3_column_text(st, col);
  return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
}
void BindText(sqlite3_stmt* st, int idx, const std::string& s) {
  sqlite3_bind_text(st, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}
void BindFinite(sqlite3_stmt* st, int idx, double v) {
  if (std::isfinite(v)) sqlite3_bind_double(st, idx, v);
  else sqlite3_bind_null(st, idx);
}
nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
}  // namespace

Status Store::Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::Error("sqlite " + path_ + ": " + msg);
  }
  return Status::Ok();
}

Status Store::Prepare(sqlite3* db, const char* sql, sqlite3_stmt** stmt) {
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK) {
    return Status::Error("sqlite " + path_ + ": " + sqlite3_errmsg(db));
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  std::unique_ptr<Store> s(new Store());
  s->path_ = path;
  if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                                   SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return Status::Error("cannot open database " + path + ": " +
                         (s->db_ ? sqlite3_errmsg(s->db_) : "out of memory"));
  }
  sqlite3_busy_timeout(s->db_, 5000);
  // FULL: a commit is on disk before COMMIT returns. Acks go out after the commit and
  // make agents delete their copies, so a commit lost to a power cut would lose data.
  Status st = s->Exec(s->db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  if (!st.ok()) return st;
  st = s->Exec(s->db_, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);");
  if (!st.ok()) return st;
  int version = 0;
  {
    sqlite3_stmt* q = nullptr;
    st = s->Prepare(s->db_, "SELECT MAX(version) FROM schema_version", &q);
    if (!st.ok()) return st;
    if (sqlite3_step(q) == SQLITE_ROW) version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
  }
  if (version > kSchemaVersion) {
    return Status::Error("database " + path + " has schema version " + std::to_string(version) +
                         ", newer than this aggregator's " + std::to_string(kSchemaVersion));
  }
  // Migrations, each in one transaction.
  if (version < 1) {
    st = s->Exec(s->db_, (std::string("BEGIN;") + kSchemaV1 +
                          "INSERT INTO schema_version VALUES (1); COMMIT;").c_str());
    if (!st.ok()) return st;
  }
  if (version < 2) {
    st = s->Exec(s->db_, (std::string("BEGIN;") + kSchemaV2 +
                          "INSERT INTO schema_version VALUES (2); COMMIT;").c_str());
    if (!st.ok()) return st;
  }
  if (version < 3) {
    st = s->Exec(s->db_, (std::string("BEGIN;") + kSchemaV3 +
                          "INSERT INTO schema_version VALUES (3); COMMIT;").c_str());
    if (!st.ok()) return st;
  }
  st = s->Prepare(s->db_,
                  "INSERT INTO windows (job_id, window_start, window_end, group_key, field, count, "
                  "sum, min, max, mean, m2, revision, updated_at, first_ts, first, last_ts, last, "
                  "sketch) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?13, ?12, ?14, "
                  "?15, ?16, ?17, ?18) "
                  "ON CONFLICT (job_id, window_start, group_key, field) DO UPDATE SET "
                  "count = excluded.count, sum = excluded.sum, min = excluded.min, "
                  "max = excluded.max, mean = excluded.mean, m2 = excluded.m2, "
                  "revision = excluded.revision, updated_at = excluded.updated_at, "
                  "first_ts = excluded.first_ts, first = excluded.first, "
                  "last_ts = excluded.last_ts, last = excluded.last, sketch = excluded.sketch",
                  &s->upsert_window_);
  if (!st.ok()) return st;
  st = s->Prepare(s->db_,
                  "INSERT INTO watermarks (job_id, max_event_ts) VALUES (?1, ?2) "
                  "ON CONFLICT (job_id) DO UPDATE SET max_event_ts = excluded.max_event_ts",
                  &s->upsert_max_ts_);
  if (!st.ok()) return st;
  st = s->Prepare(s->db_,
                  "INSERT INTO applied_marks (agent_id, job_id, epoch, mark) VALUES (?1, ?2, ?3, ?4) "
                  "ON CONFLICT (agent_id, job_id, epoch) DO UPDATE SET mark = excluded.mark",
                  &s->upsert_mark_);
  if (!st.ok()) return st;
  st = s->Prepare(s->db_,
                  "DELETE FROM applied_batches WHERE agent_id = ?1 AND job_id = ?2 AND epoch = ?3 "
                  "AND seq <= ?4",
                  &s->prune_keys_);
  if (!st.ok()) return st;
  st = s->Prepare(s->db_,
                  "INSERT OR IGNORE INTO applied_batches (agent_id, job_id, epoch, seq, records, "
                  "applied_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  &s->insert_key_);
  if (!st.ok()) return st;
  st = s->Prepare(s->db_,
                  "INSERT INTO jobs (job_id, version, spec, deleted, received_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (job_id) DO UPDATE SET "
                  "version = CASE WHEN excluded.deleted THEN jobs.version ELSE excluded.version END, "
                  "spec = CASE WHEN excluded.deleted THEN jobs.spec ELSE excluded.spec END, "
                  "deleted = excluded.deleted, received_at = excluded.received_at",
                  &s->upsert_job_);
  if (!st.ok()) return st;
  st = s->Prepare(s->db_,
                  "INSERT INTO agent_status (agent_id, job_id, payload, updated_at) "
                  "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (agent_id, job_id) DO UPDATE SET "
                  "payload = excluded.payload, updated_at = excluded.updated_at",
                  &s->upsert_agent_);
  if (!st.ok()) return st;
  st = s->Prepare(s->db_, "DELETE FROM agent_status WHERE agent_id = ?1 AND job_id = ?2",
                  &s->delete_agent_);
  if (!st.ok()) return st;
  st = s->Prepare(s->db_, "DELETE FROM windows WHERE window_end < ?1", &s->delete_old_windows_);
  if (!st.ok()) return st;
  if (sqlite3_open_v2(path.c_str(), &s->reader_, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return Status::Error("cannot open database " + path + " for reading");
  }
  sqlite3_busy_timeout(s->reader_, 5000);
  return s;
}

Store::~Store() {
  for (sqlite3_stmt* st :
       {upsert_window_, insert_key_, upsert_job_, upsert_agent_, delete_agent_, upsert_max_ts_,
        upsert_mark_, prune_keys_, delete_old_windows_}) {
    sqlite3_finalize(st);
  }
  sqlite3_close(reader_);
  sqlite3_close(db_);
}

Status Store::LoadWindows(const std::function<void(const WindowRow&)>& fn) {
  sqlite3_stmt* q = nullptr;
  Status s = Prepare(db_,
                     "SELECT job_id, window_start, window_end, group_key, field, count, sum, min, "
                     "max, mean, m2, revision, first_ts, first, last_ts, last, sketch FROM windows",
                     &q);
  if (!s.ok()) return s;
  while (sqlite3_step(q) == SQLITE_ROW) {
    WindowRow r;
    r.key.job_id = Text(q, 0);
    r.key.start = sqlite3_column_int64(q, 1);
    r.end = sqlite3_column_int64(q, 2);
    r.key.group = Text(q, 3);
    r.key.field = Text(q, 4);
    Stats& st = r.state.stats;
    st.count = sqlite3_column_int64(q, 5);
    st.sum = sqlite3_column_double(q, 6);
    st.min = OrNull(q, 7);
    st.max = OrNull(q, 8);
    st.mean = sqlite3_column_double(q, 9);
    st.m2 = sqlite3_column_double(q, 10);
    r.revision = sqlite3_column_int64(q, 11);
    if (sqlite3_column_type(q, 12) != SQLITE_NULL) {
      r.state.first_ts = sqlite3_column_int64(q, 12);
      r.state.first = sqlite3_column_double(q, 13);
      r.state.last_ts = sqlite3_column_int64(q, 14);
      r.state.last = sqlite3_column_double(q, 15);
    }
    if (sqlite3_column_type(q, 16) == SQLITE_BLOB) {
      std::string_view blob(static_cast<const char*>(sqlite3_column_blob(q, 16)),
                            static_cast<size_t>(sqlite3_column_bytes(q, 16)));
      r.state.sketch = DDSketch::Deserialize(blob);
      if (!r.state.sketch) {
        LOG_WARN("window " << r.key.job_id << "/" << r.key.start << "/" << r.key.field
                           << ": stored quantile sketch does not decode; quantiles restart");
      }
    }
    fn(r);
  }
  sqlite3_finalize(q);
  return Status::Ok();
}

Status Store::LoadMarks(const std::function<void(const BatchStream&, int64_t)>& fn) {
  sqlite3_stmt* q = nullptr;
  Status s = Prepare(db_, "SELECT agent_id, job_id, epoch, mark FROM applied_marks", &q);
  if (!s.ok()) return s;
  while (sqlite3_step(q) == SQLITE_ROW) {
    fn(BatchStream{Text(q, 0), Text(q, 1), sqlite3_column_int64(q, 2)},
       sqlite3_column_int64(q, 3));
  }
  sqlite3_finalize(q);
  return Status::Ok();
}

Status Store::LoadMaxEventTimes(const std::function<void(const std::string&, int64_t)>& fn) {
  sqlite3_stmt* q = nullptr;
  Status s = Prepare(db_, "SELECT job_id, max_event_ts FROM watermarks", &q);
  if (!s.ok()) return s;
  while (sqlite3_step(q) == SQLITE_ROW) fn(Text(q, 0), sqlite3_column_int64(q, 1));
  sqlite3_finalize(q);
  return Status::Ok();
}

Status Store::LoadAppliedKeys(const std::function<void(const AppliedKey&)>& fn) {
  sqlite3_stmt* q = nullptr;
  Status s = Prepare(db_, "SELECT agent_id, job_id, epoch, seq, records FROM applied_batches", &q);
  if (!s.ok()) return s;
  while (sqlite3_step(q) == SQLITE_ROW) {
    fn(AppliedKey{Text(q, 0), Text(q, 1), sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3),
                  sqlite3_column_int64(q, 4)});
  }
  sqlite3_finalize(q);
  return Status::Ok();
}

Status Store::LoadJobs(const std::function<void(const JobRow&)>& fn) {
  sqlite3_stmt* q = nullptr;
  Status s = Prepare(db_, "SELECT job_id, version, spec, deleted FROM jobs", &q);
  if (!s.ok()) return s;
  while (sqlite3_step(q) == SQLITE_ROW) {
    fn(JobRow{Text(q, 0), sqlite3_column_int64(q, 1), Text(q, 2), sqlite3_column_int(q, 3) != 0});
  }
  sqlite3_finalize(q);
  return Status::Ok();
}

Status Store::LoadAgents(const std::function<void(const AgentRow&)>& fn) {
  sqlite3_stmt* q = nullptr;
  Status s = Prepare(db_, "SELECT agent_id, job_id, payload FROM agent_status", &q);
  if (!s.ok()) return s;
  while (sqlite3_step(q) == SQLITE_ROW) fn(AgentRow{Text(q, 0), Text(q, 1), Text(q, 2)});
  sqlite3_finalize(q);
  return Status::Ok();
}

Status Store::Commit(const CommitSet& set, int64_t now_ms) {
  Status s = Exec(db_, "BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  auto fail = [&](sqlite3_stmt* st) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_reset(st);
    Status r = Exec(db_, "ROLLBACK");
    (void)r;
    return Status::Error("sqlite " + path_ + ": commit failed: " + msg);
  };
  for (const auto& w : set.windows) {
    sqlite3_stmt* st = upsert_window_;
    const Stats& stats = w.state.stats;
    BindText(st, 1, w.key.job_id);
    sqlite3_bind_int64(st, 2, w.key.start);
    sqlite3_bind_int64(st, 3, w.end);
    BindText(st, 4, w.key.group);
    BindText(st, 5, w.key.field);
    sqlite3_bind_int64(st, 6, stats.count);
    sqlite3_bind_double(st, 7, stats.sum);
    BindFinite(st, 8, stats.min);
    BindFinite(st, 9, stats.max);
    sqlite3_bind_double(st, 10, stats.mean);
    sqlite3_bind_double(st, 11, stats.m2);
    sqlite3_bind_int64(st, 12, now_ms);
    sqlite3_bind_int64(st, 13, w.revision);
    if (stats.count > 0) {
      sqlite3_bind_int64(st, 14, w.state.first_ts);
      sqlite3_bind_double(st, 15, w.state.first);
      sqlite3_bind_int64(st, 16, w.state.last_ts);
      sqlite3_bind_double(st, 17, w.state.last);
    } else {
      for (int i = 14; i <= 17; ++i) sqlite3_bind_null(st, i);
    }
    if (w.state.sketch) {
      std::string blob = w.state.sketch->Serialize();
      sqlite3_bind_blob(st, 18, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(st, 18);
    }
    if (sqlite3_step(st) != SQLITE_DONE) return fail(st);
    sqlite3_reset(st);
  }
  if (set.delete_ended_before != 0) {
    sqlite3_stmt* st = delete_old_windows_;
    sqlite3_bind_int64(st, 1, set.delete_ended_before);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(st);
    sqlite3_reset(st);
  }
  for (const auto& [job, ts] : set.max_event_ts) {
    sqlite3_stmt* st = upsert_max_ts_;
    BindText(st, 1, job);
    sqlite3_bind_int64(st, 2, ts);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(st);
    sqlite3_reset(st);
  }
  for (const auto& k : set.keys) {
    sqlite3_stmt* st = insert_key_;
    BindText(st, 1, k.agent_id);
    BindText(st, 2, k.job_id);
    sqlite3_bind_int64(st, 3, k.epoch);
    sqlite3_bind_int64(st, 4, k.seq);
    sqlite3_bind_int64(st, 5, k.records);
    sqlite3_bind_int64(st, 6, now_ms);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(st);
    sqlite3_reset(st);
  }
  for (const auto& [stream, mark] : set.marks) {
    for (sqlite3_stmt* st : {upsert_mark_, prune_keys_}) {
      BindText(st, 1, stream.agent_id);
      BindText(st, 2, stream.job_id);
      sqlite3_bind_int64(st, 3, stream.epoch);
      sqlite3_bind_int64(st, 4, mark);
      if (sqlite3_step(st) != SQLITE_DONE) return fail(st);
      sqlite3_reset(st);
    }
  }
  for (const auto& j : set.jobs) {
    sqlite3_stmt* st = upsert_job_;
    BindText(st, 1, j.job_id);
    sqlite3_bind_int64(st, 2, j.version);
    BindText(st, 3, j.spec);
    sqlite3_bind_int(st, 4, j.deleted ? 1 : 0);
    sqlite3_bind_int64(st, 5, now_ms);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(st);
    sqlite3_reset(st);
  }
  for (const auto& a : set.agents) {
    // An empty payload is a cleared retained status: the row goes.
    sqlite3_stmt* st = a.payload.empty() ? delete_agent_ : upsert_agent_;
    BindText(st, 1, a.agent_id);
    BindText(st, 2, a.job_id);
    if (!a.payload.empty()) {
      BindText(st, 3, a.payload);
      sqlite3_bind_int64(st, 4, now_ms);
    }
    if (sqlite3_step(st) != SQLITE_DONE) return fail(st);
    sqlite3_reset(st);
  }
  return Exec(db_, "COMMIT");
}

Result<nlohmann::json> Store::QueryWindows(const WindowQuery& q) {
  std::lock_guard<std::mutex> lock(reader_mu_);
  std::string sql =
      "SELECT window_start, window_end, group_key, field, count, sum, min, max, mean, m2, "
      "revision, updated_at, first, last, sketch FROM windows WHERE job_id = ?1";
  if (q.key) sql += " AND group_key = ?2";
  if (q.from) sql += " AND window_start >= ?3";
  if (q.to) sql += " AND window_start < ?4";
  sql += " ORDER BY window_start, group_key, field";
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(reader_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    return Status::Error(std::string("sqlite: ") + sqlite3_errmsg(reader_));
  }
  BindText(st, 1, q.job_id);
  if (q.key) BindText(st, 2, *q.key);
  if (q.from) sqlite3_bind_int64(st, 3, *q.from);
  if (q.to) sqlite3_bind_int64(st, 4, *q.to);
  nlohmann::json rows = nlohmann::json::array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Stats s;
    s.count = sqlite3_column_int64(st, 4);
    s.m2 = sqlite3_column_double(st, 9);
    nlohmann::json row = {{"window_start", sqlite3_column_int64(st, 0)},
                          {"window_end", sqlite3_column_int64(st, 1)},
                          {"key", Text(st, 2)},
                          {"field", Text(st, 3)},
                          {"count", s.count},
                          {"sum", sqlite3_column_double(st, 5)},
                          {"mean", Num(OrNull(st, 8))},
                          {"min", Num(OrNull(st, 6))},
                          {"max", Num(OrNull(st, 7))},
                          {"stddev", Num(s.SampleStddev())},
                          {"first", Num(OrNull(st, 12))},
                          {"last", Num(OrNull(st, 13))},
                          {"revision", sqlite3_column_int64(st, 10)},
                          {"updated_at", sqlite3_column_int64(st, 11)}};
    auto wanted = q.quantiles.find(row["field"].get<std::string>());
    if (wanted != q.quantiles.end()) {
      std::optional<DDSketch> sketch;
      if (sqlite3_column_type(st, 14) == SQLITE_BLOB) {
        sketch = DDSketch::Deserialize(std::string_view(
            static_cast<const char*>(sqlite3_column_blob(st, 14)),
            static_cast<size_t>(sqlite3_column_bytes(st, 14))));
      }
      for (const auto& [name, qv] : wanted->second) {
        row[name] = sketch ? Num(sketch->Quantile(qv)) : nlohmann::json(nullptr);
      }
    }
    if (!q.metrics.empty()) {
      nlohmann::json kept;
      for (const char* id : {"window_start", "window_end", "key", "field"}) kept[id] = row[id];
      for (const auto& m : q.metrics) {
        if (row.contains(m)) kept[m] = row[m];
      }
      row = std::move(kept);
    }
    rows.push_back(std::move(row));
  }
  std::string err = rc == SQLITE_DONE ? "" : sqlite3_errmsg(reader_);
  sqlite3_finalize(st);
  if (!err.empty()) return Status::Error("sqlite: " + err);
  return rows;
}

bool Store::Healthy() {
  std::lock_guard<std::mutex> lock(reader_mu_);
  return sqlite3_exec(reader_, "SELECT 1", nullptr, nullptr, nullptr) == SQLITE_OK;
}

}  // namespace edgeline
