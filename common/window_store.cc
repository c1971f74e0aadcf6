#include "common/window_store.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <unordered_map>

namespace edgeline {

namespace {

// Appends one group_by value; '|' separates values, so '|' and '\' in strings are
// escaped with '\' (docs/storage.md#group-keys).
void AppendGroupValue(const Value& v, std::string* out) {
  char buf[32];
  switch (v.index()) {
    case 1: std::snprintf(buf, sizeof(buf), "%.17g", std::get<double>(v)); *out += buf; break;
    case 2: *out += std::to_string(std::get<int64_t>(v)); break;
    case 3:
      for (char c : std::get<std::string>(v)) {
        if (c == '|' || c == '\\') *out += '\\';
        *out += c;
      }
      break;
    case 4: *out += std::get<bool>(v) ? "true" : "false"; break;
    default: break;  // null: empty
  }
}

}  // namespace

int64_t WindowStore::Watermark(const std::string& job_id, const JobSpec& spec) const {
  auto it = max_ts_.find(job_id);
  if (spec.allowed_lateness_ms < 0 || it == max_ts_.end()) {
    return std::numeric_limits<int64_t>::min();
  }
  return it->second - spec.allowed_lateness_ms;
}

void WindowStore::NoteMaxEventTime(const std::string& job_id, int64_t ts) {
  auto it = max_ts_.find(job_id);
  if (it != max_ts_.end() && ts <= it->second) return;
  max_ts_[job_id] = ts;
  dirty_jobs_.insert(job_id);
}

void WindowStore::MergeRow(const WindowKey& key, const WindowState& st, const JobSpec& spec,
                           bool revision) {
  WindowRow& row = windows_[key];
  if (row.state.stats.count == 0) {
    row.key = key;
    row.end = key.start + spec.window_ms;
  }
  row.state.Merge(st);
  if (revision) ++row.revision;
  dirty_.insert(key);
}

WindowStore::ApplyResult WindowStore::Apply(const Batch& b, const JobSpec& spec) {
  ApplyResult result;
  const BatchHeader& h = b.header;
  std::vector<int> group_cols;
  for (const auto& g : spec.group_by) group_cols.push_back(b.ColumnIndex(g));
  struct Metric {
    const std::string* field;
    int column;
    bool sketch;
  };
  std::vector<Metric> metrics;
  for (const auto& [field, list] : spec.metrics) {
    int idx = b.ColumnIndex(field);
    if (idx >= 0) metrics.push_back({&field, idx, spec.quantiles.count(field) > 0});
  }
  const int64_t watermark = Watermark(h.job_id, spec);
  int64_t batch_max = std::numeric_limits<int64_t>::min();

  // The batch is first aggregated into slots, one per (window start, group), each with a
  // state per metric field; window keys are built once per slot at the end. Groups are
  // interned so a record costs hash lookups, not string-keyed map walks.
  struct Slot {
    int64_t start;
    size_t group;
    std::vector<WindowState> states;
    std::vector<char> revised;  // per metric: a late record changed it
  };
  std::vector<Slot> slots;
  std::vector<std::string> groups;
  std::unordered_map<std::string, size_t> group_ids;
  struct PairHash {
    size_t operator()(const std::pair<int64_t, size_t>& p) const {
      return std::hash<int64_t>()(p.first) * 31 + p.second;
    }
  };
  std::unordered_map<std::pair<int64_t, size_t>, size_t, PairHash> slot_ids;
  std::vector<int64_t> starts;
  std::string group;
  for (int64_t i = 0; i < h.count; ++i) {
    const int64_t ts = b.ts[i];
    batch_max = std::max(batch_max, ts);
    group.clear();
    for (size_t g = 0; g < group_cols.size(); ++g) {
      if (g) group += '|';
      if (group_cols[g] >= 0) AppendGroupValue(b.columns[group_cols[g]].values[i], &group);
    }
    auto [git, new_group] = group_ids.try_emplace(group, groups.size());
    if (new_group) groups.push_back(group);
    const size_t gid = git->second;
    WindowStarts(ts, spec.window_ms, spec.slide_ms, &starts);
    bool late = false, applied = false;
    for (int64_t start : starts) {
      const bool final = start + spec.window_ms <= watermark;
      late |= final;
      if (final && !spec.late_revise) continue;
      auto [sit, new_slot] = slot_ids.try_emplace({start, gid}, slots.size());
      if (new_slot) {
        slots.push_back(Slot{start, gid, std::vector<WindowState>(metrics.size()),
                             std::vector<char>(metrics.size(), 0)});
        for (size_t m = 0; m < metrics.size(); ++m) {
          if (metrics[m].sketch) slots.back().states[m].sketch.emplace(spec.sketch_alpha);
        }
      }
      Slot& slot = slots[sit->second];
      for (size_t m = 0; m < metrics.size(); ++m) {
        const Value& v = b.columns[metrics[m].column].values[i];
        if (!IsNumeric(v)) continue;
        double d = AsDouble(v);
        if (!std::isfinite(d)) continue;
        slot.states[m].Add(d, ts);
        slot.revised[m] |= final;
        applied = true;
      }
    }
    result.late += late;
    result.late_dropped += late && !spec.late_revise;
    result.merged += applied;
  }
  for (const Slot& slot : slots) {
    for (size_t m = 0; m < metrics.size(); ++m) {
      if (slot.states[m].stats.count == 0) continue;
      MergeRow(WindowKey{h.job_id, slot.start, groups[slot.group], *metrics[m].field},
               slot.states[m], spec, slot.revised[m] != 0);
    }
  }
  if (h.count > 0) NoteMaxEventTime(h.job_id, batch_max);
  return result;
}

Result<WindowStore::ApplyResult> WindowStore::ApplyPartials(const Batch& b, const JobSpec& spec) {
  for (const auto& p : b.partials) {
    if (WindowStart(p.key.start, spec.slide_ms) != p.key.start) {
      return Status::Error("partial start " + std::to_string(p.key.start) +
                           " is not a window start of the job");
    }
    if (!spec.metrics.count(p.key.field)) {
      return Status::Error("partial field \"" + p.key.field + "\" has no metrics in the job");
    }
  }
  ApplyResult result;
  const BatchHeader& h = b.header;
  const int64_t watermark = Watermark(h.job_id, spec);
  int64_t batch_max = std::numeric_limits<int64_t>::min();
  int64_t late_records = 0;
  for (const auto& p : b.partials) {
    batch_max = std::max(batch_max, p.state.last_ts);
    const bool final = p.key.start + spec.window_ms <= watermark;
    if (final) late_records = std::max(late_records, p.state.stats.count);
    if (final && !spec.late_revise) continue;
    MergeRow(p.key, p.state, spec, final);
  }
  result.merged = h.count;
  result.late = late_records;
  result.late_dropped = spec.late_revise ? 0 : late_records;
  if (!b.partials.empty()) NoteMaxEventTime(h.job_id, batch_max);
  return result;
}

std::vector<WindowRow> WindowStore::Summarise(const Batch& records, const JobSpec& spec) {
  WindowStore local;  // no watermark: at the edge nothing is late
  local.Apply(records, spec);
  std::vector<WindowRow> rows;
  std::map<std::string, int64_t> ignored;
  local.TakeDirty(&rows, &ignored);
  return rows;
}

void WindowStore::TakeDirty(std::vector<WindowRow>* rows,
                            std::map<std::string, int64_t>* max_event_ts) {
  rows->reserve(rows->size() + dirty_.size());
  for (const auto& k : dirty_) rows->push_back(windows_[k]);
  dirty_.clear();
  for (const auto& j : dirty_jobs_) (*max_event_ts)[j] = max_ts_[j];
  dirty_jobs_.clear();
}

size_t WindowStore::DropEndedBefore(int64_t cutoff_ms) {
  size_t n = 0;
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (it->second.end < cutoff_ms) {
      dirty_.erase(it->first);
      it = windows_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

void WindowStore::MarkDirty(const std::vector<WindowRow>& rows) {
  for (const auto& r : rows) dirty_.insert(r.key);
  for (const auto& [job, ts] : max_ts_) dirty_jobs_.insert(job);
}

}  // namespace edgeline
