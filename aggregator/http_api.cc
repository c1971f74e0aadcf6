#include "aggregator/http_api.h"

#include <httplib.h>

#include <sstream>
#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>

#include "common/log.h"
#include "common/time_util.h"

namespace edgeline {

Status ParseHostPort(const std::string& text, std::string* host, int* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::Error("\"" + text + "\" is not HOST:PORT");
  }
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  try {
    size_t used = 0;
    *port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || *port < 0 || *port > 65535) throw std::out_of_range("");
  } catch (const std::exception&) {
    return Status::Error("\"" + text + "\" has no valid port");
  }
  return Status::Ok();
}

namespace {
void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  "application/json");
}
void SendError(httplib::Response& res, int status, const std::string& message) {
  SendJson(res, status, {{"error", message}});
}
// Parses an optional integer parameter; false (and a 400 response) when malformed.
bool IntParam(const httplib::Request& req, httplib::Response& res, const char* name,
              std::optional<int64_t>* out) {
  if (!req.has_param(name)) return true;
  std::string v = req.get_param_value(name);
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != v.size()) throw std::invalid_argument("");
    *out = n;
    return true;
  } catch (const std::exception&) {
    // Also accept ISO 8601 times, which is what people paste.
    if (auto ms = ParseIso8601Ms(v)) {
      *out = *ms;
      return true;
    }
    SendError(res, 400, std::string("parameter ") + name +
                            " must be epoch milliseconds or an ISO 8601 time, got \"" + v + "\"");
    return false;
  }
}
}  // namespace

HttpApi::HttpApi(Aggregator* aggregator, std::shared_ptr<prometheus::Registry> registry)
    : agg_(aggregator), registry_(std::move(registry)), server_(new httplib::Server()) {
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    bool ok = false;
    nlohmann::json body = agg_->Health(&ok);
    SendJson(res, ok ? 200 : 503, body);
  });
  // Metrics of the HTTP side (docs/metrics.md): build info, and the agents' states,
  // counted at scrape time from the retained agent states the aggregator keeps.
  prometheus::BuildGauge()
      .Name("edgeline_aggregator_build_info")
      .Help("Always 1; the version label is the aggregator's version")
      .Register(*registry_)
      .Add({{"version", EDGELINE_VERSION}})
      .Set(1);
  prometheus::Gauge* agents_online = &prometheus::BuildGauge()
                                          .Name("edgeline_aggregator_agents_online")
                                          .Help("Agents whose retained state is online")
                                          .Register(*registry_)
                                          .Add({});
  prometheus::Gauge* agents_known = &prometheus::BuildGauge()
                                         .Name("edgeline_aggregator_agents_known")
                                         .Help("Agents with a retained state (online or offline)")
                                         .Register(*registry_)
                                         .Add({});
  server_->Get("/metrics", [this, agents_online, agents_known](const httplib::Request&,
                                                               httplib::Response& res) {
    int64_t online = 0, known = 0;
    for (const auto& a : agg_->Agents()) {
      const nlohmann::json& st = a["state"];
      if (!st.is_object()) continue;
      ++known;
      if (st.value("status", "") == "online") ++online;
    }
    agents_online->Set(static_cast<double>(online));
    agents_known->Set(static_cast<double>(known));
    prometheus::TextSerializer serializer;
    res.set_content(serializer.Serialize(registry_->Collect()),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/api/v1/windows", [this](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("job")) return SendError(res, 400, "parameter job is required");
    WindowQuery q;
    q.job_id = req.get_param_value("job");
    if (req.has_param("key")) q.key = req.get_param_value("key");
    if (!IntParam(req, res, "from", &q.from) || !IntParam(req, res, "to", &q.to)) return;
    if (req.has_param("metrics")) {
      std::stringstream list(req.get_param_value("metrics"));
      for (std::string m; std::getline(list, m, ',');) {
        if (!m.empty()) q.metrics.push_back(m);
      }
    }
    auto rows = agg_->QueryWindows(q);
    if (!rows.ok()) {
      const std::string& msg = rows.status().message();
      const int code = msg.rfind("unknown job", 0) == 0 ? 404
                       : msg.rfind("parameter", 0) == 0  ? 400
                                                         : 500;
      return SendError(res, code, msg);
    }
    SendJson(res, 200, {{"job", q.job_id}, {"windows", rows.value()}});
  });
  server_->Get("/api/v1/jobs", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, {{"jobs", agg_->Jobs()}});
  });
  server_->Get("/api/v1/agents", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, {{"agents", agg_->Agents()}});
  });
  server_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty()) {
      SendError(res, res.status, "no such endpoint: " + req.method + " " + req.path);
    }
  });
}

HttpApi::~HttpApi() { Stop(); }

Status HttpApi::Start(const std::string& listen) {
  std::string host;
  int port;
  Status s = ParseHostPort(listen, &host, &port);
  if (!s.ok()) return s;
  if (port == 0) {
    port_ = server_->bind_to_any_port(host.c_str());
    if (port_ < 0) return Status::Error("cannot listen on " + listen);
  } else {
    if (!server_->bind_to_port(host.c_str(), port)) {
      return Status::Error("cannot listen on " + listen + " (address in use?)");
    }
    port_ = port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  LOG_INFO("http api on " << host << ":" << port_);
  return Status::Ok();
}

void HttpApi::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace edgeline
