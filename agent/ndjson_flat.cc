#include "agent/ndjson_flat.h"

#include <cstring>

#include "agent/json_fields.h"
#include "agent/short_decimal.h"

namespace edgeline {

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

inline uint64_t Load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

inline int FirstByte(uint64_t mask) { return __builtin_ctzll(mask) >> 3; }

// JSON's blanks inside a line (its LF ends the line).
inline bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
inline const char* SkipBlanks(const char* p) {
  while (IsBlank(*p)) ++p;
  return p;
}

// Whether `c` comes at p, after any blanks; moves p past it. Compact NDJSON has no blanks:
// the first compare decides.
inline bool Consume(const char*& p, char c) {
  if (*p != c) {
    if (!IsBlank(*p)) return false;
    p = SkipBlanks(p);
    if (*p != c) return false;
  }
  ++p;
  return true;
}

// The closing quote of the string whose text starts at p, or nullptr when a backslash, a
// control byte (an LF among them) or a non-ASCII byte comes first. Eight bytes at a time:
// the lowest flagged byte of each test is exact (a borrow only flags bytes above a true
// one), so the lowest of their union is the first such byte.
inline const char* StringEnd(const char* p) {
  for (;; p += 8) {
    const uint64_t w = Load64(p);
    const uint64_t q = w ^ (kOnes * '"');
    const uint64_t b = w ^ (kOnes * '\\');
    const uint64_t m = ((q - kOnes) & ~q) | ((b - kOnes) & ~b) | ((w - kOnes * 0x20) & ~w) | w;
    if (m & kHighBits) {
      p += FirstByte(m & kHighBits);
      return *p == '"' ? p : nullptr;
    }
  }
}

// The number of ASCII digits at p, eight bytes at a time; stops at the line's LF at the
// latest. A byte x = c ^ '0' is a digit when x < 10, i.e. when neither x nor x + 0x76 has
// its high bit set (a carry only comes from a lower byte that is already no digit).
inline size_t DigitRun(const char* p) {
  for (size_t n = 0;; n += 8) {
    const uint64_t x = Load64(p + n) ^ (kOnes * '0');
    const uint64_t no = ((x + kOnes * 0x76) | x) & kHighBits;
    if (no != 0) return n + static_cast<size_t>(FirstByte(no));
  }
}

// The end of a plain JSON number at p: -?(0|[1-9][0-9]*)(\.[0-9]+)?, at most 32 bytes
// (no exponent: such numbers go to NdjsonReader). nullptr for anything else. A number of
// up to 8 bytes after its sign is checked in one word: the second flagged byte after a
// '.' is exact too (a carry needs a byte >= 0x8a before it, itself flagged first).
inline const char* NumberEnd(const char* p) {
  const char* start = p;
  p += *p == '-';
  const uint64_t x = Load64(p) ^ (kOnes * '0');
  uint64_t no = ((x + kOnes * 0x76) | x) & kHighBits;
  size_t n = no != 0 ? static_cast<size_t>(FirstByte(no)) : DigitRun(p);
  if (n == 0 || (n > 1 && *p == '0')) return nullptr;
  if (p[n] == '.') {
    no &= no - 1;
    const size_t end = no != 0 ? static_cast<size_t>(FirstByte(no)) : n + 1 + DigitRun(p + n + 1);
    if (end == n + 1) return nullptr;
    n = end;
  }
  p += n;
  return p - start <= 32 ? p : nullptr;
}

inline bool IsLiteral(const char* p, const char* word, size_t n) {
  return std::memcmp(p, word, n) == 0;
}

}  // namespace

std::unique_ptr<NdjsonFlatReader> NdjsonFlatReader::Make(const std::vector<std::string>& pointers,
                                                         const std::vector<bool>& numbers,
                                                         size_t max_line_bytes) {
  if (!kLittleEndian || pointers.empty() || pointers.size() > 64 ||
      pointers.size() != numbers.size())
    return nullptr;
  std::unique_ptr<NdjsonFlatReader> r(new NdjsonFlatReader());
  r->max_line_ = max_line_bytes;
  r->all_keys_ = ~uint64_t{0} >> (64 - pointers.size());
  std::vector<std::string> tokens;
  for (size_t c = 0; c < pointers.size(); ++c) {
    tokens.clear();
    if (!ParseJsonPointer(pointers[c], &tokens) || tokens.size() != 1) return nullptr;
    const std::string& key = tokens[0];
    if (key.empty() || key.size() > 13) return nullptr;
    for (char ch : key) {
      if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\') return nullptr;
    }
    Key k{};
    k.quoted = KeyWords::Of('"' + key + "\":");
    k.text = KeyWords::Of(key + '"');
    k.key_len = static_cast<uint32_t>(key.size());
    k.numbers = numbers[c];
    for (const Key& other : r->keys_) {
      if (other.text == k.text) return nullptr;
    }
    r->keys_.push_back(k);
  }
  return r;
}

