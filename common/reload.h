// SIGHUP handling shared by the daemons: re-read the configuration the way start-up read
// it (config file, then environment, then the same command-line flags), apply what can
// change at run time, and name every other option whose value changed, which takes a
// restart. Today only log_level is applied at run time
// (docs/operations.md#reloading-the-configuration-sighup). Header-only; called from the main
// thread.
#pragma once

#include <chrono>
#include <csignal>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/config.h"
#include "common/log.h"
#include "common/sd_notify.h"

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

// The daemons' signal handling: handlers only set these flags; the main loop acts.
inline volatile std::sig_atomic_t g_daemon_stop = 0;    // SIGTERM, SIGINT
inline volatile std::sig_atomic_t g_daemon_reload = 0;  // SIGHUP

// Installs the handlers: SIGTERM and SIGINT stop, SIGHUP reloads, SIGPIPE is ignored.
inline void InstallDaemonSignals() {
  std::signal(SIGTERM, [](int) { g_daemon_stop = 1; });
  std::signal(SIGINT, [](int) { g_daemon_stop = 1; });
  std::signal(SIGHUP, [](int) { g_daemon_reload = 1; });
  std::signal(SIGPIPE, SIG_IGN);
}

// The daemons' main loop: READY=1, then until a stop signal or `stop()` returns true,
// reloads the configuration on SIGHUP (RELOADING=1 ... READY=1) and pings the watchdog;
// STOPPING=1 at the end. The caller then stops its components.
inline void ServeUntilStopped(SdNotifier& systemd, const std::vector<OptionDef>& defs,
                              const std::string& env_prefix,
                              const std::vector<std::string>& args, const Config& running,
                              const std::function<bool()>& stop = nullptr) {
  systemd.Notify("READY=1");
  while (!g_daemon_stop && !(stop && stop())) {
    if (g_daemon_reload) {
      g_daemon_reload = 0;
      systemd.Notify("RELOADING=1");
      ReloadConfig(defs, env_prefix, args, running);
      systemd.Notify("READY=1");
    }
    systemd.MaybePingWatchdog();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  systemd.Notify("STOPPING=1");
}

}  // namespace edgeline
