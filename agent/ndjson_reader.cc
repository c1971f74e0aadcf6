#include "agent/ndjson_reader.h"

#include <simdjson.h>

namespace edgeline {

struct NdjsonReader::Impl {
  std::istream* in;
  std::vector<std::string> keys;
  size_t max_line;
  simdjson::ondemand::parser parser;
  std::string line;
};

NdjsonReader::NdjsonReader(std::istream& in, std::vector<std::string> keys, size_t max_line_bytes)
    : impl_(new Impl) {
  impl_->in = &in;
  impl_->keys = std::move(keys);
  impl_->max_line = max_line_bytes;
}

NdjsonReader::~NdjsonReader() = default;

namespace {
using simdjson::ondemand::json_type;

bool IsBlank(const std::string& s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// Reads one line of at most `max` bytes into *out. Returns false at EOF with nothing
// read; sets *too_long (and discards the rest of the line) when the line is longer.
// Adds the bytes consumed, newline included, to *consumed.
bool ReadLine(std::istream& in, size_t max, std::string* out, bool* too_long, uint64_t* consumed) {
  out->clear();
  *too_long = false;
  std::streambuf* sb = in.rdbuf();
  bool any = false;
  for (int c = sb->sbumpc(); c != std::char_traits<char>::eof(); c = sb->sbumpc()) {
    any = true;
    ++*consumed;
    if (c == '\n') return true;
    if (out->size() >= max) {
      *too_long = true;
      continue;
    }
    out->push_back(static_cast<char>(c));
  }
  return any;
}

RawCell ToCell(simdjson::ondemand::value v) {
  RawCell cell;
  json_type t;
  if (v.type().get(t)) {
    cell.kind = RawCell::kOther;
    return cell;
  }
  switch (t) {
    case json_type::null:
      cell.kind = RawCell::kNull;
      break;
    case json_type::number: {
      std::string_view raw = v.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r')) {
        raw.remove_suffix(1);
      }
      cell.text = raw;
      if (v.get_double().get(cell.number)) {
        cell.kind = RawCell::kOther;
      } else {
        cell.kind = RawCell::kNumber;
      }
      break;
    }
    case json_type::string: {
      std::string_view s;
      if (v.get_string().get(s)) {
        cell.kind = RawCell::kOther;
      } else {
        cell.kind = RawCell::kText;
        cell.text = s;
      }
      break;
    }
    case json_type::boolean:
      cell.kind = v.get_bool().get(cell.boolean) ? RawCell::kOther : RawCell::kBool;
      break;
    default:
      cell.kind = RawCell::kOther;
  }
  return cell;
}
}  // namespace

std::string_view NdjsonReader::raw() const { return impl_->line; }

NdjsonReader::Outcome NdjsonReader::Next(std::vector<RawCell>* cells, std::string* reason) {
  Impl& d = *impl_;
  bool too_long = false;
  while (true) {
    if (!ReadLine(*d.in, d.max_line, &d.line, &too_long, &position_)) return Outcome::kEnd;
    ++line_;
    if (too_long) {
      *reason = "line_too_long";
      return Outcome::kError;
    }
    if (!IsBlank(d.line)) break;
  }
  cells->assign(d.keys.size(), RawCell{});
  d.line.reserve(d.line.size() + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::document doc;
  if (d.parser
          .iterate(simdjson::padded_string_view(d.line.data(), d.line.size(), d.line.capacity()))
          .get(doc)) {
    *reason = "json_malformed";
    return Outcome::kError;
  }
  json_type t;
  if (doc.type().get(t)) {
    *reason = "json_malformed";
    return Outcome::kError;
  }
  if (t != json_type::object) {
    *reason = "json_not_object";
    return Outcome::kError;
  }
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) {
    *reason = "json_malformed";
    return Outcome::kError;
  }
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) {
      *reason = "json_malformed";
      return Outcome::kError;
    }
    simdjson::ondemand::value v;
    if (field.value().get(v)) {
      *reason = "json_malformed";
      return Outcome::kError;
    }
    // Unwanted values are skipped by On-Demand; a structural error inside one still
    // surfaces as an iteration error on the next field or in at_end().
    for (size_t i = 0; i < d.keys.size(); ++i) {
      if (d.keys[i] == key) {
        (*cells)[i] = ToCell(v);
        break;
      }
    }
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    *reason = "json_malformed";
    return Outcome::kError;
  }
  return Outcome::kRow;
}

}  // namespace edgeline
