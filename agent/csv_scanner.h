// Structural CSV scanner: the same records, fields and errors as CsvReader (csv_reader.h,
// the reference), found block by block with SIMD instead of byte by byte.
//
// How it works. Stage 1 (agent/csv_stage1.h) classifies 64 input bytes at a time into three
// bitmasks: quotes, delimiters-or-LF, and LF. CsvScanMode::kSimd does it with Highway,
// dispatching at run time to the best target of the CPU (SSE4/AVX2/AVX-512 on x86, NEON/SVE
// on Arm); kScalar with portable SWAR code (8 bytes per uint64_t). Stage 2 takes the prefix
// XOR of the quote mask (carrying the in-quote state from block to block) to drop
// delimiters and LFs inside quoted fields, then walks the remaining set bits with a small
// state machine that emits field spans; a block without quotes, outside quotes (most blocks
// of most files), is walked with bit tests alone, the LF mask telling record ends
// (agent/csv_plain_walk.h). CR needs no mask: it only matters right before an LF or at the
// end of the input, which stage 2 checks with a byte look-up. Whatever the fast path does
// not handle exactly (a quote inside an unquoted field, a malformed quoted field, a line
// near or over max_line_bytes, a record that starts with the comment prefix's first byte,
// delimiter '"', CR or LF) is re-parsed, for that one record, by a byte-at-a-time port of
// CsvReader, and the block walk resumes after it with the quote parity restarted. A comment
// line may hold quotes, which is why it cannot stay in the block walk: its quotes would flip
// the parity.
// The outcome therefore never depends on the mode, the SIMD target or how the input is split
// into Scan calls.
//
// Differences from CsvReader: the caller owns the input buffer and feeds it in pieces;
// fields are spans into that buffer (no copies) and quoted fields with "" escapes are
// unescaped on demand (CsvFieldText); there are no line numbers (records carry offsets).
//
// Not thread-safe; use one CsvScanner per input stream. Distinct scanners may run on
// different threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgeline {

enum class CsvScanMode : uint8_t {
  kScalar,  // stage 1 by portable scalar code (SWAR: 8 bytes per uint64_t)
  kSimd,    // stage 1 by Highway on the best SIMD target of this CPU (chosen at run time)
};

enum class CsvError : uint8_t {
  kNone = 0,
  kUnterminatedQuote,  // the input ended inside a quoted field
  kBadQuote,           // a closing quote not followed by a delimiter or line end
  kLineTooLong,        // the record exceeded max_line_bytes (counted as CsvReader counts)
};

// The CsvReader reason string for `error`: "csv_unterminated_quote", "csv_bad_quote",
// "line_too_long"; "" for kNone.
const char* CsvErrorReason(CsvError error);

struct CsvScanOptions {
  char delimiter = ',';  // any byte; '"', '\r' and '\n' behave as in CsvReader, but slowly
  size_t max_line_bytes = size_t{1} << 20;
  CsvScanMode mode = CsvScanMode::kSimd;
  // Comment prefix ("" = none): a line that starts with it at a record start is skipped up
  // to its LF, as CsvReader skips it (quotes in it do not count; its length is not limited).
  std::string comment;
};

// One field of a record, as a span of the buffer given to CsvScanner::Scan.
struct CsvFieldSpan {
  uint32_t offset;  // first byte (for a quoted field: after the opening quote)
  uint32_t length;  // raw bytes (for a quoted field: up to the closing quote, "" not undone)
  bool quoted;      // the field was quoted: "" is an empty string, an empty field a null
  bool escaped;     // the raw bytes hold "" pairs: get the text with CsvFieldText
};

// One record (a row) or one malformed record (error != kNone, no fields).
struct CsvRecordSpan {
  uint32_t offset;       // first byte of the record in the buffer (blank lines excluded)
  uint32_t length;       // raw bytes including the line end; for an error, the bytes up to
                         // where reading resumes (if that is in a later buffer: to the end
                         // of this one)
  uint32_t first_field;  // index of the record's first field in CsvRecords::field()
  uint32_t num_fields;   // >= 1 for a record, 0 for an error
  CsvError error;
};

// The records found by one CsvScanner::Scan call. Reuse one object across calls: its
// storage is kept, so steady-state scanning does not allocate.
class CsvRecords {
 public:
  size_t size() const { return num_records_; }
  bool empty() const { return num_records_ == 0; }
  size_t num_fields() const { return num_fields_; }  // over all records

  // Requires i < size().
  const CsvRecordSpan& record(size_t i) const { return records_[i]; }
  // Requires i < num_fields(). Record r's fields are field(record(r).first_field + k) for
  // k < record(r).num_fields.
  const CsvFieldSpan& field(size_t i) const { return fields_[i]; }
  // Requires r < size() and k < record(r).num_fields.
  const CsvFieldSpan& field(size_t r, size_t k) const {
    return fields_[records_[r].first_field + k];
  }

