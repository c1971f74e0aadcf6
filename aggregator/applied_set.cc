#include "aggregator/applied_set.h"

#include <algorithm>

namespace edgeline {

bool AppliedSet::Contains(const BatchStream& s, int64_t seq) const {
  auto it = streams_.find(s);
  if (it == streams_.end()) return false;
  return seq <= it->second.mark || it->second.above.count(seq) > 0;
}

void AppliedSet::Settle(Entry* e, int64_t floor_mark, const BatchStream& s) {
  int64_t before = e->mark;
  if (floor_mark > e->mark) {
    e->mark = floor_mark;
    e->above.erase(e->above.begin(), e->above.upper_bound(e->mark));
  }
  while (!e->above.empty() && *e->above.begin() == e->mark + 1) {
    e->mark = *e->above.begin();
    e->above.erase(e->above.begin());
  }
  if (e->mark != before) changed_.insert(s);
}

void AppliedSet::Insert(const BatchStream& s, int64_t seq, int64_t spool_floor) {
  Entry& e = streams_[s];
  if (seq > e.mark) e.above.insert(seq);
  // A batch is still in its agent's spool when sent, so a floor above its own seq is
  // bogus: never let it settle seqs that were not received.
  Settle(&e, std::min(spool_floor, seq) - 1, s);
}

void AppliedSet::Advance(const BatchStream& s, int64_t seq, int64_t spool_floor) {
  auto it = streams_.find(s);
  if (it != streams_.end()) Settle(&it->second, std::min(spool_floor, seq) - 1, s);
}

void AppliedSet::LoadMark(const BatchStream& s, int64_t mark) {
  Entry& e = streams_[s];
  if (mark > e.mark) e.mark = mark;
}

void AppliedSet::LoadApplied(const BatchStream& s, int64_t seq) {
  Entry& e = streams_[s];
  if (seq > e.mark) e.above.insert(seq);
}

void AppliedSet::FinishLoad() {
  for (auto& [s, e] : streams_) Settle(&e, e.mark, s);
}

std::vector<std::pair<BatchStream, int64_t>> AppliedSet::TakeChangedMarks() {
  std::vector<std::pair<BatchStream, int64_t>> out;
  for (const auto& s : changed_) out.emplace_back(s, streams_[s].mark);
  changed_.clear();
  return out;
}

void AppliedSet::Requeue(const std::vector<std::pair<BatchStream, int64_t>>& marks) {
  for (const auto& [s, mark] : marks) changed_.insert(s);
}

size_t AppliedSet::pending_size() const {
  size_t n = 0;
  for (const auto& [s, e] : streams_) n += e.above.size();
  return n;
}

}  // namespace edgeline
