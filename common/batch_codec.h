// The batch wire format, version 1 (docs/wire-format.md).
//
// A batch is one JSON document, column-oriented, optionally zstd-compressed (a zstd
// frame is recognised by its magic number). The idempotency key is
// (agent_id, job_id, epoch, seq).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/record.h"
#include "common/status.h"
#include "common/window.h"

namespace edgeline {

inline constexpr int kBatchFormatVersion = 1;

struct BatchHeader {
  int format_version = kBatchFormatVersion;
  std::string agent_id;
  std::string job_id;
  int64_t job_version = 0;
  int64_t epoch = 0;  // random per agent state dir, < 2^53
  int64_t seq = 0;    // per (agent, job, epoch), starts at 1, never reused
  int64_t count = 0;
  int64_t first_ts = 0;  // min event time in the batch
  int64_t last_ts = 0;   // max event time in the batch
  int64_t published_ms = 0;  // when the agent sealed the batch (before spooling)
  std::string schema_hash;
  bool historical = false;  // re-sent from the spool after a reconnect, restart or timeout
  // The lowest seq of this (agent, job, epoch) still in the agent's spool when the batch
  // was sealed: every lower seq was acknowledged or dropped and is never sent again. Lets
  // the aggregator forget applied keys below it. 0: not known.
  int64_t spool_floor = 0;
};

struct Column {
  std::string name;
  FieldType type = FieldType::kFloat;
  std::vector<Value> values;  // header.count entries
};

struct Batch {
  BatchHeader header;
  // aggregate.at "edge": the batch carries partial window states instead of records
  // ("kind": "partials"); header.count is the number of records they summarise.
  bool is_partials = false;
  std::vector<WindowRow> partials;  // key.job_id is the header's; end is not sent
  std::string ts_field;       // name of the event-time column ("" when the job has none)
  std::vector<int64_t> ts;    // header.count entries (empty when ts_field is "")
  std::vector<Column> columns;

  // Index of a column by name, or -1.
  int ColumnIndex(std::string_view name) const;
};

struct DecodeLimits {
  size_t max_payload_bytes = 16u << 20;       // as received (compressed or not)
  size_t max_decompressed_bytes = 64u << 20;  // after zstd
  size_t max_columns = 256;
  int64_t max_records = 1'000'000;
};

// Builds a batch from records whose values follow `fields`. Fills header.count,
// first_ts and last_ts from the records; the caller sets the rest of the header.
Batch MakeBatch(const std::vector<FieldDef>& fields, const std::string& ts_field,
                const std::vector<Record>& records);

// Serialises a batch; with zstd=true the JSON is compressed (level 3).
std::string EncodeBatch(const Batch& batch, bool zstd);

// Returns the payload with its header's "historical" flag set, re-compressing a zstd
// payload. REQUIRES: `payload` came from EncodeBatch.
std::string MarkHistorical(std::string_view payload);

// Parses a payload into a batch. Every structural error (bad JSON, wrong version,
// column lengths not matching count, wrong value type, limits) is an error Status
// naming the problem. Never throws.
Result<Batch> DecodeBatch(std::string_view payload, const DecodeLimits& limits = {});

}  // namespace edgeline
