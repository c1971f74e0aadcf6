#include "agent/cast.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/time_util.h"

namespace edgeline {

std::optional<double> ParseStrictDouble(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  char c = text[0];
  if (!((c >= '0' && c <= '9') || c == '-' || c == '.')) return std::nullopt;
  for (char ch : text) {  // from_chars would accept "nan", "inf" and hex after '-'
    bool ok = (ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' ||
              ch == 'E';
    if (!ok) return std::nullopt;
  }
  double v;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

namespace {

std::optional<int64_t> ParseStrictInt(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  int64_t v;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// A number from a numeric cell or numeric text.
std::optional<double> CellNumber(const RawCell& cell) {
  if (cell.kind == RawCell::kNumber) return cell.number;
  if (cell.kind == RawCell::kText) return ParseStrictDouble(cell.text);
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

// Returns false on a cast error; *out is null for null cells. `decimal` is the decimal mark
// of float text ('.' or ',').
bool CastValue(const RawCell& cell, FieldType type, Value* out, char decimal = '.') {
  if (type == FieldType::kString) {
    if (cell.kind == RawCell::kMissing || cell.kind == RawCell::kNull) {
      *out = std::monostate{};
      return true;
    }
    if (cell.kind != RawCell::kText) return false;
    *out = std::string(cell.text);
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
      if (t == "true" || t == "1") *out = true;
      else if (t == "false" || t == "0") *out = false;
      else return false;
      return true;
    }
    case FieldType::kString:
      break;
  }
  return false;
}

}  // namespace

std::optional<int64_t> CastTimestamp(const RawCell& cell, TimestampFormat format) {
  if (format == TimestampFormat::kIso8601) {
    if (cell.kind != RawCell::kText) return std::nullopt;
    return ParseIso8601Ms(cell.text);
  }
  if (cell.kind != RawCell::kNumber && cell.kind != RawCell::kText) return std::nullopt;
  std::string_view text = cell.text;
  double scale = format == TimestampFormat::kEpochS    ? 1000.0
                 : format == TimestampFormat::kEpochMs ? 1.0
                                                       : 0.001;
  // Integers are converted exactly; decimals through double (sub-ms truncated).
  if (auto i = ParseStrictInt(text)) {
    if (format == TimestampFormat::kEpochS) {
      if (*i > std::numeric_limits<int64_t>::max() / 1000 ||
          *i < std::numeric_limits<int64_t>::min() / 1000) {
        return std::nullopt;
      }
      return *i * 1000;
    }
    if (format == TimestampFormat::kEpochMs) return *i;
    return *i >= 0 ? *i / 1000 : -((-*i + 999) / 1000);
  }
  auto d = ParseStrictDouble(text);
  if (!d) return std::nullopt;
  double ms = std::floor(*d * scale);
  if (!(ms > -9.2e18 && ms < 9.2e18)) return std::nullopt;
  return static_cast<int64_t>(ms);
}

std::string ValueText(const Value& v) {
  switch (v.index()) {
    case 1: {
      char buf[64];
      auto res = std::to_chars(buf, buf + sizeof(buf), std::get<double>(v));
      return std::string(buf, res.ptr);
    }
    case 2: return std::to_string(std::get<int64_t>(v));
    case 3: return std::get<std::string>(v);
    case 4: return std::get<bool>(v) ? "true" : "false";
    default: return "";
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
      if (is_int ? std::get<int64_t>(in) == 0 : d == 0) *out = false;
      else if (is_int ? std::get<int64_t>(in) == 1 : d == 1) *out = true;
      else return false;
      return true;
    case FieldType::kString:
      break;
  }
  return false;
}

const char* CastRecord(const JobSpec& spec, const std::vector<RawCell>& cells, Record* out) {
  size_t base = 0;
  out->ts_ms = 0;
  if (!spec.ts_field.empty()) {
    auto ts = CastTimestamp(cells[0], spec.ts_format);
    if (!ts) return "bad_timestamp";
    out->ts_ms = *ts;
    base = 1;
  }
  out->values.resize(spec.fields.size());
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    if (!CastValue(cells[base + i], spec.fields[i].type, &out->values[i], spec.csv_decimal)) {
      return "cast_error";
    }
    if (spec.fields[i].required && IsNull(out->values[i])) return "missing_required";
  }
  return nullptr;
}

}  // namespace edgeline
