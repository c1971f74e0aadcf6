#include "common/mqtt_client.h"

#include <mqtt/async_client.h>

#include "common/log.h"

namespace edgeline {

MqttClient::MqttClient(MqttOptions options, Handler handler)
    : opts_(std::move(options)),
      handler_(std::move(handler)),
      discard_pending_(opts_.discard_session_first) {
  mqtt::create_options create(MQTTVERSION_3_1_1, opts_.max_buffered);
  client_ = std::make_unique<mqtt::async_client>(opts_.uri, opts_.client_id, create, nullptr);
  client_->set_message_callback([this](mqtt::const_message_ptr msg) {
    MqttMessage m{msg->get_topic(), msg->get_payload_str(), msg->is_retained()};
    std::unique_lock<std::mutex> lock(mu_);
    // Backpressure: block Paho's thread rather than grow without bound. The dispatch
    // thread keeps draining until Stop() has disconnected, so this wait ends.
    cv_.wait(lock, [this] { return queue_.size() < opts_.queue_capacity || disconnected_; });
    if (queue_.size() >= opts_.queue_capacity) return;
    queue_.push_back(std::move(m));
    cv_.notify_all();
  });
  client_->set_connection_lost_handler([this](const std::string& cause) {
    LOG_WARN("mqtt connection to " << opts_.uri << " lost" << (cause.empty() ? "" : ": ") << cause);
    ++losses_;
    connected_ = false;
    cv_.notify_all();
  });
}

MqttClient::~MqttClient() { Stop(); }

void MqttClient::AddSubscription(const std::string& filter, int qos) {
  subscriptions_.emplace_back(filter, qos);
}

void MqttClient::Start() {
  if (running_.exchange(true)) return;
  dispatcher_ = std::thread([this] { DispatchLoop(); });
  connector_ = std::thread([this] { ConnectorLoop(); });
}

mqtt::connect_options MqttClient::ConnectOptions(bool clean_session) const {
  mqtt::connect_options co;
  co.set_clean_session(clean_session);
  co.set_keep_alive_interval(opts_.keepalive_s);
  co.set_connect_timeout(5);
  co.set_automatic_reconnect(false);
  if (!opts_.username.empty()) {
    co.set_user_name(opts_.username);
    co.set_password(opts_.password);
  }
  if (!opts_.ca_file.empty() || !opts_.cert_file.empty()) {
    mqtt::ssl_options ssl;
    if (!opts_.ca_file.empty()) ssl.set_trust_store(opts_.ca_file);
    if (!opts_.cert_file.empty()) ssl.set_key_store(opts_.cert_file);
    if (!opts_.key_file.empty()) ssl.set_private_key(opts_.key_file);
    co.set_ssl(ssl);
  }
  return co;
}

bool MqttClient::DiscardSession() {
  try {
    if (!client_->connect(ConnectOptions(/*clean_session=*/true))
             ->wait_for(std::chrono::seconds(5))) {
      return false;
    }
    client_->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception& e) {
    LOG_DEBUG("mqtt discard session on " << opts_.uri << " failed: " << e.what());
    return false;
  }
  LOG_DEBUG("mqtt session " << opts_.client_id << " on " << opts_.uri << " discarded");
  return true;
}

bool MqttClient::TryConnect() {
  if (discard_pending_) {
    if (!DiscardSession()) return false;
    discard_pending_ = false;
  }
  mqtt::connect_options co = ConnectOptions(opts_.clean_session);
  if (!opts_.will_topic.empty()) {
    co.set_will(mqtt::will_options(opts_.will_topic, opts_.will_payload, 1, opts_.will_retained));
  }
  const uint64_t losses = losses_.load();
  try {
    if (!client_->connect(co)->wait_for(std::chrono::seconds(10))) {
      LOG_DEBUG("mqtt connect to " << opts_.uri << " timed out");
      return false;
    }
    // Every subscription must be granted: a connection without its subscriptions would
    // look healthy and receive nothing.
    for (const auto& [filter, qos] : subscriptions_) {
      auto tok = client_->subscribe(filter, qos);
      if (!tok->wait_for(std::chrono::seconds(10)) || tok->get_return_code() != 0) {
        LOG_WARN("mqtt subscribe to " << filter << " failed; reconnecting");
        client_->disconnect()->wait_for(std::chrono::seconds(2));
        return false;
      }
    }
  } catch (const mqtt::exception& e) {
    LOG_DEBUG("mqtt connect to " << opts_.uri << " failed: " << e.what());
    return false;
  }
  // Lost again while subscribing: this connection is already gone.
  return losses_.load() == losses && client_->is_connected();
}

void MqttClient::ConnectorLoop() {
  auto backoff = std::chrono::milliseconds(200);
  bool ever_connected = false;
  while (running_) {
    if (!connected_) {
      if (TryConnect()) {
        LOG_INFO("mqtt connected to " << opts_.uri << (ever_connected ? " (reconnect)" : ""));
        ever_connected = true;
        backoff = std::chrono::milliseconds(200);
        connected_ = true;
        cv_.notify_all();
        if (on_connect_) on_connect_();
      } else {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, backoff, [this] { return !running_.load(); });
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        continue;
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(1),
                 [this] { return !running_.load() || !connected_.load(); });
    lock.unlock();
    if (connected_ && !client_->is_connected()) {
      // The loss callback did not come (or raced with the connect): heal the state.
      LOG_WARN("mqtt connection to " << opts_.uri << " found down; reconnecting");
      connected_ = false;
    }
  }
}

void MqttClient::DispatchLoop() {
  while (true) {
    MqttMessage m;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return !queue_.empty() || disconnected_; });
      if (queue_.empty()) return;  // disconnected by Stop() and drained
      m = std::move(queue_.front());
      queue_.pop_front();
      cv_.notify_all();
    }
    handler_(m);
  }
}

bool MqttClient::WaitConnected(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return connected_.load(); });
}

Status MqttClient::Publish(const std::string& topic, const std::string& payload, int qos,
                           bool retained, std::chrono::milliseconds timeout) {
  if (!connected_) return Status::Error("not connected to " + opts_.uri);
  try {
    auto tok = client_->publish(topic, payload.data(), payload.size(), qos, retained);
    if (!tok->wait_for(timeout)) return Status::Error("publish to " + topic + " timed out");
    if (tok->get_return_code() != 0) {
      return Status::Error("publish to " + topic + " failed with code " +
                           std::to_string(tok->get_return_code()));
    }
  } catch (const mqtt::exception& e) {
    return Status::Error("publish to " + topic + " failed: " + e.what());
  }
  return Status::Ok();
}

Status MqttClient::PublishNoWait(const std::string& topic, const std::string& payload, int qos,
                                 bool retained) {
  if (!connected_) return Status::Error("not connected to " + opts_.uri);
  try {
    client_->publish(topic, payload.data(), payload.size(), qos, retained);
  } catch (const mqtt::exception& e) {
    return Status::Error("publish to " + topic + " failed: " + e.what());
  }
  return Status::Ok();
}

void MqttClient::Stop(bool end_session) {
  if (!running_.exchange(false)) return;
  cv_.notify_all();
  if (connector_.joinable()) connector_.join();
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(5));
  } catch (const mqtt::exception& e) {
    LOG_DEBUG("mqtt disconnect: " << e.what());
  }
  connected_ = false;
  if (end_session) DiscardSession();
  {
    std::lock_guard<std::mutex> lock(mu_);
    disconnected_ = true;
  }
  cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
}

}  // namespace edgeline
