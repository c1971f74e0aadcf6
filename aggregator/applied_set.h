// Which batches the aggregator has applied, per (agent, job, epoch), in bounded memory
// (docs/storage.md#applied-batches): a high-water mark below which every seq is settled
// (applied, or never coming), and the applied seqs above it.
//
// The mark advances over contiguous applied seqs, and to a batch's spool_floor - 1: the
// agent never sends a seq below its spool floor again. So the set above the mark holds at
// most what is out of order in the agents' spools.
//
// Not thread-safe: the Aggregator uses it under its mutex.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace edgeline {

struct BatchStream {
  std::string agent_id;
  std::string job_id;
  int64_t epoch = 0;
  bool operator<(const BatchStream& o) const {
    return std::tie(agent_id, job_id, epoch) < std::tie(o.agent_id, o.job_id, o.epoch);
  }
};

class AppliedSet {
 public:
  bool Contains(const BatchStream& s, int64_t seq) const;
  // Records seq as applied and folds in the batch's spool floor (0: unknown).
  void Insert(const BatchStream& s, int64_t seq, int64_t spool_floor);
  // Folds in the spool floor of a duplicate of seq.
  void Advance(const BatchStream& s, int64_t seq, int64_t spool_floor);

  // Loading from the database.
  void LoadMark(const BatchStream& s, int64_t mark);
  void LoadApplied(const BatchStream& s, int64_t seq);
  // After loading: folds contiguous seqs into the marks.
  void FinishLoad();

  // Streams whose mark moved since the last call, with their marks.
  std::vector<std::pair<BatchStream, int64_t>> TakeChangedMarks();
  // Marks taken whose commit failed: they are taken again next time.
  void Requeue(const std::vector<std::pair<BatchStream, int64_t>>& marks);

  size_t pending_size() const;  // seqs held above the marks, for tests and metrics

 private:
  struct Entry {
    int64_t mark = 0;       // every seq <= mark is settled
    std::set<int64_t> above;
  };
  void Settle(Entry* e, int64_t floor_mark, const BatchStream& s);

  std::map<BatchStream, Entry> streams_;
  std::set<BatchStream> changed_;
};

}  // namespace edgeline
