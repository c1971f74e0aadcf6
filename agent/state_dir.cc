#include "agent/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "common/file_util.h"
#include "common/json_text.h"

namespace edgeline {

namespace fs = std::filesystem;

Result<std::unique_ptr<StateDir>> StateDir::Open(const std::string& path) {
  std::error_code ec;
  fs::create_directories(fs::path(path) / "seq", ec);
  if (!ec) fs::create_directories(fs::path(path) / "jobs", ec);
  if (ec) return Status::Error("cannot create state dir " + path + ": " + ec.message());
  std::string lock_file = (fs::path(path) / "lock").string();
  int lock_fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return Status::Error("cannot open " + lock_file + ": " + std::strerror(errno));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return Status::Error("state dir " + path + " is in use by another edgeline-agent");
  }
  std::string epoch_file = (fs::path(path) / "epoch").string();
  int64_t epoch = 0;
  if (auto text = ReadFile(epoch_file)) {
    try {
      epoch = std::stoll(*text);
    } catch (const std::exception&) {
      ::close(lock_fd);
      return Status::Error(epoch_file + " is corrupt; remove the state dir to start a new epoch");
    }
  } else {
    std::random_device rd;
    std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
    epoch = static_cast<int64_t>(rng() & ((1ULL << 53) - 1));
    Status s = WriteFileAtomic(epoch_file, std::to_string(epoch) + "\n");
    if (!s.ok()) {
      ::close(lock_fd);
      return s;
    }
  }
  return std::unique_ptr<StateDir>(new StateDir(path, epoch, lock_fd));
}

StateDir::~StateDir() { ::close(lock_fd_); }  // releases the lock

Result<int64_t> StateDir::NextSeq(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string file = (fs::path(path_) / "seq" / job_id).string();
  int64_t last = 0;
  if (auto text = ReadFile(file)) {
    try {
      last = std::stoll(*text);
    } catch (const std::exception&) {
      return Status::Error(file + " is corrupt");
    }
  }
  Status s = WriteFileAtomic(file, std::to_string(last + 1) + "\n");
  if (!s.ok()) return s;
  return last + 1;
}

std::optional<nlohmann::json> StateDir::Completed(const std::string& job_id, int64_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  auto text = ReadFile((fs::path(path_) / "jobs" / (job_id + ".done")).string());
  if (!text) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || j.value("version", int64_t{0}) != version) return std::nullopt;
  return j;
}

Status StateDir::MarkCompleted(const std::string& job_id, int64_t version,
                               const nlohmann::json& counters) {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json j = {{"version", version}, {"counters", counters}};
  return WriteFileAtomic((fs::path(path_) / "jobs" / (job_id + ".done")).string(),
                         JsonText(j) + "\n");
}

void StateDir::ForgetJob(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto last = ReadFile((fs::path(path_) / "seq" / job_id).string())) {
    Status s = WriteFileAtomic((fs::path(path_) / "jobs" / (job_id + ".reset")).string(), *last);
    (void)s;  // without it a resubmitted job may resume a deleted run's checkpoint
  }
  std::error_code ec;
  fs::remove(fs::path(path_) / "jobs" / (job_id + ".done"), ec);
  fs::remove(fs::path(path_) / "jobs" / (job_id + ".checkpoint"), ec);
  fs::remove(fs::path(path_) / "jobs" / (job_id + ".session"), ec);
}

int64_t StateDir::ResetSeq(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto text = ReadFile((fs::path(path_) / "jobs" / (job_id + ".reset")).string());
  if (!text) return 0;
  try {
    return std::stoll(*text);
  } catch (const std::exception&) {
    return 0;
  }
}

std::optional<nlohmann::json> StateDir::LoadCheckpoint(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto text = ReadFile((fs::path(path_) / "jobs" / (job_id + ".checkpoint")).string());
  if (!text) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

Status StateDir::SaveCheckpoint(const std::string& job_id, const nlohmann::json& cp, bool sync) {
  std::lock_guard<std::mutex> lock(mu_);
  return WriteFileAtomic((fs::path(path_) / "jobs" / (job_id + ".checkpoint")).string(),
                         JsonText(cp) + "\n", sync);
}

std::string StateDir::LoadInputSession(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadFile((fs::path(path_) / "jobs" / (job_id + ".session")).string()).value_or("");
}

Status StateDir::SaveInputSession(const std::string& job_id, const std::string& session) {
  std::lock_guard<std::mutex> lock(mu_);
  return WriteFileAtomic((fs::path(path_) / "jobs" / (job_id + ".session")).string(), session);
}

}  // namespace edgeline
