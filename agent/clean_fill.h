// The `fill` clean op (docs/job-spec.md#fill): constant, previous (forward fill per
// key) and linear (interpolation per key, which holds records back until the next value
// arrives).
#pragma once

#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <vector>

#include "agent/clean_keys.h"
#include "common/job_spec.h"
#include "common/record.h"

namespace edgeline {

class FillOp {
 public:
  // `types`: the current type of each of op.fields (a float field gets an integer
  // constant as a float).
  FillOp(const CleanOp& op, const std::vector<FieldType>& types);

  // constant and previous: fills the null values of *r in place. Returns "fill" when
  // the record is dropped (unfilled "drop" and a value had nothing to fill it), else
  // nullptr.
  const char* Apply(Record* r, CleanTally* t);

  // linear: takes r and appends to *out, in order, the records that leave the op now:
  // r itself, and/or records held earlier whose gaps are now resolved. A record with a
  // null that may still be interpolated is held (and so is every later record of its
  // key, to keep each key's order). Drops ("fill") and repairs are tallied.
  void Push(Record r, std::vector<Record>* out, CleanTally* t);
  // linear: releases every held record; gaps still open stay unfilled.
  void Drain(std::vector<Record>* out, CleanTally* t);

  // Records held by a linear fill.
  size_t held() const { return held_; }

  // The per-key state (previous: the last values; linear: the anchors, the open gaps and
  // the held records) as JSON, for a checkpoint: a restart that restores it goes on as if
  // there had been none. RestoreState replaces the state with a saved one, whose held
  // records must have `num_values` values; it returns false, leaving the op empty, for
  // malformed or mismatched state.
  nlohmann::json SaveState() const;
  bool RestoreState(const nlohmann::json& state, size_t num_values);
  // Forgets every key and held record.
  void Clear();

 private:
  struct Anchor {
    bool set = false;
    int64_t ts = 0;
    double v = 0;
  };
  struct Held {
    Record r;
    std::vector<char> pending;  // per op field: waiting for the next value
    int npending = 0;
    bool drop = false;  // a value stays unfilled and unfilled is "drop"
  };
  struct Key {
    std::vector<Value> last;     // previous: the last non-null value per op field
    std::vector<Anchor> anchor;  // linear: the last non-null value before the open gap
    std::vector<int64_t> gap;    // linear: nulls in the open gap
    std::deque<Held> queue;      // linear: held records, in arrival order
  };

  void Interpolate(Key* k, size_t f, int64_t ts, double v, CleanTally* t);
  // Gives up the open gap of field f: its held values stay unfilled.
  void GiveUp(Key* k, size_t f);
  // Releases held records from the front while they wait for nothing (all: every one).
  void Release(Key* k, bool all, std::vector<Record>* out, CleanTally* t);

  CleanOp op_;
  std::vector<FieldType> types_;
  LruStates<Key> keys_;
  size_t held_ = 0;
};

}  // namespace edgeline
