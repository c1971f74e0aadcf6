// NDJSON's fast path: lines that are flat JSON objects of plain values, read without
// simdjson into the field spans the CSV path casts, cleans and batches column by column
// (JobPipeline::ProcessCsvRows), so both formats share that code.
//
// Sensor NDJSON is mostly lines like
//   {"ts":"2024-03-01T00:00:01.196Z","device":"pi-038","temp":24.14,"hum":45.0}
// simdjson's stage 1 and On-Demand walk alone take ~100 ms for 189 MB of such lines on
// the reference machine (docs/benchmarks.md#agent-clean-8), over half of what 1 GB/s
// allows for the whole pipeline. This reader takes a line only when its result is sure to
// be the same as NdjsonReader's followed by CastRecord: everything else, valid or not,
// goes to NdjsonReader, which stays the reference (tested and fuzzed against it).
//
// A line is taken when, between optional blanks (space, tab, CR) and its LF, it is one
// JSON object whose keys and string values hold no escape, control or non-ASCII byte,
// whose values are strings, null or plain numbers (-?int(.frac)?, up to 32 bytes), a
// number only in a column where its text casts as its value would, no wanted key twice,
// and the line is at most max_line_bytes long.
//
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/csv_scanner.h"
#include "agent/key_words.h"

namespace edgeline {

class NdjsonFlatReader {
 public:
  // One column per pointer: the top-level key it names, and whether a number may be its
  // value (a float or int field, or a timestamp not parsed as ISO 8601). Returns nullptr
  // when the fast path cannot serve the pointers: one that is not a single key of 1 to 13
  // bytes of printable ASCII without '"' or '\', the same key twice, or more than 64.
  static std::unique_ptr<NdjsonFlatReader> Make(const std::vector<std::string>& pointers,
                                                const std::vector<bool>& numbers,
                                                size_t max_line_bytes);

  // Reads the lines of data[pos, len) into *out (replaced), one record per line with one
  // field per column: a string's text as a quoted field, a number's text unquoted, a null
  // or missing key as an empty unquoted field; the record's span is the line with its LF.
  // Blank lines are skipped. Stops after max_records records, or at the first line it
  // does not take, and returns where it stopped (the start of that line).
  // REQUIRES: data[len, len + kJsonPadding) is readable; offsets fit 32 bits.
  size_t Read(const char* data, size_t len, size_t pos, size_t max_records, CsvRecords* out) const;

  size_t columns() const { return keys_.size(); }

 private:
  struct Key {
    KeyWords quoted;   // the key with its quotes and the colon: "key":
    KeyWords text;     // the key and its closing quote: key"
    uint32_t key_len;  // bytes of the key alone
    bool numbers;
  };

  NdjsonFlatReader() = default;
  // The line from `p` (its first byte after blanks, a '{') into fields[0, keys_.size());
  // returns its LF, or nullptr when the line is not taken (the fields are then garbage).
  const char* ParseObject(const char* p, CsvFieldSpan* fields, const char* data) const;
  // The column of the key at p (after its opening quote) whose closing quote is at q, or
  // -1.
  int FindKey(const char* p, const char* q) const;

  std::vector<Key> keys_;
  size_t max_line_ = 0;
  uint64_t all_keys_ = 0;  // a bit per column
};

}  // namespace edgeline
