#include "common/record_json.h"

#include <cmath>
#include <limits>

namespace edgeline {

nlohmann::json ValueJson(const Value& v) {
  switch (v.index()) {
    case 1: {
      const double d = std::get<double>(v);
      if (std::isfinite(d)) return d;
      return {{"f", std::isnan(d) ? "nan" : d > 0 ? "inf" : "-inf"}};
    }
    case 2:
      return std::get<int64_t>(v);
    case 3:
      return std::get<std::string>(v);
    case 4:
      return std::get<bool>(v);
    default:
      return nullptr;
  }
}

bool JsonValue(const nlohmann::json& j, Value* v) {
  if (j.is_null()) {
    *v = std::monostate{};
  } else if (j.is_number_float()) {
    *v = j.get<double>();
  } else if (j.is_number_integer() && !j.is_number_unsigned()) {
    *v = j.get<int64_t>();
  } else if (j.is_number_unsigned()) {
    if (j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return false;
    }
    *v = static_cast<int64_t>(j.get<uint64_t>());
  } else if (j.is_string()) {
    *v = j.get<std::string>();
  } else if (j.is_boolean()) {
    *v = j.get<bool>();
  } else if (j.is_object() && j.size() == 1 && j.contains("f") && j["f"].is_string()) {
    const std::string& f = j["f"].get_ref<const std::string&>();
    if (f == "inf") {
      *v = std::numeric_limits<double>::infinity();
    } else if (f == "-inf") {
      *v = -std::numeric_limits<double>::infinity();
    } else if (f == "nan") {
      *v = std::numeric_limits<double>::quiet_NaN();
    } else {
      return false;
    }
  } else {
    return false;
  }
  return true;
}

nlohmann::json RecordJson(const Record& r) {
  nlohmann::json values = nlohmann::json::array();
  for (const Value& v : r.values) values.push_back(ValueJson(v));
  return nlohmann::json::array({r.ts_ms, std::move(values)});
}

bool JsonRecord(const nlohmann::json& j, Record* r) {
  if (!j.is_array() || j.size() != 2 || !j[0].is_number_integer() || !j[1].is_array()) {
    return false;
  }
  r->ts_ms = j[0].get<int64_t>();
  r->values.resize(j[1].size());
  for (size_t i = 0; i < j[1].size(); ++i) {
    if (!JsonValue(j[1][i], &r->values[i])) return false;
  }
  return true;
}

}  // namespace edgeline
