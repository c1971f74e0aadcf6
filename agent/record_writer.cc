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

constexpr double kPow10[] = {1e0, 1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
                             1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17};

// Copies n bytes in whole 16-byte blocks: both src and dst must have room for n rounded up
// to a multiple of 16. Fixed-size moves, where a memcpy of a variable size is a call.
inline void CopyBlocks(char* dst, const char* src, size_t n) {
  for (size_t i = 0; i < n; i += 16) std::memcpy(dst + i, src + i, 16);
}

// Writes the digits of v (> 0) ending just before `end`; returns the first digit.
char* WriteDigitsBackwards(uint64_t v, char* end) {
  do {
    *--end = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return end;
}

// Writes d in fixed notation with the fewest fraction digits k that read back as d:
// m = round(|d| * 10^k) is exact below 2^53 and so is 10^k, so reading "m/10^k" gives the
// correctly rounded m / 10^k, which is what is checked. When no neighbour m +- 1 also
// reads back as d, m is the only k-digit candidate, so the text is the one a
// shortest-digits algorithm gives; for sensor values (a few digits) several times
// faster. Returns nullptr when |d| is outside [1e-3, 1e15) or needs too many digits.
char* WriteFixed(double d, char* p) {
  const double a = d < 0 ? -d : d;
  if (!(a >= 1e-3 && a < 1e15)) return nullptr;
  for (int k = 0; k < 18; ++k) {
    const double scaled = a * kPow10[k];
    if (scaled >= 9007199254740992.0) return nullptr;  // 2^53
    const auto m = static_cast<uint64_t>(scaled + 0.5);
    if (static_cast<double>(m) / kPow10[k] != a) continue;
    // Near full precision a neighbour may read back as d too; the shortest text is then
    // the one nearest to d, which needs exact arithmetic: leave it to std::to_chars.
    // Below 2^52 the step 10^-k exceeds d's ulp, so no neighbour can.
    if (m >= (uint64_t{1} << 52) && (static_cast<double>(m - 1) / kPow10[k] == a ||
                                     static_cast<double>(m + 1) / kPow10[k] == a)) {
      return nullptr;
    }
    if (d < 0) *p++ = '-';
    char digits[48];  // the digits end at digits + 24; CopyBlocks may read up to 15 more
    char* end = digits + 24;
    char* first = WriteDigitsBackwards(m, end);
    size_t n = static_cast<size_t>(end - first);
    if (n <= static_cast<size_t>(k)) {  // 0.0ddd: pad with zeros after the point
      *p++ = '0';
      *p++ = '.';
      for (size_t z = n; z < static_cast<size_t>(k); ++z) *p++ = '0';
      CopyBlocks(p, first, n);
      return p + n;
    }
    const size_t int_digits = n - static_cast<size_t>(k);
    CopyBlocks(p, first, int_digits);
    p += int_digits;
    *p++ = '.';
    if (k == 0) {
      *p++ = '0';  // a whole number stays recognisably a float
      return p;
    }
    CopyBlocks(p, first + int_digits, static_cast<size_t>(k));
    return p + k;
  }
  return nullptr;
}

// Writes d (finite) at p, which has room for 48 bytes (at most 26 are the number);
// returns the end.
char* WriteDouble(double d, char* p) {
  if (char* end = WriteFixed(d, p)) return end;
  const auto res = std::to_chars(p, p + 32, d);
  if (std::memchr(p, '.', res.ptr - p) == nullptr && std::memchr(p, 'e', res.ptr - p) == nullptr) {
    std::memcpy(res.ptr, ".0", 2);
    return res.ptr + 2;
  }
  return res.ptr;
}

char* WriteInt(int64_t i, char* p) { return std::to_chars(p, p + 24, i).ptr; }

}  // namespace

