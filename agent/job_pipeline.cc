#include "agent/job_pipeline.h"

#include <simdjson.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <iterator>

#include "agent/cast.h"
#include "agent/csv_scanner.h"
#include "agent/file_source.h"
#include "common/record_json.h"
#include "common/time_util.h"

namespace edgeline {

namespace {
constexpr size_t kClockEvery = 64;  // records between clock reads while a batch fills
}  // namespace

nlohmann::json JobCounters::ToJson() const {
  nlohmann::json j = {{"read", read},       {"kept", kept},       {"rejected", rejected},
                      {"dropped", dropped}, {"reasons", reasons}, {"batches", batches}};
  if (!repaired.empty()) j["repairs"] = repaired;
  return j;
}

JobCounters JobCounters::FromJson(const nlohmann::json& j) {
  JobCounters c;
  if (!j.is_object()) return c;
  auto get = [&](const char* k) {
    return j.contains(k) && j[k].is_number_integer() ? j[k].get<int64_t>() : int64_t{0};
  };
  c.read = get("read");
  c.kept = get("kept");
  c.rejected = get("rejected");
  c.dropped = get("dropped");
  c.batches = get("batches");
  if (j.contains("reasons") && j["reasons"].is_object()) {
    for (const auto& [k, v] : j["reasons"].items()) {
      if (v.is_number_integer()) c.reasons[k] = v.get<int64_t>();
    }
  }
  if (j.contains("repairs") && j["repairs"].is_object()) {
    for (const auto& [k, v] : j["repairs"].items()) {
      if (v.is_number_integer()) c.repaired[k] = v.get<int64_t>();
    }
  }
  return c;
}

JobPipeline::JobPipeline(const JobSpec& spec, BatchSink sink, const std::atomic<bool>* cancel)
    : spec_(spec),
      sink_(std::move(sink)),
      cancel_(cancel),
      cleaner_(spec),
      cleaner_holds_records_(cleaner_.HoldsRecords()) {
  auto ts = TimestampParser::Create(spec.ts);
  if (ts.ok()) ts_parser_ = std::move(ts.value());
  setup_ = ts.ok() ? cleaner_.status() : ts.status();
}

void JobPipeline::Reject(const std::string& reason, std::string_view raw) {
  ++counters_.read;
  ++counters_.rejected;
  ++counters_.reasons[reason];
  if (reject_observer_) reject_observer_(reason, raw);
}

void JobPipeline::Reject(const char* reason, std::string_view raw) {
  ++counters_.read;
  ++counters_.rejected;
  ++ReasonCount(reason);
  if (reject_observer_) reject_observer_(reason, raw);
}

int64_t& JobPipeline::ReasonCount(const char* reason) {
  for (const auto& [text, count] : reason_counts_) {
    if (text == reason) return *count;
  }
  // A map's elements stay where they are while others are added.
  int64_t* count = &counters_.reasons[reason];
  reason_counts_.emplace_back(reason, count);
  return *count;
}

Status JobPipeline::Process(const std::vector<RawCell>& cells, std::string_view raw) {
  if (override_field_ >= 0 && &cells != &override_cells_) {
    override_cells_ = cells;  // the timestamp (if any), then the schema fields
    RawCell& c = override_cells_[override_field_ + (spec_.ts_field.empty() ? 0 : 1)];
    c.kind = RawCell::kText;
    c.text = override_text_;
    return Process(override_cells_, raw);
  }

  // The record is built in place in the first slot after the pending batch (its values
  // keep their storage), which stays a slot if the record is not kept.
  if (const char* reason = CastRecord(spec_, cells, &ts_parser_, NextSlot())) {
    Reject(reason, raw);
    return Status::Ok();
  }
  ++pending_size_;
  return CleanLast();
}

Record* JobPipeline::NextSlot() {
  if (pending_size_ == pending_.size()) pending_.emplace_back();
  Record* r = &pending_[pending_size_];
  TakeSpareIfEmpty(r);
  return r;
}

Status JobPipeline::CleanLast() {
  if (!cleaner_holds_records_) {
    if (CleanInPlace(&pending_[pending_size_ - 1])) {
      --pending_size_;
      return Status::Ok();
    }
    return KeepLast();
  }
  --pending_size_;
  return CleanHeld(std::move(pending_[pending_size_]));
}

bool JobPipeline::CleanInPlace(Record* r) {
  ++counters_.read;
  // Every op decides on this record alone: apply them in place.
  const char* reason = cleaner_.Apply(r, &counters_.repaired);
  if (reason == nullptr) return false;
  ++counters_.dropped;
  ++ReasonCount(reason);
  return true;
}

Status JobPipeline::CleanHeld(Record r) {
  ++counters_.read;
  // A linear fill may hold this record back and release earlier ones.
  counters_.dropped +=
      cleaner_.Push(std::move(r), &cleaned_, &counters_.reasons, &counters_.repaired);
  return KeepCleaned();
}

Status JobPipeline::KeepAdded(size_t n) {
  if (n == 0) return Status::Ok();
  counters_.kept += static_cast<int64_t>(n);
  const size_t size = pending_size_;
  if (size == n) pending_since_ms_ = NowMs();
  // The clock is read once per kClockEvery records only (a clock read costs as much as
  // casting a record): a fast input overstays batch_max_ms by microseconds, and a slow
  // one is sealed by FlushIfDue between reads.
  if (size >= spec_.batch_max_records ||
      (size % kClockEvery < n && NowMs() - pending_since_ms_ >= spec_.batch_max_ms)) {
    return Seal();
  }
  return Status::Ok();
}

Status JobPipeline::KeepCleaned() {
  Status s;
  while (cleaned_next_ < cleaned_.size() && s.ok()) {
    if (pending_size_ < pending_.size()) {
      pending_[pending_size_] = std::move(cleaned_[cleaned_next_++]);
    } else {
      pending_.push_back(std::move(cleaned_[cleaned_next_++]));
    }
    ++pending_size_;
    s = KeepLast();  // a checkpoint taken here saves cleaned_[cleaned_next_, end)
  }
  cleaned_.clear();
  cleaned_next_ = 0;
  return s;
}

nlohmann::json JobPipeline::CleanState() const {
  nlohmann::json ops = cleaner_.SaveState();
  nlohmann::json released = nlohmann::json::array();
  for (size_t i = cleaned_next_; i < cleaned_.size(); ++i)
    released.push_back(RecordJson(cleaned_[i]));
  if (ops.is_null() && released.empty()) return nullptr;
  nlohmann::json state = {{"ops", std::move(ops)}};
  if (!released.empty()) state["released"] = std::move(released);
  return state;
}

Status JobPipeline::RestoreCleanState(const nlohmann::json& state) {
  if (state.is_null()) return Status::Ok();
  if (!state.is_object()) return Status::Error("malformed clean state");
  Status s = cleaner_.RestoreState(state.value("ops", nlohmann::json()));
  if (!s.ok()) return s;
  // Released records wait in cleaned_, ahead of what the cleaner releases next.
  cleaned_.clear();
  cleaned_next_ = 0;
  for (const auto& j : state.value("released", nlohmann::json::array())) {
    Record r;
    if (!JsonRecord(j, &r) || r.values.size() != spec_.fields.size()) {
      cleaned_.clear();
      return Status::Error("malformed released record in the clean state");
    }
    cleaned_.push_back(std::move(r));
  }
  return Status::Ok();
}

void JobPipeline::Publish() {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  snapshot_ = counters_;
}

JobCounters JobPipeline::Snapshot() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return snapshot_;
}

