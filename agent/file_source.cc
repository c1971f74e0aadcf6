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
      chunk_bytes_(InputChunkBytes(spec)) {
  buf_.reserve(chunk_bytes_ + kJsonPadding);  // the JSON readers read past a chunk's end
}

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
    if (j.contains("header") && j["header"].is_array()) {
      c.header = j["header"].get<std::vector<std::string>>();
    }
    c.skipping = j.value("skipping", false);
    // The file is found again by its inode at the next Poll, under whatever name the
    // glob now gives it (it may have been rotated meanwhile).
    c.restored = true;
    if (c.offset > 0) c.json = JsonArrayCursor::Resumed();  // checkpoints are after elements
    cursors_.push_back(std::move(c));
  }
}

nlohmann::json FileSource::Checkpoint(int64_t current_offset) const {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < cursors_.size(); ++i) {
    const Cursor& c = cursors_[i];
    // The file being fed stands at current_offset, just after a record.
    const bool current = static_cast<int>(i) == current_;
    nlohmann::json j = {{"path", c.path},
                        {"dev", c.dev},
                        {"ino", c.ino},
                        {"offset", current ? current_offset : c.offset},
                        {"header_read", !c.header.empty()}};  // older agents read it
    if (!c.header.empty()) j["header"] = c.header;
    if (c.skipping && !current) j["skipping"] = true;
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
      if (it->fd < 0) {
        it->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        it->restored = false;
      }
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
  // Restored cursors whose file the glob no longer shows: try the old path once more.
  for (auto it = cursors_.begin(); it != cursors_.end();) {
    if (it->restored) {
      int fd = ::open(it->path.c_str(), O_RDONLY | O_CLOEXEC);
      struct stat st {};
      if (fd >= 0 && ::fstat(fd, &st) == 0 && static_cast<uint64_t>(st.st_dev) == it->dev &&
          static_cast<uint64_t>(st.st_ino) == it->ino) {
        it->fd = fd;
        it->restored = false;
      } else {
        if (fd >= 0) ::close(fd);
        LOG_WARN("input " << it->path << " is no longer the file read before the restart "
                          << "(rotated away or removed); its unread rest, if any, is not read");
        it = cursors_.erase(it);
        continue;
      }
    }
    ++it;
  }
  for (size_t i = 0; i < cursors_.size(); ++i) {
    bool progress = false;
    current_ = static_cast<int>(i);
    Status s = ReadCursor(&cursors_[i], pipeline, &progress);
    current_ = -1;
    if (!s.ok()) return s;
  }
  // A rotated-away file that no longer grows is done with: after a quiet poll its last
  // line is read even without a newline (nobody will finish it), then it is closed.
  if (follow_) {
    for (auto it = cursors_.begin(); it != cursors_.end();) {
      struct stat st {};
      bool have = it->fd >= 0 && ::fstat(it->fd, &st) == 0;
      if (it->in_glob || !have) {
        ++it;
        continue;
      }
      if (st.st_size > it->offset && st.st_size == it->last_size) {
        bool progress = false;
        current_ = static_cast<int>(it - cursors_.begin());
        it->finishing = true;
        Status s = ReadCursor(&*it, pipeline, &progress);
        current_ = -1;
        if (!s.ok()) return s;
      }
      it->last_size = st.st_size;
      if (st.st_size <= it->offset) {
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
      c->header.clear();
      c->skipping = false;
      c->json = JsonArrayCursor();
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
    if (spec_.format == "json") {
      // The array reader finds element boundaries itself; what it leaves (an element cut
      // by the chunk's end) is read again with the next chunk.
      size_t used = 0;
      Status s = pipeline->RunJsonArrayChunk(buf_.data(), buf_.size(), c->offset,
                                             at_eof && (!follow_ || c->finishing), &c->json, &used);
      if (!s.ok()) return s;
      c->offset += static_cast<int64_t>(used);
      *progress = *progress || used > 0;
      if (at_eof || used == 0) return Status::Ok();
      continue;
    }
    // Nothing can follow the chunk: the file is read once, or it was rotated away and has
    // stopped growing. Otherwise only complete records are read: the rest may still be
    // being written, or come with the next chunk.
    const bool final = at_eof && (!follow_ || c->finishing);
    size_t used = 0;  // bytes of the chunk consumed
    if (spec_.format == "csv") {
      // The scanner finds where the last complete record ends, and drops lines (too long,
      // malformed, comments) across chunks itself.
      Status s = pipeline->RunCsvChunk(buf_.data(), buf_.size(), final, c->path, c->offset,
                                       &c->header, &c->skipping, &used);
      if (!s.ok()) return s;
    } else if (c->skipping) {
      // Drop the rest of an over-long line.
      const size_t nl = buf_.find('\n');
      c->skipping = nl == std::string::npos;
      c->offset += static_cast<int64_t>(c->skipping ? buf_.size() : nl + 1);
      *progress = true;
      continue;
    } else {
      const size_t last_nl = buf_.rfind('\n');
      used = final ? buf_.size() : last_nl == std::string::npos ? 0 : last_nl + 1;
      if (used > 0) {
        Status s = pipeline->RunNdjsonChunk(buf_.data(), used, c->offset);
        if (!s.ok()) return s;
      }
    }
    if (used == 0) {
      if (buf_.size() < chunk_bytes_) return Status::Ok();  // wait for the record to end
      // A record longer than a whole chunk. For CSV that is one within max_line_bytes
      // (else the scanner rejects it as it passes the limit) but with enough "" pairs,
      // which count once, to be longer in bytes than the chunk (csv_scanner.h, memory
      // bound).
      pipeline->CountReject("line_too_long");
      used = buf_.size();
      c->skipping = true;
    }
    c->offset += static_cast<int64_t>(used);
    *progress = true;
    if (at_eof && used < buf_.size()) return Status::Ok();  // an open record waits for its end
  }
}

}  // namespace edgeline
