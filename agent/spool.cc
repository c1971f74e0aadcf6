#include "agent/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/log.h"
#include "common/topics.h"

namespace edgeline {

namespace fs = std::filesystem;

bool ParseFsyncPolicy(const std::string& text, FsyncPolicy* out) {
  if (text == "always") *out = FsyncPolicy::kAlways;
  else if (text == "interval") *out = FsyncPolicy::kInterval;
  else if (text == "never") *out = FsyncPolicy::kNever;
  else return false;
  return true;
}

std::string Spool::PathOf(const std::string& job_id, int64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof(name), "%020lld.batch", static_cast<long long>(seq));
  return (fs::path(opts_.dir) / job_id / name).string();
}

Result<std::unique_ptr<Spool>> Spool::Open(SpoolOptions options) {
  std::unique_ptr<Spool> s(new Spool(std::move(options)));
  std::error_code ec;
  fs::create_directories(s->opts_.dir, ec);
  if (ec) return Status::Error("cannot create spool dir " + s->opts_.dir + ": " + ec.message());
  for (const auto& jd : fs::directory_iterator(s->opts_.dir, ec)) {
    std::string job = jd.path().filename().string();
    if (!jd.is_directory() || !IsValidId(job)) continue;
    for (const auto& f : fs::directory_iterator(jd.path(), ec)) {
      std::string name = f.path().filename().string();
      if (f.path().extension() != ".batch") {
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) {
          fs::remove(f.path(), ec);  // a write interrupted by a crash
        }
        continue;
      }
      SpoolEntry e;
      e.job_id = job;
      try {
        e.seq = std::stoll(f.path().stem().string());
      } catch (const std::exception&) {
        continue;
      }
      e.bytes = static_cast<int64_t>(f.file_size(ec));
      auto mtime = f.last_write_time(ec);
      e.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         (mtime - fs::file_time_type::clock::now()) +
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
      if (auto entry = s->ReadEntry(job, e.seq)) {
        nlohmann::json meta = nlohmann::json::parse(entry->first, nullptr, false);
        if (meta.is_object()) e.records = meta.value("records", int64_t{0});
      }
      s->bytes_ += e.bytes;
      s->jobs_[job][e.seq] = e;
    }
  }
  if (ec) return Status::Error("cannot read spool dir " + s->opts_.dir + ": " + ec.message());
  std::lock_guard<std::mutex> lock(s->mu_);
  s->EnforceBytesLocked();  // the cap may have been lowered since the last run
  return s;
}

namespace {
constexpr char kMagic[] = "ELSPOOL1";
constexpr size_t kMagicLen = 8;
}  // namespace

Status Spool::Put(const std::string& job_id, int64_t seq, const std::string& payload,
                  int64_t now_ms, const std::string& meta, int64_t records, bool ready) {
  std::error_code ec;
  fs::create_directories(fs::path(opts_.dir) / job_id, ec);
  if (ec) return Status::Error("cannot create spool dir for " + job_id + ": " + ec.message());
  std::string path = PathOf(job_id, seq);
  bool sync = opts_.fsync == FsyncPolicy::kAlways;
  if (opts_.fsync == FsyncPolicy::kInterval) {
    std::lock_guard<std::mutex> lock(mu_);
    if (now_ms - last_sync_ms_ >= opts_.fsync_interval_ms) {
      sync = true;
      last_sync_ms_ = now_ms;
    }
  }
  std::string file(kMagic, kMagicLen);
  uint32_t n = static_cast<uint32_t>(meta.size());
  for (int i = 0; i < 4; ++i) file += static_cast<char>((n >> (8 * i)) & 0xff);
  file += meta;
  file += payload;
  Status s = WriteFileAtomic(path, file, sync);
  if (!s.ok()) return s;
  if (sync && opts_.fsync == FsyncPolicy::kInterval) {
    // Everything written since the last sync reaches the disk now.
    int fd = ::open(opts_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      ::syncfs(fd);
      ::close(fd);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  SpoolEntry e;
  e.job_id = job_id;
  e.seq = seq;
  e.bytes = static_cast<int64_t>(file.size());
  e.records = records;
  e.ready = ready;
  e.created_ms = now_ms;
  jobs_[job_id][seq] = e;
  bytes_ += e.bytes;
  EnforceBytesLocked();
  return Status::Ok();
}

void Spool::RemoveLocked(std::map<int64_t, SpoolEntry>::iterator it,
                         std::map<int64_t, SpoolEntry>& job) {
  std::error_code ec;
  fs::remove(PathOf(it->second.job_id, it->second.seq), ec);
  if (ec) LOG_WARN("cannot remove spooled batch: " << ec.message());
  bytes_ -= it->second.bytes;
  job.erase(it);
}

void Spool::DropLocked(std::map<int64_t, SpoolEntry>::iterator it,
                       std::map<int64_t, SpoolEntry>& job) {
  SpoolStats& d = dropped_[it->second.job_id];
  ++d.dropped;
  d.dropped_records += it->second.records;
  if (it->second.last_sent_ms != 0) d.dropped_unconfirmed_records += it->second.records;
  RemoveLocked(it, job);
}

void Spool::EnforceBytesLocked() {
  while (bytes_ > opts_.max_bytes) {
    // The oldest batch over all jobs.
    std::map<int64_t, SpoolEntry>* oldest_job = nullptr;
    for (auto& [id, job] : jobs_) {
      if (job.empty()) continue;
      if (!oldest_job || job.begin()->second.created_ms < oldest_job->begin()->second.created_ms) {
        oldest_job = &job;
      }
    }
    if (!oldest_job) return;
    const SpoolEntry& e = oldest_job->begin()->second;
    LOG_WARN("spool over " << opts_.max_bytes << " bytes: dropping batch " << e.job_id << "/"
                           << e.seq << " (" << e.records << " records)");
    DropLocked(oldest_job->begin(), *oldest_job);
  }
}

int64_t Spool::ExpireOld(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t n = 0;
  for (auto& [id, job] : jobs_) {
    while (!job.empty() && now_ms - job.begin()->second.created_ms > opts_.max_age_ms) {
      LOG_WARN("spooled batch " << id << "/" << job.begin()->first << " older than "
                                << opts_.max_age_ms << " ms: dropped");
      DropLocked(job.begin(), job);
      ++n;
    }
  }
  return n;
}

std::vector<SpoolEntry> Spool::Due(int64_t now_ms, int64_t live_since_ms, int64_t resend_after_ms,
                                   size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SpoolEntry> live, backlog;
  for (const auto& [id, job] : jobs_) {
    for (const auto& [seq, e] : job) {
      if (!e.ready) continue;
      if (e.last_sent_ms == 0) {
        (e.created_ms >= live_since_ms ? live : backlog).push_back(e);
      } else if (now_ms - e.last_sent_ms >= resend_after_ms) {
        backlog.push_back(e);
      }
    }
  }
  auto by_age = [](const SpoolEntry& a, const SpoolEntry& b) {
    return std::tie(a.created_ms, a.job_id, a.seq) < std::tie(b.created_ms, b.job_id, b.seq);
  };
  std::sort(live.begin(), live.end(), by_age);
  std::sort(backlog.begin(), backlog.end(), by_age);
  live.insert(live.end(), backlog.begin(), backlog.end());
  if (live.size() > limit) live.resize(limit);
  return live;
}

std::optional<std::pair<std::string, std::string>> Spool::ReadEntry(const std::string& job_id,
                                                                    int64_t seq) {
  auto file = ReadFile(PathOf(job_id, seq));
  if (!file) return std::nullopt;
  if (file->size() < kMagicLen + 4 || file->compare(0, kMagicLen, kMagic) != 0) {
    LOG_WARN("spooled batch " << job_id << "/" << seq << " is corrupt; ignored");
    return std::nullopt;
  }
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) {
    n |= static_cast<uint32_t>(static_cast<unsigned char>((*file)[kMagicLen + i])) << (8 * i);
  }
  if (n > file->size() - kMagicLen - 4) {
    LOG_WARN("spooled batch " << job_id << "/" << seq << " is corrupt; ignored");
    return std::nullopt;
  }
  return std::make_pair(file->substr(kMagicLen + 4, n), file->substr(kMagicLen + 4 + n));
}

std::optional<std::string> Spool::Read(const std::string& job_id, int64_t seq) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto j = jobs_.find(job_id);
    if (j == jobs_.end() || !j->second.count(seq)) return std::nullopt;
  }
  auto e = ReadEntry(job_id, seq);
  if (!e) return std::nullopt;
  return std::move(e->second);
}

