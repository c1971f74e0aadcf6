#include "agent/record_writer.h"

#include <charconv>
#include <cstring>

namespace edgeline {

namespace {

// Length of the valid UTF-8 sequence starting at p (< end), or 0 if it is invalid
// (overlong forms, surrogates and code points over U+10FFFF are invalid).
size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = p[0];
  auto cont = [&](size_t i) { return p + i < end && (p[i] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1) && p[1] >= 0xA0 && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1) && p[1] <= 0x9F && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1) && p[1] >= 0x90 && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1) && p[1] <= 0x8F && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

void AppendDouble(double d, std::string* out) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof(buf), d);
  out->append(buf, res.ptr);
  if (std::memchr(buf, '.', res.ptr - buf) == nullptr &&
      std::memchr(buf, 'e', res.ptr - buf) == nullptr) {
    out->append(".0");
  }
}

void AppendInt(int64_t i, std::string* out) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof(buf), i);
  out->append(buf, res.ptr);
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // The run of bytes that need no escaping is copied at once.
    const auto* run = p;
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') ++p;
    out->append(reinterpret_cast<const char*>(run), p - run);
    if (p == end) break;
    const unsigned char c = *p;
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(p, end);
      if (n == 0) {
        out->append("\xEF\xBF\xBD");  // U+FFFD for one invalid byte
        ++p;
      } else {
        out->append(reinterpret_cast<const char*>(p), n);
        p += n;
      }
      continue;
    }
    ++p;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default: {
        const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, sizeof(esc));
      }
    }
  }
  out->push_back('"');
}

NdjsonRecordWriter::NdjsonRecordWriter(const JobSpec& spec) : spec_(spec) {
  auto key = [](const std::string& name) {
    std::string k;
    AppendJsonString(name, &k);
    k.push_back(':');
    return k;
  };
  if (!spec.ts_field.empty()) ts_key_ = key(spec.ts_field);
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    const bool emitted = i >= spec.emitted.size() || spec.emitted[i];  // select, drop, redact
    keys_.push_back(emitted
                        ? key(i < spec.out_names.size() ? spec.out_names[i] : spec.fields[i].name)
                        : std::string());
  }
}

void NdjsonRecordWriter::Append(const Record& r, std::string* out) const {
  char sep = '{';
  if (!ts_key_.empty()) {
    out->push_back(sep);
    sep = ',';
    out->append(ts_key_);
    AppendInt(r.ts_ms, out);
  }
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].empty()) continue;
    out->push_back(sep);
    sep = ',';
    out->append(keys_[i]);
    const Value& v = r.values[i];
    switch (v.index()) {
      case 1:
        AppendDouble(std::get<double>(v), out);
        break;
      case 2:
        AppendInt(std::get<int64_t>(v), out);
        break;
      case 3:
        AppendJsonString(std::get<std::string>(v), out);
        break;
      case 4:
        out->append(std::get<bool>(v) ? "true" : "false");
        break;
      default:
        out->append("null");
    }
  }
  if (sep == '{') out->push_back('{');
  out->append("}\n");
}

}  // namespace edgeline
