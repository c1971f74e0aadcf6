#include "common/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace edgeline {
namespace {
std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}
std::string Normalize(std::string name) {
  for (auto& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}
std::string EnvName(const std::string& prefix, const std::string& name) {
  std::string out = prefix + "_";
  for (char c : name) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

Config::Config(std::vector<OptionDef> defs, std::string env_prefix)
    : defs_(std::move(defs)), env_prefix_(std::move(env_prefix)) {
  for (const auto& d : defs_) values_[d.name] = d.default_value;
}

const OptionDef* Config::Find(const std::string& name) const {
  for (const auto& d : defs_) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

Status Config::Set(const std::string& name, const std::string& value) {
  std::string key = Normalize(name);
  if (!Find(key)) return Status::Error("unknown option \"" + name + "\"");
  values_[key] = value;
  return Status::Ok();
}

Status Config::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error("cannot read config file " + path);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    size_t eq = t.find('=');
    if (eq == std::string::npos) {
      return Status::Error(path + ":" + std::to_string(lineno) + ": expected \"name = value\"");
    }
    std::string value = Trim(t.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    const OptionDef* def = Find(Normalize(Trim(t.substr(0, eq))));
    if (def && def->is_flag) {
      return Status::Error(path + ":" + std::to_string(lineno) + ": \"" + def->name +
                           "\" is a command-line switch, not a setting");
    }
    Status s = Set(Trim(t.substr(0, eq)), value);
    if (!s.ok()) return Status::Error(path + ":" + std::to_string(lineno) + ": " + s.message());
  }
  return Status::Ok();
}

void Config::LoadEnv() {
  for (const auto& d : defs_) {
    if (d.is_flag) continue;  // switches like --check-config act only when given
    if (const char* v = std::getenv(EnvName(env_prefix_, d.name).c_str())) values_[d.name] = v;
  }
}

Status Config::ParseArgs(const std::vector<std::string>& args,
                         std::vector<std::string>* positional) {
  std::vector<std::pair<std::string, std::string>> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) {
      positional->push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    size_t eq = name.find('=');
    const OptionDef* def = Find(Normalize(eq == std::string::npos ? name : name.substr(0, eq)));
    if (!def) return Status::Error("unknown option --" + name.substr(0, eq));
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (def->is_flag) {
      value = "true";
    } else {
      if (i + 1 >= args.size()) return Status::Error("option --" + name + " needs a value");
      value = args[++i];
    }
    flags.emplace_back(Normalize(name), value);
  }
  // The config file: --config, else PREFIX_CONFIG.
  std::string config_file;
  if (Find("config")) {
    if (const char* v = std::getenv(EnvName(env_prefix_, "config").c_str())) config_file = v;
    for (const auto& [name, value] : flags) {
      if (name == "config") config_file = value;
    }
  }
  if (!config_file.empty()) {
    Status s = LoadFile(config_file);
    if (!s.ok()) return s;
  }
  LoadEnv();
  for (const auto& [name, value] : flags) values_[name] = value;
  return Status::Ok();
}

const std::string& Config::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("undeclared option " + name);
  return it->second;
}

Result<int64_t> Config::GetInt(const std::string& name) const {
  const std::string& v = Get(name);
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0) {
    return Status::Error("option " + name + ": \"" + v + "\" is not an integer");
  }
  return static_cast<int64_t>(n);
}

bool Config::GetBool(const std::string& name) const {
  const std::string& v = Get(name);
  return v == "true" || v == "1" || v == "yes" || v == "on";
}

std::string Config::Help() const {
  std::ostringstream os;
  for (const auto& d : defs_) {
    os << "  --" << d.name << (d.is_flag ? "" : " VALUE");
    os << "\n      " << d.help;
    if (!d.default_value.empty()) os << " (default: " << d.default_value << ")";
    if (!d.is_flag) os << " [env " << EnvName(env_prefix_, d.name) << "]";
    os << "\n";
  }
  return os.str();
}

}  // namespace edgeline
