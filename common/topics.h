// MQTT topic layout (docs/architecture.md#topics). Every topic starts with a
// configurable prefix, "edgeline" by default.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edgeline {

class Topics {
 public:
  explicit Topics(std::string prefix = "edgeline") : p_(std::move(prefix)) {}
  const std::string& prefix() const { return p_; }

  std::string Job(std::string_view job_id) const { return Join("jobs", job_id); }
  std::string AllJobs() const { return p_ + "/jobs/+"; }
  std::string AgentState(std::string_view agent) const {
    return p_ + "/agents/" + std::string(agent) + "/state";
  }
  std::string AllAgentStates() const { return p_ + "/agents/+/state"; }
  std::string JobStatus(std::string_view agent, std::string_view job) const {
    return p_ + "/agents/" + std::string(agent) + "/jobs/" + std::string(job);
  }
  std::string AllJobStatuses() const { return p_ + "/agents/+/jobs/+"; }
  std::string Data(std::string_view job, std::string_view agent) const {
    return p_ + "/data/" + std::string(job) + "/" + std::string(agent);
  }
  std::string AllData() const { return p_ + "/data/+/+"; }
  std::string Acks(std::string_view agent) const { return Join("acks", agent); }
  // Sampled rejected rows (rate-limited, QoS 0, not retained).
  std::string Rejects(std::string_view job, std::string_view agent) const {
    return p_ + "/rejects/" + std::string(job) + "/" + std::string(agent);
  }
  // A subscription filter for rejects: an empty job or agent matches any ("+").
  std::string RejectsFilter(std::string_view job, std::string_view agent) const {
    return Rejects(job.empty() ? "+" : job, agent.empty() ? "+" : agent);
  }

  // What a topic received on a wildcard subscription refers to.
  struct Parsed {
    enum Kind { kJob, kAgentState, kJobStatus, kData, kAcks, kRejects, kOther } kind = kOther;
    std::string agent_id;
    std::string job_id;
  };
  Parsed Parse(std::string_view topic) const;

 private:
  std::string Join(std::string_view a, std::string_view b) const {
    return p_ + "/" + std::string(a) + "/" + std::string(b);
  }
  std::string p_;
};

// True for ids usable as a single MQTT topic level and file name: [A-Za-z0-9_.-]{1,64},
// not "." or "..".
bool IsValidId(std::string_view id);

}  // namespace edgeline
