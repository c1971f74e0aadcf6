#include "cli/commands.h"

#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "cli/table.h"
#include "common/cli_util.h"
#include "common/file_util.h"
#include "common/job_spec.h"
#include "common/mqtt_client.h"
#include "common/time_util.h"
#include "common/timestamp.h"
#include "common/topics.h"

namespace edgeline {

namespace {

using Clock = std::chrono::steady_clock;

MqttOptions BrokerOptions(const Config& cfg) {
  MqttOptions o;
  ApplyMqttOptions(cfg, &o);
  o.client_id = "edgeline-cli-" + std::to_string(::getpid());
  return o;
}

// Reads and validates a job spec file; on failure prints why and returns nullopt.
std::optional<JobSpec> LoadSpec(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) {
    std::cerr << "edgeline: cannot read " << path << "\n";
    return std::nullopt;
  }
  auto spec = ParseJobSpec(*text);
  if (!spec.ok()) {
    std::cerr << "edgeline: " << path << ": " << spec.status().message() << "\n";
    return std::nullopt;
  }
  // The spec is valid: agents load the time zone themselves. One this machine does not
  // know is most likely a typo, so say so, without refusing the spec.
  auto ts = TimestampParser::Create(spec->ts);
  if (!ts.ok()) {
    std::cerr << "edgeline: " << path << ": warning: " << ts.status().message()
              << "; agents without the zone fail the job\n";
  }
  return std::move(spec.value());
}

// Collects the retained messages on `filters`: connects, subscribes, and returns once no
// message has arrived for `quiet_ms` (or after max_ms). nullopt when the broker cannot be
// reached within the connect timeout.
std::optional<std::vector<MqttMessage>> CollectRetained(const Config& cfg,
                                                        const std::vector<std::string>& filters,
                                                        int quiet_ms = 400, int max_ms = 5000) {
  std::mutex mu;
  std::vector<MqttMessage> got;
  auto last = Clock::now();
  MqttClient client(BrokerOptions(cfg), [&](const MqttMessage& m) {
    std::lock_guard<std::mutex> lock(mu);
    if (m.retained && !m.payload.empty()) got.push_back(m);
    last = Clock::now();
  });
  for (const auto& f : filters) client.AddSubscription(f, 1);
  client.Start();
  if (!client.WaitConnected(std::chrono::seconds(5))) return std::nullopt;
  auto start = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mu);
    last = Clock::now();
  }
  while (Clock::now() - start < std::chrono::milliseconds(max_ms)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard<std::mutex> lock(mu);
    if (Clock::now() - last > std::chrono::milliseconds(quiet_ms)) break;
  }
  client.Stop();
  return got;
}

int BrokerUnreachable(const Config& cfg) {
  std::cerr << "edgeline: cannot connect to broker " << cfg.Get("broker") << "\n";
  return 1;
}

std::string Fixed(const nlohmann::json& v, int digits) {
  if (!v.is_number()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v.get<double>());
  return buf;
}

std::string JsonText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

std::string CounterText(const nlohmann::json& counters, const char* name) {
  return counters.is_object() && counters.contains(name) ? counters[name].dump() : "-";
}

// "reason=n,..." from a status's counters.
std::string ReasonsText(const nlohmann::json& counters) {
  std::string out;
  if (!counters.is_object() || !counters.contains("reasons")) return out;
  for (const auto& [reason, n] : counters["reasons"].items()) {
    out += (out.empty() ? "" : ",") + reason + "=" + n.dump();
  }
  return out;
}

}  // namespace

int JobValidate(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: edgeline job validate FILE\n";
    return 2;
  }
  auto spec = LoadSpec(args[0]);
  if (!spec) return 2;
  std::cout << args[0] << ": valid job spec \"" << spec->job_id << "\" version " << spec->version
            << "\n";
  return 0;
}

int JobSubmit(const Config& cfg, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: edgeline job submit FILE\n";
    return 2;
  }
  auto spec = LoadSpec(args[0]);
  if (!spec) {
    std::cerr << "edgeline: job not submitted\n";
    return 2;
  }
  // Publish the spec compactly: retained messages are stored by the broker.
  std::string payload = nlohmann::ordered_json::parse(spec->raw).dump();
  MqttClient client(BrokerOptions(cfg), [](const MqttMessage&) {});
  client.Start();
  if (!client.WaitConnected(std::chrono::seconds(5))) return BrokerUnreachable(cfg);
  Topics topics(cfg.Get("topic_prefix"));
  Status s = client.Publish(topics.Job(spec->job_id), payload, 1, true);
  client.Stop();
  if (!s.ok()) {
    std::cerr << "edgeline: " << s.message() << "\n";
    return 1;
  }
  std::cout << "submitted job " << spec->job_id << " version " << spec->version << "\n";
  return 0;
}