Status JobPipeline::FlushIfDue(int64_t now_ms) {
  if (!setup_.ok()) return setup_;
  if (pending_size_ > 0 && now_ms - pending_since_ms_ >= spec_.batch_max_ms) return Seal();
  return Status::Ok();
}

Status JobPipeline::Flush() {
  if (!setup_.ok()) return setup_;
  counters_.dropped += cleaner_.Drain(&cleaned_, &counters_.reasons, &counters_.repaired);
  Status s = KeepCleaned();
  if (!s.ok()) return s;
  return Seal();
}

Status JobPipeline::Seal() {
  if (pending_size_ > 0) {
    // The sink gets the batch alone: the slots after it wait in spare_.
    std::move(pending_.begin() + static_cast<ptrdiff_t>(pending_size_), pending_.end(),
              std::back_inserter(spare_));
    pending_.resize(pending_size_);
    pending_size_ = 0;
    std::vector<Record> batch;
    batch.swap(pending_);
    ++counters_.batches;  // counted before the sink runs, so its checkpoint includes it
    Status s = sink_(std::move(batch));
    if (!s.ok()) {
      --counters_.batches;
      return s;
    }
    // Records the sink left in the batch are reused in place as the slots of the next
    // ones: allocating and freeing a batch of records costs more than casting them.
    pending_.swap(batch);
    pending_.reserve(std::min<size_t>(spec_.batch_max_records, 8192));
  }
  Publish();
  return Status::Ok();
}

