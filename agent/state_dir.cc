#include "agent/state_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace edgeline {

namespace fs = std::filesystem;

Status WriteFileAtomic(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error("cannot write " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return Status::Error("cannot write " + tmp + ": " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Status::Error("cannot sync " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Error("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  std::string dir = fs::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

Result<std::unique_ptr<StateDir>> StateDir::Open(const std::string& path) {
  std::error_code ec;
  fs::create_directories(fs::path(path) / "seq", ec);
  if (!ec) fs::create_directories(fs::path(path) / "jobs", ec);
  if (ec) return Status::Error("cannot create state dir " + path + ": " + ec.message());
  std::string epoch_file = (fs::path(path) / "epoch").string();
  int64_t epoch = 0;
  if (auto text = ReadFile(epoch_file)) {
    try {
      epoch = std::stoll(*text);
    } catch (const std::exception&) {
      return Status::Error(epoch_file + " is corrupt; remove the state dir to start a new epoch");
    }
  } else {
    std::random_device rd;
    std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
    epoch = static_cast<int64_t>(rng() & ((1ULL << 53) - 1));
    Status s = WriteFileAtomic(epoch_file, std::to_string(epoch) + "\n");
    if (!s.ok()) return s;
  }
  return std::unique_ptr<StateDir>(new StateDir(path, epoch));
}

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
  return WriteFileAtomic((fs::path(path_) / "jobs" / (job_id + ".done")).string(), j.dump() + "\n");
}

void StateDir::ForgetCompleted(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::error_code ec;
  fs::remove(fs::path(path_) / "jobs" / (job_id + ".done"), ec);
}

}  // namespace edgeline
