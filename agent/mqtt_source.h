// The `mqtt` input (docs/job-spec.md#mqtt-input): a job subscribes to topics on the
// device's local broker (input.broker; its own MQTT client, apart from the agent's
// control-plane connection) and processes each message's payload as rows.
//
// Session: clean session off, client id `edgeline-input-<agent_id>-<job_id>`, so the
// broker keeps the subscriptions and queues QoS 1 messages while the job is stopped (an
// agent restart, a new version). A session set up for another broker, topic list or QoS
// is discarded first (MqttSourceOptions::discard_session, decided by the agent from
// SessionKey), and Stop(true) discards it when the job is deleted.
//
// Flow: the client's dispatch thread copies each message into a bounded queue
// (MqttInputQueue) and calls `wake`; the job's worker drains the queue into its
// JobPipeline (Drain). A message that does not fit is dropped and later counted as one
// `input_overflow` reject.
//
// Durability: Paho acknowledges a QoS 1 message when it arrives, so what is in the
// queues or in the pipeline's unsealed batch when the process dies is lost; a clean
// Stop loses nothing (everything received before the disconnect is queued, the caller
// then drains and flushes).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/job_pipeline.h"
#include "common/job_spec.h"
#include "common/mqtt_client.h"
#include "common/status.h"

namespace edgeline {

// Feeds one message payload to the pipeline as rows: CSV records with the columns
// spec.csv_columns (no header), or NDJSON: a payload that is one JSON value (also one
// spread over several lines) is one row, otherwise every line is one. A payload longer
// than spec.max_line_bytes is one `line_too_long` reject. Bad rows are counted; the
// error is the pipeline's (a sink error). With spec.topic_field, `topic` is that field.
Status FeedMqttPayload(JobPipeline* pipeline, const JobSpec& spec, const std::string& topic,
                       std::string_view payload);

// The queue between the MQTT dispatch thread and the job's worker: at most
// `max_messages` messages and `max_bytes` of payload (an empty queue takes any message).
// A payload longer than `max_payload_bytes` is kept only as its first
// kRejectRawMaxBytes, flagged too_long: it will be rejected anyway. Thread-safe.
class MqttInputQueue {
 public:
  struct Item {
    std::string topic;
    std::string payload;
    bool too_long = false;
  };
  MqttInputQueue(size_t max_messages, size_t max_bytes, size_t max_payload_bytes);

  // False when the message was dropped (counted for TakeAll's *overflow).
  bool Push(const MqttMessage& m);
  // Moves the queued items to *out (appended) and returns the drops since the last call.
  int64_t TakeAll(std::deque<Item>* out);
  // Items or drops wait.
  bool pending() const;

 private:
  const size_t max_messages_, max_bytes_, max_payload_bytes_;
  mutable std::mutex mu_;
  std::deque<Item> items_;
  size_t bytes_ = 0;
  int64_t overflow_ = 0;
};

struct MqttSourceOptions {
  std::string client_id;
  std::vector<std::string> topics;   // input.topics, {agent_id} expanded
  std::string password;              // from the environment variable input.password_env
  bool discard_session = false;      // the broker's stored session is not this configuration's
  std::function<void()> on_connect;  // after every (re)connect, on the connector thread
  std::function<void()> wake;        // a message was queued, on the dispatch thread
};

class MqttSource {
 public:
  // Total payload bytes the queue holds at most (besides input.max_queued_messages).
  static constexpr size_t kMaxQueuedBytes = 16 << 20;

  // `spec` must outlive the source. Throws std::invalid_argument for a broker URI Paho
  // refuses.
  MqttSource(const JobSpec& spec, MqttSourceOptions opts);
  ~MqttSource();
  MqttSource(const MqttSource&) = delete;
  MqttSource& operator=(const MqttSource&) = delete;

  // Connects in the background, reconnecting with backoff while the broker is away.
  void Start();
  bool connected() const;
  bool pending() const { return queue_.pending(); }
  // Feeds every queued message to the pipeline (FeedMqttPayload), and counts the
  // dropped ones as `input_overflow` rejects. Returns the pipeline's error, if any.
  Status Drain(JobPipeline* pipeline);
  // The topic of the message being fed ("" outside Drain): a reject's source.
  const std::string& current_topic() const { return current_topic_; }
  // Disconnects; every message received until then is queued for a last Drain. With
  // `end_session` the broker's session is discarded too (the job was deleted).
  void Stop(bool end_session);

  // What a session is set up with: broker, topics, QoS. A change needs a new session.
  static std::string SessionKey(const JobSpec& spec);
  // The MQTT client id of a job's input on an agent.
  static std::string ClientId(const std::string& agent_id, const std::string& job_id);

 private:
  const JobSpec& spec_;
  MqttInputQueue queue_;
  std::unique_ptr<MqttClient> client_;
  std::string current_topic_;
};

}  // namespace edgeline
