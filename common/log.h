// Minimal leveled logging to stderr. Thread-safe: each call writes one line.
#pragma once

#include <sstream>
#include <string>

namespace edgeline {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
// Parses "debug", "info", "warn", "error"; returns false on anything else.
bool ParseLogLevel(const std::string& text, LogLevel* level);
// Sets the name printed at the start of every line (e.g. "agent pi-01").
void SetLogTag(const std::string& tag);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, const std::string& line);

}  // namespace edgeline

#define EDGELINE_LOG(level, expr)                                     \
  do {                                                                \
    if (::edgeline::LogEnabled(level)) {                              \
      std::ostringstream edgeline_log_os_;                            \
      edgeline_log_os_ << expr;                                       \
      ::edgeline::LogLine(level, edgeline_log_os_.str());             \
    }                                                                 \
  } while (0)
#define LOG_DEBUG(expr) EDGELINE_LOG(::edgeline::LogLevel::kDebug, expr)
#define LOG_INFO(expr) EDGELINE_LOG(::edgeline::LogLevel::kInfo, expr)
#define LOG_WARN(expr) EDGELINE_LOG(::edgeline::LogLevel::kWarn, expr)
#define LOG_ERROR(expr) EDGELINE_LOG(::edgeline::LogLevel::kError, expr)
