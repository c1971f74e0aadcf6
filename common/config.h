// Options declared as a table (fluent-bit's config_map). Every option can be set, in
// increasing precedence, by its default, a config file line "name = value" ("#" starts a
// comment), an environment variable PREFIX_NAME (upper case), and a command-line flag
// --name value / --name=value ('-' and '_' interchangeable). Unknown names are errors
// that name the key. The file is --config FILE, else PREFIX_CONFIG. Switches (is_flag)
// act only on the command line. Not thread-safe: fill it during start-up, then only read.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace edgeline {

struct OptionDef {
  std::string name;
  std::string default_value;
  std::string help;
  bool is_flag = false;  // a command-line switch that takes no value ("true" when given)
};

class Config {
 public:
  Config(std::vector<OptionDef> defs, std::string env_prefix);

  Status Set(const std::string& name, const std::string& value);
  Status LoadFile(const std::string& path);
  // Reads PREFIX_NAME variables for every declared option.
  void LoadEnv();
  // Parses flags from args (not including argv[0]); non-flag words go to *positional.
  // A "--config FILE" flag, when declared, is loaded before env and flags apply.
  Status ParseArgs(const std::vector<std::string>& args, std::vector<std::string>* positional);

  const std::string& Get(const std::string& name) const;
  // REQUIRES: the option is declared. Errors name the option and value.
  Result<int64_t> GetInt(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  // Text for --help: every option with its default and environment variable.
  std::string Help() const;

 private:
  const OptionDef* Find(const std::string& name) const;
  std::vector<OptionDef> defs_;
  std::string env_prefix_;
  std::map<std::string, std::string> values_;
};

}  // namespace edgeline
