// Casting parsed cells to a typed Record per the job's schema.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/csv_scanner.h"
#include "agent/raw_cell.h"
#include "common/job_spec.h"
#include "common/record.h"

namespace edgeline {

// Parses a whole string as a finite decimal number ("12", "-3.5", "1e3", "+.5"); no
// surrounding space, no nan/inf, no hex. nullopt otherwise.
std::optional<double> ParseStrictDouble(std::string_view text);

// Converts a timestamp cell to UTC epoch ms with the job's parser. Text is parsed as it
// is; a JSON number by its JSON text, except under iso8601 (bad_timestamp, as is a
// missing, null, boolean or nested value).
TimestampResult CastTimestamp(const RawCell& cell, TimestampParser* parser);

// Builds *out from cells laid out as [timestamp (if spec.ts_field), fields...], the
// timestamp parsed with `ts` (built from spec.ts; unused without spec.ts_field).
// Returns nullptr on success, else the reject reason of the first failing step, in
// order: the timestamp ("bad_timestamp", "ambiguous_time", "nonexistent_time"), then each
// field in schema order ("cast_error", or "missing_required" for a null required field).
// Float text has spec.csv_decimal as its decimal mark.
const char* CastRecord(const JobSpec& spec, const std::vector<RawCell>& cells, TimestampParser* ts,
                       Record* out);

// The cells of one CSV column over a block of scanned rows, made on the fly: row k's is
// field first_field[k] + col of the scanned fields (an empty unquoted field is null, a
// quoted one with "" pairs is unescaped into unescaped[k]); or, for a column the file
// lacks, missing in every row; or one text in every row (an mqtt input's topic_field).
struct CsvColumnCells {
  enum Mode { kScanned, kMissing, kConstant } mode = kScanned;
  const char* buf = nullptr;
  size_t readable = 0;  // bytes from buf that may be read (the scanned ones and beyond)
  const CsvFieldSpan* fields = nullptr;
  const uint32_t* first_field = nullptr;
  size_t col = 0;
  std::string* unescaped = nullptr;
  std::string_view constant;

  RawCell operator[](size_t k) const {
    if (mode == kMissing) return RawCell{};
    if (mode == kConstant) return RawCell{RawCell::kText, constant};
    const CsvFieldSpan& f = fields[first_field[k] + col];
    if (f.escaped) return RawCell{RawCell::kText, CsvFieldText(buf, f, &unescaped[k])};
    return RawCell{f.length == 0 && !f.quoted ? RawCell::kNull : RawCell::kText,
                   std::string_view(buf + f.offset, f.length)};
  }
};

// CastRecord column by column for a block of CSV rows: one loop per column, with the cast
// of the column's type inlined and the cells read from the scanned spans. Row k's record
// is records[k] (whose values must already have one slot per schema field); reasons[k]
// (nullptr: none yet) is set to the column's reject reason unless it holds one already, so
// casting the timestamp column and then the fields leaves CastRecord's reason for each
// row. A rejected row's record holds partial values.
void CastTimestampColumn(const CsvColumnCells& cells, size_t n, TimestampParser* ts,
                         Record* records, const char** reasons);
// Every schema field's column, cells[i] holding field i's cells (all from the same scanned
// rows). Neighbouring float columns are read side by side, row by row: one loop and one
// SIMD parse for their cells.
void CastFieldColumns(const JobSpec& spec, const CsvColumnCells* cells, size_t n, Record* records,
                      const char** reasons);

// The `cast` clean op: converts an already typed value to `to`. Returns false when it
// can't (the op's on_error decides: reject or null). Null stays null; so does "" cast
// to float, int or bool. docs/job-spec.md#cast has the table:
//   float -> int: only whole values within int64; -> bool: 0 or 1; -> string: ValueText.
//   int -> float: nearest double; -> bool: 0 or 1; -> string: decimal.
//   string -> float, int, bool: the schema cast rules for text (no "nan", no "3.0" as
//   int, true/false/1/0 in any case).
//   bool -> float 1.0/0.0, int 1/0, string "true"/"false".
bool RecastValue(const Value& in, FieldType to, Value* out);

// The text of a value: a string as it is, an int in decimal, a float as its shortest
// round-trip text (21.5, 100, 1e+20), a bool as true/false, null as "".
std::string ValueText(const Value& v);

}  // namespace edgeline
