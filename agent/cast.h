// Casting parsed cells to a typed Record per the job's schema.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/raw_cell.h"
#include "common/job_spec.h"
#include "common/record.h"

namespace edgeline {

// Parses a whole string as a finite decimal number ("12", "-3.5", "1e3", "+.5"); no
// surrounding space, no nan/inf, no hex. nullopt otherwise.
std::optional<double> ParseStrictDouble(std::string_view text);

// Converts a timestamp cell to UTC epoch ms; nullopt when missing or unparseable.
std::optional<int64_t> CastTimestamp(const RawCell& cell, TimestampFormat format);

// Builds *out from cells laid out as [timestamp (if spec.ts_field), fields...].
// Returns nullptr on success, else the reject reason of the first failing step, in
// order: the timestamp ("bad_timestamp"), then each field in schema order ("cast_error",
// or "missing_required" for a null required field).
const char* CastRecord(const JobSpec& spec, const std::vector<RawCell>& cells, Record* out);

}  // namespace edgeline
