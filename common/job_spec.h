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
#include "common/timestamp.h"

namespace edgeline {

// One clean op (docs/job-spec.md#clean-ops), resolved by BuildClean: field names are
// schema field indices (the Record layout never changes; -1 is the timestamp where an op
// allows it), defaults are filled in, and ops that only rename or remove fields (rename,
// select, drop) have no run-time effect: they are folded into JobSpec::out_names and
// JobSpec::emitted.
struct CleanOp {
  enum Kind {
    kDropNull, kRange, kConvert, kDedup, kCast, kFill, kOutlier,
    kRename, kSelect, kDrop, kRedact, kFilter, kRound
  } kind = kDropNull;
  enum Method { kConstant, kPrevious, kLinear, kZScore, kMad, kHampel };
  enum Action { kDropRecord, kNullValue, kClamp, kHash };

  // A filter condition: a comparison, or all/any/not of conditions.
  struct Cond {
    enum Kind { kCmp, kAll, kAny, kNot } kind = kAll;  // an empty kAll is true
    enum Cmp { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn } cmp = kEq;
    int field = -1;             // kCmp: field index, -1 = the timestamp (compared in epoch ms)
    std::vector<Value> values;  // kCmp: the literal (kIn, kNotIn: the list); null = JSON null
    std::vector<Cond> children; // kAll, kAny: any number; kNot: one
  };

  // drop_null, fill, redact: the fields; dedup: "by" (-1 = the timestamp); select, drop:
  // the fields the op removes from the output.
  std::vector<int> fields;
  int field = -1;  // range, convert, cast, outlier, round
  Action action = kDropRecord;  // range: drop|clamp; outlier: drop|null|clamp; redact: drop|hash
  std::optional<double> min, max;  // range
  std::string from_unit, to_unit;  // convert by unit; to_unit "" means scale/offset
  double scale = 1, offset = 0;    // convert: x * scale + offset
  int64_t horizon_ms = 0;          // dedup
  FieldType to_type = FieldType::kFloat;  // cast
  bool null_on_error = false;             // cast: on_error "null" (else "reject")
  Method method = kConstant;  // fill: constant|previous|linear; outlier: zscore|mad|hampel
  Value value;                // fill constant
  bool drop_unfilled = false; // fill previous/linear: unfilled "drop" (else "keep")
  int64_t max_gap = 10;       // fill linear: longest null run that is interpolated
  std::vector<int> by;        // fill previous/linear, outlier: key fields (empty: one key)
  int64_t max_keys = 1000;    // fill previous/linear, outlier: keys kept (LRU)
  int64_t window = 20;        // outlier: values per key
  int64_t min_samples = 5;    // outlier: earlier values needed before testing
  double threshold = 3;       // outlier: k
  std::string key_env;        // redact hash: environment variable holding the key
  int64_t hash_length = 64;   // redact hash: hex digits kept
  Cond where;                 // filter: records for which it is false are dropped
  int digits = 0;             // round
  std::vector<std::pair<int, std::string>> renames;  // rename: field -> new name
};

struct JobSpec {
  std::string job_id;
  int64_t version = 0;
  std::vector<std::string> target_agents;
  std::map<std::string, std::string> target_labels;

  std::string mode;        // "batch" | "stream"
  std::string input_type;  // "file" | "tail" | "mqtt" | "stdin"
  int64_t poll_ms = 250;   // tail: how often files are checked for growth
  std::string input_path;  // may contain {agent_id}
  std::string format;      // "csv" | "ndjson" | "json" (one array of objects)
  char csv_delimiter = ',';
  bool csv_header = true;                // the first record of a file is its header
  std::vector<std::string> csv_columns;  // column names in file order (empty: the header's)
  std::string csv_comment;               // "" = no comment lines
  char csv_decimal = '.';                // decimal separator of float cells
  size_t max_line_bytes = 1 << 20;
  // input.type "mqtt" (docs/job-spec.md#mqtt-input). CSV payloads have no header: their
  // columns are csv_columns (csv_header is false).
  std::string mqtt_broker = "tcp://127.0.0.1:1883";
  std::vector<std::string> mqtt_topics;  // subscription filters; may contain {agent_id}
  int mqtt_qos = 1;
  std::string mqtt_username;
  std::string mqtt_password_env;  // "" = no password
  int topic_field = -1;           // schema field index that receives the topic, -1 = none
  size_t mqtt_max_queued = 1000;  // received messages waiting for the job's worker

  std::string ts_field;  // "" when the spec has no timestamp
  // Format, pattern (checked), time zone name (not loaded: TimestampParser::Create loads
  // it where the job runs, so the CLI and the aggregator need no zone database) and DST
  // policy.
  TimestampSpec ts;
  std::vector<FieldDef> fields;  // declared order
  // JSON formats: the JSON pointer (RFC 6901) each value is read from, "" for the
  // top-level key of its name: the timestamp's, and one per field in `fields` order (a
  // shorter vector means "" for the rest).
  std::string ts_path;
  std::vector<std::string> field_paths;
  std::vector<std::string> keys;

  std::vector<CleanOp> clean;
  // Per schema field, after the clean ops: its output name (rename) and whether it is
  // emitted (select, drop, redact "drop"). Empty when the spec has no clean ops: then
  // every field is emitted under its schema name. Records keep every schema field;
  // emitters skip the ones not emitted.
  std::vector<std::string> out_names;
  std::vector<bool> emitted;

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
  bool aggregate_at_edge = false;  // aggregate.at "edge": agents publish partial states
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
  // mqtt_topics with every "{agent_id}" replaced.
  std::vector<std::string> ExpandTopics(const std::string& agent_id) const;
  // A stable hash of field names and types, carried in every batch header.
  std::string SchemaHash() const;
  // The emitted fields in schema order, with their output names, the type the clean
  // ops leave them with (cast, redact "hash") and their last unit (convert). Batch
  // columns: MakeBatch(spec.OutputFields(), spec.ts_field, spec.OutputRecords(...)).
  std::vector<FieldDef> OutputFields() const;
  // The records with only the emitted values, matching OutputFields(). Returns them
  // unchanged when every field is emitted.
  std::vector<Record> OutputRecords(std::vector<Record> records) const;
};

// Parses and validates a job spec. On error the message names the offending field by
// its JSON pointer, e.g. "job spec /clean/1/max: must be a number".
Result<JobSpec> ParseJobSpec(std::string_view text);

// The embedded schemas/job.schema.json.
const nlohmann::json& JobSchema();

}  // namespace edgeline
