#include "common/job_spec.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

#include "common/job_schema_embed.h"
#include "common/job_spec_internal.h"
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

namespace {
std::string ExpandAgentId(std::string out, const std::string& agent_id) {
  const std::string token = "{agent_id}";
  for (size_t pos = out.find(token); pos != std::string::npos;
       pos = out.find(token, pos + agent_id.size())) {
    out.replace(pos, token.size(), agent_id);
  }
  return out;
}
}  // namespace

std::string JobSpec::ExpandPath(const std::string& agent_id) const {
  return ExpandAgentId(input_path, agent_id);
}

std::vector<std::string> JobSpec::ExpandTopics(const std::string& agent_id) const {
  std::vector<std::string> out;
  for (const auto& t : mqtt_topics) out.push_back(ExpandAgentId(t, agent_id));
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

std::vector<FieldDef> JobSpec::OutputFields() const {
  std::vector<FieldDef> all = fields;
  for (const CleanOp& op : clean) {
    if (op.kind == CleanOp::kCast) {
      all[op.field].type = op.to_type;
      if (op.to_type != FieldType::kFloat && op.to_type != FieldType::kInt)
        all[op.field].unit.clear();
    } else if (op.kind == CleanOp::kConvert) {
      all[op.field].unit = op.to_unit;
    } else if (op.kind == CleanOp::kRedact && op.action == CleanOp::kHash) {
      for (int idx : op.fields) {
        all[idx].type = FieldType::kString;
        all[idx].unit.clear();
      }
    }
  }
  std::vector<FieldDef> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i < emitted.size() && !emitted[i]) continue;
    if (i < out_names.size()) all[i].name = out_names[i];
    out.push_back(std::move(all[i]));
  }
  return out;
}

std::vector<Record> JobSpec::OutputRecords(std::vector<Record> records) const {
  if (std::find(emitted.begin(), emitted.end(), false) == emitted.end()) return records;
  for (Record& r : records) {
    size_t n = 0;
    for (size_t i = 0; i < r.values.size(); ++i) {
      if (i < emitted.size() && !emitted[i]) continue;
      if (n != i) r.values[n] = std::move(r.values[i]);
      ++n;
    }
    r.values.resize(n);
  }
  return records;
}

namespace {

using job_spec_internal::BuildClean;
using job_spec_internal::Err;

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
    if ((*size + *slide - 1) / *slide > 1000) {
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
  spec->aggregate_at_edge = agg.value("at", std::string("cloud")) == "edge";
  // group_by and metrics name the fields as the batches carry them: after the clean ops
  // (rename, select, drop, redact, cast).
  const std::vector<FieldDef> out = spec->OutputFields();
  auto find = [&out](const std::string& name) -> const FieldDef* {
    for (const auto& f : out) {
      if (f.name == name) return &f;
    }
    return nullptr;
  };
  auto unknown = [spec](const std::string& name) {
    if (spec->FieldIndex(name) >= 0) {
      return "field \"" + name + "\" is renamed or removed by the clean ops; use its output name";
    }
    return "unknown field \"" + name + "\" (not in schema.fields)";
  };
  if (agg.contains("group_by")) {
    const auto& g = agg["group_by"];
    for (size_t k = 0; k < g.size(); ++k) {
      std::string name = g[k].get<std::string>();
      if (!find(name)) {
        return Err("/aggregate/group_by/" + std::to_string(k), unknown(name));
      }
      spec->group_by.push_back(name);
    }
  }
  for (const auto& [name, list] : agg.at("metrics").items()) {
    const FieldDef* f = find(name);
    if (!f && spec->FieldIndex(name) >= 0) return Err("/aggregate/metrics/" + name, unknown(name));
    if (!f || (f->type != FieldType::kFloat && f->type != FieldType::kInt)) {
      return Err("/aggregate/metrics/" + name, "metrics need a numeric field in schema.fields");
    }
    spec->metrics[name] = list.get<std::vector<std::string>>();
    for (const auto& m : spec->metrics[name]) {
      if (m.size() > 1 && m[0] == 'p')
        spec->quantiles[name].push_back(std::stod(m.substr(1)) / 100);
    }
  }
  return Status::Ok();
}

// input.type "mqtt": the subscription and what a JSON Schema cannot check. REQUIRES:
// spec->fields and spec->ts_field are built.
Status BuildMqttInput(const ordered_json& in, JobSpec* spec) {
  spec->mqtt_broker = in.value("broker", spec->mqtt_broker);
  spec->mqtt_topics = in.at("topics").get<std::vector<std::string>>();
  spec->mqtt_qos = in.value("qos", spec->mqtt_qos);
  spec->mqtt_username = in.value("username", std::string());
  spec->mqtt_password_env = in.value("password_env", std::string());
  spec->mqtt_max_queued = in.value("max_queued_messages", spec->mqtt_max_queued);
  spec->csv_header = false;  // a payload is rows only
  if (in.contains("topic_field")) {
    const std::string name = in["topic_field"].get<std::string>();
    spec->topic_field = spec->FieldIndex(name);
    if (spec->topic_field < 0) {
      return Err("/input/topic_field", "unknown field \"" + name + "\" (not in schema.fields)");
    }
    if (spec->fields[spec->topic_field].type != FieldType::kString) {
      return Err("/input/topic_field", "must name a string field");
    }
  }
  return Status::Ok();
}

// input.csv.columns are known when the spec is checked, unlike a file's header row: each
// must be unique (as pandas requires of its names), and the timestamp and every schema field
// (but an mqtt input's topic_field, filled from the topic) must be one of them, since a
// field without a column would be null in every row.
Status CheckCsvColumns(const JobSpec& spec) {
  const std::vector<std::string>& cols = spec.csv_columns;
  if (cols.empty()) return Status::Ok();
  std::set<std::string> seen;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (!seen.insert(cols[i]).second) {
      return Err("/input/csv/columns/" + std::to_string(i), "duplicate column \"" + cols[i] + "\"");
    }
  }
  auto has = [&](const std::string& name) {
    return std::find(cols.begin(), cols.end(), name) != cols.end();
  };
  if (!spec.ts_field.empty() && !has(spec.ts_field)) {
    return Err("/input/csv/columns", "no column \"" + spec.ts_field + "\" (the timestamp field)");
  }
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    const std::string& name = spec.fields[i].name;
    if (static_cast<int>(i) != spec.topic_field && !has(name)) {
      return Err("/input/csv/columns", "no column \"" + name + "\" (a field in schema.fields)");
    }
  }
  return Status::Ok();
}

