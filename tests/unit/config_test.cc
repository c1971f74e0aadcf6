#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "common/config.h"

using namespace edgeline;

namespace {
Config MakeConfig() {
  return Config({{"config", "", "file"},
                 {"broker", "tcp://127.0.0.1:1883", "broker"},
                 {"state_dir", "/var/lib/x", "dir"},
                 {"verbose", "", "flag", true}},
                "EDGELINE_TEST");
}
}  // namespace

TEST_CASE("flags override environment, which overrides the config file") {
  const char* path = "config_test.conf";
  {
    std::ofstream f(path);
    f << "# comment\n\nbroker = tcp://file:1\nstate_dir = \"/from/file\"\n";
  }
  setenv("EDGELINE_TEST_STATE_DIR", "/from/env", 1);
  Config c = MakeConfig();
  std::vector<std::string> pos;
  REQUIRE(c.ParseArgs({"--config", path, "--broker=tcp://flag:2", "run", "--verbose"}, &pos).ok());
  CHECK(c.Get("broker") == "tcp://flag:2");
  CHECK(c.Get("state_dir") == "/from/env");
  CHECK(c.GetBool("verbose"));
  CHECK(pos == std::vector<std::string>{"run"});
  unsetenv("EDGELINE_TEST_STATE_DIR");
  std::remove(path);
}

TEST_CASE("unknown options are errors that name the option") {
  Config c = MakeConfig();
  std::vector<std::string> pos;
  Status s = c.ParseArgs({"--brokr", "x"}, &pos);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "unknown option --brokr");
  const char* path = "config_test_bad.conf";
  {
    std::ofstream f(path);
    f << "broker = x\nspool = 3\n";
  }
  s = c.LoadFile(path);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == std::string(path) + ":2: unknown option \"spool\"");
  std::remove(path);
}

TEST_CASE("dashes and underscores in option names are the same") {
  Config c = MakeConfig();
  std::vector<std::string> pos;
  REQUIRE(c.ParseArgs({"--state-dir", "/x"}, &pos).ok());
  CHECK(c.Get("state_dir") == "/x");
  CHECK_FALSE(c.ParseArgs({"--broker"}, &pos).ok());  // missing value
}
