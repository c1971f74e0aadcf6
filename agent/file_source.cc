#include "agent/file_source.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <streambuf>

#include "common/log.h"

namespace edgeline {

namespace {

// An istream over memory, without copying it.
class MemBuf : public std::streambuf {
 public:
  MemBuf(char* data, size_t n) { setg(data, data, data + n); }
};

std::vector<std::string> Glob(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  return out;  // glob sorts
}

}  // namespace

FileSource::FileSource(const JobSpec& spec, std::string pattern, bool follow)
    : spec_(spec),
      pattern_(std::move(pattern)),
      follow_(follow),
      chunk_bytes_(std::max<size_t>(1 << 20, spec.max_line_bytes + 1)) {}

FileSource::~FileSource() {
  for (auto& c : cursors_) Close(&c);
}

void FileSource::Close(Cursor* c) {
  if (c->fd >= 0) ::close(c->fd);
  c->fd = -1;
}

void FileSource::Restore(const nlohmann::json& cursors) {
  if (!cursors.is_array()) return;
  for (const auto& j : cursors) {
    Cursor c;
    c.path = j.value("path", std::string());
    c.dev = j.value("dev", uint64_t{0});
    c.ino = j.value("ino", uint64_t{0});
    c.offset = j.value("offset", int64_t{0});
    c.header_read = j.value("header_read", false);
    if (j.contains("header") && j["header"].is_array()) {
      c.header = j["header"].get<std::vector<std::string>>();
    }
    // Re-open by path; the inode must still be the same file.
    int fd = ::open(c.path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_dev != c.dev || st.st_ino != c.ino) {
      if (fd >= 0) ::close(fd);
      LOG_WARN("input " << c.path << " is no longer the file read before the restart (rotated "
                        << "or removed); its unread rest, if any, is not read");
      continue;
    }
    c.fd = fd;
    cursors_.push_back(std::move(c));
  }
}

nlohmann::json FileSource::Checkpoint(int64_t current_offset) const {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < cursors_.size(); ++i) {
    const Cursor& c = cursors_[i];
    nlohmann::json j = {{"path", c.path},
                        {"dev", c.dev},
                        {"ino", c.ino},
                        {"offset", static_cast<int>(i) == current_ ? current_offset : c.offset},
                        {"header_read", c.header_read}};
    if (!c.header.empty()) j["header"] = c.header;
    out.push_back(std::move(j));
  }
  return out;
}

Status FileSource::Poll(JobPipeline* pipeline) {
  std::vector<std::string> paths = Glob(pattern_);
  if (paths.empty() && !follow_ && cursors_.empty()) {
    return Status::Error("no input file matches " + pattern_);
  }
  for (auto& c : cursors_) c.in_glob = false;
  for (const auto& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    auto it = std::find_if(cursors_.begin(), cursors_.end(), [&](const Cursor& c) {
      return c.dev == static_cast<uint64_t>(st.st_dev) && c.ino == static_cast<uint64_t>(st.st_ino);
    });
    if (it != cursors_.end()) {
      it->in_glob = true;
      it->path = path;  // renamed within the glob
      continue;
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (!follow_) return Status::Error("cannot open input " + path + ": " + std::strerror(errno));
      LOG_WARN("cannot open input " << path << ": " << std::strerror(errno));
      continue;
    }
    Cursor c;
    c.path = path;
    c.dev = static_cast<uint64_t>(st.st_dev);
    c.ino = static_cast<uint64_t>(st.st_ino);
    c.fd = fd;
    cursors_.push_back(std::move(c));
  }
  for (size_t i = 0; i < cursors_.size(); ++i) {
    bool progress = false;
    current_ = static_cast<int>(i);
    Status s = ReadCursor(&cursors_[i], pipeline, &progress);
    current_ = -1;
    if (!s.ok()) return s;
  }
  // A rotated-away file that is fully read and no longer grows is done with.
  if (follow_) {
    for (auto it = cursors_.begin(); it != cursors_.end();) {
      struct stat st {};
      bool drained = it->fd < 0 || (::fstat(it->fd, &st) == 0 && st.st_size <= it->offset);
      if (!it->in_glob && drained) {
        Close(&*it);
        it = cursors_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return Status::Ok();
}

Status FileSource::ReadCursor(Cursor* c, JobPipeline* pipeline, bool* progress) {
  while (true) {
    struct stat st {};
    if (::fstat(c->fd, &st) != 0) {
      return Status::Error("cannot stat input " + c->path + ": " + std::strerror(errno));
    }
    if (st.st_size < c->offset) {
      LOG_WARN("input " << c->path << " was truncated (" << st.st_size << " < " << c->offset
                        << " bytes); reading it again from the start");
      ++truncations_;
      c->offset = 0;
      c->header_read = false;
      c->skipping = false;
    }
    if (st.st_size == c->offset) return Status::Ok();
    size_t want = static_cast<size_t>(std::min<int64_t>(st.st_size - c->offset, chunk_bytes_));
    buf_.resize(want);
    ssize_t n = ::pread(c->fd, buf_.data(), want, c->offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error("cannot read input " + c->path + ": " + std::strerror(errno));
    }
    buf_.resize(static_cast<size_t>(n));
    if (buf_.empty()) return Status::Ok();
    const bool at_eof = c->offset + n == st.st_size;
    size_t usable = buf_.size();
    size_t last_nl = buf_.rfind('\n');
    if (c->skipping) {
      // Drop the rest of an over-long line.
      size_t nl = buf_.find('\n');
      if (nl == std::string::npos) {
        c->offset += n;
        *progress = true;
        continue;
      }
      c->offset += static_cast<int64_t>(nl + 1);
      c->skipping = false;
      *progress = true;
      continue;
    }
    if (follow_ || !at_eof) {
      // Only complete lines: the rest may still be being written.
      if (last_nl == std::string::npos) {
        if (buf_.size() < chunk_bytes_) return Status::Ok();  // wait for the line to end
        pipeline->CountReject("line_too_long");
        c->offset += n;
        c->skipping = true;
        *progress = true;
        continue;
      }
      usable = last_nl + 1;
    }
    MemBuf mb(buf_.data(), usable);
    std::istream in(&mb);
    int64_t base = c->offset;
    if (spec_.format == "csv" && !c->header_read) {
      int64_t end = 0;
      c->header = ReadCsvHeader(in, spec_, &end);
      c->header_read = !c->header.empty();
      c->offset += end;  // blank or malformed lines before the header are skipped
      if (end == 0) return Status::Ok();
      *progress = true;
      continue;  // the body starts at the new offset
    }
    Status s = pipeline->Run(in, c->path, spec_.format == "csv" ? &c->header : nullptr, base);
    if (!s.ok()) return s;
    c->offset = base + static_cast<int64_t>(usable);
    *progress = true;
    if (!follow_ && at_eof && usable == buf_.size()) return Status::Ok();
  }
}

}  // namespace edgeline