  // Forgets all records; keeps the storage.
  void Clear() {
    num_records_ = 0;
    num_fields_ = 0;
  }

 private:
  friend class CsvScanner;
  friend struct CsvScanRun;
  friend class NdjsonFlatReader;  // NDJSON lines for the CSV cast (agent/ndjson_flat.h)

  // The vectors are used as raw storage: their size is the capacity, the counts say how
  // much of it is in use.
  std::vector<CsvFieldSpan> fields_;
  std::vector<CsvRecordSpan> records_;
  size_t num_fields_ = 0;
  size_t num_records_ = 0;
};

// Streaming scanner for one input. Usage:
//
//   CsvScanner scanner({',', 1 << 20, CsvScanMode::kSimd, "#"});
//   CsvRecords recs;
//   std::string buf;  // unconsumed tail + newly read bytes
//   while (...) {
//     bool final = /* nothing follows buf */;
//     size_t used = scanner.Scan(buf.data(), buf.size(), final, &recs);
//     for (size_t r = 0; r < recs.size(); ++r) ... CsvFieldText(buf.data(), ...) ...
//     buf.erase(0, used);
//   }
class CsvScanner {
 public:
  explicit CsvScanner(const CsvScanOptions& options);

  // Scans buf[0, len), the continuation of the input after the bytes consumed so far.
  // Replaces *out with the records (and errors) that are complete in buf, in input order;
  // their spans point into buf, which must stay unchanged while they are used. Returns the
  // number of bytes consumed: the records found, the blank and comment lines around them, a
  // leading UTF-8 BOM, and bytes skipped after an error. The caller passes the rest, buf[ret, len),
  // again at the front of the next call, followed by more input.
  //
  // `final` means no input follows buf: an unterminated last line is a record, and all of
  // buf is consumed; the scanner then resets itself for a new input.
  //
  // Memory bound: after a call, len - ret <= 2 * max_line_bytes + 2 (a record within the
  // limit can be that long in bytes: "" counts once, as in CsvReader). A record still too
  // long is reported as kLineTooLong as soon as it exceeds the limit, and the scanner
  // consumes (and drops) the rest of that line in this and later calls; so it does with a
  // comment line of any length once it has seen the whole prefix.
  //
  // At most 4 GiB - 65 bytes are looked at per call (the spans are 32-bit); a larger buf
  // is treated as if it were that long and not final.
  size_t Scan(const char* buf, size_t len, bool final, CsvRecords* out);

  // Starts a new input (drops any pending skip; a BOM is again allowed at the start).
  void Reset();

  // For a caller that scans one input with several scanners (JobPipeline::RunCsvChunk makes
  // one per read; FileSource keeps the state in between, and in its checkpoint):
  // After a non-final Scan, true when its buf ended inside a line being dropped (the rest of
  // a malformed or too long record, or a comment line): the input's next bytes up to the
  // next LF belong to it.
  bool skipping() const { return skipping_; }
  // Continues an input, not at its start (a BOM is data), at the point where an earlier
  // scanner's consumed bytes ended; `skipping` is that scanner's skipping().
  void Resume(bool skipping) {
    at_start_ = false;
    skipping_ = skipping;
  }

  const CsvScanOptions& options() const { return options_; }

 private:
  friend struct CsvScanRun;

  CsvScanOptions options_;
  bool at_start_ = true;   // nothing of this input consumed yet (a BOM may follow)
  bool skipping_ = false;  // dropping the rest of a malformed line up to its LF
  // Stage 1 output for the current chunk of blocks.
  std::vector<uint64_t> quote_bits_;
  std::vector<uint64_t> struct_bits_;
  std::vector<uint64_t> lf_bits_;
};

// The text of field `f` of a buffer scanned by CsvScanner: a view into buf when no
// unescaping is needed (the common case), else the text with "" turned into " in *scratch
// (overwritten) and a view of it. `buf` is the buffer given to the Scan call that produced f.
std::string_view CsvFieldText(const char* buf, const CsvFieldSpan& f, std::string* scratch);

// Appends the (unescaped) text of field `f` to *out.
void AppendCsvFieldText(const char* buf, const CsvFieldSpan& f, std::string* out);

// The Highway target that CsvScanMode::kSimd dispatches to on this machine now, e.g.
// "AVX2", "AVX3" (AVX-512), "SSE4", "NEON", "EMU128" (portable fallback).
const char* CsvSimdTargetName();

}  // namespace edgeline
