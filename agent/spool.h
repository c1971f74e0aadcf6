// The agent's store-and-forward spool (docs/operations.md#spool).
//
// Every batch is written here before it is published and stays until the aggregator
// acknowledges that it committed it (edgeline/acks/<agent_id>). A broker's PUBACK is not
// enough: a broker killed with the message queued, or an aggregator that was not
// connected, loses it. Unacknowledged batches are re-sent after a timeout; the
// aggregator's dedup makes re-sends harmless.
//
// Layout: <state_dir>/spool/<job_id>/<seq, 20 digits>.batch: "ELSPOOL1", the length of
// the metadata (4 bytes, little-endian), the metadata (JSON: the job's checkpoint as of
// this batch, written in the same atomic file as the batch, and "records", the batch's
// record count), then the encoded payload.
// The spool is bounded by bytes and by age; when full, the oldest batches are dropped
// and counted, never the newest and never the process.
//
// Thread-safe: job workers Put, the publisher takes and acknowledges, all under mu_.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace edgeline {

enum class FsyncPolicy { kAlways, kInterval, kNever };

// Parses "always", "interval" or "never".
bool ParseFsyncPolicy(const std::string& text, FsyncPolicy* out);

struct SpoolOptions {
  std::string dir;                     // <state_dir>/spool
  int64_t max_bytes = 256ll << 20;     // oldest dropped beyond this
  int64_t max_age_ms = 7 * 86400000ll;  // batches older than this are dropped
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  int64_t fsync_interval_ms = 1000;  // with kInterval: at most this much is at risk
};

struct SpoolEntry {
  std::string job_id;
  int64_t seq = 0;
  int64_t bytes = 0;
  int64_t records = 0;
  int64_t created_ms = 0;
  int64_t last_sent_ms = 0;  // 0: never sent since this process started
  bool ready = true;          // false until MarkReady: not yet handed to the publisher
};

struct SpoolStats {
  int64_t batches = 0;
  int64_t bytes = 0;
  int64_t oldest_ms = 0;  // created_ms of the oldest batch, 0 when empty
  int64_t dropped = 0;          // batches dropped by the caps since start
  int64_t dropped_records = 0;  // records in them
  // Of those, records in batches that had been sent without an ack: they may have
  // reached the aggregator (whose ack was lost) or not.
  int64_t dropped_unconfirmed_records = 0;
};

class Spool {
 public:
  // Creates the directory if needed and indexes what a previous run left.
  static Result<std::unique_ptr<Spool>> Open(SpoolOptions options);

  // Writes a batch and its metadata durably (per the fsync policy), then enforces the
  // caps. With ready = false, Due() skips the batch until MarkReady (the caller has
  // state to save first); after a restart every spooled batch is ready.
  Status Put(const std::string& job_id, int64_t seq, const std::string& payload, int64_t now_ms,
             const std::string& meta = "", int64_t records = 0, bool ready = true);
  void MarkReady(const std::string& job_id, int64_t seq);

  // The batches to send now, in send order: first those never sent and created at or
  // after `live_since_ms` (live data, oldest first), then the backlog (never sent, older) and
  // those sent more than `resend_after_ms` ago, oldest first; at most `limit`.
  std::vector<SpoolEntry> Due(int64_t now_ms, int64_t live_since_ms, int64_t resend_after_ms,
                              size_t limit);
  // Reads a batch's payload; nullopt if it was acknowledged or dropped meanwhile.
  std::optional<std::string> Read(const std::string& job_id, int64_t seq);
  // The lowest seq spooled for the job, or 0 when none is.
  int64_t MinSeq(const std::string& job_id) const;
  // The metadata of the job's newest spooled batch; nullopt when none is spooled.
  std::optional<std::string> NewestMeta(const std::string& job_id);
  void MarkSent(const std::string& job_id, int64_t seq, int64_t now_ms);

  // Removes acknowledged batches with first <= seq <= last. Returns how many it removed.
  int64_t Ack(const std::string& job_id, int64_t first, int64_t last);
  // Drops batches older than max_age_ms. Returns how many.
  int64_t ExpireOld(int64_t now_ms);

  SpoolStats Stats() const;
  SpoolStats JobStats(const std::string& job_id) const;

 private:
  explicit Spool(SpoolOptions o) : opts_(std::move(o)) {}
  std::string PathOf(const std::string& job_id, int64_t seq) const;
  // Reads a spool file into its metadata and payload.
  std::optional<std::pair<std::string, std::string>> ReadEntry(const std::string& job_id,
                                                               int64_t seq);
  void RemoveLocked(std::map<int64_t, SpoolEntry>::iterator it,
                    std::map<int64_t, SpoolEntry>& job);  // REQUIRES: mu_ held
  // Removes an entry because of a cap and counts it.       REQUIRES: mu_ held
  void DropLocked(std::map<int64_t, SpoolEntry>::iterator it, std::map<int64_t, SpoolEntry>& job);
  void EnforceBytesLocked();                               // REQUIRES: mu_ held

  SpoolOptions opts_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<int64_t, SpoolEntry>> jobs_;  // job -> seq -> entry
  int64_t bytes_ = 0;
  std::map<std::string, SpoolStats> dropped_;  // job -> its dropped* counters
  int64_t last_sync_ms_ = 0;
};

}  // namespace edgeline
