// Values and records as JSON, for state that must survive a restart (the clean ops' state
// in an agent checkpoint). Exact: a double is written with enough digits to read back to
// the same bits, an int64 stays an integer, and the type of each value is kept.
#pragma once

#include <nlohmann/json.hpp>

#include "common/record.h"

namespace edgeline {

// null, a double as a JSON float (a non-finite one as {"f": "inf" | "-inf" | "nan"}), an
// int64 as a JSON integer, a string, a bool.
nlohmann::json ValueJson(const Value& v);
// The inverse of ValueJson. Returns false (and leaves *v unspecified) for anything else.
bool JsonValue(const nlohmann::json& j, Value* v);

// [ts_ms, [values...]].
nlohmann::json RecordJson(const Record& r);
bool JsonRecord(const nlohmann::json& j, Record* r);

}  // namespace edgeline
