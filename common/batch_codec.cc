#include "common/batch_codec.h"

#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>
#include <limits>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "common/topics.h"

namespace edgeline {

int Batch::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Batch MakeBatch(const std::vector<FieldDef>& fields, const std::string& ts_field,
                const std::vector<Record>& records) {
  Batch b;
  b.ts_field = ts_field;
  b.header.count = static_cast<int64_t>(records.size());
  if (!records.empty()) {
    b.header.first_ts = std::numeric_limits<int64_t>::max();
    b.header.last_ts = std::numeric_limits<int64_t>::min();
  }
  if (!ts_field.empty()) b.ts.reserve(records.size());
  for (const auto& f : fields) {
    Column c;
    c.name = f.name;
    c.type = f.type;
    c.values.reserve(records.size());
    b.columns.push_back(std::move(c));
  }
  for (const auto& r : records) {
    if (!ts_field.empty()) b.ts.push_back(r.ts_ms);
    b.header.first_ts = std::min(b.header.first_ts, r.ts_ms);
    b.header.last_ts = std::max(b.header.last_ts, r.ts_ms);
    for (size_t i = 0; i < fields.size(); ++i) b.columns[i].values.push_back(r.values[i]);
  }
  return b;
}

namespace {

nlohmann::ordered_json ValueToJson(const Value& v) {
  switch (v.index()) {
    case 1: return std::get<double>(v);
    case 2: return std::get<int64_t>(v);
    case 3: return std::get<std::string>(v);
    case 4: return std::get<bool>(v);
    default: return nullptr;
  }
}

constexpr unsigned char kZstdMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};

bool IsZstd(std::string_view p) {
  return p.size() >= 4 && std::equal(kZstdMagic, kZstdMagic + 4,
                                     reinterpret_cast<const unsigned char*>(p.data()));
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += kB64[(v >> k) & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// nullopt for anything that is not canonical padded base64.
std::optional<std::string> Unbase64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < in.size(); i += 4) {
    uint32_t v = 0;
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in[i + k];
      const char* p = c ? std::strchr(kB64, c) : nullptr;
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        ++pad;
        v <<= 6;
        continue;
      }
      if (!p || pad) return std::nullopt;
      v = (v << 6) | static_cast<uint32_t>(p - kB64);
    }
    out += static_cast<char>((v >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(v & 0xff);
  }
  return out;
}

std::string Compress(const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
  if (ZSTD_isError(n)) return text;  // cannot happen with a bound-sized buffer
  out.resize(n);
  return out;
}

Status Bad(const std::string& what) { return Status::Error("invalid batch: " + what); }

using simdjson::ondemand::json_type;

// Reads one value of `type` into *out (null is allowed for every type); the error says
// what was wrong, without the "invalid batch" prefix.
Status ReadValue(simdjson::ondemand::value v, FieldType type, Value* out) {
  json_type jt;
  if (v.type().get(jt)) return Status::Error("unreadable value");
  if (jt == json_type::null) {
    *out = std::monostate{};
    return Status::Ok();
  }
  switch (type) {
    case FieldType::kFloat: {
      double d;
      if (jt != json_type::number || v.get_double().get(d)) return Status::Error("float column holds a non-number");
      *out = d;
      return Status::Ok();
    }
    case FieldType::kInt: {
      int64_t i;
      if (jt != json_type::number || v.get_int64().get(i)) return Status::Error("int column holds a non-integer");
      *out = i;
      return Status::Ok();
    }
    case FieldType::kString: {
      std::string_view s;
      if (jt != json_type::string || v.get_string().get(s)) return Status::Error("string column holds a non-string");
      *out = std::string(s);
      return Status::Ok();
    }
    case FieldType::kBool: {
      bool b;
      if (jt != json_type::boolean || v.get_bool().get(b)) return Status::Error("bool column holds a non-boolean");
      *out = b;
      return Status::Ok();
    }
  }
  return Status::Error("unknown column type");
}

Status ReadColumn(simdjson::ondemand::object obj, const DecodeLimits& limits, Column* col) {
  bool has_name = false, has_type = false, has_values = false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return Bad("unreadable column key");
    if (key == "name") {
      std::string_view s;
      if (field.value().get_string().get(s)) return Bad("column name is not a string");
      col->name = std::string(s);
      has_name = true;
    } else if (key == "type") {
      std::string_view s;
      if (field.value().get_string().get(s) || !ParseFieldType(std::string(s), &col->type)) {
        return Bad("column type is not one of float, int, string, bool");
      }
      has_type = true;
    } else if (key == "values") {
      // "type" precedes "values" in what EncodeBatch writes; require that order so
      // each value is checked as it is read.
      if (!has_type) return Bad("column \"type\" must precede \"values\"");
      simdjson::ondemand::array arr;
      if (field.value().get_array().get(arr)) return Bad("column values is not an array");
      for (auto elem : arr) {
        simdjson::ondemand::value v;
        if (elem.get(v)) return Bad("unreadable column value");
        if (static_cast<int64_t>(col->values.size()) >= limits.max_records) {
          return Bad("too many values");
        }
        Value out;
        Status s = ReadValue(v, col->type, &out);
        if (!s.ok()) return Bad("column \"" + col->name + "\": " + s.message());
        col->values.push_back(std::move(out));
      }
      has_values = true;
    }
  }
  if (!has_name || !has_type || !has_values) return Bad("column lacks name, type or values");
  return Status::Ok();
}

