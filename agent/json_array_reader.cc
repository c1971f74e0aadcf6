#include "agent/json_array_reader.h"

#include <algorithm>
#include <cstring>

#include "agent/json_fields.h"

namespace edgeline {

namespace {
using Phase = JsonArrayCursor::Phase;
constexpr size_t kNone = static_cast<size_t>(-1);

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Bytes the element scanner stops at, inside and outside strings.
struct ByteTable {
  explicit constexpr ByteTable(const char* stops) : stop() {
    for (const char* p = stops; *p != '\0'; ++p) stop[static_cast<unsigned char>(*p)] = 1;
  }
  constexpr unsigned char operator[](unsigned char c) const { return stop[c]; }
  unsigned char stop[256];
};
constexpr ByteTable kInString("\"\\");
constexpr ByteTable kOutside("\"{}[],");
}  // namespace

struct JsonArrayReader::Impl {
  Impl(const std::vector<std::string>& pointers, size_t max) : plan(pointers), max_element(max) {}
  JsonFieldPlan plan;
  size_t max_element;
  simdjson::ondemand::parser parser;
};

JsonArrayReader::JsonArrayReader(const std::vector<std::string>& pointers, size_t max_element_bytes)
    : impl_(new Impl(pointers, max_element_bytes)) {}

JsonArrayReader::~JsonArrayReader() = default;

void JsonArrayReader::Reset(const char* data, size_t len, bool final, JsonArrayCursor* cursor) {
  data_ = data;
  len_ = len;
  final_ = final;
  cursor_ = cursor;
  pos_ = 0;
  position_ = 0;
  used_ = 0;
  raw_ = {};
}

size_t JsonArrayReader::ScanElement(size_t i, JsonArrayCursor* scan) const {
  bool in_string = scan->in_string;
  bool escaped = scan->escaped;
  int64_t depth = scan->depth;
  const unsigned char* d = reinterpret_cast<const unsigned char*>(data_);
  while (i < len_) {
    if (in_string) {
      if (escaped) {
        escaped = false;
        ++i;
        continue;
      }
      // Most of a string is plain bytes: run to the next quote or backslash.
      while (i < len_ && kInString[d[i]] == 0) ++i;
      if (i == len_) break;
      if (d[i] == '\\') {
        escaped = true;
      } else {
        in_string = false;
      }
      ++i;
      continue;
    }
    while (i < len_ && kOutside[d[i]] == 0) ++i;  // likewise outside strings
    if (i == len_) break;
    const unsigned char c = d[i];
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      // Depth only, not which bracket: simdjson judges the element; a stray closer at
      // depth 0 stays in it (and makes it malformed), except the array's own ']'.
      if (depth > 0) {
        if (--depth == 0 && scan->single) {
          i += 1;
          scan->in_string = in_string;
          scan->escaped = escaped;
          scan->depth = depth;
          return i;
        }
      } else if (c == ']' && !scan->single) {
        break;
      }
    } else if (depth == 0 && !scan->single) {  // ','
      break;
    }
    ++i;
  }
  scan->in_string = in_string;
  scan->escaped = escaped;
  scan->depth = depth;
  return i < len_ ? i : kNone;
}

JsonArrayReader::Outcome JsonArrayReader::BadArray(size_t from, std::string* reason) {
  *reason = "json_bad_array";
  raw_ = std::string_view(data_ + from, std::min(len_ - from, impl_->max_element));
  cursor_->phase = Phase::kBroken;
  pos_ = used_ = len_;
  position_ = len_;
  return Outcome::kError;
}

void JsonArrayReader::Separator(size_t end) {
  JsonArrayCursor& c = *cursor_;
  if (c.single) {
    c.phase = Phase::kAfter;
    pos_ = end;
  } else if (end == len_) {
    c.phase = Phase::kNext;  // the input ended after it: the next call reports the missing ']'
    pos_ = end;
  } else {
    c.phase = data_[end] == ',' ? Phase::kNext : Phase::kAfter;
    pos_ = end + 1;
  }
}

