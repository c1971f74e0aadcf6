// In-memory window state (docs/architecture.md#windows), used by the aggregator and, for
// aggregate.at "edge", by the agent: applies
// decoded batches to tumbling or hopping event-time windows per group key and field,
// tracks each job's watermark, and decides what a late record does.
//
// Watermark of a job = max event time applied - allowed_lateness. A window whose end the
// watermark has passed is final; a record for it is late: counted, and by the job's
// late_policy dropped or applied as a revision (the row's revision is bumped). A batch
// is judged against the watermark as it stood before the batch.
//
// Not thread-safe: the Aggregator calls it under its mutex.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/window.h"
#include "common/batch_codec.h"
#include "common/job_spec.h"

namespace edgeline {

class WindowStore {
 public:
  struct ApplyResult {
    int64_t merged = 0;        // records that changed at least one window
    int64_t late = 0;          // records with at least one final window
    int64_t late_dropped = 0;  // of those, dropped by late_policy "drop"
  };

  // Applies the batch's records. REQUIRES: spec.has_aggregate and b.ts has b.count entries.
  ApplyResult Apply(const Batch& b, const JobSpec& spec);
  // Merges a partials batch (aggregate.at "edge"). A partial for a final window is late:
  // its records are counted late and dropped or revised like records. An error (and no
  // change) when a partial does not fit the job: a start that is not a window start, a
  // field the job has no metrics for.
  Result<ApplyResult> ApplyPartials(const Batch& b, const JobSpec& spec);
  // The windows of one batch of records as partial states, for aggregate.at "edge".
  static std::vector<WindowRow> Summarise(const Batch& records, const JobSpec& spec);

  // State rebuilt from the database at start.
  void Load(const WindowRow& row) { windows_[row.key] = row; }
  void LoadMaxEventTime(const std::string& job_id, int64_t ts) { max_ts_[job_id] = ts; }

  // Rows and watermarks changed since the last call, for the next commit.
  void TakeDirty(std::vector<WindowRow>* rows, std::map<std::string, int64_t>* max_event_ts);
  // Puts rows back in the dirty set (their commit failed).
  void MarkDirty(const std::vector<WindowRow>& rows);

  // Forgets windows that ended before `cutoff_ms` (retention). Returns how many.
  size_t DropEndedBefore(int64_t cutoff_ms);

  size_t size() const { return windows_.size(); }

 private:
  // The job's watermark before the batch being applied (min() when none).
  int64_t Watermark(const std::string& job_id, const JobSpec& spec) const;
  void NoteMaxEventTime(const std::string& job_id, int64_t ts);
  // Merges a state into its row; `revision` bumps the row's revision (a late change).
  void MergeRow(const WindowKey& key, const WindowState& st, const JobSpec& spec, bool revision);

  std::map<WindowKey, WindowRow> windows_;
  std::set<WindowKey> dirty_;
  std::map<std::string, int64_t> max_ts_;  // job -> max event time applied
  std::set<std::string> dirty_jobs_;
};

}  // namespace edgeline
