// Streaming RFC 4180 CSV reader (scalar). Quoted fields may hold the delimiter, CR, LF
// and escaped quotes (""); lines end in LF or CRLF; the last line may lack a newline; a
// UTF-8 BOM at the start is skipped; blank lines are skipped; with a comment prefix, so is
// a line that starts with it (at a record start: not inside a quoted field), whatever it
// holds, up to its LF.
//
// The reference for CsvScanner (csv_scanner.h), which must find the same records.
//
// Not thread-safe. Memory is bounded by max_line_bytes plus the read buffer.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace edgeline {

struct CsvField {
  std::string text;
  bool quoted = false;  // distinguishes "" (empty string) from an empty field
};

class CsvReader {
 public:
  enum class Outcome { kRow, kError, kEnd };

  // `in` must outlive the reader. `comment`: the comment prefix, "" for none.
  CsvReader(std::istream& in, char delimiter, size_t max_line_bytes, std::string comment = "");

  // Reads the next record. kRow: *fields holds it. kError: the record was malformed,
  // *reason is "csv_unterminated_quote", "csv_bad_quote" or "line_too_long", and the
  // reader has skipped to the next line. kEnd: no more input.
  Outcome Next(std::vector<CsvField>* fields, std::string* reason);

  // 1-based line number where the last returned record started.
  size_t line() const { return record_line_; }
  // Bytes of input consumed so far: the end of the last returned record (or error).
  uint64_t position() const { return fetched_ - (buf_.size() - pos_); }

 private:
  bool Fill();
  bool Ensure(size_t n);
  int Peek();
  int Get();
  void SkipRestOfLine();

  std::istream& in_;
  char delim_;
  size_t max_line_;
  std::string comment_;
  std::string buf_;
  size_t pos_ = 0;
  uint64_t fetched_ = 0;  // bytes read from the stream into buf_ so far
  bool eof_ = false;
  bool started_ = false;
  size_t line_ = 1;
  size_t record_line_ = 0;
};

}  // namespace edgeline
