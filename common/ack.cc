#include "common/ack.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "common/topics.h"

namespace edgeline {

std::string EncodeAcks(std::vector<AckKey> keys) {
  std::sort(keys.begin(), keys.end(), [](const AckKey& a, const AckKey& b) {
    return std::tie(a.job_id, a.epoch, a.seq) < std::tie(b.job_id, b.epoch, b.seq);
  });
  nlohmann::json acks = nlohmann::json::array();
  size_t i = 0;
  while (i < keys.size()) {
    nlohmann::json entry = {{"job_id", keys[i].job_id}, {"epoch", keys[i].epoch}};
    nlohmann::json ranges = nlohmann::json::array();
    size_t j = i;
    while (j < keys.size() && keys[j].job_id == keys[i].job_id && keys[j].epoch == keys[i].epoch) {
      int64_t first = keys[j].seq, last = first;
      while (j + 1 < keys.size() && keys[j + 1].job_id == keys[j].job_id &&
             keys[j + 1].epoch == keys[j].epoch && keys[j + 1].seq <= last + 1) {
        ++j;
        last = std::max(last, keys[j].seq);
      }
      ranges.push_back({first, last});
      ++j;
    }
    entry["ranges"] = std::move(ranges);
    acks.push_back(std::move(entry));
    i = j;
  }
  return nlohmann::json{{"acks", acks}}.dump();
}

Result<std::vector<AckRange>> DecodeAcks(std::string_view payload, size_t max_ranges) {
  nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object() || !j.contains("acks") || !j["acks"].is_array()) {
    return Status::Error("invalid ack: not an object with an \"acks\" array");
  }
  std::vector<AckRange> out;
  for (const auto& e : j["acks"]) {
    if (!e.is_object() || !e.contains("job_id") || !e["job_id"].is_string() ||
        !IsValidId(e["job_id"].get<std::string>()) || !e.contains("epoch") ||
        !e["epoch"].is_number_integer() || !e.contains("ranges") || !e["ranges"].is_array()) {
      return Status::Error("invalid ack: each entry needs job_id, epoch and ranges");
    }
    for (const auto& r : e["ranges"]) {
      if (!r.is_array() || r.size() != 2 || !r[0].is_number_integer() ||
          !r[1].is_number_integer() || r[0].get<int64_t>() > r[1].get<int64_t>()) {
        return Status::Error("invalid ack: a range is [first, last] with first <= last");
      }
      if (out.size() >= max_ranges) return Status::Error("invalid ack: too many ranges");
      out.push_back(AckRange{e["job_id"].get<std::string>(), e["epoch"].get<int64_t>(),
                             r[0].get<int64_t>(), r[1].get<int64_t>()});
    }
  }
  return out;
}

}  // namespace edgeline