// A value's `path` (the schema checked its syntax): JSON formats only.
Status JsonPath(const ordered_json& j, const std::string& pointer, const JobSpec& spec,
                std::string* out) {
  if (!j.contains("path")) return Status::Ok();
  if (spec.format == "csv") {
    return Err(
        pointer,
        "only allowed with format \"ndjson\" or \"json\" (CSV columns are named by the header)");
  }
  *out = j["path"].get<std::string>();
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
  const bool followed = spec->input_type == "tail" || spec->input_type == "mqtt";
  if ((spec->mode == "stream") != followed) {
    return Err("/mode", spec->mode == "stream"
                            ? "mode \"stream\" needs input.type \"tail\" or \"mqtt\""
                            : "input.type \"" + spec->input_type + "\" needs mode \"stream\"");
  }
  spec->poll_ms = in.value("poll_ms", spec->poll_ms);
  spec->input_path = in.value("path", std::string());
  spec->format = in.at("format").get<std::string>();
  if (in.contains("csv")) {
    const auto& csv = in["csv"];
    spec->csv_delimiter = csv.value("delimiter", std::string(","))[0];
    spec->csv_header = csv.value("header", true);
    spec->csv_columns = csv.value("columns", std::vector<std::string>());
    spec->csv_comment = csv.value("comment", std::string());
    spec->csv_decimal = csv.value("decimal", std::string("."))[0];
  }
  if (spec->format != "csv" && in.contains("csv")) {
    return Err("/input/csv", "only allowed with format \"csv\"");
  }
  if (spec->format == "json" && spec->input_type == "tail") {
    // A JSON array is complete only at its closing bracket: there is nothing to follow.
    return Err("/input/format",
               "format \"json\" (one JSON array) is read once; input.type "
               "\"tail\" needs \"ndjson\" or \"csv\"");
  }
  spec->max_line_bytes = in.value("max_line_bytes", spec->max_line_bytes);

  const auto& schema = j.at("schema");
  if (schema.contains("timestamp")) {
    const auto& ts = schema["timestamp"];
    spec->ts_field = ts.at("field").get<std::string>();
    std::string fmt = ts.at("format").get<std::string>();
    spec->ts.format = fmt == "iso8601"    ? TimestampFormat::kIso8601
                      : fmt == "epoch_s"  ? TimestampFormat::kEpochS
                      : fmt == "epoch_ms" ? TimestampFormat::kEpochMs
                      : fmt == "epoch_us" ? TimestampFormat::kEpochUs
                      : fmt == "epoch_ns" ? TimestampFormat::kEpochNs
                                          : TimestampFormat::kStrftime;
    if (ts.contains("pattern")) {
      spec->ts.pattern = ts["pattern"].get<std::string>();
      auto compiled = TimePattern::Compile(spec->ts.pattern);
      if (!compiled.ok()) return Err("/schema/timestamp/pattern", compiled.status().message());
    }
    spec->ts.timezone = ts.value("timezone", spec->ts.timezone);
    const std::string ambiguous = ts.value("ambiguous", std::string("earliest"));
    spec->ts.ambiguous = ambiguous == "latest"   ? AmbiguousPolicy::kLatest
                         : ambiguous == "reject" ? AmbiguousPolicy::kReject
                                                 : AmbiguousPolicy::kEarliest;
    spec->ts.nonexistent = ts.value("nonexistent", std::string("shift_forward")) == "reject"
                               ? NonexistentPolicy::kReject
                               : NonexistentPolicy::kShiftForward;
    Status s = JsonPath(ts, "/schema/timestamp/path", *spec, &spec->ts_path);
    if (!s.ok()) return s;
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
    spec->field_paths.emplace_back();
    Status s = JsonPath(f, "/schema/fields/" + name + "/path", *spec, &spec->field_paths.back());
    if (!s.ok()) return s;
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
  if (spec->input_type == "mqtt") {
    Status s = BuildMqttInput(in, spec);
    if (!s.ok()) return s;
  }
  if (Status s = CheckCsvColumns(*spec); !s.ok()) return s;
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
    return Status::Error("job spec: " + std::to_string(text.size()) +
                         " bytes exceeds the limit of " + std::to_string(kMaxSpecBytes));
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
