// NDJSON reader: one JSON object per line, parsed with simdjson On-Demand, over a buffer
// of whole lines. For each line it extracts the cells the field plan wants (JSON
// pointers, agent/json_fields.h). Lines holding only spaces, tabs or CR are skipped.
//
// Two modes with the same results (records, reasons, positions; tested and fuzzed):
//   kBatched  parses windows of up to 64 KiB of lines with one iterate_many call each
//             (one stage-1 pass per window instead of one per line), and checks that
//             each document is exactly one line. A line the window cannot vouch for (a
//             malformed or non-object document, one that does not start and end on its
//             line, a line longer than the window or without LF, the last document of
//             a window) is parsed alone, and the stream goes on or restarts after it.
//             A line that makes simdjson reject the whole window (an unclosed string,
//             invalid UTF-8) is looked for by parsing alone until it shows up.
//   kPerLine  parses every line alone: the reference, and what kBatched falls back to.
//
// Not thread-safe. Memory: the parsers' buffers, about 6x the window (kBatched) plus 6x
// the longest line parsed alone.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/raw_cell.h"

namespace edgeline {

// Bytes that must be readable after a buffer handed to a JSON reader: simdjson may read
// this far past the end (the bytes' values do not matter).
constexpr size_t kJsonPadding = 64;

class NdjsonReader {
 public:
  enum class Outcome { kRow, kError, kEnd };
  enum class Mode { kBatched, kPerLine };

  // `pointers`: one JSON pointer per cell, in the order cells are returned (JsonPointers
  // for a job spec). REQUIRES: each is a valid pointer (ParseJsonPointer).
  NdjsonReader(const std::vector<std::string>& pointers, size_t max_line_bytes,
               Mode mode = Mode::kBatched);
  ~NdjsonReader();

  // Starts on data[0, len): lines, each ending in LF except perhaps the last.
  // REQUIRES: data[len, len + kJsonPadding) is readable; the bytes stay valid and
  // unchanged until the next Reset.
  void Reset(const char* data, size_t len);

  // kRow: *cells has one RawCell per pointer (kMissing when absent); texts are valid
  // until the next call. kError: *reason is "json_malformed", "json_not_object" or
  // "line_too_long" (more than max_line_bytes before the LF). kEnd: no more lines.
  Outcome Next(std::vector<RawCell>* cells, std::string* reason);
  // Lines read since construction, blank ones included.
  size_t line() const { return line_; }
  // Offset in the current data just after the last line returned (its LF included).
  uint64_t position() const { return position_; }
  // The last line returned, without its LF (its first max_line_bytes after a
  // line_too_long). Valid until the next Reset.
  std::string_view raw() const { return raw_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t line_ = 0;
  uint64_t position_ = 0;
  std::string_view raw_;
};

}  // namespace edgeline
