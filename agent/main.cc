// edgeline-agent: parses flags and config, wires the agent, runs until SIGTERM/SIGINT.
#include <csignal>
#include <iostream>
#include <thread>

#include "agent/agent.h"
#include "agent/run_command.h"
#include "common/cli_util.h"
#include "common/log.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

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
  Config cfg(Concat(Concat({{"config", "", "config file (name = value lines)"},
                             {"id", "", "agent id, unique in the fleet ([A-Za-z0-9_.-], at most 64)"},
                             {"labels", "", "labels as k=v,k2=v2; jobs select agents by label"},
                             {"state_dir", "/var/lib/edgeline-agent",
                              "directory for epoch, sequence numbers, job state"}},
                            MqttOptionDefs()),
                     DaemonOptionDefs()),
             "EDGELINE_AGENT");
  if (auto rc = ParseDaemonArgs(&cfg, args, "edgeline-agent", kUsage)) return *rc;
  AgentOptions opts;
  opts.agent_id = cfg.Get("id");
  opts.state_dir = cfg.Get("state_dir");
  opts.topic_prefix = cfg.Get("topic_prefix");
  ApplyMqttOptions(cfg, &opts.mqtt);
  auto labels = ParseLabels(cfg.Get("labels"));
  LogLevel level;
  std::string error;
  if (opts.agent_id.empty()) error = "--id is required";
  else if (!IsValidId(opts.agent_id)) error = "--id must match [A-Za-z0-9_.-]{1,64}";
  else if (!labels.ok()) error = "--labels: " + labels.status().message();
  else if (!ParseLogLevel(cfg.Get("log_level"), &level)) error = "--log-level: unknown level";
  else if (!IsValidId(opts.topic_prefix)) error = "--topic-prefix must be one topic level";
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

  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    Agent agent(opts);
    Status s = agent.Start();
    if (!s.ok()) {
      std::cerr << "edgeline-agent: " << s.message() << "\n";
      return 1;
    }
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    LOG_INFO("stopping");
    agent.Stop();
  } catch (const std::exception& e) {
    std::cerr << "edgeline-agent: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
