// Writes cleaned records as NDJSON, one object per line: the timestamp field (epoch ms)
// and the emitted fields under their output names, in schema order. Used by
// `edgeline-agent run`, where writing the output is most of the work, so it avoids a DOM:
// keys are quoted once, numbers are formatted with std::to_chars.
//
// Numbers: ints in decimal; floats in fixed notation with the fewest fraction digits
// that read back as the same double when 1e-3 <= |x| < 1e15 (21.37, 100.0: a whole
// number keeps ".0" so it stays a float for readers that type by syntax), else as the
// shortest round-trip text of std::to_chars (1e+20, 1e-04). Strings: JSON-escaped; invalid UTF-8
// sequences become U+FFFD, one per invalid byte.
#pragma once

#include <string>
#include <vector>

#include "common/job_spec.h"
#include "common/record.h"

namespace edgeline {

class NdjsonRecordWriter {
 public:
  explicit NdjsonRecordWriter(const JobSpec& spec);

  // An upper bound of the bytes Write puts out for r.
  size_t MaxBytes(const Record& r) const;
  // Writes r as one line (with its '\n') at p, which has room for MaxBytes(r) bytes;
  // returns the end of what was written.
  char* Write(const Record& r, char* p) const;
  // Appends r as one line to *out.
  void Append(const Record& r, std::string* out) const;

 private:
  struct Key {
    std::string padded;  // "\"name\":" followed by zeros up to whole 16-byte blocks
    size_t size = 0;     // the length of "\"name\":"; 0 for a field that is not emitted
  };
  Key ts_key_;              // size 0 without a timestamp
  std::vector<Key> keys_;   // per schema field
  size_t fixed_bytes_ = 0;  // MaxBytes without the strings
};

// Appends s as a JSON string literal (quotes included) to *out.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace edgeline
