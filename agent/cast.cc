#include "agent/cast.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "agent/column_simd.h"
#include "common/time_util.h"

namespace edgeline {

namespace {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The number text after an optional '+': [-] digits [. digits] [(e|E) [+|-] digits], with
// at least one mantissa digit. Returns false for anything else.
//
// Most sensor values have few digits and a small exponent: then mantissa m < 2^53 and
// 10^|e| <= 10^22 are both exact doubles, so m * 10^e (or m / 10^-e) is one correctly
// rounded operation (Clinger's fast path) and *exact is set. Otherwise the caller parses
// the validated text with std::from_chars.
inline bool ScanDecimal(std::string_view t, double* fast, bool* exact) {
  const char* p = t.data();
  const char* end = p + t.size();
  const bool neg = p < end && *p == '-';
  p += neg;
  // Digits before and after the point go into m; more than 19 could overflow it, and
  // then (rare: such texts are not exact anyway) only the syntax is checked.
  uint64_t m = 0;
  const char* int_start = p;
  while (p < end && IsDigit(*p)) m = m * 10 + static_cast<uint64_t>(*p++ - '0');
  const char* int_end = p;
  const char* frac_start = p;
  if (p < end && *p == '.') {
    frac_start = ++p;
    while (p < end && IsDigit(*p)) m = m * 10 + static_cast<uint64_t>(*p++ - '0');
  }
  const auto int_digits = int_end - int_start;
  const auto frac = p - frac_start;
  if (int_digits + frac == 0) return false;
  int exp = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool eneg = false;
    if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
    if (p == end || !IsDigit(*p)) return false;
    for (; p < end && IsDigit(*p); ++p) {
      if (exp < 100000) exp = exp * 10 + (*p - '0');
    }
    if (eneg) exp = -exp;
  }
  if (p != end) return false;
  const auto e10 = exp - frac;
  *exact = int_digits + frac <= 19 && m <= (uint64_t{1} << 53) && e10 >= -22 && e10 <= 22;
  if (*exact) {
    const double d = static_cast<double>(m);
    *fast = e10 < 0 ? d / kPow10[-e10] : d * kPow10[e10];
    if (neg) *fast = -*fast;
  }
  return true;
}

// ParseStrictDouble, inlined into the casts of this file.
__attribute__((always_inline)) inline std::optional<double> StrictDouble(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  double v;
  if (kLittleEndian) {
    const bool neg = !text.empty() && text[0] == '-';
    const size_t n = text.size() - neg;
    if (n >= 4 && n <= 8 && ParseShortDecimal(text.data() + neg, n, &v)) return neg ? -v : v;
  }
  bool exact = false;
  if (!ScanDecimal(text, &v, &exact)) return std::nullopt;
  if (exact) return v;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

std::optional<double> ParseStrictDouble(std::string_view text) { return StrictDouble(text); }

namespace {

std::optional<int64_t> ParseStrictInt(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  int64_t v;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// A number from a numeric cell or numeric text.
__attribute__((always_inline)) inline std::optional<double> CellNumber(const RawCell& cell) {
  if (cell.kind == RawCell::kNumber) return cell.number;
  if (cell.kind == RawCell::kText) return StrictDouble(cell.text);
  return std::nullopt;
}

// Float text with a decimal comma (input.csv.decimal ","): "21,5" is 21.5. As with pandas'
// decimal=",", a '.' is then no decimal mark and there are no thousands separators, so
// "21.5", "1.234,5" and "1,2,3" are cast errors. The one ',' becomes '.' in a copy (on the
// stack for any sensible number) that ParseStrictDouble reads.
std::optional<double> ParseDecimalComma(std::string_view text) {
  const size_t comma = text.find(',');
  if (text.find('.') != std::string_view::npos ||
      (comma != std::string_view::npos && text.find(',', comma + 1) != std::string_view::npos)) {
    return std::nullopt;
  }
  if (comma == std::string_view::npos) return ParseStrictDouble(text);
  char small[64];
  std::string large;
  char* copy = small;
  if (text.size() > sizeof(small)) {
    large.resize(text.size());
    copy = large.data();
  }
  std::memcpy(copy, text.data(), text.size());
  copy[comma] = '.';
  return ParseStrictDouble(std::string_view(copy, text.size()));
}

bool IsNullCell(const RawCell& cell) {
  return cell.kind == RawCell::kMissing || cell.kind == RawCell::kNull ||
         (cell.kind == RawCell::kText && cell.text.empty());
}

// Copies n <= 16 bytes with at most four loads and stores (no call to memcpy).
__attribute__((always_inline)) inline void CopySmall(char* dst, const char* src, size_t n) {
  if (n >= 8) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

// Overwrites *s with `text` when both have the same length, not zero (a reused record's
// string: sensor ids mostly keep their length), and returns true; else false.
__attribute__((always_inline)) inline bool OverwriteSameLength(std::string* s,
                                                               std::string_view text) {
  const size_t n = text.size();
  if (s->size() != n || n == 0) return false;
  if (n <= 16) {
    CopySmall(s->data(), text.data(), n);
  } else {
    std::memcpy(s->data(), text.data(), n);
  }
  return true;
}

// Returns false on a cast error; *out is null for null cells. `decimal` is the decimal mark
// of float text ('.' or ',').
__attribute__((always_inline)) inline bool CastValue(const RawCell& cell, FieldType type,
                                                     Value* out, char decimal = '.') {
  if (type == FieldType::kString) {
    if (cell.kind == RawCell::kMissing || cell.kind == RawCell::kNull) {
      *out = std::monostate{};
      return true;
    }
    if (cell.kind != RawCell::kText) return false;
    if (auto* s = std::get_if<std::string>(out)) {
      // A reused record: the string's storage too.
      if (!OverwriteSameLength(s, cell.text)) s->assign(cell.text);
    } else {
      out->emplace<std::string>(cell.text);
    }
    return true;
  }
  if (IsNullCell(cell)) {
    *out = std::monostate{};
    return true;
  }
  switch (type) {
    case FieldType::kFloat: {
      auto d = decimal == ',' && cell.kind == RawCell::kText ? ParseDecimalComma(cell.text)
                                                             : CellNumber(cell);
      if (!d) return false;
      *out = *d;
      return true;
    }
    case FieldType::kInt: {
      std::string_view t = cell.text;  // for kNumber this is the JSON token
      if (cell.kind != RawCell::kNumber && cell.kind != RawCell::kText) return false;
      auto i = ParseStrictInt(t);
      if (!i) return false;
      *out = *i;
      return true;
    }
    case FieldType::kBool: {
      if (cell.kind == RawCell::kBool) {
        *out = cell.boolean;
        return true;
      }
      if (cell.kind != RawCell::kText) return false;
      std::string t;
      for (char c : cell.text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (t == "true" || t == "1")
        *out = true;
      else if (t == "false" || t == "0")
        *out = false;
      else
        return false;
      return true;
    }
    case FieldType::kString:
      break;
  }
  return false;
}

}  // namespace

TimestampResult CastTimestamp(const RawCell& cell, TimestampParser* parser) {
  const bool text = cell.kind == RawCell::kText || (cell.kind == RawCell::kNumber &&
                                                    parser->format() != TimestampFormat::kIso8601);
  if (!text) return {0, kBadTimestamp};
  return parser->Parse(cell.text);
}

std::string ValueText(const Value& v) {
  switch (v.index()) {
    case 1: {
      char buf[64];
      auto res = std::to_chars(buf, buf + sizeof(buf), std::get<double>(v));
      return std::string(buf, res.ptr);
    }
    case 2:
      return std::to_string(std::get<int64_t>(v));
    case 3:
      return std::get<std::string>(v);
    case 4:
      return std::get<bool>(v) ? "true" : "false";
    default:
      return "";
  }
}

bool RecastValue(const Value& in, FieldType to, Value* out) {
  if (IsNull(in)) {
    *out = std::monostate{};
    return true;
  }
  if (to == FieldType::kString) {
    *out = ValueText(in);
    return true;
  }
  if (const auto* s = std::get_if<std::string>(&in)) {
    if (s->empty()) {
      *out = std::monostate{};
      return true;
    }
    RawCell cell;
    cell.kind = RawCell::kText;
    cell.text = *s;
    return CastValue(cell, to, out);
  }
  // A number or a bool, seen as a number.
  const bool is_int = std::holds_alternative<int64_t>(in);
  const bool is_bool = std::holds_alternative<bool>(in);
  const double d = is_bool ? (std::get<bool>(in) ? 1.0 : 0.0) : AsDouble(in);
  switch (to) {
    case FieldType::kFloat:
      *out = d;
      return true;
    case FieldType::kInt:
      if (is_int) {
        *out = in;
      } else if (is_bool) {
        *out = static_cast<int64_t>(d);
      } else {
        // Whole values within int64 only (2^63 itself is out of range).
        if (d != std::floor(d) || !(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
          return false;
        }
        *out = static_cast<int64_t>(d);
      }
      return true;
    case FieldType::kBool:
      if (is_bool) {
        *out = in;
        return true;
      }
      if (is_int ? std::get<int64_t>(in) == 0 : d == 0)
        *out = false;
      else if (is_int ? std::get<int64_t>(in) == 1 : d == 1)
        *out = true;
      else
        return false;
      return true;
    case FieldType::kString:
      break;
  }
  return false;
}

namespace {

// CastFieldColumn for one type: the type's cast inlined into the loop over the rows.
// One schema field's cast: nullptr, or the reject reason ("cast_error", or
// "missing_required" for a null required field).
__attribute__((always_inline)) inline const char* CastField(const RawCell& cell, FieldType type,
                                                            bool required, char decimal,
                                                            Value* out) {
  if (!CastValue(cell, type, out, decimal)) return "cast_error";
  if (required && IsNull(*out)) return "missing_required";
  return nullptr;
}

// The commonest cells of a scanned CSV string column, cast without building a RawCell:
// unescaped text going into a reused record's string of the same length. Returns false for
// any other cell, which the caller casts in full (CastField gives the same result for the
// cells taken here).
__attribute__((always_inline)) inline bool CastCommonString(const char* buf, const CsvFieldSpan& f,
                                                            Value* out) {
  std::string* v = std::get_if<std::string>(out);
  return v != nullptr && !f.escaped &&
         OverwriteSameLength(v, std::string_view(buf + f.offset, f.length));
}

// CastField for cell k, out of line: the loop below keeps its registers for the common
// cells.
template <FieldType kType>
__attribute__((noinline)) const char* CastCell(const CsvColumnCells& cells, size_t k, bool required,
                                               char decimal, Value* out) {
  return CastField(cells[k], kType, required, decimal, out);
}

template <FieldType kType>
void CastColumnAs(const CsvColumnCells& cells, size_t n, size_t field, bool required, char decimal,
                  Record* records, const char** reasons) {
  const CsvColumnCells c = cells;  // a local copy: stores into records cannot change it
  const bool common = c.mode == CsvColumnCells::kScanned && c.fields != nullptr;
  const char* const buf = c.buf;
  const CsvFieldSpan* const fields = common ? c.fields + c.col : nullptr;
  const uint32_t* const first_field = c.first_field;
  for (size_t k = 0; k < n; ++k) {
    Value* out = &records[k].values[field];
    if constexpr (kType == FieldType::kString) {
      if (common && CastCommonString(buf, fields[first_field[k]], out)) continue;
    }
    const char* reason = CastCell<kType>(c, k, required, decimal, out);
    if (reason != nullptr && reasons[k] == nullptr) reasons[k] = reason;
  }
}

// A float column of scanned cells (CsvColumnCells::kScanned, decimal '.'): its cells and
// the schema field they are cast to.
struct FloatColumn {
  const CsvColumnCells* cells;
  size_t field;
  bool required;
};

bool IsFloatColumn(const JobSpec& spec, size_t field, const CsvColumnCells& cells) {
  return kLittleEndian && spec.fields[field].type == FieldType::kFloat && spec.csv_decimal == '.' &&
         cells.mode == CsvColumnCells::kScanned && cells.fields != nullptr;
}

// CastColumnAs for kCols float columns side by side (their cells come from the same scanned
// rows): the short decimals among the cells (4 to 8 bytes that ParseShortDecimals takes,
// "21.37", "-3.25") of a run of rows parsed together, with SIMD across cells; the others
// cast one by one in full. Row by row, the columns in order: each row keeps the reason of
// its first column that fails, as one column after the other would.
template <size_t kCols>
void CastFloatColumns(const FloatColumn* columns, size_t n, Record* records, const char** reasons) {
  constexpr size_t kRows = 64;
  constexpr size_t kCells = kRows * kCols;
  constexpr uint64_t kNotDecimal = 0x2E2E2E2E;  // "....": not a short decimal
  uint64_t words[kCells];
  uint64_t lengths[kCells];
  uint64_t ok[kCells];
  double values[kCells];
  const CsvColumnCells& c = *columns[0].cells;
  const char* const buf = c.buf;
  const size_t readable = c.readable;
  const CsvFieldSpan* const fields = c.fields;
  size_t col[kCols];
  size_t field[kCols];
  for (size_t j = 0; j < kCols; ++j) {
    col[j] = columns[j].cells->col;
    field[j] = columns[j].field;
  }
  for (size_t base = 0; base < n; base += kRows) {
    const size_t m = std::min(kRows, n - base);
    const uint32_t* const first_field = c.first_field + base;
    // Each cell's eight bytes in one load where they may be read (the bytes after the text
    // are ignored), else only the text's. The rows' fields come in order: when the last
    // row's fields may all be read so, every one may.
    auto gather = [&](bool whole) {
      for (size_t k = 0; k < m; ++k) {
        const CsvFieldSpan* const row = fields + first_field[k];
        for (size_t j = 0; j < kCols; ++j) {
          const CsvFieldSpan& f = row[col[j]];
          const uint32_t len = f.length;
          const size_t i = k * kCols + j;
          // (An escaped field holds "" pairs: no short decimal, ParseShortDecimals says so.)
          if (len - 4 <= 4) {
            const char* p = buf + f.offset;
            words[i] = whole || f.offset + 8 <= readable ? Load8(p) : ShortDecimalWord(p, len);
            lengths[i] = len;
          } else {
            words[i] = kNotDecimal;
            lengths[i] = 4;
          }
        }
      }
    };
    const CsvFieldSpan* const last_row = fields + first_field[m - 1];
    uint32_t last_offset = 0;
    for (size_t j = 0; j < kCols; ++j) last_offset = std::max(last_offset, last_row[col[j]].offset);
    if (last_offset + size_t{8} <= readable) {
      gather(true);
    } else {
      gather(false);
    }
    ParseShortDecimals(words, lengths, m * kCols, values, ok);
    for (size_t k = 0; k < m; ++k) {
      Value* const row = records[base + k].values.data();
      for (size_t j = 0; j < kCols; ++j) {
        const size_t i = k * kCols + j;
        Value* out = row + field[j];
        if (ok[i] != 0) {
          if (double* d = std::get_if<double>(out)) {
            *d = values[i];
          } else {
            *out = values[i];
          }
          continue;
        }
        const char* reason =
            CastCell<FieldType::kFloat>(*columns[j].cells, base + k, columns[j].required, '.', out);
        if (reason != nullptr && reasons[base + k] == nullptr) reasons[base + k] = reason;
      }
    }
  }
}

void CastFieldColumn(const JobSpec& spec, size_t field, const CsvColumnCells& cells, size_t n,
                     Record* records, const char** reasons) {
  const bool required = spec.fields[field].required;
  const char decimal = spec.csv_decimal;
  switch (spec.fields[field].type) {
    case FieldType::kFloat:
      return CastColumnAs<FieldType::kFloat>(cells, n, field, required, decimal, records, reasons);
    case FieldType::kInt:
      return CastColumnAs<FieldType::kInt>(cells, n, field, required, decimal, records, reasons);
    case FieldType::kString:
      return CastColumnAs<FieldType::kString>(cells, n, field, required, decimal, records, reasons);
    case FieldType::kBool:
      return CastColumnAs<FieldType::kBool>(cells, n, field, required, decimal, records, reasons);
  }
}

}  // namespace

void CastTimestampColumn(const CsvColumnCells& cells, size_t n, TimestampParser* ts,
                         Record* records, const char** reasons) {
  const CsvColumnCells c = cells;
  auto cast_one = [&](size_t k) {
    const TimestampResult t = CastTimestamp(c[k], ts);
    records[k].ts_ms = t.ms;
    if (!t.ok() && reasons[k] == nullptr) reasons[k] = t.reject;
  };
  if (!kLittleEndian || c.mode != CsvColumnCells::kScanned || c.fields == nullptr ||
      ts->format() != TimestampFormat::kIso8601) {
    for (size_t k = 0; k < n; ++k) cast_one(k);
    return;
  }
  // ISO 8601 texts of the parser's current minute ("YYYY-MM-DDTHH:MM:SS.mmmZ") are read
  // together (ParseIso8601UtcColumn); the others one by one in full. A full parse of
  // another minute moves the parser there: the cells after it are then read again.
  constexpr size_t kCells = 64;
  uint64_t a[kCells];
  uint64_t b[kCells];
  uint64_t x[kCells];
  uint64_t ok[kCells];
  int64_t ms[kCells];
  const CsvFieldSpan* const fields = c.fields + c.col;
  for (size_t base = 0; base < n; base += kCells) {
    const size_t m = std::min(kCells, n - base);
    for (size_t k = 0; k < m; ++k) {
      const CsvFieldSpan& f = fields[c.first_field[base + k]];
      const char* p = c.buf + f.offset;
      const bool whole = f.length == 24;  // (zero words never match a minute's text)
      a[k] = whole ? Load8(p) : 0;
      b[k] = whole ? Load8(p + 8) : 0;
      x[k] = whole ? Load8(p + 16) : 0;
    }
    for (size_t from = 0; from < m;) {
      const IsoDateCache minute = ts->iso_minute();
      if (minute.valid) {
        ParseIso8601UtcColumn(a + from, b + from, x + from, m - from, minute, ms + from, ok + from);
      } else {
        std::fill(ok + from, ok + m, 0);
      }
      size_t k = from;
      for (; k < m; ++k) {
        if (ok[k] != 0) {
          records[base + k].ts_ms = ms[k];
          continue;
        }
        cast_one(base + k);
        const IsoDateCache& now = ts->iso_minute();
        if (now.valid != minute.valid || now.minute_s != minute.minute_s ||
            std::memcmp(now.text, minute.text, sizeof(now.text)) != 0) {
          ++k;
          break;
        }
      }
      from = k;
    }
  }
}

void CastFieldColumns(const JobSpec& spec, const CsvColumnCells* cells, size_t n, Record* records,
                      const char** reasons) {
  constexpr size_t kMaxRun = 4;
  const size_t num = spec.fields.size();
  for (size_t i = 0; i < num;) {
    FloatColumn run[kMaxRun];
    size_t len = 0;
    for (; len < kMaxRun && i + len < num && IsFloatColumn(spec, i + len, cells[i + len]); ++len) {
      run[len] = FloatColumn{&cells[i + len], i + len, spec.fields[i + len].required};
    }
    switch (len) {
      case 0:
        CastFieldColumn(spec, i, cells[i], n, records, reasons);
        len = 1;
        break;
      case 1:
        CastFloatColumns<1>(run, n, records, reasons);
        break;
      case 2:
        CastFloatColumns<2>(run, n, records, reasons);
        break;
      case 3:
        CastFloatColumns<3>(run, n, records, reasons);
        break;
      default:
        CastFloatColumns<kMaxRun>(run, n, records, reasons);
    }
    i += len;
  }
}

const char* CastRecord(const JobSpec& spec, const std::vector<RawCell>& cells, TimestampParser* ts,
                       Record* out) {
  size_t base = 0;
  out->ts_ms = 0;
  if (!spec.ts_field.empty()) {
    const TimestampResult t = CastTimestamp(cells[0], ts);
    if (!t.ok()) return t.reject;
    out->ts_ms = t.ms;
    base = 1;
  }
  const size_t num = spec.fields.size();
  if (out->values.size() != num) out->values.resize(num);
  Value* const values = out->values.data();
  for (size_t i = 0; i < num; ++i) {
    const FieldDef& f = spec.fields[i];
    const RawCell& cell = cells[base + i];
    // The commonest cells of a reused record, as CastField casts them: a JSON number into
    // a float that held one, text into a string of the same length.
    if (f.type == FieldType::kFloat && cell.kind == RawCell::kNumber) {
      if (double* d = std::get_if<double>(&values[i])) {
        *d = cell.number;
        continue;
      }
    } else if (f.type == FieldType::kString && cell.kind == RawCell::kText) {
      std::string* s = std::get_if<std::string>(&values[i]);
      if (s != nullptr && OverwriteSameLength(s, cell.text)) continue;
    }
    if (const char* reason = CastField(cell, f.type, f.required, spec.csv_decimal, &values[i])) {
      return reason;
    }
  }
  return nullptr;
}

}  // namespace edgeline
