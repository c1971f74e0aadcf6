#include "common/cli_util.h"

#include <iostream>

namespace edgeline {

std::vector<OptionDef> MqttOptionDefs() {
  return {{"broker", "tcp://127.0.0.1:1883", "MQTT broker URI (tcp://, ssl:// or mqtts://)"},
          {"topic_prefix", "edgeline", "first level of every MQTT topic"},
          {"username", "", "MQTT user name"},
          {"password", "", "MQTT password"},
          {"ca_file", "", "TLS: CA certificate file (PEM)"},
          {"cert_file", "", "TLS: client certificate file (PEM)"},
          {"key_file", "", "TLS: client key file (PEM)"}};
}

void ApplyMqttOptions(const Config& cfg, MqttOptions* out) {
  out->uri = cfg.Get("broker");
  out->username = cfg.Get("username");
  out->password = cfg.Get("password");
  out->ca_file = cfg.Get("ca_file");
  out->cert_file = cfg.Get("cert_file");
  out->key_file = cfg.Get("key_file");
}

std::vector<OptionDef> DaemonOptionDefs() {
  return {{"log_level", "info", "debug, info, warn or error"},
          {"check_config", "", "validate the configuration and exit", true},
          {"version", "", "print the version and exit", true},
          {"help", "", "show this help", true}};
}

std::optional<int> ParseDaemonArgs(Config* cfg, const std::vector<std::string>& args,
                                   const char* program, const char* usage) {
  std::vector<std::string> positional;
  Status s = cfg->ParseArgs(args, &positional);
  if (s.ok() && !positional.empty()) s = Status::Error("unexpected argument " + positional[0]);
  if (!s.ok()) {
    std::cerr << program << ": " << s.message() << "\n" << usage;
    return 2;
  }
  if (cfg->GetBool("help")) {
    std::cout << usage << "\nOptions (also settable in the config file and as environment "
              << "variables):\n"
              << cfg->Help();
    return 0;
  }
  if (cfg->GetBool("version")) {
    std::cout << program << " " << EDGELINE_VERSION << "\n";
    return 0;
  }
  return std::nullopt;
}

}  // namespace edgeline