Status ReadDouble(simdjson::ondemand::value v, const char* what, double* out) {
  if (v.get_double().get(*out) || !std::isfinite(*out)) {
    return Status::Error(std::string(what) + " is not a finite number");
  }
  return Status::Ok();
}

// One partial window state; errors without the "invalid batch" prefix.
Status ReadPartial(simdjson::ondemand::object obj, WindowRow* r) {
  std::set<std::string_view> seen;
  Stats& st = r->state.stats;
  for (auto field : obj) {
    std::string_view key;
    simdjson::ondemand::value v;
    if (field.unescaped_key().get(key) || field.value().get(v)) {
      return Status::Error("unreadable partial");
    }
    Status s;
    if (key == "start") s = v.get_int64().get(r->key.start) ? Status::Error("start is not an integer") : Status::Ok();
    else if (key == "key") {
      std::string_view t;
      if (v.get_string().get(t)) s = Status::Error("key is not a string");
      r->key.group = std::string(t);
    } else if (key == "field") {
      std::string_view t;
      if (v.get_string().get(t)) s = Status::Error("field is not a string");
      r->key.field = std::string(t);
    } else if (key == "count") s = v.get_int64().get(st.count) ? Status::Error("count is not an integer") : Status::Ok();
    else if (key == "sum") s = ReadDouble(v, "sum", &st.sum);
    else if (key == "min") s = ReadDouble(v, "min", &st.min);
    else if (key == "max") s = ReadDouble(v, "max", &st.max);
    else if (key == "mean") s = ReadDouble(v, "mean", &st.mean);
    else if (key == "m2") s = ReadDouble(v, "m2", &st.m2);
    else if (key == "first_ts") s = v.get_int64().get(r->state.first_ts) ? Status::Error("first_ts is not an integer") : Status::Ok();
    else if (key == "first") s = ReadDouble(v, "first", &r->state.first);
    else if (key == "last_ts") s = v.get_int64().get(r->state.last_ts) ? Status::Error("last_ts is not an integer") : Status::Ok();
    else if (key == "last") s = ReadDouble(v, "last", &r->state.last);
    else if (key == "sketch") {
      bool is_null = false;
      if (!v.is_null().get(is_null) && is_null) continue;
      std::string_view t;
      if (v.get_string().get(t)) return Status::Error("sketch is not a string");
      auto bytes = Unbase64(t);
      if (!bytes) return Status::Error("sketch is not base64");
      r->state.sketch = DDSketch::Deserialize(*bytes);
      if (!r->state.sketch) return Status::Error("sketch does not decode");
      continue;
    } else {
      continue;  // newer fields are skipped
    }
    if (!s.ok()) return s;
    if (!seen.insert(key).second) return Status::Error("partial repeats \"" + std::string(key) + "\"");
  }
  if (seen.size() < 13) return Status::Error("partial lacks some of start, key, field, count, sum, min, max, mean, m2, first_ts, first, last_ts, last");
  if (st.count < 1 || st.min > st.max || st.m2 < -1e-6 * (1 + std::abs(st.mean)) ||
      r->state.first_ts > r->state.last_ts) {
    return Status::Error("partial state is inconsistent");
  }
  if (r->state.sketch && r->state.sketch->count() != st.count) {
    return Status::Error("partial sketch count differs from count");
  }
  return Status::Ok();
}