int NdjsonFlatReader::FindKey(const char* p, const char* q) const {
  const size_t len = static_cast<size_t>(q - p);
  for (size_t c = 0; c < keys_.size(); ++c) {
    const Key& k = keys_[c];
    if (k.key_len == len && k.text.MatchesAt(p)) return static_cast<int>(c);
  }
  return -1;
}

const char* NdjsonFlatReader::ParseObject(const char* p, CsvFieldSpan* fields,
                                          const char* data) const {
  const size_t num_keys = keys_.size();
  uint64_t seen = 0;
  size_t hint = 0;  // the column after the last one found: the likely next key
  CsvFieldSpan unwanted;
  ++p;  // the '{'
  if (!Consume(p, '}')) {
    while (true) {
      // The key: first the hinted one, compared with its quotes and the colon in two
      // words.
      size_t col;
      const Key* k = hint < num_keys ? &keys_[hint] : nullptr;
      if (k != nullptr && k->quoted.MatchesAt(p)) {
        col = hint;
        p += k->key_len + 3;  // "key":
      } else {
        if (*p++ != '"') return nullptr;
        const char* q = StringEnd(p);
        if (q == nullptr) return nullptr;
        const int found = FindKey(p, q);
        col = found < 0 ? num_keys : static_cast<size_t>(found);
        p = q + 1;
        if (!Consume(p, ':')) return nullptr;
      }
      if (IsBlank(*p)) p = SkipBlanks(p);
      CsvFieldSpan* span = &unwanted;
      if (col < num_keys) {
        const uint64_t bit = uint64_t{1} << col;
        if (seen & bit) return nullptr;
        seen |= bit;
        span = &fields[col];
        hint = col + 1;
      }
      // The value.
      const char c = *p;
      span->offset = static_cast<uint32_t>(p - data);
      span->escaped = false;
      if (c == '"') {
        const char* q = StringEnd(p + 1);
        if (q == nullptr) return nullptr;
        span->offset += 1;
        span->length = static_cast<uint32_t>(q - p - 1);
        span->quoted = true;
        p = q + 1;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        const char* q = NumberEnd(p);
        if (q == nullptr || (col < num_keys && !keys_[col].numbers)) return nullptr;
        span->length = static_cast<uint32_t>(q - p);
        span->quoted = false;
        p = q;
      } else if (c == 'n' && IsLiteral(p, "null", 4)) {
        span->length = 0;  // an empty unquoted field: null, as a missing key
        span->quoted = false;
        p += 4;
      } else if (col == num_keys && c == 't' && IsLiteral(p, "true", 4)) {
        p += 4;
      } else if (col == num_keys && c == 'f' && IsLiteral(p, "false", 5)) {
        p += 5;
      } else {
        return nullptr;  // an object, an array, a wanted true or false, or not JSON
      }
      if (Consume(p, ',')) {
        if (IsBlank(*p)) p = SkipBlanks(p);
        continue;
      }
      if (!Consume(p, '}')) return nullptr;
      break;
    }
  }
  // Missing keys: empty unquoted fields, as nulls.
  if (seen != all_keys_) {
    for (size_t k = 0; k < num_keys; ++k) {
      if (!(seen >> k & 1))
        fields[k] = CsvFieldSpan{static_cast<uint32_t>(p - data), 0, false, false};
    }
  }
  if (IsBlank(*p)) p = SkipBlanks(p);
  return *p == '\n' ? p : nullptr;
}

size_t NdjsonFlatReader::Read(const char* data, size_t len, size_t pos, size_t max_records,
                              CsvRecords* out) const {
  out->Clear();
  // Only lines that end in a LF: every step of the parse stops at the first LF it meets,
  // so it never reads past the last one (beyond that, only whole-word loads into the
  // padding).
  const void* last_lf = pos < len ? memrchr(data + pos, '\n', len - pos) : nullptr;
  if (last_lf == nullptr) return pos;
  const size_t limit = static_cast<size_t>(static_cast<const char*>(last_lf) - data) + 1;
  const size_t num_keys = keys_.size();
  if (out->fields_.size() < max_records * num_keys) out->fields_.resize(max_records * num_keys);
  if (out->records_.size() < max_records) out->records_.resize(max_records);
  CsvFieldSpan* const fields = out->fields_.data();
  CsvRecordSpan* const records = out->records_.data();
  size_t n = 0;
  while (pos < limit && n < max_records) {
    const char* p = SkipBlanks(data + pos);
    if (*p == '\n') {  // a blank line
      pos = static_cast<size_t>(p - data) + 1;
      continue;
    }
    if (*p != '{') break;
    const char* lf = ParseObject(p, fields + n * num_keys, data);
    if (lf == nullptr || static_cast<size_t>(lf - data) - pos > max_line_) break;
    const size_t end = static_cast<size_t>(lf - data) + 1;
    records[n] = CsvRecordSpan{static_cast<uint32_t>(pos), static_cast<uint32_t>(end - pos),
                               static_cast<uint32_t>(n * num_keys), static_cast<uint32_t>(num_keys),
                               CsvError::kNone};
    ++n;
    pos = end;
  }
  out->num_records_ = n;
  out->num_fields_ = n * num_keys;
  return pos;
}

}  // namespace edgeline
