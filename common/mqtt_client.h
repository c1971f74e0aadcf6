// A small MQTT client over Paho C++ with the behaviour every edgeline process needs:
// connect in the background and keep reconnecting with backoff (also when the broker is
// down at start-up), re-subscribe after every connect, and hand received messages to a
// handler on a dispatch thread of its own. Paho's callbacks only copy and enqueue.
//
// Thread-safety: all public methods may be called from any thread. The message handler
// runs on the dispatch thread, one message at a time; the on-connect callback runs on
// the connector thread. Neither may call Stop(). Every message Paho received before
// Stop() disconnected is handed to the handler before Stop() returns.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace mqtt {
class async_client;
class connect_options;
}

namespace edgeline {

struct MqttOptions {
  std::string uri = "tcp://127.0.0.1:1883";  // tcp://, ssl:// or mqtts://
  std::string client_id;
  std::string username;
  std::string password;
  std::string ca_file;    // TLS trust store (PEM)
  std::string cert_file;  // TLS client certificate (PEM), optional
  std::string key_file;   // TLS client key (PEM), optional
  bool clean_session = true;
  // Before the first connect, discard whatever session the broker stored under client_id
  // (connect with a clean session, disconnect), so that a persistent session starts
  // without another configuration's subscriptions and queued messages.
  bool discard_session_first = false;
  int keepalive_s = 30;
  // Last Will, sent by the broker if the connection is lost without a clean disconnect.
  std::string will_topic;  // "" = no will
  std::string will_payload;
  bool will_retained = true;
  size_t queue_capacity = 10000;  // received messages waiting for the handler
  int max_buffered = 1000;        // Paho's outgoing buffer
};

struct MqttMessage {
  std::string topic;
  std::string payload;
  bool retained = false;
};

class MqttClient {
 public:
  using Handler = std::function<void(const MqttMessage&)>;

  // Throws std::invalid_argument for a malformed URI.
  MqttClient(MqttOptions options, Handler handler);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Adds a subscription made on every (re)connect. Call before Start().
  void AddSubscription(const std::string& filter, int qos);
  // Called after every successful (re)connect and subscribe. Call before Start().
  void SetOnConnect(std::function<void()> fn) { on_connect_ = std::move(fn); }

  // Starts the connector and dispatch threads. Returns at once.
  void Start();
  // Waits until connected; false on timeout.
  bool WaitConnected(std::chrono::milliseconds timeout);
  bool IsConnected() const { return connected_.load(); }

  // Publishes and waits for completion (for QoS 1, the broker's PUBACK). Returns an error
  // when not connected, on timeout, or when Paho refuses; the caller decides to retry.
  Status Publish(const std::string& topic, const std::string& payload, int qos, bool retained,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Queues a publish and returns without waiting for it to be sent: never blocks on the
  // network. An error when not connected or when Paho's buffer is full; a failure
  // after queueing goes unnoticed (meant for QoS 0 messages that may be lost).
  Status PublishNoWait(const std::string& topic, const std::string& payload, int qos,
                       bool retained);

  // Disconnects cleanly (no Last Will) and joins the threads. With `end_session`, then
  // connects once more with a clean session and disconnects, so the broker drops the
  // persistent session stored under client_id (skipped if that connect fails).
  // Idempotent.
  void Stop(bool end_session = false);

 private:
  void ConnectorLoop();
  void DispatchLoop();
  bool TryConnect();
  mqtt::connect_options ConnectOptions(bool clean_session) const;
  // Connects with a clean session and disconnects: the broker discards the stored session.
  bool DiscardSession();

  MqttOptions opts_;
  Handler handler_;
  std::function<void()> on_connect_;
  std::vector<std::pair<std::string, int>> subscriptions_;
  std::unique_ptr<mqtt::async_client> client_;

  std::atomic<bool> running_{false};
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> losses_{0};  // connection losses seen by Paho's callback
  bool discard_pending_ = false;     // connector thread only
  std::mutex mu_;
  bool disconnected_ = false;   // Stop() has disconnected: no message can arrive any more
  std::condition_variable cv_;  // connection state changes, queue changes, stop
  std::deque<MqttMessage> queue_;
  std::thread connector_;
  std::thread dispatcher_;
};

}  // namespace edgeline
