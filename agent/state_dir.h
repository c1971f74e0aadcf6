// The agent's persistent state (docs/operations.md#state-directory):
//   epoch                  random id of this state dir; a new one only when the dir is lost
//   seq/<job_id>           last sequence number handed out for the job (never reused)
//   jobs/<job_id>.done     {"version":N,"counters":{...}} for a completed batch job
//   jobs/<job_id>.checkpoint  where the job's input reading stands (see Agent::RunJob)
//   jobs/<job_id>.reset    last seq when the job was deleted (older checkpoints are void)
//   jobs/<job_id>.session  the mqtt input's broker session: broker, topics, QoS
//   lock                   flock()ed while an agent uses the dir: a second agent is refused
// Every write is write-temp + fsync + rename, so a crash leaves the old or the new file.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace edgeline {

class StateDir {
 public:
  // Creates the directory (and parents) if needed, locks it (an error names the dir when
  // another process holds it) and loads or creates the epoch.
  static Result<std::unique_ptr<StateDir>> Open(const std::string& path);
  ~StateDir();

  int64_t epoch() const { return epoch_; }
  const std::string& path() const { return path_; }

  // Reserves and persists the next sequence number for a job (1, 2, ...).
  Result<int64_t> NextSeq(const std::string& job_id);

  // The stored completion record of a job, if it completed at `version`.
  std::optional<nlohmann::json> Completed(const std::string& job_id, int64_t version);
  Status MarkCompleted(const std::string& job_id, int64_t version, const nlohmann::json& counters);
  // Forgets the completion record, the checkpoint and the input session (the job was
  // deleted), and records the last seq handed out, so checkpoints inside batches still
  // spooled from before are not resumed if the job is submitted again (ResetSeq).
  void ForgetJob(const std::string& job_id);
  // Checkpoints with a seq at or below this belong to a deleted run. 0: none.
  int64_t ResetSeq(const std::string& job_id);

  // The job's input checkpoint, if any (a JSON object).
  std::optional<nlohmann::json> LoadCheckpoint(const std::string& job_id);
  Status SaveCheckpoint(const std::string& job_id, const nlohmann::json& cp, bool sync);

  // What the broker's persistent session of the job's mqtt input was set up with (see
  // agent/mqtt_source.h), "" if unknown.
  std::string LoadInputSession(const std::string& job_id);
  Status SaveInputSession(const std::string& job_id, const std::string& session);

 private:
  StateDir(std::string path, int64_t epoch, int lock_fd)
      : path_(std::move(path)), epoch_(epoch), lock_fd_(lock_fd) {}
  std::string path_;
  int64_t epoch_;
  int lock_fd_;
  std::mutex mu_;
};

}  // namespace edgeline
