#include <catch2/catch.hpp>

#include "aggregator/applied_set.h"

using namespace edgeline;

TEST_CASE("contiguous seqs fold into the mark and out-of-order ones wait above it") {
  AppliedSet a;
  BatchStream s{"pi-01", "gh", 7};
  a.Insert(s, 1, 0);
  a.Insert(s, 3, 0);
  CHECK(a.Contains(s, 1));
  CHECK_FALSE(a.Contains(s, 2));
  CHECK(a.Contains(s, 3));
  CHECK(a.pending_size() == 1);  // 3 waits for 2
  auto marks = a.TakeChangedMarks();
  REQUIRE(marks.size() == 1);
  CHECK(marks[0].second == 1);
  a.Insert(s, 2, 0);
  CHECK(a.pending_size() == 0);
  marks = a.TakeChangedMarks();
  REQUIRE(marks.size() == 1);
  CHECK(marks[0].second == 3);
  CHECK(a.TakeChangedMarks().empty());
  CHECK_FALSE(a.Contains(BatchStream{"pi-01", "gh", 8}, 1));  // another epoch
}

TEST_CASE("a spool floor settles gaps the agent will never fill") {
  AppliedSet a;
  BatchStream s{"pi-01", "gh", 7};
  a.Insert(s, 1, 1);
  // Batches 2..4 were dropped from the agent's spool: 5 arrives with floor 5.
  for (int64_t seq = 5; seq <= 100; ++seq) a.Insert(s, seq, 5);
  CHECK(a.pending_size() == 0);
  CHECK(a.Contains(s, 3));  // settled: never coming
  CHECK(a.TakeChangedMarks().back().second == 100);
  // Live data first after a reconnect: 200..202 arrive before the backlog 101..199.
  for (int64_t seq = 200; seq <= 202; ++seq) a.Insert(s, seq, 101);
  CHECK(a.pending_size() == 3);
  CHECK_FALSE(a.Contains(s, 150));
  // A duplicate carrying a higher floor settles too.
  a.Advance(s, 202, 200);
  CHECK(a.pending_size() == 0);
  CHECK(a.TakeChangedMarks().back().second == 202);
}

TEST_CASE("loading marks and seqs rebuilds the same set") {
  AppliedSet a;
  BatchStream s{"pi-01", "gh", 7};
  a.LoadMark(s, 10);
  a.LoadApplied(s, 11);
  a.LoadApplied(s, 13);
  a.FinishLoad();
  CHECK(a.Contains(s, 11));
  CHECK_FALSE(a.Contains(s, 12));
  CHECK(a.pending_size() == 1);
  CHECK(a.TakeChangedMarks().back().second == 11);
}

TEST_CASE("a spool floor above the batch's own seq cannot settle unreceived seqs") {
  AppliedSet a;
  BatchStream s{"pi-01", "gh", 7};
  a.Insert(s, 5, 1000);  // bogus floor
  CHECK(a.Contains(s, 4));   // floor clamped to 5: seqs below it are settled
  CHECK_FALSE(a.Contains(s, 6));
  CHECK_FALSE(a.Contains(s, 999));
}
