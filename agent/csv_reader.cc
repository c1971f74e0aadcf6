#include "agent/csv_reader.h"

#include <utility>

namespace edgeline {

CsvReader::CsvReader(std::istream& in, char delimiter, size_t max_line_bytes, std::string comment)
    : in_(in), delim_(delimiter), max_line_(max_line_bytes), comment_(std::move(comment)) {}

bool CsvReader::Fill() {
  if (eof_) return false;
  buf_.resize(64 * 1024);
  in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  buf_.resize(static_cast<size_t>(in_.gcount()));
  fetched_ += buf_.size();
  pos_ = 0;
  if (buf_.empty()) eof_ = true;
  return !buf_.empty();
}

// Makes buf_[pos_, pos_ + n) readable, keeping the unread bytes; false if the input ends
// before.
bool CsvReader::Ensure(size_t n) {
  while (buf_.size() - pos_ < n && !eof_) {
    buf_.erase(0, pos_);
    pos_ = 0;
    const size_t have = buf_.size();
    buf_.resize(have + 64 * 1024);
    in_.read(buf_.data() + have, static_cast<std::streamsize>(buf_.size() - have));
    buf_.resize(have + static_cast<size_t>(in_.gcount()));
    fetched_ += buf_.size() - have;
    if (buf_.size() == have) eof_ = true;
  }
  return buf_.size() - pos_ >= n;
}

int CsvReader::Peek() {
  if (pos_ >= buf_.size() && !Fill()) return -1;
  return static_cast<unsigned char>(buf_[pos_]);
}

int CsvReader::Get() {
  int c = Peek();
  if (c >= 0) ++pos_;
  if (c == '\n') ++line_;
  return c;
}

void CsvReader::SkipRestOfLine() {
  for (int c = Get(); c >= 0 && c != '\n'; c = Get()) {
  }
}

CsvReader::Outcome CsvReader::Next(std::vector<CsvField>* fields, std::string* reason) {
  if (!started_) {
    started_ = true;
    if (Peek() == 0xEF) {  // UTF-8 BOM
      std::string bom;
      for (int i = 0; i < 3 && Peek() >= 0; ++i) bom += static_cast<char>(Get());
      if (bom != "\xEF\xBB\xBF") {
        // Not a BOM after all: keep the bytes as the start of the first field.
        buf_.insert(pos_, bom);
      }
    }
  }
  // Skip blank lines and comment lines.
  while (true) {
    int c = Peek();
    if (c < 0) return Outcome::kEnd;
    if (!comment_.empty() && c == static_cast<unsigned char>(comment_[0]) &&
        Ensure(comment_.size()) && buf_.compare(pos_, comment_.size(), comment_) == 0) {
      SkipRestOfLine();
    } else if (c == '\n') {
      Get();
    } else if (c == '\r') {
      Get();
      if (Peek() == '\n') Get();
    } else {
      break;
    }
  }
  record_line_ = line_;
  fields->clear();
  fields->emplace_back();
  size_t bytes = 0;
  enum { kStart, kUnquoted, kQuoted, kAfterQuote } state = kStart;
  while (true) {
    int c = Get();
    if (c >= 0 && ++bytes > max_line_) {
      *reason = "line_too_long";
      if (state != kQuoted && c != '\n') SkipRestOfLine();
      // Inside quotes we cannot know where the record ends; resume at the next line.
      if (state == kQuoted) SkipRestOfLine();
      return Outcome::kError;
    }
    CsvField& f = fields->back();
    switch (state) {
      case kStart:
      case kUnquoted:
        if (c < 0 || c == '\n') return Outcome::kRow;
        if (c == '\r') {
          if (Peek() == '\n' || Peek() < 0) {
            if (Peek() == '\n') Get();
            return Outcome::kRow;
          }
          f.text += '\r';
          state = kUnquoted;
        } else if (c == delim_) {
          fields->emplace_back();
          state = kStart;
        } else if (c == '"' && state == kStart) {
          f.quoted = true;
          state = kQuoted;
        } else {
          f.text += static_cast<char>(c);
          state = kUnquoted;
        }
        break;
      case kQuoted:
        if (c < 0) {
          *reason = "csv_unterminated_quote";
          return Outcome::kError;
        }
        if (c == '"') {
          if (Peek() == '"') {
            Get();
            f.text += '"';
          } else {
            state = kAfterQuote;
          }
        } else {
          f.text += static_cast<char>(c);
        }
        break;
      case kAfterQuote:
        if (c < 0 || c == '\n') return Outcome::kRow;
        if (c == '\r' && (Peek() == '\n' || Peek() < 0)) {
          if (Peek() == '\n') Get();
          return Outcome::kRow;
        }
        if (c == delim_) {
          fields->emplace_back();
          state = kStart;
          break;
        }
        *reason = "csv_bad_quote";
        SkipRestOfLine();
        return Outcome::kError;
    }
  }
}

}  // namespace edgeline
