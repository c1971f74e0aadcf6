// edgeline-agent: parses flags and config, wires the agent, runs until SIGTERM/SIGINT.
// SIGHUP re-reads the configuration (log_level; common/reload.h). Under systemd
// (Type=notify) it reports READY=1 and pings the watchdog (common/sd_notify.h).
#include <csignal>
#include <iostream>
#include <thread>

#include "agent/agent.h"
#include "agent/metrics.h"
#include "agent/run_command.h"
#include "common/cli_util.h"
#include "common/log.h"
#include "common/reload.h"
#include "common/sd_notify.h"

namespace {

const char kUsage[] =
    "usage: edgeline-agent [--config FILE] --broker URI --id ID [--labels k=v,...] "
    "--state-dir DIR [options]\n"
    "       edgeline-agent run --job JOB.json [--input FILE|-]\n"
    "       edgeline-agent --check-config [--config FILE] [options]\n";
}  // namespace

int main(int argc, char** argv) {
  using namespace edgeline;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "run") {
    return RunCommand(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  const std::vector<OptionDef> defs = Concat(
      Concat(
          {{"config", "", "config file (name = value lines)"},
           {"id", "", "agent id, unique in the fleet ([A-Za-z0-9_.-], at most 64)"},
           {"labels", "", "labels as k=v,k2=v2; jobs select agents by label"},
           {"state_dir", "/var/lib/edgeline-agent",
            "directory for epoch, sequence numbers, job state, spool"},
           {"spool_max_bytes", "268435456", "spool cap; the oldest batches are dropped beyond it"},
           {"spool_max_age_s", "604800", "spooled batches older than this are dropped"},
           {"fsync", "always", "spool durability: always (per batch), interval, or never"},
           {"fsync_interval_ms", "1000", "with fsync = interval: sync period"},
           {"ack_timeout_ms", "30000",
            "re-send a batch the aggregator has not acknowledged by then"},
           {"backlog_rate", "50",
            "backlog batches sent per second after a reconnect (0: unlimited)"},
           {"rejects_per_minute", "60",
            "sampled rejected rows published per job and minute on <prefix>/rejects/... "
            "(0: off)"},
           {"metrics_listen", "",
            "serve Prometheus metrics at http://HOST:PORT/metrics (empty: off)"}},
          MqttOptionDefs()),
      DaemonOptionDefs());
  Config cfg(defs, "EDGELINE_AGENT");
  if (auto rc = ParseDaemonArgs(&cfg, args, "edgeline-agent", kUsage)) return *rc;
  AgentOptions opts;
  opts.agent_id = cfg.Get("id");
  opts.state_dir = cfg.Get("state_dir");
  opts.topic_prefix = cfg.Get("topic_prefix");
  ApplyMqttOptions(cfg, &opts.mqtt);
  auto labels = ParseLabels(cfg.Get("labels"));
  LogLevel level;
  std::string error;
  auto ReadInt = [&](const char* name, int64_t min, int64_t* out) {
    if (!error.empty()) return;
    auto v = cfg.GetInt(name);
    if (!v.ok())
      error = v.status().message();
    else if (v.value() < min)
      error = std::string(name) + " must be >= " + std::to_string(min);
    else
      *out = v.value();
  };
  int64_t max_age_s = 0, backlog_rate = 0;
  ReadInt("spool_max_bytes", 4096, &opts.spool.max_bytes);
  ReadInt("spool_max_age_s", 1, &max_age_s);
  ReadInt("fsync_interval_ms", 1, &opts.spool.fsync_interval_ms);
  ReadInt("ack_timeout_ms", 100, &opts.publisher.ack_timeout_ms);
  ReadInt("backlog_rate", 0, &backlog_rate);
  ReadInt("rejects_per_minute", 0, &opts.rejects_per_minute);
  opts.spool.max_age_ms = max_age_s * 1000;
  opts.publisher.backlog_rate = static_cast<double>(backlog_rate);
  // The first failed check names the problem.
  auto Check = [&](bool ok, const std::string& message) {
    if (error.empty() && !ok) error = message;
  };
  Check(!opts.agent_id.empty(), "--id is required");
  Check(IsValidId(opts.agent_id), "--id must match [A-Za-z0-9_.-]{1,64}");
  Check(labels.ok(), "--labels: " + labels.status().ToString());
  Check(ParseLogLevel(cfg.Get("log_level"), &level), "--log-level: unknown level");
  Check(IsValidId(opts.topic_prefix), "--topic-prefix must be one topic level");
  Check(ParseFsyncPolicy(cfg.Get("fsync"), &opts.spool.fsync),
        "--fsync must be always, interval or never");
  Status metrics_ok = ValidateMetricsListen(cfg.Get("metrics_listen"));
  Check(metrics_ok.ok(), "--metrics-listen: " + metrics_ok.message());
  if (!error.empty()) {
    std::cerr << "edgeline-agent: " << error << "\n";
    return 2;
  }
  if (cfg.GetBool("check_config")) {
    std::cout << "edgeline-agent: configuration ok\n";
    return 0;
  }
  opts.labels = labels.value();
  SetLogLevel(level);
  SetLogTag("agent " + opts.agent_id);

  InstallDaemonSignals();
  SdNotifier systemd;
  try {
    // Declared before the agent, so it is destroyed after it: the exposer's threads may
    // read the agent's spool until Agent::Stop detaches it.
    MetricsServer metrics;
    Agent agent(opts);
    Status s = agent.Start();
    if (!s.ok()) {
      std::cerr << "edgeline-agent: " << s.message() << "\n";
      return 1;
    }
    if (!cfg.Get("metrics_listen").empty()) {
      s = metrics.Start(cfg.Get("metrics_listen"));
      if (!s.ok()) {
        std::cerr << "edgeline-agent: " << s.message() << "\n";
        agent.Stop();
        return 1;
      }
      LOG_INFO("metrics on http://" << cfg.Get("metrics_listen") << "/metrics");
    }
    ServeUntilStopped(systemd, defs, "EDGELINE_AGENT", args, cfg, [&] { return agent.fenced(); });
    LOG_INFO("stopping");
    agent.Stop();
    if (agent.fenced()) {
      std::cerr << "edgeline-agent: another agent with id " << opts.agent_id
                << " is online; stopped\n";
      return 3;
    }
  } catch (const std::exception& e) {
    std::cerr << "edgeline-agent: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