JsonArrayReader::Outcome JsonArrayReader::Element(size_t start, size_t end,
                                                  std::vector<RawCell>* cells,
                                                  std::string* reason) {
  Separator(end);
  // The limit counts up to the separator, trailing whitespace included: a chunk of
  // max_element + 1 bytes from the element's start then always decides it, so whether
  // an element is too long never depends on where chunks end.
  const size_t span = end - start;
  while (end > start && IsSpace(data_[end - 1])) --end;
  position_ = end;
  raw_ = std::string_view(data_ + start, end - start);
  if (span > impl_->max_element) {
    raw_ = raw_.substr(0, impl_->max_element);
    *reason = "line_too_long";
    return Outcome::kError;
  }
  if (const char* r =
          ParseJsonRecord(impl_->parser, impl_->plan, raw_.data(), raw_.size(), cells)) {
    *reason = r;
    return Outcome::kError;
  }
  return Outcome::kRow;
}

JsonArrayReader::Outcome JsonArrayReader::Next(std::vector<RawCell>* cells, std::string* reason) {
  JsonArrayCursor& c = *cursor_;
  while (true) {
    if (c.phase == Phase::kBroken) {
      pos_ = used_ = len_;
      return Outcome::kEnd;
    }
    if (c.phase == Phase::kSkipping) {
      const size_t end = ScanElement(pos_, &c);
      if (end == kNone) {
        pos_ = used_ = len_;
        return final_ ? BadArray(len_, reason) : Outcome::kEnd;
      }
      c.in_string = c.escaped = false;
      c.depth = 0;
      Separator(end);
      continue;
    }
    if (c.phase == Phase::kStart && !c.began) {
      c.began = true;
      if (len_ >= 3 && std::memcmp(data_, "\xEF\xBB\xBF", 3) == 0) pos_ = 3;  // a UTF-8 BOM
    }
    while (pos_ < len_ && IsSpace(data_[pos_])) ++pos_;
    if (pos_ == len_) {
      used_ = len_;
      // The end inside the array; the end after a resumed element is trusted.
      if (final_ && (c.phase == Phase::kFirst || c.phase == Phase::kNext)) {
        return BadArray(len_, reason);
      }
      return Outcome::kEnd;
    }
    const char ch = data_[pos_];
    switch (c.phase) {
      case Phase::kStart:
        if (ch == '[') {
          c.phase = Phase::kFirst;
          ++pos_;
          continue;
        }
        if (ch != '{') return BadArray(pos_, reason);
        c.single = true;
        break;
      case Phase::kAfter:
        return BadArray(pos_, reason);
      case Phase::kResumed:
        if (ch == ',' || ch == ']') {
          c.phase = ch == ',' ? Phase::kNext : Phase::kAfter;
          ++pos_;
          continue;
        }
        break;  // no separator: an element all the same (the checkpoint said one ended)
      default:  // kFirst, kNext
        if (ch == ']' && c.phase == Phase::kFirst) {
          c.phase = Phase::kAfter;  // []
          ++pos_;
          continue;
        }
        if (ch == ',' || ch == ']') {  // an empty element: [,1] [1,,2] [1,]
          *reason = "json_malformed";
          raw_ = {};
          position_ = pos_;
          c.phase = ch == ',' ? Phase::kNext : Phase::kAfter;
          ++pos_;
          return Outcome::kError;
        }
    }
    const size_t start = pos_;
    JsonArrayCursor scan = c;
    scan.in_string = scan.escaped = false;
    scan.depth = 0;
    const size_t end = ScanElement(start, &scan);
    if (end != kNone) return Element(start, end, cells, reason);
    if (len_ - start > impl_->max_element) {
      // Too long already: rejected now, and the rest of it skipped as it comes.
      scan.phase = Phase::kSkipping;
      c = scan;
      *reason = "line_too_long";
      raw_ = std::string_view(data_ + start, impl_->max_element);
      pos_ = used_ = len_;
      position_ = len_;
      return Outcome::kError;
    }
    if (final_) {
      if (!c.single) {
        // The end inside the array: an element whose brackets are closed is read; then
        // (or else) the missing ']' is reported.
        if (scan.depth == 0 && !scan.in_string) return Element(start, len_, cells, reason);
        return BadArray(start, reason);
      }
      *reason = "json_malformed";  // a truncated top-level object
      raw_ = std::string_view(data_ + start, std::min(len_ - start, impl_->max_element));
      c.phase = Phase::kAfter;
      pos_ = used_ = len_;
      position_ = len_;
      return Outcome::kError;
    }
    used_ = start;  // the element goes on in the next chunk: read it again from its start
    pos_ = len_;
    return Outcome::kEnd;
  }
}

}  // namespace edgeline
