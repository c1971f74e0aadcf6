// The clean ops of a job (docs/job-spec.md#clean-ops), applied in the spec's order.
// Each op family has its own file: agent/clean_convert (convert, round), clean_fill,
// clean_outlier, clean_redact, clean_filter; cast is in agent/cast; drop_null, range and
// dedup are here. rename, select and drop have no run-time effect: ParseJobSpec folds
// them into JobSpec::out_names and JobSpec::emitted.
//
// Not thread-safe: one Cleaner per running job. State: dedup keeps the keys of passed
// records within its horizon; fill (previous, linear) and outlier keep per-key state for
// at most max_keys keys (least recently used evicted); a linear fill holds records back
// (at most max_gap per key) until the value after their gap arrives.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/clean_convert.h"
#include "agent/clean_fill.h"
#include "agent/clean_keys.h"
#include "agent/clean_outlier.h"
#include "agent/clean_redact.h"
#include "common/job_spec.h"
#include "common/record.h"
#include "common/status.h"

namespace edgeline {

class Cleaner {
 public:
  // `spec` must outlive the cleaner.
  explicit Cleaner(const JobSpec& spec);
  ~Cleaner();

  // Not ok when the job can't run: a redact "hash" op's key variable is unset. The
  // pipeline fails the job with this error before processing anything.
  const Status& status() const { return status_; }

  // The general form. Runs r through the ops and appends to *out the records that come
  // out the other end, in order: r itself when kept, and with a linear fill possibly
  // records held earlier (r may be held instead). Records dropped are counted into
  // *drops by reason, repaired values into *repairs by reason (either may be null).
  // Returns the number of records dropped.
  int64_t Push(Record r, std::vector<Record>* out, ReasonCounts* drops, ReasonCounts* repairs);
  // At the end of the input: releases every record a linear fill holds (open gaps stay
  // unfilled) through the ops after it. Same outputs as Push.
  int64_t Drain(std::vector<Record>* out, ReasonCounts* drops, ReasonCounts* repairs);
  // Records held by linear fills.
  size_t held() const;
  // True when an op may hold records back (a linear fill): then records must go through
  // Push; otherwise Apply gives the same outcome.
  bool HoldsRecords() const;

  // The state of the fill ops (agent/clean_fill.h) as JSON, for a checkpoint:
  // {"fill": {"<op index>": state, ...}}, or null when no op has a key. Not saved: the
  // state of dedup and outlier, which can be large and only decides what is dropped near
  // a restart (docs/architecture.md#checkpoints-agent), while a linear fill's holds records.
  nlohmann::json SaveState() const;
  // Restores SaveState's result (null: nothing). An error for malformed or mismatched
  // state; the fill ops are then empty.
  Status RestoreState(const nlohmann::json& state);

  // True when every op is a drop_null or a range: then a record that QuickKeep passes is
  // kept unchanged by Apply.
  bool all_quick() const { return all_quick_; }
  // For records[0, n): keep[k] = 1 when Apply's inline checks pass records[k] for every
  // op, else 0 (Apply then decides). Column by column, for a block of records.
  void QuickKeep(const Record* records, size_t n, uint8_t* keep) const;

  // The single-record form: applies every op to *r in place. Returns nullptr when the
  // record is kept, else its drop reason ("drop_null", "range", "dedup", "cast", "fill",
  // "outlier", "filter"). Repairs are counted into *repairs when given. A linear fill
  // needs Push: here it leaves the record as it is.
  const char* Apply(Record* r, ReasonCounts* repairs = nullptr) {
    // The commonest outcomes of the commonest ops, inline: a drop_null that keeps the
    // record, a range that finds the value null or within its bounds.
    const Value* const v = r->values.data();
    for (size_t i = 0; i < quick_.size(); ++i) {
      const QuickCheck& q = quick_[i];
      if (q.kind == QuickCheck::kNotNull) {
        bool any_null = false;
        for (uint32_t f = q.begin; f < q.end; ++f) any_null |= IsNull(v[quick_fields_[f]]);
        if (!any_null) continue;
      } else if (q.kind == QuickCheck::kWithin) {
        const Value& x = v[q.field];
        if (IsNull(x)) continue;
        const double* d = std::get_if<double>(&x);
        if (d != nullptr && !(*d < q.min) && !(*d > q.max)) continue;
      }
      return ApplyFrom(i, r, repairs);
    }
    return nullptr;
  }

 private:
  struct DedupState {
    std::unordered_map<std::string, int64_t> last_seen;  // key -> event time
    std::deque<std::pair<int64_t, std::string>> order;   // (event time, key) for eviction
    int64_t max_ts = INT64_MIN;
  };
  // What Apply (and QuickKeep, column by column) checks inline for op i: kNotNull
  // (drop_null) passes when none of quick_fields_[begin, end) is null, kWithin (range)
  // when value `field` is null or a double within [min, max] (-inf, +inf when unset);
  // anything else goes to ApplyFrom.
  struct QuickCheck {
    enum Kind : uint8_t { kOther, kNotNull, kWithin } kind = kOther;
    int field = -1;
    uint32_t begin = 0, end = 0;
    double min = 0, max = 0;
  };
  // Apply from op `from` on, which Apply's inline check did not pass.
  const char* ApplyFrom(size_t from, Record* r, ReasonCounts* repairs);
  bool IsDuplicate(const CleanOp& op, DedupState* st, const Record& r);
  // Applies op i (any but a linear fill) to *r; the drop reason or nullptr.
  const char* ApplyOp(size_t i, Record* r, CleanTally* t);
  // Runs r through ops [from, end).
  void Run(size_t from, Record r, std::vector<Record>* out, CleanTally* t);
  bool IsLinearFill(size_t i) const {
    return spec_.clean[i].kind == CleanOp::kFill && spec_.clean[i].method == CleanOp::kLinear;
  }

  const JobSpec& spec_;
  Status status_;
  // Per op (null or empty for ops of other kinds).
  std::vector<DedupState> dedup_;
  std::vector<std::unique_ptr<FillOp>> fill_;
  std::vector<std::unique_ptr<OutlierOp>> outlier_;
  std::vector<std::unique_ptr<RedactOp>> redact_;
  std::vector<QuickCheck> quick_;  // one per op
  std::vector<int> quick_fields_;
  bool all_quick_ = true;
};

}  // namespace edgeline
