// Drains the spool to the broker (docs/operations.md#spool).
//
// One thread. While connected it sends, in order: batches sealed since the current
// connection was made (live data first), then the backlog (batches sealed before it, and
// batches sent more than ack_timeout_ms ago without an ack), paced at backlog_rate
// batches per second. Re-sent batches carry "historical": true. Publishing waits for the
// broker's PUBACK one batch at a time, so Paho's outgoing buffer never fills.
//
// Thread-safety: Start/Stop from the owner; Notify and OnConnected from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "agent/spool.h"
#include "common/mqtt_client.h"
#include "common/topics.h"

namespace edgeline {

struct PublisherOptions {
  std::string agent_id;
  int64_t ack_timeout_ms = 30000;  // re-send a batch not acknowledged after this
  double backlog_rate = 50;        // backlog batches per second; <= 0: unlimited
};

class Publisher {
 public:
  // `mqtt` and `spool` must outlive the publisher.
  Publisher(PublisherOptions options, const Topics& topics, MqttClient* mqtt, Spool* spool);
  ~Publisher();

  void Start();
  void Stop();
  // Wakes the publisher: a batch was spooled.
  void Notify();
  // Called after each (re)connect: what was sealed before `now_ms` becomes backlog.
  void OnConnected(int64_t now_ms);

 private:
  void Loop();
  // Sends one batch; false when the broker refused or the connection is gone.
  bool Send(const SpoolEntry& e, bool historical);

  PublisherOptions opts_;
  Topics topics_;
  MqttClient* mqtt_;
  Spool* spool_;
  std::atomic<int64_t> live_since_ms_{0};
  std::atomic<bool> running_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
  std::thread thread_;
};

}  // namespace edgeline
