#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "common/time_util.h"

namespace edgeline {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mu;
std::string g_tag = "edgeline";
const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}
}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }

bool ParseLogLevel(const std::string& text, LogLevel* level) {
  if (text == "debug") *level = LogLevel::kDebug;
  else if (text == "info") *level = LogLevel::kInfo;
  else if (text == "warn") *level = LogLevel::kWarn;
  else if (text == "error") *level = LogLevel::kError;
  else return false;
  return true;
}

void SetLogTag(const std::string& tag) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_tag = tag;
}

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

void LogLine(LogLevel level, const std::string& line) {
  std::string ts = FormatIso8601(NowMs());
  std::lock_guard<std::mutex> lock(g_mu);
  std::fprintf(stderr, "%s %s %s: %s\n", ts.c_str(), LevelName(level), g_tag.c_str(),
               line.c_str());
  std::fflush(stderr);
}

}  // namespace edgeline
