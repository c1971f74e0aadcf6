// `edgeline rejects`: prints the sampled rejected rows agents publish on
// <p>/rejects/<job_id>/<agent_id> (docs/cli.md#rejects).
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/cli_util.h"
#include "common/mqtt_client.h"
#include "common/topics.h"

namespace edgeline {

namespace {
// One line: time, agent, job, reason, suppressed count, source and the raw text.
std::string SampleLine(const std::string& topic, const nlohmann::json& j) {
  auto text = [&](const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::string("-");
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  if (!j.is_object()) return topic + " (not a JSON object)";
  std::string line = text("time") + "  " + text("agent_id") + "  " + text("job_id") + "  " +
                     text("reason") + "  suppressed=" + text("suppressed");
  const std::string source = text("source");
  if (!source.empty() && source != "-") line += "  " + source;
  return line + "  " + nlohmann::json(text("raw")).dump();
}
}  // namespace

int Rejects(const Config& cfg) {
  const std::string format = cfg.Get("format");
  if (format != "table" && format != "json") {
    std::cerr << "edgeline: rejects: --format must be table or json\n";
    return 2;
  }
  auto count = cfg.GetInt("count");
  auto timeout = cfg.GetInt("timeout");
  if (!count.ok() || !timeout.ok()) {
    std::cerr << "edgeline: " << (count.ok() ? timeout.status() : count.status()).message()
              << "\n";
    return 2;
  }
  Topics topics(cfg.Get("topic_prefix"));
  std::mutex mu;
  std::condition_variable cv;
  int64_t printed = 0;
  MqttOptions o;
  ApplyMqttOptions(cfg, &o);
  o.client_id = "edgeline-cli-" + std::to_string(::getpid());
  MqttClient client(o, [&](const MqttMessage& m) {
    std::lock_guard<std::mutex> lock(mu);
    if (count.value() > 0 && printed >= count.value()) return;
    if (format == "json") {
      std::cout << m.payload << std::endl;
    } else {
      std::cout << SampleLine(m.topic, nlohmann::json::parse(m.payload, nullptr, false))
                << std::endl;
    }
    ++printed;
    cv.notify_all();
  });
  client.AddSubscription(topics.RejectsFilter(cfg.Get("job"), cfg.Get("agent")), 0);
  client.Start();
  if (!client.WaitConnected(std::chrono::seconds(5))) {
    std::cerr << "edgeline: cannot connect to broker " << cfg.Get("broker") << "\n";
    return 1;
  }
  bool reached;
  {
    std::unique_lock<std::mutex> lock(mu);
    auto done = [&] { return count.value() > 0 && printed >= count.value(); };
    if (timeout.value() > 0) {
      reached = cv.wait_for(lock, std::chrono::seconds(timeout.value()), done);
    } else {
      cv.wait(lock, done);
      reached = true;
    }
  }
  client.Stop();
  if (count.value() > 0 && !reached) {
    std::cerr << "edgeline: timed out after " << printed << " of " << count.value()
              << " samples\n";
    return 3;
  }
  return 0;
}

}  // namespace edgeline
