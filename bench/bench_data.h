// The reference data of the benchmarks (bench/gen_sensor_data.py; the build generates it
// into the build directory).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace edgeline::bench {

// The whole file named by the environment variable `env` if set, else `fallback`; exits
// with a message when it cannot be read. `padding` bytes of capacity are reserved after
// the text (simdjson reads ahead).
inline std::string ReadBenchFile(const char* env, const char* fallback, size_t padding = 0) {
  const char* value = std::getenv(env);
  const std::string path = value != nullptr && *value != '\0' ? value : fallback;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s (generate it with bench/gen_sensor_data.py)\n",
                 path.c_str());
    std::exit(1);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  text.reserve(text.size() + padding);
  return text;
}

}  // namespace edgeline::bench
