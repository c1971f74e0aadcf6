#include "agent/ndjson_reader.h"

#include <algorithm>
#include <cstring>

#include "agent/json_fields.h"

namespace edgeline {

namespace {
using simdjson::ondemand::json_type;

// iterate_many windows. On clean input windows of 8 KiB to 1 MiB ran equally fast
// (docs/benchmarks.md#ndjson-parse); a small maximum bounds what a bad line costs when
// it makes stage 1 reject a whole window, and keeps the parser's index in L2. Windows
// double after each one read through and restart small after a failure.
constexpr size_t kMaxWindow = 64 << 10;
constexpr size_t kMinWindow = 1 << 10;
// A stream that fails after fewer good lines than this makes the next lines be parsed
// alone, 1, 2, 4 ... up to kMaxAlone of them: input full of bad lines is then not
// indexed again and again.
constexpr size_t kMinGood = 8;
constexpr size_t kMaxAlone = 1024;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
}  // namespace

struct NdjsonReader::Impl {
  Impl(const std::vector<std::string>& pointers, size_t max, Mode m)
      : plan(pointers), max_line(max), mode(m) {
#ifdef SIMDJSON_THREADS_ENABLED
    batch_parser.threaded = false;  // one window per stream: no next batch to index ahead
#endif
  }

  // Positions the stream on the document of the line [ls, le) (LF at le) whose first
  // token is at `tok`, opening a window there if needed. False (the line is to be parsed
  // alone) when there is no stream or the stream's next document is not that line.
  bool Sync(size_t ls, size_t tok, size_t le);
  // Extracts the stream's current document, which Sync found at `tok`, if it is exactly
  // the line ending at `le`.
  bool Take(size_t tok, size_t le, std::vector<RawCell>* cells);
  // Closes the stream at the end of its window.
  void Done();
  // Closes the stream after it could not vouch for a line. `indexing`: simdjson's stage 1
  // rejected the whole window (a bad line somewhere in it).
  void Fail(bool indexing = false);

