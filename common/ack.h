// Commit acknowledgements, aggregator -> agent, on edgeline/acks/<agent_id> (QoS 1,
// docs/wire-format.md#acks). Sent after the SQLite commit that recorded the batches, and
// for duplicates of batches already committed, so a lost ack only costs a re-send.
//
//   {"acks": [{"job_id": "gh", "epoch": 123, "ranges": [[1, 5], [7, 7]]}]}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edgeline {

struct AckRange {
  std::string job_id;
  int64_t epoch = 0;
  int64_t first = 0;  // inclusive
  int64_t last = 0;   // inclusive
  bool operator==(const AckRange& o) const {
    return job_id == o.job_id && epoch == o.epoch && first == o.first && last == o.last;
  }
};

struct AckKey {
  std::string job_id;
  int64_t epoch = 0;
  int64_t seq = 0;
};

// Folds keys (any order, duplicates allowed) into the fewest ranges and encodes them.
std::string EncodeAcks(std::vector<AckKey> keys);

// Parses an ack message; an error names what is wrong. At most max_ranges ranges.
Result<std::vector<AckRange>> DecodeAcks(std::string_view payload, size_t max_ranges = 100000);

}  // namespace edgeline
