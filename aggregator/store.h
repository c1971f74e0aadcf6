// SQLite persistence of the aggregator (docs/storage.md): window rows, applied batch
// keys, job specs and agent states. WAL mode, statements prepared once, and one
// transaction per Commit(): the window updates and the batch keys that caused them land
// together or not at all, which is what makes redelivery harmless.
//
// Thread-safety: Commit and the Load* calls from one thread (the flusher); the Query*
// calls from any thread (they use a second connection of their own, under a mutex).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aggregator/applied_set.h"
#include "common/window.h"
#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace edgeline {


struct AppliedKey {
  std::string agent_id;
  std::string job_id;
  int64_t epoch = 0;
  int64_t seq = 0;
  int64_t records = 0;
};

struct JobRow {
  std::string job_id;
  int64_t version = 0;  // 0 with deleted = true when only the deletion is known
  std::string spec;
  bool deleted = false;
};

struct AgentRow {
  std::string agent_id;
  std::string job_id;  // "" for the agent's own state
  std::string payload;  // "" when the retained status was cleared: the row is deleted
};

struct CommitSet {
  std::vector<WindowRow> windows;
  std::vector<AppliedKey> keys;
  std::vector<JobRow> jobs;
  std::vector<AgentRow> agents;
  std::map<std::string, int64_t> max_event_ts;  // job -> max event time applied
  // Applied-batch marks that moved: keys at or below a mark are deleted in the same
  // transaction.
  std::vector<std::pair<BatchStream, int64_t>> marks;
  // Retention: windows that ended before this are deleted (0: none).
  int64_t delete_ended_before = 0;
  bool empty() const {
    return windows.empty() && keys.empty() && jobs.empty() && agents.empty() &&
           max_event_ts.empty() && marks.empty() && delete_ended_before == 0;
  }
};

struct WindowQuery {
  std::string job_id;
  std::optional<std::string> key;
  std::optional<int64_t> from;  // window_start >= from
  std::optional<int64_t> to;    // window_start < to
  // Quantiles to compute per field from the stored sketch: name ("p99") -> q (0.99).
  std::map<std::string, std::map<std::string, double>> quantiles;
  // When not empty, each row has only these metrics besides its identity
  // (window_start, window_end, key, field).
  std::vector<std::string> metrics;
};

class Store {
 public:
  // Opens or creates the database, applies migrations. Errors name the file.
  static Result<std::unique_ptr<Store>> Open(const std::string& path);
  ~Store();

  Status LoadWindows(const std::function<void(const WindowRow&)>& fn);
  Status LoadAppliedKeys(const std::function<void(const AppliedKey&)>& fn);
  Status LoadJobs(const std::function<void(const JobRow&)>& fn);
  Status LoadAgents(const std::function<void(const AgentRow&)>& fn);
  Status LoadMaxEventTimes(const std::function<void(const std::string&, int64_t)>& fn);
  Status LoadMarks(const std::function<void(const BatchStream&, int64_t)>& fn);

  // Writes everything in one transaction; on error nothing is written.
  Status Commit(const CommitSet& set, int64_t now_ms);

  // Window rows as JSON objects, ordered by (window_start, group_key, field).
  Result<nlohmann::json> QueryWindows(const WindowQuery& q);
  // True when the database answers a trivial query.
  bool Healthy();

 private:
  Store() = default;
  Status Exec(sqlite3* db, const char* sql);
  Status Prepare(sqlite3* db, const char* sql, sqlite3_stmt** stmt);

  std::string path_;
  sqlite3* db_ = nullptr;       // writer (flusher thread)
  sqlite3* reader_ = nullptr;   // queries
  std::mutex reader_mu_;
  sqlite3_stmt* upsert_window_ = nullptr;
  sqlite3_stmt* insert_key_ = nullptr;
  sqlite3_stmt* upsert_job_ = nullptr;
  sqlite3_stmt* upsert_agent_ = nullptr;
  sqlite3_stmt* delete_agent_ = nullptr;
  sqlite3_stmt* upsert_max_ts_ = nullptr;
  sqlite3_stmt* upsert_mark_ = nullptr;
  sqlite3_stmt* prune_keys_ = nullptr;
  sqlite3_stmt* delete_old_windows_ = nullptr;
};

}  // namespace edgeline