Status ReadInt(simdjson::ondemand::value v, const char* what, int64_t* out) {
  if (v.get_int64().get(*out)) return Bad(std::string(what) + " is not an integer");
  return Status::Ok();
}

Status ReadString(simdjson::ondemand::value v, const char* what, std::string* out) {
  std::string_view s;
  if (v.get_string().get(s)) return Bad(std::string(what) + " is not a string");
  *out = std::string(s);
  return Status::Ok();
}

Status DecodeJson(const simdjson::padded_string& json, const DecodeLimits& limits, Batch* b) {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (auto err = parser.iterate(json).get(doc)) {
    return Bad(std::string("not JSON (") + simdjson::error_message(err) + ")");
  }
  simdjson::ondemand::object root;
  if (auto err = doc.get_object().get(root)) {
    if (err == simdjson::INCORRECT_TYPE) return Bad("not a JSON object");
    if (err == simdjson::TRAILING_CONTENT) return Bad("trailing content after the JSON object");
    return Bad(std::string("not JSON (") + simdjson::error_message(err) + ")");
  }
  bool has_version = false, has_ts = false;
  BatchHeader& h = b->header;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return Bad("unreadable key");
    simdjson::ondemand::value v;
    if (field.value().get(v)) return Bad("unreadable value for \"" + std::string(key) + "\"");
    Status s;
    int64_t n = 0;
    if (key == "edgeline_batch") {
      s = ReadInt(v, "edgeline_batch", &n);
      if (s.ok() && n != kBatchFormatVersion) {
        return Bad("unsupported format version " + std::to_string(n));
      }
      h.format_version = static_cast<int>(n);
      has_version = true;
    } else if (key == "agent_id") {
      s = ReadString(v, "agent_id", &h.agent_id);
    } else if (key == "job_id") {
      s = ReadString(v, "job_id", &h.job_id);
    } else if (key == "job_version") {
      s = ReadInt(v, "job_version", &h.job_version);
    } else if (key == "epoch") {
      s = ReadInt(v, "epoch", &h.epoch);
    } else if (key == "seq") {
      s = ReadInt(v, "seq", &h.seq);
    } else if (key == "count") {
      s = ReadInt(v, "count", &h.count);
    } else if (key == "first_ts") {
      s = ReadInt(v, "first_ts", &h.first_ts);
    } else if (key == "last_ts") {
      s = ReadInt(v, "last_ts", &h.last_ts);
    } else if (key == "published_ms") {
      s = ReadInt(v, "published_ms", &h.published_ms);
    } else if (key == "schema_hash") {
      s = ReadString(v, "schema_hash", &h.schema_hash);
    } else if (key == "kind") {
      std::string_view t;
      if (v.get_string().get(t) || (t != "records" && t != "partials")) {
        return Bad("kind is not \"records\" or \"partials\"");
      }
      b->is_partials = t == "partials";
    } else if (key == "partials") {
      simdjson::ondemand::array arr;
      if (v.get_array().get(arr)) return Bad("partials is not an array");
      for (auto elem : arr) {
        simdjson::ondemand::object obj;
        if (elem.get_object().get(obj)) return Bad("partial is not an object");
        if (static_cast<int64_t>(b->partials.size()) >= limits.max_records) {
          return Bad("too many partials");
        }
        WindowRow r;
        Status ps = ReadPartial(obj, &r);
        if (!ps.ok()) return Bad("partial " + std::to_string(b->partials.size()) + ": " + ps.message());
        b->partials.push_back(std::move(r));
      }
    } else if (key == "spool_floor") {
      s = ReadInt(v, "spool_floor", &h.spool_floor);
    } else if (key == "historical") {
      if (v.get_bool().get(h.historical)) s = Bad("historical is not a boolean");
    } else if (key == "ts_field") {
      s = ReadString(v, "ts_field", &b->ts_field);
    } else if (key == "ts") {
      simdjson::ondemand::array arr;
      if (v.get_array().get(arr)) return Bad("ts is not an array");
      for (auto elem : arr) {
        int64_t t;
        if (elem.get_int64().get(t)) return Bad("ts holds a non-integer");
        if (static_cast<int64_t>(b->ts.size()) >= limits.max_records) return Bad("too many records");
        b->ts.push_back(t);
      }
      has_ts = true;
    } else if (key == "columns") {
      simdjson::ondemand::array arr;
      if (v.get_array().get(arr)) return Bad("columns is not an array");
      for (auto elem : arr) {
        simdjson::ondemand::object obj;
        if (elem.get_object().get(obj)) return Bad("column is not an object");
        if (b->columns.size() >= limits.max_columns) return Bad("too many columns");
        Column col;
        Status cs = ReadColumn(obj, limits, &col);
        if (!cs.ok()) return cs;
        b->columns.push_back(std::move(col));
      }
    }
    // Unknown keys are skipped: newer agents may add header fields.
    if (!s.ok()) return s;
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return Bad("trailing content after the JSON object");
  if (!has_version) return Bad("missing edgeline_batch (format version)");
  if (!IsValidId(h.agent_id) || !IsValidId(h.job_id)) {
    return Bad("agent_id and job_id must be non-empty ids");
  }
  if (h.seq < 1 || h.epoch < 0 || h.count < 0) return Bad("seq must be >= 1, epoch and count >= 0");
  if (b->is_partials) {
    int64_t represented = 0;
    for (auto& p : b->partials) p.key.job_id = h.job_id;
    for (const auto& p : b->partials) represented = std::max(represented, p.state.stats.count);
    if (!b->columns.empty() || !b->ts.empty()) return Bad("a partials batch carries no records");
    if (represented > h.count) return Bad("a partial summarises more records than count");
    return Status::Ok();
  }
  if (!b->ts_field.empty() && (!has_ts || static_cast<int64_t>(b->ts.size()) != h.count)) {
    return Bad("ts has " + std::to_string(b->ts.size()) + " entries, count is " +
               std::to_string(h.count));
  }
  for (const auto& c : b->columns) {
    if (static_cast<int64_t>(c.values.size()) != h.count) {
      return Bad("column \"" + c.name + "\" has " + std::to_string(c.values.size()) +
                 " values, count is " + std::to_string(h.count));
    }
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeBatch(const Batch& batch, bool zstd) {
  const BatchHeader& h = batch.header;
  nlohmann::ordered_json j;
  j["edgeline_batch"] = kBatchFormatVersion;
  j["agent_id"] = h.agent_id;
  j["job_id"] = h.job_id;
  j["job_version"] = h.job_version;
  j["epoch"] = h.epoch;
  j["seq"] = h.seq;
  j["count"] = h.count;
  j["first_ts"] = h.first_ts;
  j["last_ts"] = h.last_ts;
  j["published_ms"] = h.published_ms;
  j["schema_hash"] = h.schema_hash;
  j["historical"] = h.historical;
  j["spool_floor"] = h.spool_floor;
  j["kind"] = batch.is_partials ? "partials" : "records";
  if (batch.is_partials) {
    nlohmann::ordered_json parts = nlohmann::ordered_json::array();
    for (const auto& p : batch.partials) {
      const Stats& st = p.state.stats;
      nlohmann::ordered_json o;
      o["start"] = p.key.start;
      o["key"] = p.key.group;
      o["field"] = p.key.field;
      o["count"] = st.count;
      o["sum"] = st.sum;
      o["min"] = st.min;
      o["max"] = st.max;
      o["mean"] = st.mean;
      o["m2"] = st.m2;
      o["first_ts"] = p.state.first_ts;
      o["first"] = p.state.first;
      o["last_ts"] = p.state.last_ts;
      o["last"] = p.state.last;
      if (p.state.sketch) o["sketch"] = Base64(p.state.sketch->Serialize());
      else o["sketch"] = nullptr;
      parts.push_back(std::move(o));
    }
    j["partials"] = std::move(parts);
    std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return zstd ? Compress(text) : text;
  }
  j["ts_field"] = batch.ts_field;
  j["ts"] = batch.ts;
  nlohmann::ordered_json cols = nlohmann::ordered_json::array();
  for (const auto& c : batch.columns) {
    nlohmann::ordered_json col;
    col["name"] = c.name;
    col["type"] = FieldTypeName(c.type);
    nlohmann::ordered_json values = nlohmann::ordered_json::array();
    for (const auto& v : c.values) values.push_back(ValueToJson(v));
    col["values"] = std::move(values);
    cols.push_back(std::move(col));
  }
  j["columns"] = std::move(cols);
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return zstd ? Compress(text) : text;
}

std::string MarkHistorical(std::string_view payload) {
  std::string text;
  bool zstd = IsZstd(payload);
  if (zstd) {
    unsigned long long size = ZSTD_getFrameContentSize(payload.data(), payload.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
      return std::string(payload);
    }
    text.resize(static_cast<size_t>(size));
    size_t n = ZSTD_decompress(text.data(), text.size(), payload.data(), payload.size());
    if (ZSTD_isError(n)) return std::string(payload);
  } else {
    text = std::string(payload);
  }
  // The key is written unescaped before any string value, so its first occurrence is the
  // header's; "true " keeps the length.
  static const std::string kFalse = "\"historical\":false";
  size_t pos = text.find(kFalse);
  if (pos != std::string::npos) text.replace(pos, kFalse.size(), "\"historical\":true ");
  return zstd ? Compress(text) : text;
}

Result<Batch> DecodeBatch(std::string_view payload, const DecodeLimits& limits) {
  if (payload.size() > limits.max_payload_bytes) {
    return Bad("payload of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
               std::to_string(limits.max_payload_bytes));
  }
  simdjson::padded_string json;
  if (IsZstd(payload)) {
    unsigned long long size = ZSTD_getFrameContentSize(payload.data(), payload.size());
    if (size == ZSTD_CONTENTSIZE_ERROR) return Bad("corrupt zstd frame");
    if (size == ZSTD_CONTENTSIZE_UNKNOWN) return Bad("zstd frame without content size");
    if (size > limits.max_decompressed_bytes) {
      return Bad("decompressed size " + std::to_string(size) + " exceeds the limit of " +
                 std::to_string(limits.max_decompressed_bytes));
    }
    json = simdjson::padded_string(static_cast<size_t>(size));
    size_t n = ZSTD_decompress(json.data(), static_cast<size_t>(size), payload.data(), payload.size());
    if (ZSTD_isError(n) || n != size) return Bad("corrupt zstd frame");
  } else {
    json = simdjson::padded_string(payload);
  }
  Batch b;
  Status s = DecodeJson(json, limits, &b);
  if (!s.ok()) return s;
  return b;
}

}  // namespace edgeline
