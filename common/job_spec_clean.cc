// The clean section of a job spec (docs/job-spec.md#clean-ops): checks what the JSON
// Schema cannot (fields exist, units convert, types fit each op) and resolves the ops into
// JobSpec::clean, out_names and emitted. Part of ParseJobSpec (common/job_spec.cc).
#include <algorithm>
#include <cmath>
#include <set>

#include "common/job_spec_clean_internal.h"
#include "common/time_util.h"

namespace edgeline {
namespace job_spec_internal {

using nlohmann::ordered_json;

namespace {

// The unit families `convert` converts within (agent/clean_convert.cc has the factors).
int UnitFamily(const std::string& u) {
  static const char* const kFamilies[][8] = {{"degC", "degF", "K"},
                                             {"Pa", "hPa", "kPa", "bar", "psi", "mmHg", "inHg"},
                                             {"m", "cm", "mm", "km", "in", "ft", "mi"},
                                             {"m/s", "km/h", "mph", "kn"}};
  for (int f = 0; f < 4; ++f) {
    for (const char* name : kFamilies[f]) {
      if (name && u == name) return f;
    }
  }
  return -1;
}

bool ConvertibleUnits(const std::string& from, const std::string& to) {
  return UnitFamily(from) >= 0 && UnitFamily(from) == UnitFamily(to);
}

}  // namespace

bool CleanBuilder::Lookup(const std::string& name, bool allow_ts, int* out,
                          std::string* why) const {
  if (!spec_->ts_field.empty() && name == spec_->ts_field) {
    if (allow_ts) {
      *out = -1;
      return true;
    }
    *why = "\"" + name + "\" is the timestamp field; this op takes schema fields only";
    return false;
  }
  for (size_t i = 0; i < st_.size(); ++i) {
    if (st_[i].emitted && st_[i].name == name) {
      *out = static_cast<int>(i);
      return true;
    }
  }
  for (size_t i = 0; i < st_.size(); ++i) {
    if (!st_[i].emitted && st_[i].name == name) {
      *why = "field \"" + name + "\" was removed by " + st_[i].removed_by;
      return false;
    }
  }
  for (size_t i = 0; i < st_.size(); ++i) {
    if (spec_->fields[i].name == name && !st_[i].renamed_by.empty()) {
      *why =
          "field \"" + name + "\" was renamed to \"" + st_[i].name + "\" by " + st_[i].renamed_by;
      return false;
    }
  }
  *why = "unknown field \"" + name + "\" (not in schema.fields)";
  return false;
}

Status CleanBuilder::Resolve(const ordered_json& j, const std::string& path, bool allow_ts,
                             int* out) const {
  std::string why;
  return Lookup(j.get<std::string>(), allow_ts, out, &why) ? Status::Ok() : Err(path, why);
}

Status CleanBuilder::ResolveList(const ordered_json& names, const std::string& path, bool allow_ts,
                                 std::vector<int>* out) const {
  for (size_t k = 0; k < names.size(); ++k) {
    int idx;
    Status s = Resolve(names[k], path + "/" + std::to_string(k), allow_ts, &idx);
    if (!s.ok()) return s;
    out->push_back(idx);
  }
  return Status::Ok();
}

Status CleanBuilder::ResolveTyped(const ordered_json& j, const std::string& path, bool want_float,
                                  const char* what, int* out) const {
  Status s = Resolve(j.at("field"), path + "/field", false, out);
  if (!s.ok()) return s;
  FieldType t = st_[*out].type;
  if (want_float ? t != FieldType::kFloat : !IsNum(t)) {
    return Err(path + "/field", std::string(what) + (want_float ? " needs a float field"
                                                                : " needs a numeric field"));
  }
  return Status::Ok();
}

Status CleanBuilder::ResolveBy(const ordered_json& j, const std::string& path, CleanOp* c) const {
  if (j.contains("max_keys")) c->max_keys = j["max_keys"].get<int64_t>();
  if (j.contains("by")) return ResolveList(j["by"], path + "/by", false, &c->by);
  for (const auto& k : spec_->keys) {  // the default key: schema.keys
    int idx = spec_->FieldIndex(k);
    if (idx >= 0) c->by.push_back(idx);
  }
  return Status::Ok();
}

Status CleanBuilder::RemoveField(int idx, const std::string& path) {
  st_[idx].emitted = false;
  st_[idx].removed_by = path;
  for (const auto& f : st_) {
    if (f.emitted) return Status::Ok();
  }
  return Err(path, "removes the last field; at least one field must be emitted");
}

Status CleanBuilder::Build(const ordered_json& clean) {
  for (size_t i = 0; i < clean.size(); ++i) {
    CleanOp c;
    Status s = BuildOne(clean[i], "/clean/" + std::to_string(i), &c);
    if (!s.ok()) return s;
    spec_->clean.push_back(std::move(c));
  }
  spec_->out_names.clear();
  spec_->emitted.clear();
  for (const auto& f : st_) {
    spec_->out_names.push_back(f.name);
    spec_->emitted.push_back(f.emitted);
  }
  return Status::Ok();
}

Status CleanBuilder::BuildOne(const ordered_json& j, const std::string& path, CleanOp* c) {
  const std::string op = j.at("op").get<std::string>();
  if (op == "drop_null") {
    c->kind = CleanOp::kDropNull;
    return ResolveList(j.at("fields"), path + "/fields", false, &c->fields);
  }
  if (op == "range") {
    c->kind = CleanOp::kRange;
    Status s = ResolveTyped(j, path, false, "range", &c->field);
    if (!s.ok()) return s;
    if (j.contains("min")) c->min = j["min"].get<double>();
    if (j.contains("max")) c->max = j["max"].get<double>();
    if (c->min && c->max && *c->min > *c->max) return Err(path + "/min", "min is greater than max");
    if (j.value("action", std::string("drop")) == "clamp") {
      c->action = CleanOp::kClamp;
      if (st_[c->field].type == FieldType::kInt) {
        for (const char* b : {"min", "max"}) {
          if (!j.contains(b)) continue;
          double d = j[b].get<double>();
          if (d != std::floor(d) || d < -9.2e18 || d > 9.2e18) {
            return Err(path + "/" + b, "clamping an int field needs integer bounds");
          }
        }
      }
    }
    return Status::Ok();
  }
  if (op == "convert") {
    c->kind = CleanOp::kConvert;
    Status s = ResolveTyped(j, path, true, "convert", &c->field);
    if (!s.ok()) return s;
    FieldState& f = st_[c->field];
    if (!j.contains("to")) {
      c->scale = j.value("scale", 1.0);
      c->offset = j.value("offset", 0.0);
      f.unit.clear();
      f.unit_cleared_by = path;
      return Status::Ok();
    }
    c->from_unit = f.unit;
    c->to_unit = j["to"].get<std::string>();
    if (c->from_unit.empty()) {
      return Err(path + "/field",
                 f.unit_cleared_by.empty()
                     ? "field \"" + f.name + "\" has no unit in schema.fields to convert from"
                     : "field \"" + f.name +
                           "\" has no unit to convert from after the scale/offset convert " +
                           f.unit_cleared_by);
    }
    if (!ConvertibleUnits(c->from_unit, c->to_unit)) {
      return Err(path + "/to", "cannot convert " + c->from_unit + " to " + c->to_unit);
    }
    f.unit = c->to_unit;
    return Status::Ok();
  }
  if (op == "dedup") {
    c->kind = CleanOp::kDedup;
    Status s = ResolveList(j.at("by"), path + "/by", true, &c->fields);
    if (!s.ok()) return s;
    c->horizon_ms = *ParseDurationMs(j.value("horizon", std::string("10m")));
    return Status::Ok();
  }
  if (op == "cast") {
    c->kind = CleanOp::kCast;
    Status s = Resolve(j.at("field"), path + "/field", false, &c->field);
    if (!s.ok()) return s;
    ParseFieldType(j.at("to").get<std::string>(), &c->to_type);
    c->null_on_error = j.value("on_error", std::string("reject")) == "null";
    FieldState& f = st_[c->field];
    f.type = c->to_type;
    if (!IsNum(f.type)) f.unit.clear();
    return Status::Ok();
  }
  if (op == "fill") {
    c->kind = CleanOp::kFill;
    Status s = ResolveList(j.at("fields"), path + "/fields", false, &c->fields);
    if (!s.ok()) return s;
    const std::string method = j.at("method").get<std::string>();
    c->method = method == "constant"   ? CleanOp::kConstant
                : method == "previous" ? CleanOp::kPrevious
                                       : CleanOp::kLinear;
    if (c->method == CleanOp::kConstant) {
      JsonLiteral(j.at("value"), &c->value);
      for (size_t k = 0; k < c->fields.size(); ++k) {
        const FieldState& f = st_[c->fields[k]];
        bool ok = f.type == FieldType::kFloat    ? IsNumeric(c->value)
                  : f.type == FieldType::kInt    ? std::holds_alternative<int64_t>(c->value)
                  : f.type == FieldType::kString ? std::holds_alternative<std::string>(c->value)
                                                 : std::holds_alternative<bool>(c->value);
        if (!ok) {
          return Err(path + "/value", std::string("must be ") +
                                          (f.type == FieldType::kFloat    ? "a number"
                                           : f.type == FieldType::kInt    ? "an integer"
                                           : f.type == FieldType::kString ? "a string"
                                                                          : "a boolean") +
                                          " to fill " + FieldTypeName(f.type) + " field \"" +
                                          f.name + "\"");
        }
      }
      return Status::Ok();  // an integer for a float field becomes a float when filled
    }
    c->drop_unfilled = j.value("unfilled", std::string("keep")) == "drop";
    if (c->method == CleanOp::kLinear) {
      c->max_gap = j.value("max_gap", c->max_gap);
      for (size_t k = 0; k < c->fields.size(); ++k) {
        if (st_[c->fields[k]].type != FieldType::kFloat) {
          return Err(path + "/fields/" + std::to_string(k), "linear fill needs a float field");
        }
      }
    }
    return ResolveBy(j, path, c);
  }
  if (op == "outlier") {
    c->kind = CleanOp::kOutlier;
    Status s = ResolveTyped(j, path, true, "outlier", &c->field);
    if (!s.ok()) return s;
    const std::string method = j.at("method").get<std::string>();
    c->method = method == "zscore" ? CleanOp::kZScore
                : method == "mad"  ? CleanOp::kMad
                                   : CleanOp::kHampel;
    c->window = j.value("window", c->window);
    c->threshold = j.value("threshold", c->threshold);
    c->min_samples = j.value("min_samples", std::min<int64_t>(5, c->window));
    if (c->min_samples > c->window) {
      return Err(path + "/min_samples",
                 "must not be greater than window (" + std::to_string(c->window) + ")");
    }
    const std::string action = j.value("action", std::string("drop"));
    c->action = action == "drop"   ? CleanOp::kDropRecord
                : action == "null" ? CleanOp::kNullValue
                                   : CleanOp::kClamp;
    return ResolveBy(j, path, c);
  }
  if (op == "rename") {
    c->kind = CleanOp::kRename;
    std::vector<std::string> keys;
    for (const auto& [from, to] : j.at("fields").items()) {
      int idx;
      Status s = Resolve(ordered_json(from), path + "/fields/" + from, false, &idx);
      if (!s.ok()) return s;
      c->renames.emplace_back(idx, to.get<std::string>());
      keys.push_back(from);
    }
    for (const auto& [idx, to] : c->renames) {
      st_[idx].name = to;
      st_[idx].renamed_by = path;
    }
    for (size_t k = 0; k < c->renames.size(); ++k) {
      const auto& [idx, to] = c->renames[k];
      if (to == spec_->ts_field) {
        return Err(path + "/fields/" + keys[k], "\"" + to + "\" is the timestamp field's name");
      }
      for (size_t i = 0; i < st_.size(); ++i) {
        if (static_cast<int>(i) != idx && st_[i].emitted && st_[i].name == to) {
          return Err(path + "/fields/" + keys[k],
                     "\"" + to + "\" is already the name of another field");
        }
      }
    }
    return Status::Ok();
  }
  if (op == "select" || op == "drop") {
    c->kind = op == "select" ? CleanOp::kSelect : CleanOp::kDrop;
    std::vector<int> listed;
    const auto& fs = j.at("fields");
    for (size_t k = 0; k < fs.size(); ++k) {
      int idx;
      Status s = Resolve(fs[k], path + "/fields/" + std::to_string(k), true, &idx);
      if (!s.ok()) return s;
      if (idx < 0 && c->kind == CleanOp::kDrop) {
        return Err(path + "/fields/" + std::to_string(k), "the timestamp field is always emitted");
      }
      if (idx >= 0) listed.push_back(idx);
    }
    for (size_t i = 0; i < st_.size(); ++i) {
      if (!st_[i].emitted) continue;
      bool in = std::find(listed.begin(), listed.end(), static_cast<int>(i)) != listed.end();
      if (in != (c->kind == CleanOp::kSelect)) c->fields.push_back(static_cast<int>(i));
    }
    for (int idx : c->fields) {
      Status s = RemoveField(idx, path);
      if (!s.ok()) return Err(path + "/fields", "no field would be left to emit");
    }
    return Status::Ok();
  }
  if (op == "redact") {
    c->kind = CleanOp::kRedact;
    Status s = ResolveList(j.at("fields"), path + "/fields", false, &c->fields);
    if (!s.ok()) return s;
    if (j.at("action").get<std::string>() == "hash") {
      c->action = CleanOp::kHash;
      c->key_env = j.at("key_env").get<std::string>();
      c->hash_length = j.value("length", c->hash_length);
      for (int idx : c->fields) {
        st_[idx].type = FieldType::kString;
        st_[idx].unit.clear();
      }
      return Status::Ok();
    }
    c->action = CleanOp::kNullValue;  // "drop": the values go, not the record
    for (int idx : c->fields) {
      s = RemoveField(idx, path);
      if (!s.ok()) return Err(path + "/fields", "no field would be left to emit");
    }
    return Status::Ok();
  }
  if (op == "filter") {
    c->kind = CleanOp::kFilter;
    const auto& w = j.at("where");
    if (w.is_string()) return ParseWhereText(w.get<std::string>(), path + "/where", &c->where);
    return ParseCond(w, path + "/where", 1, &c->where);
  }
  // round
  c->kind = CleanOp::kRound;
  Status s = ResolveTyped(j, path, true, "round", &c->field);
  if (!s.ok()) return s;
  c->digits = j.value("digits", 0);
  return Status::Ok();
}

Status BuildClean(const ordered_json& clean, JobSpec* spec) {
  return CleanBuilder(spec).Build(clean);
}

}  // namespace job_spec_internal
}  // namespace edgeline
