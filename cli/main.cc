// edgeline: the operator's CLI. Parses the command line and dispatches to cli/commands.
#include <iostream>

#include "cli/commands.h"
#include "common/cli_util.h"
#include "common/log.h"

namespace {
const char kUsage[] =
    "usage: edgeline [--broker URI] [--api URL] COMMAND ...\n"
    "\n"
    "commands:\n"
    "  job submit FILE        validate a job spec, then publish it (retained)\n"
    "  job validate FILE      validate a job spec against schemas/job.schema.json\n"
    "  job delete JOB_ID      delete a job (agents stop it)\n"
    "  job list               list the submitted jobs\n"
    "  job wait JOB_ID --agents a,b [--timeout S]\n"
    "                         wait until each agent reports completed or failed\n"
    "  agents                 list agents and the status of their jobs\n"
    "  query --job ID [--key K] [--from T] [--to T] [--format table|json|csv]\n"
    "                         print the job's windows from the aggregator\n"
    "  rejects [--job J] [--agent A] [--count N] [--timeout S] [--format table|json]\n"
    "                         print sampled rejected rows as agents publish them\n";
}  // namespace

int main(int argc, char** argv) {
  using namespace edgeline;
  Config cfg(Concat({{"config", "", "config file (name = value lines)"},
                     {"api", "http://127.0.0.1:8080", "aggregator HTTP API base URL"},
                     {"format", "table", "output format: table, json (query also csv)"},
                     {"job", "", "query, rejects: job id"},
                     {"agent", "", "rejects: agent id (default: all)"},
                     {"count", "0", "rejects: stop after this many samples (0: no limit)"},
                     {"key", "", "query: group key"},
                     {"from", "", "query: first window start (epoch ms or ISO 8601)"},
                     {"to", "", "query: windows starting before this time"},
                     {"agents", "", "job wait: comma-separated agent ids"},
                     {"timeout", "60", "job wait, rejects: seconds (rejects: 0 = no limit)"},
                     {"help", "", "show this help", true}},
                    MqttOptionDefs()),
             "EDGELINE");
  std::vector<std::string> words;
  Status s = cfg.ParseArgs(std::vector<std::string>(argv + 1, argv + argc), &words);
  if (!s.ok()) {
    std::cerr << "edgeline: " << s.message() << "\n" << kUsage;
    return 2;
  }
  if (cfg.GetBool("help") || words.empty()) {
    std::cout << kUsage << "\noptions:\n" << cfg.Help();
    return words.empty() && !cfg.GetBool("help") ? 2 : 0;
  }
  std::vector<std::string> rest(words.begin() + 1, words.end());
  SetLogLevel(LogLevel::kWarn);  // connection chatter is not the command's output
  try {
    if (words[0] == "job" && !rest.empty()) {
      std::vector<std::string> args(rest.begin() + 1, rest.end());
      if (rest[0] == "submit") return JobSubmit(cfg, args);
      if (rest[0] == "validate") return JobValidate(args);
      if (rest[0] == "delete") return JobDelete(cfg, args);
      if (rest[0] == "list") return JobList(cfg);
      if (rest[0] == "wait") return JobWait(cfg, args);
    } else if (words[0] == "validate") {
      return JobValidate(rest);
    } else if (words[0] == "agents" && rest.empty()) {
      return Agents(cfg);
    } else if (words[0] == "query" && rest.empty()) {
      return Query(cfg);
    } else if (words[0] == "rejects" && rest.empty()) {
      return Rejects(cfg);
    }
  } catch (const std::exception& e) {
    std::cerr << "edgeline: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "edgeline: unknown command\n" << kUsage;
  return 2;
}
