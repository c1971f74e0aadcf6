#include "agent/mqtt_source.h"

#include <algorithm>
#include <istream>
#include <nlohmann/json.hpp>
#include <streambuf>

#include "agent/reject_sampler.h"

namespace edgeline {

namespace {
// An istream over a buffer it does not own.
class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(std::string_view s) {
    char* p = const_cast<char*>(s.data());
    setg(p, p, p + s.size());
  }
};

Status FeedNdjson(JobPipeline* pipeline, const std::string& topic, std::string_view payload) {
  std::string joined;
  if (payload.find('\n') != std::string_view::npos && nlohmann::json::accept(payload)) {
    // One JSON value spread over lines (pretty-printed): a raw CR or LF can only be
    // whitespace between tokens, so as one line it is the same value.
    joined.assign(payload);
    std::replace(joined.begin(), joined.end(), '\n', ' ');
    std::replace(joined.begin(), joined.end(), '\r', ' ');
    payload = joined;
  }
  ViewBuf buf(payload);
  std::istream in(&buf);
  return pipeline->Run(in, topic);
}
}  // namespace

Status FeedMqttPayload(JobPipeline* pipeline, const JobSpec& spec, const std::string& topic,
                       std::string_view payload) {
  if (payload.size() > spec.max_line_bytes) {
    pipeline->CountReject("line_too_long", payload.substr(0, kRejectRawMaxBytes));
    return Status::Ok();
  }
  if (spec.topic_field >= 0) pipeline->set_field_override(spec.topic_field, topic);
  Status s;
  if (spec.format == "csv") {
    std::vector<std::string> header;  // stays empty: payloads have no header row
    bool skipping = false;
    size_t used = 0;
    s = pipeline->RunCsvChunk(payload.data(), payload.size(), /*final=*/true, topic, 0, &header,
                              &skipping, &used);
  } else {
    s = FeedNdjson(pipeline, topic, payload);
  }
  if (spec.topic_field >= 0) pipeline->set_field_override(-1, {});
  return s;
}

MqttInputQueue::MqttInputQueue(size_t max_messages, size_t max_bytes, size_t max_payload_bytes)
    : max_messages_(max_messages), max_bytes_(max_bytes), max_payload_bytes_(max_payload_bytes) {}

bool MqttInputQueue::Push(const MqttMessage& m) {
  const bool too_long = m.payload.size() > max_payload_bytes_;
  const size_t size = too_long ? std::min(m.payload.size(), kRejectRawMaxBytes) : m.payload.size();
  std::lock_guard<std::mutex> lock(mu_);
  if (!items_.empty() && (items_.size() >= max_messages_ || bytes_ + size > max_bytes_)) {
    ++overflow_;
    return false;
  }
  items_.push_back(Item{m.topic, m.payload.substr(0, size), too_long});
  bytes_ += size;
  return true;
}

int64_t MqttInputQueue::TakeAll(std::deque<Item>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& item : items_) out->push_back(std::move(item));
  items_.clear();
  bytes_ = 0;
  int64_t overflow = overflow_;
  overflow_ = 0;
  return overflow;
}

bool MqttInputQueue::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !items_.empty() || overflow_ > 0;
}

MqttSource::MqttSource(const JobSpec& spec, MqttSourceOptions opts)
    : spec_(spec), queue_(spec.mqtt_max_queued, kMaxQueuedBytes, spec.max_line_bytes) {
  MqttOptions mo;
  mo.uri = spec.mqtt_broker;
  mo.client_id = opts.client_id;
  mo.username = spec.mqtt_username;
  mo.password = opts.password;
  mo.clean_session = false;
  mo.discard_session_first = opts.discard_session;
  mo.queue_capacity = 100;  // the handler only moves messages on: keep this queue short
  auto wake = std::move(opts.wake);
  client_ = std::make_unique<MqttClient>(mo, [this, wake](const MqttMessage& m) {
    queue_.Push(m);
    if (wake) wake();
  });
  for (const auto& filter : opts.topics) client_->AddSubscription(filter, spec.mqtt_qos);
  if (opts.on_connect) client_->SetOnConnect(std::move(opts.on_connect));
}

MqttSource::~MqttSource() { Stop(false); }

void MqttSource::Start() { client_->Start(); }

bool MqttSource::connected() const { return client_->IsConnected(); }

Status MqttSource::Drain(JobPipeline* pipeline) {
  std::deque<MqttInputQueue::Item> items;
  const int64_t overflow = queue_.TakeAll(&items);
  current_topic_.clear();
  for (int64_t i = 0; i < overflow; ++i) pipeline->CountReject("input_overflow");
  Status s;
  for (const auto& item : items) {
    current_topic_ = item.topic;
    if (item.too_long) {
      pipeline->CountReject("line_too_long", item.payload);
    } else {
      s = FeedMqttPayload(pipeline, spec_, item.topic, item.payload);
    }
    if (!s.ok()) break;
  }
  current_topic_.clear();
  return s;
}

void MqttSource::Stop(bool end_session) { client_->Stop(end_session); }

std::string MqttSource::SessionKey(const JobSpec& spec) {
  std::vector<std::string> topics = spec.mqtt_topics;
  std::sort(topics.begin(), topics.end());
  return nlohmann::json{{"broker", spec.mqtt_broker}, {"topics", topics}, {"qos", spec.mqtt_qos}}
      .dump();
}

std::string MqttSource::ClientId(const std::string& agent_id, const std::string& job_id) {
  return "edgeline-input-" + agent_id + "-" + job_id;
}

}  // namespace edgeline