char* WriteJsonString(std::string_view s, char* out) {
  static const char kHex[] = "0123456789abcdef";
  *out++ = '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      *out++ = static_cast<char>(c);
      ++p;
      continue;
    }
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(p, end);
      if (n == 0) {
        std::memcpy(out, "\xEF\xBF\xBD", 3);  // U+FFFD for one invalid byte
        out += 3;
        ++p;
      } else {
        std::memcpy(out, p, n);
        out += n;
        p += n;
      }
      continue;
    }
    ++p;
    *out++ = '\\';
    switch (c) {
      case '"':
        *out++ = '"';
        break;
      case '\\':
        *out++ = '\\';
        break;
      case '\n':
        *out++ = 'n';
        break;
      case '\r':
        *out++ = 'r';
        break;
      case '\t':
        *out++ = 't';
        break;
      case '\b':
        *out++ = 'b';
        break;
      case '\f':
        *out++ = 'f';
        break;
      default:
        *out++ = 'u';
        *out++ = '0';
        *out++ = '0';
        *out++ = kHex[c >> 4];
        *out++ = kHex[c & 15];
    }
  }
  *out++ = '"';
  return out;
}

void AppendJsonString(std::string_view s, std::string* out) {
  const size_t used = out->size();
  out->resize(used + 6 * s.size() + 2);  // \u00XX is the longest form of a byte
  char* end = WriteJsonString(s, out->data() + used);
  out->resize(static_cast<size_t>(end - out->data()));
}

NdjsonRecordWriter::NdjsonRecordWriter(const JobSpec& spec) {
  // Each key as "\"name\":", padded with zeros to whole 16-byte blocks: CopyBlocks
  // copies it with fixed-size moves instead of a memcpy call per key.
  auto key = [](const std::string& name) {
    std::string k;
    AppendJsonString(name, &k);
    k.push_back(':');
    Key out{std::string(k.size() + 16 - k.size() % 16, '\0'), k.size()};
    std::memcpy(out.padded.data(), k.data(), k.size());
    return out;
  };
  if (!spec.ts_field.empty()) ts_key_ = key(spec.ts_field);
  // {, }, \n, the timestamp, and 16 for CopyBlocks writing past the end of a number.
  fixed_bytes_ = 3 + ts_key_.padded.size() + 32 + 16;
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    const bool emitted = i >= spec.emitted.size() || spec.emitted[i];  // select, drop, redact
    keys_.push_back(
        emitted ? key(i < spec.out_names.size() ? spec.out_names[i] : spec.fields[i].name) : Key{});
    fixed_bytes_ += 1 + keys_.back().padded.size() + 32;  // a comma, the key, a number
  }
}

size_t NdjsonRecordWriter::MaxBytes(const Record& r) const {
  size_t n = fixed_bytes_;
  for (const Value& v : r.values) {
    if (const auto* s = std::get_if<std::string>(&v)) n += 6 * s->size() + 2;
  }
  return n;
}

char* NdjsonRecordWriter::Write(const Record& r, char* p) const {
  char sep = '{';
  if (ts_key_.size != 0) {
    *p++ = sep;
    sep = ',';
    CopyBlocks(p, ts_key_.padded.data(), ts_key_.size);
    p = WriteInt(r.ts_ms, p + ts_key_.size);
  }
  for (size_t i = 0; i < keys_.size(); ++i) {
    const Key& k = keys_[i];
    if (k.size == 0) continue;
    *p++ = sep;
    sep = ',';
    CopyBlocks(p, k.padded.data(), k.size);
    p += k.size;
    const Value& v = r.values[i];
    switch (v.index()) {
      case 1:
        p = WriteDouble(std::get<double>(v), p);
        break;
      case 2:
        p = WriteInt(std::get<int64_t>(v), p);
        break;
      case 3:
        p = WriteJsonString(std::get<std::string>(v), p);
        break;
      case 4: {
        const bool b = std::get<bool>(v);
        std::memcpy(p, b ? "true" : "false", b ? 4 : 5);
        p += b ? 4 : 5;
        break;
      }
      default:
        std::memcpy(p, "null", 4);
        p += 4;
    }
  }
  if (sep == '{') *p++ = '{';
  *p++ = '}';
  *p++ = '\n';
  return p;
}

void NdjsonRecordWriter::Append(const Record& r, std::string* out) const {
  const size_t used = out->size();
  out->resize(used + MaxBytes(r));
  char* end = Write(r, out->data() + used);
  out->resize(static_cast<size_t>(end - out->data()));
}

}  // namespace edgeline
