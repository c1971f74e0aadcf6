// Writes cleaned records as NDJSON, one object per line: the timestamp field (epoch ms)
// and the emitted fields under their output names, in schema order. Used by
// `edgeline-agent run`, where writing the output is most of the work, so it avoids a DOM:
// keys are quoted once, numbers are formatted with std::to_chars.
//
// Numbers: ints in decimal; floats in fixed notation with the fewest fraction digits
// that read back as the same double when 1e-3 <= |x| < 1e15 (21.37, 100.0: a whole
// number keeps ".0" so it stays a float for readers that type by syntax), else as the
// shortest round-trip text of std::to_chars (1e+20, 1e-04). Strings: JSON-escaped; invalid UTF-8 sequences become
// U+FFFD, one per invalid byte.
#pragma once

#include <string>
#include <vector>

#include "common/job_spec.h"
#include "common/record.h"

namespace edgeline {

class NdjsonRecordWriter {
 public:
  explicit NdjsonRecordWriter(const JobSpec& spec);

  // Appends r as one line (with its '\n') to *out.
  void Append(const Record& r, std::string* out) const;

 private:
  std::string ts_key_;             // "\"ts\":" or "" without a timestamp
  std::vector<std::string> keys_;  // per schema field: "\"name\":", "" if not emitted
};

// Appends s as a JSON string literal (quotes included) to *out.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace edgeline
