// SIGHUP handling shared by the daemons: re-read the configuration the way start-up read
// it (config file, then environment, then the same command-line flags), apply what can
// change at run time, and name every other option whose value changed, which takes a
// restart. Today only log_level is applied at run time
// (docs/operations.md#reloading-the-configuration-sighup). Header-only; called from the main
// thread.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/log.h"

namespace edgeline {

// `running` is the configuration the process started with. Returns false (and logs why,
// keeping the running configuration) when the file no longer parses or log_level is bad.
inline bool ReloadConfig(const std::vector<OptionDef>& defs, const std::string& env_prefix,
                         const std::vector<std::string>& args, const Config& running) {
  Config fresh(defs, env_prefix);
  std::vector<std::string> positional;
  Status s = fresh.ParseArgs(args, &positional);
  LogLevel level;
  if (s.ok() && !ParseLogLevel(fresh.Get("log_level"), &level)) {
    s = Status::Error("log_level: unknown level \"" + fresh.Get("log_level") + "\"");
  }
  if (!s.ok()) {
    LogLine(LogLevel::kError, "reload (SIGHUP) failed, configuration unchanged: " + s.message());
    return false;
  }
  SetLogLevel(level);
  std::string restart;
  for (const auto& d : defs) {
    if (d.is_flag || d.name == "log_level" || d.name == "config") continue;
    if (fresh.Get(d.name) != running.Get(d.name)) restart += (restart.empty() ? "" : ", ") + d.name;
  }
  LogLine(LogLevel::kInfo,
          "reloaded configuration (SIGHUP): log_level = " + fresh.Get("log_level"));
  if (!restart.empty()) {
    LogLine(LogLevel::kWarn, "changed options that take effect only after a restart: " + restart);
  }
  return true;
}

}  // namespace edgeline
