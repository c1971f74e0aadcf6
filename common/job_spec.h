// The job spec model (docs/job-spec.md). schemas/job.schema.json is the single
// definition of what a valid spec is: ParseJobSpec validates against it first, then
// checks what a JSON Schema cannot express (fields referenced by ops exist, units
// convert), then builds this model.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/record.h"
#include "common/status.h"

namespace edgeline {

enum class TimestampFormat { kIso8601, kEpochS, kEpochMs, kEpochUs };

struct CleanOp {
  enum Kind { kDropNull, kRange, kConvert, kDedup } kind = kDropNull;
  std::vector<int> fields;  // drop_null: fields; dedup: "by" fields (-1 = the timestamp)
  int field = -1;           // range, convert: field index
  std::optional<double> min, max;  // range
  std::string from_unit, to_unit;  // convert
  int64_t horizon_ms = 0;          // dedup
};

struct JobSpec {
  std::string job_id;
  int64_t version = 0;
  std::vector<std::string> target_agents;
  std::map<std::string, std::string> target_labels;

  std::string mode;        // "batch" | "stream"
  std::string input_type;  // "file" | "tail" | "stdin"
  int64_t poll_ms = 250;   // tail: how often files are checked for growth
  std::string input_path;  // may contain {agent_id}
  std::string format;      // "csv" | "ndjson"
  char csv_delimiter = ',';
  size_t max_line_bytes = 1 << 20;

  std::string ts_field;  // "" when the spec has no timestamp
  TimestampFormat ts_format = TimestampFormat::kIso8601;
  std::vector<FieldDef> fields;  // declared order
  std::vector<std::string> keys;

  std::vector<CleanOp> clean;

  size_t batch_max_records = 5000;
  int64_t batch_max_ms = 1000;
  bool compress_zstd = false;

  // aggregate (present when has_aggregate)
  bool has_aggregate = false;
  int64_t window_ms = 0;
  int64_t slide_ms = 0;              // == window_ms for tumbling windows
  int64_t allowed_lateness_ms = -1;  // -1: no watermark, windows never become final
  bool late_revise = false;          // late_policy "revise" (else "drop")
  double sketch_alpha = 0.01;
  std::vector<std::string> group_by;
  std::map<std::string, std::vector<std::string>> metrics;  // field -> metric names
  std::map<std::string, std::vector<double>> quantiles;     // field -> q in [0, 1], if any

  std::string raw;  // the spec text as received

  // Index of a schema field, or -1.
  int FieldIndex(std::string_view name) const;
  // True if an agent with this id and these labels is selected by `target`.
  bool Targets(const std::string& agent_id,
               const std::map<std::string, std::string>& labels) const;
  // input_path with every "{agent_id}" replaced.
  std::string ExpandPath(const std::string& agent_id) const;
  // A stable hash of field names and types, carried in every batch header.
  std::string SchemaHash() const;
};

// Parses and validates a job spec. On error the message names the offending field by
// its JSON pointer, e.g. "job spec /clean/1/max: must be a number".
Result<JobSpec> ParseJobSpec(std::string_view text);

// The embedded schemas/job.schema.json.
const nlohmann::json& JobSchema();

}  // namespace edgeline
