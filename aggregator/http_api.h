// The aggregator's HTTP endpoints (docs/api.md): /healthz, /metrics, /api/v1/windows,
// /api/v1/jobs, /api/v1/agents. Requests are served on httplib's thread pool and only
// call Aggregator's thread-safe query methods.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <prometheus/registry.h>

#include "aggregator/aggregator.h"
#include "common/status.h"

namespace httplib {
class Server;
}

namespace edgeline {

class HttpApi {
 public:
  HttpApi(Aggregator* aggregator, std::shared_ptr<prometheus::Registry> registry);
  ~HttpApi();

  // Binds "HOST:PORT" (port 0 picks a free one) and serves on a thread of its own.
  Status Start(const std::string& listen);
  int port() const { return port_; }
  void Stop();

 private:
  Aggregator* agg_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Splits "host:port"; an error names the text.
Status ParseHostPort(const std::string& text, std::string* host, int* port);

}  // namespace edgeline
