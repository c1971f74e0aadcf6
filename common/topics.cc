#include "common/topics.h"

#include <vector>

namespace edgeline {
namespace {
std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find('/', start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}
}  // namespace

Topics::Parsed Topics::Parse(std::string_view topic) const {
  Parsed r;
  if (topic.size() <= p_.size() || topic.substr(0, p_.size()) != p_ || topic[p_.size()] != '/') {
    return r;
  }
  auto parts = Split(topic.substr(p_.size() + 1));
  if (parts.size() == 2 && parts[0] == "jobs") {
    r.kind = Parsed::kJob;
    r.job_id = parts[1];
  } else if (parts.size() == 3 && parts[0] == "agents" && parts[2] == "state") {
    r.kind = Parsed::kAgentState;
    r.agent_id = parts[1];
  } else if (parts.size() == 4 && parts[0] == "agents" && parts[2] == "jobs") {
    r.kind = Parsed::kJobStatus;
    r.agent_id = parts[1];
    r.job_id = parts[3];
  } else if (parts.size() == 2 && parts[0] == "acks") {
    r.kind = Parsed::kAcks;
    r.agent_id = parts[1];
  } else if (parts.size() == 3 && (parts[0] == "data" || parts[0] == "rejects")) {
    r.kind = parts[0] == "data" ? Parsed::kData : Parsed::kRejects;
    r.job_id = parts[1];
    r.agent_id = parts[2];
  }
  return r;
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64 || id == "." || id == "..") return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace edgeline
