#include "agent/job_pipeline.h"

#include <glob.h>

#include <fstream>
#include <iostream>

#include "agent/cast.h"
#include "agent/csv_reader.h"
#include "agent/ndjson_reader.h"
#include "common/time_util.h"

namespace edgeline {

nlohmann::json JobCounters::ToJson() const {
  return {{"read", read},         {"kept", kept},       {"rejected", rejected},
          {"dropped", dropped},   {"reasons", reasons}, {"batches", batches}};
}

JobPipeline::JobPipeline(const JobSpec& spec, BatchSink sink, const std::atomic<bool>* cancel)
    : spec_(spec), sink_(std::move(sink)), cancel_(cancel), cleaner_(spec) {}

Status JobPipeline::Reject(const std::string& reason) {
  ++counters_.read;
  ++counters_.rejected;
  ++counters_.reasons[reason];
  return Status::Ok();
}

Status JobPipeline::Process(const std::vector<RawCell>& cells) {
  Record r;
  if (const char* reason = CastRecord(spec_, cells, &r)) return Reject(reason);
  ++counters_.read;
  if (const char* reason = cleaner_.Apply(&r)) {
    ++counters_.dropped;
    ++counters_.reasons[reason];
    return Status::Ok();
  }
  ++counters_.kept;
  if (pending_.empty()) pending_since_ms_ = NowMs();
  pending_.push_back(std::move(r));
  if (pending_.size() >= spec_.batch_max_records ||
      NowMs() - pending_since_ms_ >= spec_.batch_max_ms) {
    return Flush();
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

Status JobPipeline::Flush() {
  if (!pending_.empty()) {
    std::vector<Record> batch;
    batch.swap(pending_);
    Status s = sink_(std::move(batch));
    if (!s.ok()) return s;
    ++counters_.batches;
  }
  Publish();
  return Status::Ok();
}

Status JobPipeline::RunCsv(std::istream& in, const std::string& name) {
  CsvReader reader(in, spec_.csv_delimiter, spec_.max_line_bytes);
  std::vector<CsvField> fields;
  std::string reason;
  // Header row: map each wanted column (timestamp first, then schema fields) to its index.
  CsvReader::Outcome o;
  do {
    o = reader.Next(&fields, &reason);
  } while (o == CsvReader::Outcome::kError);  // a malformed header line cannot be used
  if (o == CsvReader::Outcome::kEnd) return Status::Ok();  // empty file
  std::vector<std::string> wanted;
  if (!spec_.ts_field.empty()) wanted.push_back(spec_.ts_field);
  for (const auto& f : spec_.fields) wanted.push_back(f.name);
  std::vector<int> col(wanted.size(), -1);
  for (size_t w = 0; w < wanted.size(); ++w) {
    for (size_t c = 0; c < fields.size(); ++c) {
      if (fields[c].text == wanted[w]) col[w] = static_cast<int>(c);
    }
  }
  if (!spec_.ts_field.empty() && col[0] < 0) {
    return Status::Error(name + ": the CSV header has no column \"" + spec_.ts_field +
                         "\" (the timestamp field)");
  }
  const size_t ncols = fields.size();
  std::vector<RawCell> cells(wanted.size());
  while (true) {
    if (cancel_ && cancel_->load()) return Status::Error("cancelled");
    o = reader.Next(&fields, &reason);
    if (o == CsvReader::Outcome::kEnd) break;
    Status s;
    if (o == CsvReader::Outcome::kError) {
      s = Reject(reason);
    } else if (fields.size() != ncols) {
      s = Reject("csv_field_count");
    } else {
      for (size_t w = 0; w < wanted.size(); ++w) {
        RawCell& cell = cells[w];
        if (col[w] < 0) {
          cell.kind = RawCell::kMissing;
          continue;
        }
        CsvField& f = fields[col[w]];
        cell.kind = (f.text.empty() && !f.quoted) ? RawCell::kNull : RawCell::kText;
        cell.text.swap(f.text);
      }
      s = Process(cells);
    }
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status JobPipeline::RunNdjson(std::istream& in) {
  std::vector<std::string> keys;
  if (!spec_.ts_field.empty()) keys.push_back(spec_.ts_field);
  for (const auto& f : spec_.fields) keys.push_back(f.name);
  NdjsonReader reader(in, keys, spec_.max_line_bytes);
  std::vector<RawCell> cells;
  std::string reason;
  while (true) {
    if (cancel_ && cancel_->load()) return Status::Error("cancelled");
    auto o = reader.Next(&cells, &reason);
    if (o == NdjsonReader::Outcome::kEnd) break;
    Status s = o == NdjsonReader::Outcome::kError ? Reject(reason) : Process(cells);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status JobPipeline::Run(std::istream& in, const std::string& name) {
  Status s = spec_.format == "csv" ? RunCsv(in, name) : RunNdjson(in);
  if (s.ok() && in.bad()) s = Status::Error(name + ": read error");
  return s;
}

Result<std::vector<std::string>> ResolveInputFiles(const JobSpec& spec,
                                                   const std::string& agent_id) {
  std::string pattern = spec.ExpandPath(agent_id);
  glob_t g{};
  int rc = glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
  std::vector<std::string> files;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  if (files.empty()) return Status::Error("no input file matches " + pattern);
  return files;  // glob sorts
}

Status RunJobInputs(JobPipeline* pipeline, const JobSpec& spec, const std::string& agent_id,
                    const std::string& override_input) {
  std::vector<std::string> files;
  if (override_input == "-" || (override_input.empty() && spec.input_type == "stdin")) {
    Status s = pipeline->Run(std::cin, "stdin");
    if (!s.ok()) return s;
    return pipeline->Flush();
  }
  if (!override_input.empty()) {
    files.push_back(override_input);
  } else {
    auto r = ResolveInputFiles(spec, agent_id);
    if (!r.ok()) return r.status();
    files = std::move(r.value());
  }
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) return Status::Error("cannot open input " + f + ": " + std::strerror(errno));
    Status s = pipeline->Run(in, f);
    if (!s.ok()) return s;
  }
  return pipeline->Flush();
}

}  // namespace edgeline
