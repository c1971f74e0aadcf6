// systemd service notifications for the daemons' main loops (Type=notify units):
// READY=1 once started, WATCHDOG=1 pings at half of WatchdogSec=, RELOADING=1 around a
// SIGHUP reload, STOPPING=1 on shutdown. Header-only: each daemon's executable defines
// EDGELINE_WITH_SYSTEMD and links libsystemd (CMake option EDGELINE_WITH_SYSTEMD, on when
// libsystemd is found); without it, or outside systemd ($NOTIFY_SOCKET unset), every
// call does nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#ifdef EDGELINE_WITH_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace edgeline {

class SdNotifier {
 public:
  SdNotifier() {
#ifdef EDGELINE_WITH_SYSTEMD
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
      watchdog_interval_ = std::chrono::microseconds(usec / 2);
    }
#endif
  }

  // "READY=1", "STOPPING=1", "RELOADING=1", "STATUS=...": sent as given.
  void Notify(const std::string& state) {
#ifdef EDGELINE_WITH_SYSTEMD
    sd_notify(0, state.c_str());
#else
    (void)state;
#endif
  }

  // Call from the main loop: sends WATCHDOG=1 when half of WatchdogSec= has passed since
  // the last ping. The main loop calls it only while the process is not stopping.
  void MaybePingWatchdog() {
    if (watchdog_interval_.count() == 0) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ping_ < watchdog_interval_) return;
    last_ping_ = now;
    Notify("WATCHDOG=1");
  }

  bool watchdog_enabled() const { return watchdog_interval_.count() != 0; }

 private:
  std::chrono::microseconds watchdog_interval_{0};
  std::chrono::steady_clock::time_point last_ping_{};
};

}  // namespace edgeline
