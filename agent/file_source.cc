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

// The end of the last complete CSV record in buf (a newline outside quotes), or npos.
// buf starts at a record boundary. Follows CsvReader's rules: a quote opens a quoted
// field only at a field's start, and "" inside one is an escaped quote.
size_t LastRecordEnd(const std::string& buf, char delim) {
  bool in_quotes = false, field_start = true;
  size_t last = std::string::npos;
  for (size_t i = 0; i < buf.size(); ++i) {
    char c = buf[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < buf.size() && buf[i + 1] == '"') ++i;
        else in_quotes = false;
      }
    } else if (c == '"' && field_start) {
      in_quotes = true;
      field_start = false;
    } else if (c == delim || c == '\n') {
      field_start = true;
      if (c == '\n') last = i;
    } else {
      field_start = false;
    }
  }
  return last;
}

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
      chunk_bytes_(std::max<size_t>(1 << 20, spec.max_line_bytes + 1)) {
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
    c.header_read = j.value("header_read", false);
    if (j.contains("header") && j["header"].is_array()) {
      c.header = j["header"].get<std::vector<std::string>>();
    }
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
      c->header_read = false;
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
    if (spec_.format == "csv") last_nl = LastRecordEnd(buf_, spec_.csv_delimiter);
    if ((follow_ && !c->finishing) || !at_eof) {
      // Only complete records: the rest may still be being written, or come in the next
      // chunk.
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
    Status s = spec_.format == "csv"
                   ? pipeline->RunCsvChunk(buf_.data(), usable, c->path, c->header, base)
                   : pipeline->RunNdjsonChunk(buf_.data(), usable, base);
    if (!s.ok()) return s;
    c->offset = base + static_cast<int64_t>(usable);
    *progress = true;
    if (!follow_ && at_eof && usable == buf_.size()) return Status::Ok();
  }
}

}  // namespace edgeline
