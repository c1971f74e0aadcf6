// The clean ops of a job (docs/job-spec.md#clean), applied in the spec's order.
//
// Not thread-safe: one Cleaner per running job. dedup keeps state: the keys of kept
// records within the op's horizon, evicted as event time advances, so memory is bounded
// by the number of distinct keys per horizon.
#pragma once

#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/job_spec.h"
#include "common/record.h"

namespace edgeline {

class Cleaner {
 public:
  explicit Cleaner(const JobSpec& spec);

  // Applies every op to *r (convert modifies it). Returns nullptr when the record is
  // kept, else the drop reason ("drop_null", "range", "dedup").
  const char* Apply(Record* r);

 private:
  struct DedupState {
    std::unordered_map<std::string, int64_t> last_seen;  // key -> event time
    std::deque<std::pair<int64_t, std::string>> order;   // (event time, key) for eviction
    int64_t max_ts = INT64_MIN;
  };
  bool IsDuplicate(const CleanOp& op, DedupState* st, const Record& r);

  const JobSpec& spec_;
  std::vector<DedupState> dedup_;  // one per op (unused for other ops)
};

// Converts a temperature between "degC", "degF" and "K".
double ConvertUnit(double v, const std::string& from, const std::string& to);

}  // namespace edgeline
