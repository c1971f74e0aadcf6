// JSON text for files and messages that may hold input text.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace edgeline {

// j as compact JSON text. A string that is not valid UTF-8 (a CSV header row from a Latin-1
// logger, a file name) gets U+FFFD for each invalid byte, where nlohmann's default throws,
// which in a job's thread would end the process.
inline std::string JsonText(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace edgeline