  JsonFieldPlan plan;
  size_t max_line;
  Mode mode;
  simdjson::ondemand::parser line_parser;
  simdjson::ondemand::parser batch_parser;
  simdjson::ondemand::document_stream stream;
  simdjson::ondemand::document_stream::iterator it;
  bool open = false;     // `stream` runs over data[win_begin, win_end)
  bool advance = false;  // the stream's current document belongs to a line already read
  size_t win_begin = 0;
  size_t win_end = 0;          // the window's last LF (left out: simdjson then reads a LF there)
  size_t window = kMaxWindow;  // size of the next window
  size_t good = 0;             // lines the open stream delivered
  size_t good_end = 0;         // the end of the last of them
  size_t penalty = 0;
  size_t alone = 0;     // lines still to parse alone before opening a stream
  size_t hunt_end = 0;  // after a window stage 1 rejected: parse alone up to its culprit
  const char* data = nullptr;
  size_t len = 0;
  size_t pos = 0;
};

bool NdjsonReader::Impl::Sync(size_t ls, size_t tok, size_t le) {
  if (open && tok >= win_end) Done();
  bool fresh = false;
  if (!open) {
    if (hunt_end > ls) return false;
    if (alone > 0) {
      --alone;
      return false;
    }
    // The window: whole lines from this one, up to `window` bytes (this line at least).
    const size_t span = std::min({std::max(window, le + 1 - ls), kMaxWindow, len - ls});
    const void* last = memrchr(data + ls, '\n', span);
    if (last == nullptr) return false;  // a line longer than any window
    win_begin = ls;
    win_end = static_cast<size_t>(static_cast<const char*>(last) - data);
    if (batch_parser.iterate_many(data + ls, win_end - ls, kMaxWindow).get(stream)) return false;
    it = stream.begin();
    open = fresh = true;
    advance = false;
    good = 0;
    good_end = ls;
  }
  if (advance) ++it;
  advance = true;
  if (!(it != stream.end())) {
    Fail();
    return false;
  }
  if ((*it).error()) {
    Fail(fresh);
    return false;
  }
  if (win_begin + it.current_index() != tok) {
    Fail();
    return false;
  }
  return true;
}

bool NdjsonReader::Impl::Take(size_t tok, size_t le, std::vector<RawCell>* cells) {
  simdjson::ondemand::document_reference doc = (*it).value_unsafe();
  // Sync checked that the document starts at `tok`: '{' is an object, as type() says.
  if (data[tok] != '{') {
    // Not an object: parsed alone (json_not_object or malformed). A document simdjson
    // cannot even type leaves the stream untrusted.
    json_type t;
    if (doc.type().get(t)) Fail();
    return false;
  }
  simdjson::ondemand::object object;
  if (doc.get_object().get(object) || !plan.Extract(object, data + le, cells)) {
    Fail();  // after an error the stream cannot be trusted to find the next document
    return false;
  }
  // The document must end on its line: nothing but blanks from the LF to the next token
  // (a document spanning lines puts the next line's first token before it).
  const char* next = nullptr;
  const simdjson::error_code e = doc.current_location().get(next);
  if (e == simdjson::OUT_OF_BOUNDS) {
    // The last document stage 1 indexed. In streaming mode stage 1 drops an incomplete
    // last document, and does not report what is wrong in it (invalid UTF-8 included),
    // so what follows this one on its line is unknown: the line is parsed alone.
    Done();
    return false;
  }
  const size_t end = static_cast<size_t>(next - data);
  bool one_line = e == simdjson::SUCCESS && end >= le;
  for (size_t i = le; one_line && i < end; ++i) {
    one_line = IsBlank(data[i]) || data[i] == '\n';
  }
  if (!one_line) {
    Fail();
    return false;
  }
  ++good;
  good_end = le;
  return true;
}

void NdjsonReader::Impl::Done() {
  open = false;
  window = std::min(window * 2, kMaxWindow);
  penalty = 0;
}

void NdjsonReader::Impl::Fail(bool indexing) {
  open = false;
  if (indexing) {
    // A line in the window is one stage 1 rejects (an unclosed string, invalid UTF-8).
    // Parsing alone until that line shows up (Next ends the hunt there) costs less than
    // indexing ever smaller windows to find it.
    hunt_end = win_end;
    window = kMinWindow;
    return;
  }
  // The next window about twice what this one delivered: a bad line every few lines
  // then does not cost a full window's indexing each time.
  window = std::clamp(2 * (good_end - win_begin), kMinWindow, kMaxWindow);
  if (good >= kMinGood) {
    penalty = 0;
  } else {
    penalty = penalty == 0 ? 1 : std::min(penalty * 2, kMaxAlone);
    alone = penalty;
  }
}

NdjsonReader::NdjsonReader(const std::vector<std::string>& pointers, size_t max_line_bytes,
                           Mode mode)
    : impl_(new Impl(pointers, max_line_bytes, mode)) {}

NdjsonReader::~NdjsonReader() = default;

void NdjsonReader::Reset(const char* data, size_t len) {
  Impl& d = *impl_;
  d.data = data;
  d.len = len;
  d.pos = 0;
  d.open = false;
  d.hunt_end = 0;
  position_ = 0;
  raw_ = {};
}

NdjsonReader::Outcome NdjsonReader::Next(std::vector<RawCell>* cells, std::string* reason) {
  Impl& d = *impl_;
  while (d.pos < d.len) {
    const size_t ls = d.pos;
    const char* nl = static_cast<const char*>(std::memchr(d.data + ls, '\n', d.len - ls));
    const size_t le = nl != nullptr ? static_cast<size_t>(nl - d.data) : d.len;
    d.pos = nl != nullptr ? le + 1 : d.len;
    ++line_;
    size_t tok = ls;
    while (tok < le && IsBlank(d.data[tok])) ++tok;
    if (tok == le) continue;
    position_ = d.pos;
    raw_ = std::string_view(d.data + ls, le - ls);
    // Only lines with their LF go into windows: the stream needs a LF after its last line.
    const bool streamed = d.mode == Mode::kBatched && nl != nullptr && d.Sync(ls, tok, le);
    if (le - ls > d.max_line) {
      raw_ = raw_.substr(0, d.max_line);
      *reason = "line_too_long";
      return Outcome::kError;
    }
    if (streamed && d.Take(tok, le, cells)) return Outcome::kRow;
    if (const char* r = ParseJsonRecord(d.line_parser, d.plan, d.data + ls, le - ls, cells)) {
      if (d.hunt_end > ls && std::strcmp(r, "json_malformed") == 0) d.hunt_end = 0;  // found
      *reason = r;
      return Outcome::kError;
    }
    return Outcome::kRow;
  }
  return Outcome::kEnd;
}

}  // namespace edgeline
