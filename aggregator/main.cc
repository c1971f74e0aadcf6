// edgeline-aggregator: parses flags and config, wires store, MQTT and HTTP, runs until
// SIGTERM/SIGINT. SIGHUP re-reads the configuration (log_level; common/reload.h). Under
// systemd (Type=notify) it reports READY=1 and pings the watchdog (common/sd_notify.h).
#include <csignal>
#include <iostream>
#include <thread>

#include "aggregator/aggregator.h"
#include "aggregator/http_api.h"
#include "common/cli_util.h"
#include "common/log.h"
#include "common/reload.h"
#include "common/sd_notify.h"

namespace {
const char kUsage[] =
    "usage: edgeline-aggregator [--config FILE] --broker URI --db PATH --http HOST:PORT "
    "[options]\n";
}  // namespace

int main(int argc, char** argv) {
  using namespace edgeline;
  const std::vector<OptionDef> defs = Concat(
      Concat({{"config", "", "config file (name = value lines)"},
              {"client_id", "edgeline-aggregator", "MQTT client id"},
              {"db", "edgeline.db", "SQLite database file"},
              {"http", "127.0.0.1:8080", "HTTP listen address (HOST:PORT)"},
              {"flush_interval_ms", "200", "how often window updates are committed"},
              {"max_batch_bytes", "16777216", "largest batch payload accepted"},
              {"retention_s", "0", "delete windows that ended longer ago than this (0: keep all)"}},
             MqttOptionDefs()),
      DaemonOptionDefs());
  Config cfg(defs, "EDGELINE_AGGREGATOR");
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (auto rc = ParseDaemonArgs(&cfg, args, "edgeline-aggregator", kUsage)) {
    return *rc;
  }
  AggregatorOptions opts;
  opts.db_path = cfg.Get("db");
  opts.topic_prefix = cfg.Get("topic_prefix");
  ApplyMqttOptions(cfg, &opts.mqtt);
  opts.mqtt.client_id = cfg.Get("client_id");
  auto flush = cfg.GetInt("flush_interval_ms");
  auto max_bytes = cfg.GetInt("max_batch_bytes");
  auto retention = cfg.GetInt("retention_s");
  std::string host;
  int port = 0;
  LogLevel level;
  std::string error;
  if (!flush.ok())
    error = flush.status().message();
  else if (flush.value() < 1)
    error = "flush_interval_ms must be >= 1";
  else if (!max_bytes.ok())
    error = max_bytes.status().message();
  else if (max_bytes.value() < 1024)
    error = "max_batch_bytes must be >= 1024";
  else if (!retention.ok())
    error = retention.status().message();
  else if (retention.value() < 0)
    error = "retention_s must be >= 0";
  else if (Status hp = ParseHostPort(cfg.Get("http"), &host, &port); !hp.ok())
    error = "--http: " + hp.message();
  else if (!ParseLogLevel(cfg.Get("log_level"), &level))
    error = "--log-level: unknown level";
  else if (!IsValidId(opts.topic_prefix))
    error = "--topic-prefix must be one topic level";
  if (!error.empty()) {
    std::cerr << "edgeline-aggregator: " << error << "\n";
    return 2;
  }
  if (cfg.GetBool("check_config")) {
    std::cout << "edgeline-aggregator: configuration ok\n";
    return 0;
  }
  opts.flush_interval_ms = flush.value();
  opts.limits.max_payload_bytes = static_cast<size_t>(max_bytes.value());
  opts.retention_ms = retention.value() * 1000;
  SetLogLevel(level);
  SetLogTag("aggregator");

  InstallDaemonSignals();
  SdNotifier systemd;
  try {
    auto registry = std::make_shared<prometheus::Registry>();
    Aggregator agg(opts, registry);
    Status s = agg.Start();
    if (!s.ok()) {
      std::cerr << "edgeline-aggregator: " << s.message() << "\n";
      return 1;
    }
    HttpApi http(&agg, registry);
    s = http.Start(cfg.Get("http"));
    if (!s.ok()) {
      std::cerr << "edgeline-aggregator: " << s.message() << "\n";
      agg.Stop();
      return 1;
    }
    ServeUntilStopped(systemd, defs, "EDGELINE_AGGREGATOR", args, cfg);
    LOG_INFO("stopping");
    http.Stop();
    agg.Stop();
  } catch (const std::exception& e) {
    std::cerr << "edgeline-aggregator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