int JobDelete(const Config& cfg, const std::vector<std::string>& args) {
  if (args.size() != 1 || !IsValidId(args[0])) {
    std::cerr << "usage: edgeline job delete JOB_ID\n";
    return 2;
  }
  MqttClient client(BrokerOptions(cfg), [](const MqttMessage&) {});
  client.Start();
  if (!client.WaitConnected(std::chrono::seconds(5))) return BrokerUnreachable(cfg);
  Topics topics(cfg.Get("topic_prefix"));
  Status s = client.Publish(topics.Job(args[0]), "", 1, true);
  client.Stop();
  if (!s.ok()) {
    std::cerr << "edgeline: " << s.message() << "\n";
    return 1;
  }
  std::cout << "deleted job " << args[0] << "\n";
  return 0;
}

int JobList(const Config& cfg) {
  Topics topics(cfg.Get("topic_prefix"));
  auto msgs = CollectRetained(cfg, {topics.AllJobs()});
  if (!msgs) return BrokerUnreachable(cfg);
  std::map<std::string, nlohmann::json> jobs;
  for (const auto& m : *msgs) {
    auto j = nlohmann::json::parse(m.payload, nullptr, false);
    if (j.is_object()) jobs[topics.Parse(m.topic).job_id] = j;
  }
  if (cfg.Get("format") == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (auto& [id, j] : jobs) out.push_back(j);
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  Table t({"JOB", "VERSION", "MODE", "INPUT", "TARGET"});
  for (auto& [id, j] : jobs) {
    std::string input;
    if (j.contains("input") && j["input"].is_object()) {
      const auto& in = j["input"];
      std::string where = JsonText(in.value("path", nlohmann::json()));
      if (in.contains("topics") && in["topics"].is_array()) {  // an mqtt input's filters
        for (const auto& t : in["topics"]) where += (where.empty() ? "" : ",") + JsonText(t);
      }
      input = JsonText(in.value("type", nlohmann::json())) + " " + where;
    }
    t.Add({id, JsonText(j.value("version", nlohmann::json())),
           JsonText(j.value("mode", nlohmann::json())), input,
           j.contains("target") ? j["target"].dump() : ""});
  }
  t.Print(std::cout);
  return 0;
}

int Agents(const Config& cfg) {
  Topics topics(cfg.Get("topic_prefix"));
  auto msgs = CollectRetained(cfg, {topics.AllAgentStates(), topics.AllJobStatuses()});
  if (!msgs) return BrokerUnreachable(cfg);
  std::map<std::string, nlohmann::json> state;
  std::map<std::string, std::map<std::string, nlohmann::json>> jobs;
  for (const auto& m : *msgs) {
    auto j = nlohmann::json::parse(m.payload, nullptr, false);
    if (!j.is_object()) continue;
    auto p = topics.Parse(m.topic);
    if (p.kind == Topics::Parsed::kAgentState) state[p.agent_id] = j;
    if (p.kind == Topics::Parsed::kJobStatus) jobs[p.agent_id][p.job_id] = j;
  }
  std::set<std::string> ids;
  for (auto& [id, s] : state) ids.insert(id);
  for (auto& [id, s] : jobs) ids.insert(id);
  if (cfg.Get("format") == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& id : ids) {
      out.push_back({{"agent_id", id}, {"state", state.count(id) ? state[id] : nlohmann::json()},
                     {"jobs", jobs.count(id) ? nlohmann::json(jobs[id]) : nlohmann::json::object()}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  Table t({"AGENT", "STATUS", "LABELS", "JOB", "VERSION", "STATE", "READ", "KEPT", "REJECTED",
           "DROPPED", "REASONS", "ERROR"});
  for (const auto& id : ids) {
    std::string status = state.count(id) ? JsonText(state[id].value("status", nlohmann::json())) : "?";
    std::string labels;
    if (state.count(id) && state[id].contains("labels") && state[id]["labels"].is_object()) {
      for (auto& [k, v] : state[id]["labels"].items()) {
        labels += (labels.empty() ? "" : ",") + k + "=" + JsonText(v);
      }
    }
    if (!jobs.count(id)) {
      t.Add({id, status, labels, "-", "", "", "", "", "", "", "", ""});
      continue;
    }
    for (auto& [job, st] : jobs[id]) {
      const nlohmann::json& c = st.contains("counters") ? st["counters"] : nlohmann::json();
      t.Add({id, status, labels, job, JsonText(st.value("version", nlohmann::json())),
             JsonText(st.value("state", nlohmann::json())), CounterText(c, "read"),
             CounterText(c, "kept"), CounterText(c, "rejected"), CounterText(c, "dropped"),
             ReasonsText(c), JsonText(st.value("error", nlohmann::json()))});
    }
  }
  t.Print(std::cout);
  return 0;
}

int JobWait(const Config& cfg, const std::vector<std::string>& args) {
  if (args.size() != 1 || cfg.Get("agents").empty()) {
    std::cerr << "usage: edgeline job wait JOB_ID --agents a,b,... [--timeout SECONDS]\n";
    return 2;
  }
  const std::string job = args[0];
  std::set<std::string> want;
  std::stringstream ss(cfg.Get("agents"));
  for (std::string a; std::getline(ss, a, ',');) {
    if (!a.empty()) want.insert(a);
  }
  auto timeout = cfg.GetInt("timeout");
  if (!timeout.ok()) {
    std::cerr << "edgeline: " << timeout.status().message() << "\n";
    return 2;
  }
  Topics topics(cfg.Get("topic_prefix"));
  std::mutex mu;
  std::map<std::string, nlohmann::json> status;
  int64_t version = -1;  // of the retained spec: -1 not seen yet, 0 deleted
  MqttClient client(BrokerOptions(cfg), [&](const MqttMessage& m) {
    auto p = topics.Parse(m.topic);
    std::lock_guard<std::mutex> lock(mu);
    if (p.kind == Topics::Parsed::kJob && p.job_id == job) {
      auto spec = nlohmann::json::parse(m.payload, nullptr, false);
      version = spec.is_object() && spec.contains("version") && spec["version"].is_number_integer()
                    ? spec["version"].get<int64_t>()
                    : 0;
      return;
    }
    auto j = nlohmann::json::parse(m.payload, nullptr, false);
    if (p.kind != Topics::Parsed::kJobStatus || p.job_id != job || !j.is_object()) return;
    status[p.agent_id] = j;
  });
  client.AddSubscription(topics.Job(job), 1);
  for (const auto& a : want) client.AddSubscription(topics.JobStatus(a, job), 1);
  client.Start();
  if (!client.WaitConnected(std::chrono::seconds(5))) return BrokerUnreachable(cfg);
  auto deadline = Clock::now() + std::chrono::seconds(timeout.value());
  int rc = 3;
  while (Clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (version == 0) {
        std::cerr << "edgeline: job " << job << " is not submitted\n";
        rc = 1;
        break;
      }
      // Only statuses of the submitted version count (an older one may still be retained).
      size_t done = 0, failed = 0;
      for (const auto& a : want) {
        auto it = status.find(a);
        if (version < 0 || it == status.end() || it->second.value("version", int64_t{-1}) != version) {
          continue;
        }
        std::string st = it->second.value("state", "");
        done += st == "completed";
        failed += st == "failed";
      }
      if (done + failed == want.size()) {
        rc = failed ? 1 : 0;
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  client.Stop();
  for (const auto& a : want) {
    auto it = status.find(a);
    std::cout << a << ": "
              << (it == status.end() ? "no status" : it->second.value("state", std::string("?")));
    if (it != status.end() && it->second.contains("error")) {
      std::cout << " (" << JsonText(it->second["error"]) << ")";
    }
    std::cout << "\n";
  }
  if (rc == 3) std::cerr << "edgeline: timed out waiting for job " << job << "\n";
  return rc;
}

int Query(const Config& cfg) {
  if (cfg.Get("job").empty()) {
    std::cerr << "usage: edgeline query --job ID [--key K] [--from T] [--to T] "
                 "[--format table|json|csv] [--api URL]\n";
    return 2;
  }
  const std::string format = cfg.Get("format");
  if (format != "table" && format != "json" && format != "csv") {
    std::cerr << "edgeline: --format must be table, json or csv\n";
    return 2;
  }
  httplib::Params params{{"job", cfg.Get("job")}};
  for (const char* p : {"key", "from", "to"}) {
    if (!cfg.Get(p).empty()) params.emplace(p, cfg.Get(p));
  }
  httplib::Client client(cfg.Get("api"));
  client.set_connection_timeout(5);
  client.set_read_timeout(30);
  auto res = client.Get("/api/v1/windows", params, httplib::Headers{});
  if (!res) {
    std::cerr << "edgeline: cannot reach the aggregator API at " << cfg.Get("api") << ": "
              << httplib::to_string(res.error()) << "\n";
    return 1;
  }
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200) {
    std::cerr << "edgeline: " << (body.is_object() && body.contains("error") ? JsonText(body["error"]) : res->body)
              << "\n";
    return 1;
  }
  if (format == "json") {
    std::cout << body.dump(2) << "\n";
    return 0;
  }
  const auto& rows = body["windows"];
  if (format == "csv") {
    Table t({"window_start", "window_end", "key", "field", "count", "sum", "mean", "min", "max",
             "stddev"});
    for (const auto& w : rows) {
      t.Add({FormatIso8601(w["window_start"]), FormatIso8601(w["window_end"]), JsonText(w["key"]),
             JsonText(w["field"]), w["count"].dump(), w["sum"].dump(), JsonText(w["mean"]),
             JsonText(w["min"]), JsonText(w["max"]), JsonText(w["stddev"])});
    }
    t.PrintCsv(std::cout);
    return 0;
  }
  Table t({"WINDOW_START", "KEY", "FIELD", "COUNT", "MEAN", "MIN", "MAX", "STDDEV"});
  for (const auto& w : rows) {
    t.Add({FormatIso8601(w["window_start"]), JsonText(w["key"]), JsonText(w["field"]),
           w["count"].dump(), Fixed(w["mean"], 3), Fixed(w["min"], 3), Fixed(w["max"], 3),
           Fixed(w["stddev"], 3)});
  }
  t.Print(std::cout);
  std::cout << "(" << t.size() << " windows)\n";
  return 0;
}

int Rejects(const Config& cfg) {
  const std::string format = cfg.Get("format");
  if (format != "table" && format != "json") {
    std::cerr << "edgeline: rejects: --format must be table or json\n";
    return 2;
  }
  auto count = cfg.GetInt("count");
  auto timeout = cfg.GetInt("timeout");
  if (!count.ok() || !timeout.ok()) {
    std::cerr << "edgeline: " << (count.ok() ? timeout.status() : count.status()).message() << "\n";
    return 2;
  }
  // A table line: time, agent, job, reason, suppressed, source (if known), raw as JSON.
  auto line = [](const std::string& topic, const nlohmann::json& j) {
    if (!j.is_object()) return topic + " (not a JSON object)";
    auto text = [&](const char* key) { return JsonText(j.value(key, nlohmann::json())); };
    std::string out = text("time") + "  " + text("agent_id") + "  " + text("job_id") + "  " +
                      text("reason") + "  suppressed=" + text("suppressed");
    if (!text("source").empty()) out += "  " + text("source");
    return out + "  " + nlohmann::json(text("raw")).dump();
  };
  Topics topics(cfg.Get("topic_prefix"));
  std::mutex mu;
  std::condition_variable cv;
  int64_t printed = 0;
  auto done = [&] { return count.value() > 0 && printed >= count.value(); };
  MqttClient client(BrokerOptions(cfg), [&](const MqttMessage& m) {
    std::lock_guard<std::mutex> lock(mu);
    if (done()) return;
    std::cout << (format == "json"
                      ? m.payload
                      : line(m.topic, nlohmann::json::parse(m.payload, nullptr, false)))
              << std::endl;
    ++printed;
    cv.notify_all();
  });
  client.AddSubscription(topics.RejectsFilter(cfg.Get("job"), cfg.Get("agent")), 0);
  client.Start();
  if (!client.WaitConnected(std::chrono::seconds(5))) return BrokerUnreachable(cfg);
  bool reached = true;
  {
    std::unique_lock<std::mutex> lock(mu);
    if (timeout.value() > 0) {
      reached = cv.wait_for(lock, std::chrono::seconds(timeout.value()), done);
    } else {
      cv.wait(lock, done);  // no count and no timeout: until interrupted
    }
  }
  client.Stop();
  if (count.value() > 0 && !reached) {
    std::cerr << "edgeline: timed out after " << printed << " of " << count.value() << " samples\n";
    return 3;
  }
  return 0;
}

}  // namespace edgeline
