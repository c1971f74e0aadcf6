#include "agent/job_pipeline.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "agent/cast.h"
#include "agent/csv_reader.h"
#include "agent/csv_scanner.h"
#include "agent/file_source.h"
#include "common/time_util.h"

namespace edgeline {

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
    : spec_(spec), sink_(std::move(sink)), cancel_(cancel), cleaner_(spec) {}

void JobPipeline::Reject(const std::string& reason, std::string_view raw) {
  ++counters_.read;
  ++counters_.rejected;
  ++counters_.reasons[reason];
  if (reject_observer_) reject_observer_(reason, raw);
}

Status JobPipeline::Process(const std::vector<RawCell>& cells, std::string_view raw) {
  Record r;
  if (const char* reason = CastRecord(spec_, cells, &r)) {
    Reject(reason, raw);
    return Status::Ok();
  }
  ++counters_.read;
  counters_.dropped +=
      cleaner_.Push(std::move(r), &cleaned_, &counters_.reasons, &counters_.repaired);
  return KeepCleaned();
}

Status JobPipeline::KeepCleaned() {
  Status s;
  for (size_t i = 0; i < cleaned_.size() && s.ok(); ++i) {
    ++counters_.kept;
    if (pending_.empty()) pending_since_ms_ = NowMs();
    pending_.push_back(std::move(cleaned_[i]));
    if (pending_.size() >= spec_.batch_max_records ||
        NowMs() - pending_since_ms_ >= spec_.batch_max_ms) {
      s = Seal();
    }
  }
  cleaned_.clear();
  return s;
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
  if (!cleaner_.status().ok()) return cleaner_.status();
  if (!pending_.empty() && now_ms - pending_since_ms_ >= spec_.batch_max_ms) return Seal();
  return Status::Ok();
}

Status JobPipeline::Flush() {
  if (!cleaner_.status().ok()) return cleaner_.status();
  counters_.dropped += cleaner_.Drain(&cleaned_, &counters_.reasons, &counters_.repaired);
  Status s = KeepCleaned();
  if (!s.ok()) return s;
  return Seal();
}

Status JobPipeline::Seal() {
  if (!pending_.empty()) {
    std::vector<Record> batch;
    batch.swap(pending_);
    ++counters_.batches;  // counted before the sink runs, so its checkpoint includes it
    Status s = sink_(std::move(batch));
    if (!s.ok()) {
      --counters_.batches;
      return s;
    }
  }
  Publish();
  return Status::Ok();
}

namespace {
// Reads records until one parses (a malformed header line cannot be used); returns its
// fields as the header, empty at end of input.
std::vector<std::string> NextHeader(CsvReader& reader) {
  std::vector<CsvField> fields;
  std::string reason;
  CsvReader::Outcome o;
  do {
    o = reader.Next(&fields, &reason);
  } while (o == CsvReader::Outcome::kError);
  std::vector<std::string> header;
  if (o == CsvReader::Outcome::kRow) {
    for (auto& f : fields) header.push_back(std::move(f.text));
  }
  return header;
}
}  // namespace

std::vector<std::string> ReadCsvHeader(std::istream& in, const JobSpec& spec, int64_t* end) {
  CsvReader reader(in, spec.csv_delimiter, spec.max_line_bytes);
  std::vector<std::string> header = NextHeader(reader);
  *end = static_cast<int64_t>(reader.position());
  return header;
}

namespace {
// Fills the cells of one CSV row: wanted column w comes from row field col[w] through
// set(field, cell); a column the header lacks is a missing cell.
template <typename SetCell>
void FillCells(const std::vector<int>& col, std::vector<RawCell>* cells, SetCell set) {
  for (size_t w = 0; w < col.size(); ++w) {
    if (col[w] < 0) {
      (*cells)[w].kind = RawCell::kMissing;
    } else {
      set(static_cast<size_t>(col[w]), &(*cells)[w]);
    }
  }
}
}  // namespace

Status JobPipeline::MapCsvColumns(const std::vector<std::string>& header, const std::string& name,
                                  std::vector<int>* col) const {
  // Each wanted column (timestamp first, then schema fields) to its index in the header.
  std::vector<std::string> wanted;
  if (!spec_.ts_field.empty()) wanted.push_back(spec_.ts_field);
  for (const auto& f : spec_.fields) wanted.push_back(f.name);
  col->assign(wanted.size(), -1);
  for (size_t w = 0; w < wanted.size(); ++w) {
    for (size_t c = 0; c < header.size(); ++c) {
      if (header[c] == wanted[w]) (*col)[w] = static_cast<int>(c);
    }
  }
  if (!spec_.ts_field.empty() && (*col)[0] < 0) {
    return Status::Error(name + ": the CSV header has no column \"" + spec_.ts_field +
                         "\" (the timestamp field)");
  }
  return Status::Ok();
}

Status JobPipeline::RunCsv(std::istream& in, const std::string& name,
                           const std::vector<std::string>* csv_header) {
  CsvReader reader(in, spec_.csv_delimiter, spec_.max_line_bytes);
  std::vector<CsvField> fields;
  std::string reason;
  const int64_t base = position_;
  std::vector<std::string> header = csv_header ? *csv_header : NextHeader(reader);
  position_ = base + static_cast<int64_t>(reader.position());
  if (header.empty()) return Status::Ok();  // empty file
  std::vector<int> col;
  Status m = MapCsvColumns(header, name, &col);
  if (!m.ok()) return m;
  std::vector<RawCell> cells(col.size());
  while (true) {
    if (cancel_ && cancel_->load()) return Status::Error("cancelled");
    CsvReader::Outcome o = reader.Next(&fields, &reason);
    position_ = base + static_cast<int64_t>(reader.position());
    if (o == CsvReader::Outcome::kEnd) break;
    if (o == CsvReader::Outcome::kError) {
      Reject(reason, {});
      continue;
    }
    if (fields.size() != header.size()) {
      Reject("csv_field_count", {});
      continue;
    }
    FillCells(col, &cells, [&](size_t c, RawCell* cell) {
      CsvField& f = fields[c];
      cell->kind = (f.text.empty() && !f.quoted) ? RawCell::kNull : RawCell::kText;
      cell->text = f.text;
    });
    Status s = Process(cells, {});
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status JobPipeline::RunCsvChunk(const char* data, size_t len, const std::string& name,
                                const std::vector<std::string>& header, int64_t base_offset) {
  position_ = base_offset;
  if (header.empty()) return Status::Ok();
  std::vector<int> col;
  Status m = MapCsvColumns(header, name, &col);
  if (!m.ok()) return m;
  CsvScanOptions opts;
  opts.delimiter = spec_.csv_delimiter;
  opts.max_line_bytes = spec_.max_line_bytes;
  CsvScanner scanner(opts);
  CsvRecords& recs = scan_records_;
  std::vector<RawCell> cells(col.size());
  std::vector<std::string> scratch(col.size());  // unescaped texts, one per cell
  size_t done = 0;
  while (done < len) {
    // The chunk holds complete records (FileSource cuts between records), so it is
    // scanned as final input; a chunk over 4 GiB would be scanned in parts.
    size_t used = scanner.Scan(data + done, len - done, /*final=*/true, &recs);
    for (size_t r = 0; r < recs.size(); ++r) {
      if (cancel_ && cancel_->load()) return Status::Error("cancelled");
      const CsvRecordSpan& rec = recs.record(r);
      position_ = base_offset + static_cast<int64_t>(done + rec.offset + rec.length);
      const std::string_view raw(data + done + rec.offset, rec.length);
      if (rec.error != CsvError::kNone) {
        Reject(CsvErrorReason(rec.error), raw);
        continue;
      }
      if (rec.num_fields != header.size()) {
        Reject("csv_field_count", raw);
        continue;
      }
      FillCells(col, &cells, [&](size_t c, RawCell* cell) {
        const CsvFieldSpan& f = recs.field(r, c);
        cell->text = CsvFieldText(data + done, f, &scratch[cell - cells.data()]);
        cell->kind = (cell->text.empty() && !f.quoted) ? RawCell::kNull : RawCell::kText;
      });
      Status s = Process(cells, raw);
      if (!s.ok()) return s;
    }
    if (used == 0) break;
    done += used;
  }
  position_ = base_offset + static_cast<int64_t>(len);
  return Status::Ok();
}

Status JobPipeline::Run(std::istream& in, const std::string& name,
                        const std::vector<std::string>* csv_header, int64_t base_offset) {
  if (!cleaner_.status().ok()) return cleaner_.status();
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
