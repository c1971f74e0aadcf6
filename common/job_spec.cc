#include "common/job_spec.h"

#include <cstdio>

#include "common/job_schema_embed.h"
#include "common/json_schema.h"
#include "common/time_util.h"

namespace edgeline {

using nlohmann::ordered_json;

const nlohmann::json& JobSchema() {
  static const nlohmann::json schema = nlohmann::json::parse(kJobSchemaJson);
  return schema;
}

int JobSpec::FieldIndex(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

bool JobSpec::Targets(const std::string& agent_id,
                      const std::map<std::string, std::string>& labels) const {
  for (const auto& a : target_agents) {
    if (a == agent_id) return true;
  }
  if (target_labels.empty()) return false;
  for (const auto& [k, v] : target_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

std::string JobSpec::ExpandPath(const std::string& agent_id) const {
  std::string out = input_path;
  const std::string token = "{agent_id}";
  for (size_t pos = out.find(token); pos != std::string::npos;
       pos = out.find(token, pos + agent_id.size())) {
    out.replace(pos, token.size(), agent_id);
  }
  return out;
}

std::string JobSpec::SchemaHash() const {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;
    h *= 1099511628211ULL;
  };
  mix(ts_field);
  for (const auto& f : fields) {
    mix(f.name);
    mix(FieldTypeName(f.type));
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

namespace {

Status Err(const std::string& path, const std::string& msg) {
  return Status::Error("job spec " + path + ": " + msg);
}

bool IsNumericField(const JobSpec& spec, int idx) {
  return idx >= 0 && (spec.fields[idx].type == FieldType::kFloat ||
                      spec.fields[idx].type == FieldType::kInt);
}

// Resolves a field name used by an op; the timestamp field resolves to -1 when allowed.
Status ResolveField(const JobSpec& spec, const std::string& name, const std::string& path,
                    bool allow_ts, int* out) {
  if (allow_ts && !spec.ts_field.empty() && name == spec.ts_field) {
    *out = -1;
    return Status::Ok();
  }
  int idx = spec.FieldIndex(name);
  if (idx < 0) return Err(path, "unknown field \"" + name + "\" (not in schema.fields)");
  *out = idx;
  return Status::Ok();
}

bool ConvertibleUnits(const std::string& from, const std::string& to) {
  auto temp = [](const std::string& u) { return u == "degC" || u == "degF" || u == "K"; };
  return temp(from) && temp(to);
}

Status BuildClean(const ordered_json& clean, JobSpec* spec) {
  std::map<int, std::string> units;  // current unit per field, as ops convert it
  for (size_t i = 0; i < spec->fields.size(); ++i) units[i] = spec->fields[i].unit;
  for (size_t i = 0; i < clean.size(); ++i) {
    const auto& j = clean[i];
    const std::string path = "/clean/" + std::to_string(i);
    const std::string op = j.at("op").get<std::string>();
    CleanOp c;
    if (op == "drop_null") {
      c.kind = CleanOp::kDropNull;
      const auto& fs = j.at("fields");
      for (size_t k = 0; k < fs.size(); ++k) {
        int idx;
        Status s = ResolveField(*spec, fs[k].get<std::string>(),
                                path + "/fields/" + std::to_string(k), false, &idx);
        if (!s.ok()) return s;
        c.fields.push_back(idx);
      }
    } else if (op == "range") {
      c.kind = CleanOp::kRange;
      Status s = ResolveField(*spec, j.at("field").get<std::string>(), path + "/field", false,
                              &c.field);
      if (!s.ok()) return s;
      if (!IsNumericField(*spec, c.field)) return Err(path + "/field", "range needs a numeric field");
      if (j.contains("min")) c.min = j["min"].get<double>();
      if (j.contains("max")) c.max = j["max"].get<double>();
      if (c.min && c.max && *c.min > *c.max) return Err(path + "/min", "min is greater than max");
    } else if (op == "convert") {
      c.kind = CleanOp::kConvert;
      Status s = ResolveField(*spec, j.at("field").get<std::string>(), path + "/field", false,
                              &c.field);
      if (!s.ok()) return s;
      if (!IsNumericField(*spec, c.field) || spec->fields[c.field].type != FieldType::kFloat) {
        return Err(path + "/field", "convert needs a float field");
      }
      c.from_unit = units[c.field];
      c.to_unit = j.at("to").get<std::string>();
      if (c.from_unit.empty()) {
        return Err(path + "/field", "field \"" + spec->fields[c.field].name +
                                        "\" has no unit in schema.fields to convert from");
      }
      if (!ConvertibleUnits(c.from_unit, c.to_unit)) {
        return Err(path + "/to", "cannot convert " + c.from_unit + " to " + c.to_unit);
      }
      units[c.field] = c.to_unit;
    } else if (op == "dedup") {
      c.kind = CleanOp::kDedup;
      const auto& by = j.at("by");
      for (size_t k = 0; k < by.size(); ++k) {
        int idx;
        Status s = ResolveField(*spec, by[k].get<std::string>(), path + "/by/" + std::to_string(k),
                                true, &idx);
        if (!s.ok()) return s;
        c.fields.push_back(idx);
      }
      c.horizon_ms = *ParseDurationMs(j.value("horizon", std::string("10m")));
    }
    spec->clean.push_back(std::move(c));
  }
  return Status::Ok();
}

Status BuildAggregate(const ordered_json& agg, JobSpec* spec) {
  if (spec->ts_field.empty()) {
    return Err("/schema/timestamp", "is required when the job has an aggregate section");
  }
  spec->has_aggregate = true;
  const auto& window = agg.at("window");
  std::optional<int64_t> size = ParseDurationMs(window.at("size").get<std::string>());
  if (!size) return Err("/aggregate/window/size", "invalid duration");
  spec->window_ms = *size;
  spec->slide_ms = *size;
  if (window.contains("slide")) {
    std::optional<int64_t> slide = ParseDurationMs(window["slide"].get<std::string>());
    if (!slide || *slide > *size) {
      return Err("/aggregate/window/slide", "must be a duration no longer than the window size");
    }
    if (*size / *slide > 1000) {
      return Err("/aggregate/window/slide", "more than 1000 windows per record (size / slide)");
    }
    spec->slide_ms = *slide;
  }
  if (agg.contains("allowed_lateness")) {
    std::string text = agg["allowed_lateness"].get<std::string>();
    spec->allowed_lateness_ms = text == "0" ? 0 : ParseDurationMs(text).value_or(0);
  }
  spec->late_revise = agg.value("late_policy", std::string("drop")) == "revise";
  spec->sketch_alpha = agg.value("sketch_accuracy", spec->sketch_alpha);
  if (agg.contains("group_by")) {
    const auto& g = agg["group_by"];
    for (size_t k = 0; k < g.size(); ++k) {
      std::string name = g[k].get<std::string>();
      if (spec->FieldIndex(name) < 0) {
        return Err("/aggregate/group_by/" + std::to_string(k),
                   "unknown field \"" + name + "\" (not in schema.fields)");
      }
      spec->group_by.push_back(name);
    }
  }
  for (const auto& [name, list] : agg.at("metrics").items()) {
    int idx = spec->FieldIndex(name);
    if (!IsNumericField(*spec, idx)) {
      return Err("/aggregate/metrics/" + name, "metrics need a numeric field in schema.fields");
    }
    spec->metrics[name] = list.get<std::vector<std::string>>();
    for (const auto& m : spec->metrics[name]) {
      if (m.size() > 1 && m[0] == 'p') spec->quantiles[name].push_back(std::stod(m.substr(1)) / 100);
    }
  }
  return Status::Ok();
}

Status Build(const ordered_json& j, JobSpec* spec) {
  spec->job_id = j.at("job_id").get<std::string>();
  spec->version = j.at("version").get<int64_t>();
  const auto& target = j.at("target");
  if (target.contains("agents")) {
    spec->target_agents = target["agents"].get<std::vector<std::string>>();
  }
  if (target.contains("labels")) {
    for (const auto& [k, v] : target["labels"].items()) spec->target_labels[k] = v;
  }
  const auto& in = j.at("input");
  spec->mode = j.at("mode").get<std::string>();
  spec->input_type = in.at("type").get<std::string>();
  if ((spec->mode == "stream") != (spec->input_type == "tail")) {
    return Err("/mode", spec->mode == "stream"
                            ? "mode \"stream\" needs input.type \"tail\""
                            : "input.type \"" + spec->input_type + "\" needs mode \"stream\"" );
  }
  spec->poll_ms = in.value("poll_ms", spec->poll_ms);
  spec->input_path = in.value("path", std::string());
  spec->format = in.at("format").get<std::string>();
  if (in.contains("csv")) {
    spec->csv_delimiter = in["csv"].value("delimiter", std::string(","))[0];
  }
  if (spec->format != "csv" && in.contains("csv")) {
    return Err("/input/csv", "only allowed with format \"csv\"");
  }
  spec->max_line_bytes = in.value("max_line_bytes", spec->max_line_bytes);

  const auto& schema = j.at("schema");
  if (schema.contains("timestamp")) {
    const auto& ts = schema["timestamp"];
    spec->ts_field = ts.at("field").get<std::string>();
    std::string fmt = ts.at("format").get<std::string>();
    spec->ts_format = fmt == "iso8601"    ? TimestampFormat::kIso8601
                      : fmt == "epoch_s"  ? TimestampFormat::kEpochS
                      : fmt == "epoch_ms" ? TimestampFormat::kEpochMs
                                          : TimestampFormat::kEpochUs;
  }
  for (const auto& [name, f] : schema.at("fields").items()) {
    if (name == spec->ts_field) {
      return Err("/schema/fields/" + name,
                 "the timestamp field is declared in schema.timestamp, not in schema.fields");
    }
    FieldDef def;
    def.name = name;
    ParseFieldType(f.at("type").get<std::string>(), &def.type);
    def.required = f.value("required", false);
    def.unit = f.value("unit", std::string());
    if (!def.unit.empty() && def.type != FieldType::kFloat && def.type != FieldType::kInt) {
      return Err("/schema/fields/" + name + "/unit", "only numeric fields have a unit");
    }
    spec->fields.push_back(std::move(def));
  }
  if (schema.contains("keys")) {
    const auto& keys = schema["keys"];
    for (size_t k = 0; k < keys.size(); ++k) {
      std::string name = keys[k].get<std::string>();
      if (spec->FieldIndex(name) < 0) {
        return Err("/schema/keys/" + std::to_string(k),
                   "unknown field \"" + name + "\" (not in schema.fields)");
      }
      spec->keys.push_back(name);
    }
  }
  if (j.contains("clean")) {
    Status s = BuildClean(j["clean"], spec);
    if (!s.ok()) return s;
  }
  if (j.contains("output")) {
    const auto& out = j["output"];
    spec->batch_max_records = out.value("batch_max_records", spec->batch_max_records);
    spec->batch_max_ms = out.value("batch_max_ms", spec->batch_max_ms);
    spec->compress_zstd = out.value("compression", std::string("none")) == "zstd";
  }
  if (j.contains("aggregate")) {
    Status s = BuildAggregate(j["aggregate"], spec);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Result<JobSpec> ParseJobSpec(std::string_view text) {
  constexpr size_t kMaxSpecBytes = 256 * 1024;
  if (text.size() > kMaxSpecBytes) {
    return Status::Error("job spec: " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                         std::to_string(kMaxSpecBytes));
  }
  nlohmann::json plain = nlohmann::json::parse(text, nullptr, false);
  if (plain.is_discarded()) return Status::Error("job spec: not valid JSON");
  std::vector<SchemaError> errors = ValidateJson(JobSchema(), plain, 1);
  if (!errors.empty()) return Status::Error("job spec " + errors.front().ToString());
  JobSpec spec;
  try {
    ordered_json ordered = ordered_json::parse(text);
    Status s = Build(ordered, &spec);
    if (!s.ok()) return s;
  } catch (const std::exception& e) {
    // The schema admits only what Build reads, so this means the two disagree.
    return Status::Error(std::string("job spec: internal error: ") + e.what());
  }
  spec.raw = std::string(text);
  return spec;
}

}  // namespace edgeline
