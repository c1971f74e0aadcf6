// JSON-array reader (input.format "json"): a document that is one top-level array of
// objects, or a single top-level object, read as a stream of records with bounded memory.
//
// The reader splits the array itself, tracking strings, escapes and bracket depth: an
// element is the text between two top-level separators ('[', ',', ']'), whitespace
// trimmed. Each element is parsed alone with simdjson On-Demand and yields its cells
// (agent/json_fields.h), so a malformed element is one reject and reading goes on at the
// next one. A document that is not an array at all is one reject (docs/job-spec.md,
// "Parse: JSON array").
//
// The document comes in chunks (FileSource reads 1 MiB at a time): an element cut by the
// end of a chunk is left unread (used()) and passed again at the start of the next one.
// Between chunks, the state is a JsonArrayCursor the caller keeps.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/ndjson_reader.h"
#include "agent/raw_cell.h"

namespace edgeline {

// Where reading a JSON array document stands between two chunks of it. A default cursor
// starts at the start of a document.
struct JsonArrayCursor {
  enum class Phase : uint8_t {
    kStart,     // before the document: a UTF-8 BOM and whitespace, then '[' (or '{')
    kFirst,     // after '[': an element or ']'
    kNext,      // after ',': an element
    kResumed,   // just after an element (a checkpoint's offset): ',' or ']'
    kSkipping,  // inside an element longer than max_element_bytes, already rejected
    kAfter,     // after the closing ']' (or the single object): only whitespace
    kBroken,    // after json_bad_array: the rest of the document is not read
  };
  Phase phase = Phase::kStart;
  bool began = false;   // kStart: bytes were seen (a BOM may only come first)
  bool single = false;  // the document is one object, not an array
  // kSkipping: where the scan of the element stands.
  bool in_string = false;
  bool escaped = false;
  int64_t depth = 0;

  // The cursor for reading on from a checkpoint's offset > 0: positions after records
  // are just after an element (JsonArrayReader::position()).
  static JsonArrayCursor Resumed() {
    JsonArrayCursor c;
    c.phase = Phase::kResumed;
    return c;
  }
};

class JsonArrayReader {
 public:
  enum class Outcome { kRow, kError, kEnd };

  // `pointers`: one JSON pointer per cell (JsonPointers). REQUIRES: valid pointers.
  JsonArrayReader(const std::vector<std::string>& pointers, size_t max_element_bytes);
  ~JsonArrayReader();

  // Goes on with the document at data[0, len) from *cursor, which Next updates. `final`:
  // the document ends at len. REQUIRES: data[len, len + kJsonPadding) is readable; data
  // and *cursor stay valid until the next Reset.
  void Reset(const char* data, size_t len, bool final, JsonArrayCursor* cursor);

  // kRow: an element, as cells (texts valid until the next call). kError: *reason is
  // "json_malformed" (an element that is not one valid JSON value, or an empty one as in
  // [1,,2]), "json_not_object", "line_too_long" (more than max_element_bytes from the
  // element's first byte to the separator after it) or
  // "json_bad_array" (no '[' or '{' at the start, content after the end of the document,
  // or the end of input inside the array). kEnd: nothing more in this chunk.
  Outcome Next(std::vector<RawCell>* cells, std::string* reason);
  // Offset in data just after the last element returned (after a json_bad_array, the
  // end of what it covers).
  uint64_t position() const { return position_; }
  // After kEnd: the bytes of data consumed. The rest starts an element that goes on past
  // len: pass it again, with what follows, in the next chunk.
  size_t used() const { return used_; }
  // The text of the last element returned (whitespace trimmed; its first
  // max_element_bytes after a line_too_long), or the bytes a json_bad_array is about.
  std::string_view raw() const { return raw_; }

 private:
  struct Impl;
  // Scans an element from `from`; returns where it ends (the separator, or just after
  // the single object), or len when the data ends first (*cursor then holds the scan).
  size_t ScanElement(size_t from, JsonArrayCursor* scan) const;
  // Moves past an element ending at `end` and its separator (none when end == len).
  void Separator(size_t end);
  // Handles the element [start, end) and its separator; returns the outcome.
  Outcome Element(size_t start, size_t end, std::vector<RawCell>* cells, std::string* reason);
  Outcome BadArray(size_t from, std::string* reason);

  std::unique_ptr<Impl> impl_;
  const char* data_ = nullptr;
  size_t len_ = 0;
  bool final_ = false;
  JsonArrayCursor* cursor_ = nullptr;
  size_t pos_ = 0;
  uint64_t position_ = 0;
  size_t used_ = 0;
  std::string_view raw_;
};

}  // namespace edgeline
