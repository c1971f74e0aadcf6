// NDJSON reader: one JSON object per line, parsed with simdjson On-Demand. For each
// line it extracts the wanted top-level keys as RawCells. Blank lines are skipped.
//
// Not thread-safe. Memory is bounded by max_line_bytes plus simdjson's parser buffers.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/raw_cell.h"

namespace edgeline {

class NdjsonReader {
 public:
  enum class Outcome { kRow, kError, kEnd };

  // `in` must outlive the reader. `keys` are the top-level keys to extract, in the order
  // cells are returned.
  NdjsonReader(std::istream& in, std::vector<std::string> keys, size_t max_line_bytes);
  ~NdjsonReader();

  // kRow: *cells has one RawCell per key (kMissing when absent). kError: *reason is
  // "json_malformed", "json_not_object" or "line_too_long". kEnd: no more input.
  Outcome Next(std::vector<RawCell>* cells, std::string* reason);
  size_t line() const { return line_; }
  // Bytes of input consumed so far: the end of the last returned line.
  uint64_t position() const { return position_; }
  // The last line read (without its LF; its first max_line_bytes after a line_too_long).
  // Valid until the next call of Next.
  std::string_view raw() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t line_ = 0;
  uint64_t position_ = 0;
};

}  // namespace edgeline