size_t InputChunkBytes(const JobSpec& spec) {
  return std::max<size_t>(1 << 20, spec.max_line_bytes + 1);
}

Status JobPipeline::StreamChunks(std::istream& in, size_t padding, const ConsumeChunk& consume) {
  // As FileSource does for files, so memory stays bounded on any input. The buffer is
  // kept between calls: a stream may be one short message per call.
  const size_t chunk = InputChunkBytes(spec_);
  if (stream_buf_.size() < chunk + padding) stream_buf_.assign(chunk + padding, ' ');
  char* const buf = &stream_buf_[0];
  size_t have = 0;             // bytes in buf
  int64_t offset = position_;  // of buf[0] in the input
  while (true) {
    in.read(buf + have, static_cast<std::streamsize>(chunk - have));
    have += static_cast<size_t>(in.gcount());
    const bool eof = !in;
    size_t used = 0;
    Status s = consume(buf, have, offset, eof, &used);
    if (!s.ok()) return s;
    std::memmove(buf, buf + used, have - used);
    have -= used;
    offset += static_cast<int64_t>(used);
    position_ = offset;
    if (eof) return Status::Ok();
  }
}

Status JobPipeline::Run(std::istream& in, const std::string& name,
                        const std::vector<std::string>* csv_header, int64_t base_offset) {
  if (!setup_.ok()) return setup_;
  position_ = base_offset;
  Status s = spec_.format == "csv" ? RunCsv(in, name, csv_header) : RunJsonStream(in);
  if (s.ok() && in.bad()) s = Status::Error(name + ": read error");
  return s;
}

Status RunJobInputs(JobPipeline* pipeline, const JobSpec& spec, const std::string& agent_id,
                    const std::string& override_input) {
  if (override_input == "-" || (override_input.empty() && spec.input_type == "stdin")) {
    Status s = pipeline->Run(std::cin, "stdin");
    if (!s.ok()) return s;
    return pipeline->Flush();
  }
  if (override_input.empty() && spec.input_type == "mqtt") {
    return Status::Error(
        "input.type \"mqtt\" needs the agent daemon; try the job with --input FILE");
  }
  if (!override_input.empty() && ::access(override_input.c_str(), R_OK) != 0) {
    return Status::Error("cannot open input " + override_input + ": " + std::strerror(errno));
  }
  FileSource source(spec, override_input.empty() ? spec.ExpandPath(agent_id) : override_input,
                    /*follow=*/false);
  Status s = source.Poll(pipeline);
  if (!s.ok()) return s;
  return pipeline->Flush();
}

}  // namespace edgeline
