// Command-line pieces shared by edgeline-agent, edgeline-aggregator and edgeline.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/mqtt_client.h"

namespace edgeline {

// The MQTT connection options every binary has: broker, username, password, ca_file,
// cert_file, key_file, topic_prefix.
std::vector<OptionDef> MqttOptionDefs();
// Copies those options into *out.
void ApplyMqttOptions(const Config& cfg, MqttOptions* out);

// The options every daemon ends its table with: log_level, check_config, version, help.
std::vector<OptionDef> DaemonOptionDefs();

// Parses args into cfg, then handles what ends the program at once: a parse error or a
// stray positional argument (usage on stderr, exit 2), --help (usage and option table on
// stdout, exit 0) and --version (exit 0). Returns the exit code in those cases, nullopt
// when the program should go on.
std::optional<int> ParseDaemonArgs(Config* cfg, const std::vector<std::string>& args,
                                   const char* program, const char* usage);

template <typename T>
std::vector<T> Concat(std::vector<T> a, const std::vector<T>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace edgeline