int64_t Spool::MinSeq(const std::string& job_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto j = jobs_.find(job_id);
  return j == jobs_.end() || j->second.empty() ? 0 : j->second.begin()->first;
}

std::optional<std::string> Spool::NewestMeta(const std::string& job_id) {
  int64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto j = jobs_.find(job_id);
    if (j == jobs_.end() || j->second.empty()) return std::nullopt;
    seq = j->second.rbegin()->first;
  }
  auto e = ReadEntry(job_id, seq);
  if (!e) return std::nullopt;
  return std::move(e->first);
}

void Spool::MarkReady(const std::string& job_id, int64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto j = jobs_.find(job_id);
  if (j == jobs_.end()) return;
  auto it = j->second.find(seq);
  if (it != j->second.end()) it->second.ready = true;
}

void Spool::MarkSent(const std::string& job_id, int64_t seq, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto j = jobs_.find(job_id);
  if (j == jobs_.end()) return;
  auto it = j->second.find(seq);
  if (it != j->second.end()) it->second.last_sent_ms = now_ms;
}

int64_t Spool::Ack(const std::string& job_id, int64_t first, int64_t last) {
  std::lock_guard<std::mutex> lock(mu_);
  auto j = jobs_.find(job_id);
  if (j == jobs_.end()) return 0;
  int64_t n = 0;
  auto it = j->second.lower_bound(first);
  while (it != j->second.end() && it->first <= last) {
    auto next = std::next(it);
    RemoveLocked(it, j->second);
    it = next;
    ++n;
  }
  return n;
}

SpoolStats Spool::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  SpoolStats s;
  s.bytes = bytes_;
  for (const auto& [id, d] : dropped_) {
    s.dropped += d.dropped;
    s.dropped_records += d.dropped_records;
    s.dropped_unconfirmed_records += d.dropped_unconfirmed_records;
  }
  for (const auto& [id, job] : jobs_) {
    s.batches += static_cast<int64_t>(job.size());
    for (const auto& [seq, e] : job) {
      if (s.oldest_ms == 0 || e.created_ms < s.oldest_ms) s.oldest_ms = e.created_ms;
    }
  }
  return s;
}

SpoolStats Spool::JobStats(const std::string& job_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  SpoolStats s;
  auto d = dropped_.find(job_id);
  if (d != dropped_.end()) s = d->second;
  auto j = jobs_.find(job_id);
  if (j == jobs_.end()) return s;
  for (const auto& [seq, e] : j->second) {
    ++s.batches;
    s.bytes += e.bytes;
    if (s.oldest_ms == 0 || e.created_ms < s.oldest_ms) s.oldest_ms = e.created_ms;
  }
  return s;
}

}  // namespace edgeline
