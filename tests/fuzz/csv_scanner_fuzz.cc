// Fuzz target: the SIMD CSV scanner against the reference reader. The first input byte
// picks the delimiter, the line limit, the comment prefix (none half of the time), whether
// the pipeline reads the header row itself, and a split point; the rest is CSV. CsvReader, the
// scalar scanner and the SIMD scanner (fed in two pieces, as FileSource feeds it) must
// find the same records, fields and errors; the pipeline's two CSV entry points (Run over
// a stream, RunCsvChunk fed in two chunks as FileSource feeds it, scanning in small
// windows) must give the same counters and positions.
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "agent/csv_reader.h"
#include "agent/csv_scanner.h"
#include "agent/job_pipeline.h"

namespace {

// One record as text: "E:<reason>" for an error, else the fields joined by \x1f with a
// quoted mark.
using Rows = std::vector<std::string>;

Rows WithReader(const std::string& text, char delim, size_t max_line, const std::string& comment) {
  std::istringstream in(text);
  edgeline::CsvReader reader(in, delim, max_line, comment);
  std::vector<edgeline::CsvField> fields;
  std::string reason;
  Rows rows;
  uint64_t last = 0;
  edgeline::CsvReader::Outcome o;
  while ((o = reader.Next(&fields, &reason)) != edgeline::CsvReader::Outcome::kEnd) {
    if (reader.position() < last || reader.position() > text.size()) __builtin_trap();
    last = reader.position();
    if (o == edgeline::CsvReader::Outcome::kError) {
      rows.push_back("E:" + reason);
      continue;
    }
    std::string row;
    for (const auto& f : fields) row += (f.quoted ? "q" : "u") + f.text + "\x1f";
    rows.push_back(row);
  }
  return rows;
}

Rows WithScanner(const std::string& text, char delim, size_t max_line, const std::string& comment,
                 edgeline::CsvScanMode mode, size_t split) {
  edgeline::CsvScanner scanner({delim, max_line, mode, comment});
  edgeline::CsvRecords recs;
  Rows rows;
  std::string buf, scratch;
  size_t fed = 0;
  for (int piece = 0; piece < 2; ++piece) {
    size_t end = piece == 0 ? split : text.size();
    buf.append(text, fed, end - fed);
    fed = end;
    const bool final = piece == 1;
    size_t used = scanner.Scan(buf.data(), buf.size(), final, &recs);
    if (used > buf.size()) __builtin_trap();
    for (size_t r = 0; r < recs.size(); ++r) {
      const auto& rec = recs.record(r);
      if (rec.error != edgeline::CsvError::kNone) {
        rows.push_back(std::string("E:") + edgeline::CsvErrorReason(rec.error));
        continue;
      }
      std::string row;
      for (size_t k = 0; k < rec.num_fields; ++k) {
        const auto& f = recs.field(r, k);
        row += f.quoted ? "q" : "u";
        row += edgeline::CsvFieldText(buf.data(), f, &scratch);
        row += "\x1f";
      }
      rows.push_back(row);
    }
    buf.erase(0, used);
    if (final && !buf.empty()) __builtin_trap();
  }
  return rows;
}

// The pipeline's spec, with comment prefix `comment` ("" = none).
edgeline::JobSpec Spec(const std::string& comment) {
  auto j = nlohmann::json::parse(R"({"job_id": "f", "version": 1,
    "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "csv", "max_line_bytes": 128},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_s"},
               "fields": {"d": {"type": "string"}, "v": {"type": "float"}}},
    "clean": [{"op": "drop_null", "fields": ["v"]}]})");
  if (!comment.empty()) j["input"]["csv"]["comment"] = comment;
  auto r = edgeline::ParseJobSpec(j.dump());
  if (!r.ok()) __builtin_trap();
  return r.value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char kDelims[] = {',', ';', '\t', '|', '"', '\n', '\r', ' '};
  const uint8_t ctl = data[0];
  const char delim = kDelims[ctl & 7];
  const size_t max_line = (ctl & 8) ? 16 : 4096;
  static const char* const kComments[] = {"", "", "#", "//"};
  const std::string comment = kComments[(ctl >> 4) & 3];
  static const edgeline::JobSpec kSpecs[] = {Spec(""), Spec(""), Spec("#"), Spec("//")};
  const edgeline::JobSpec& spec = kSpecs[(ctl >> 4) & 3];
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t split = text.empty() ? 0 : (static_cast<size_t>(ctl) * 131) % (text.size() + 1);

  const Rows ref = WithReader(text, delim, max_line, comment);
  if (WithScanner(text, delim, max_line, comment, edgeline::CsvScanMode::kScalar, split) != ref) {
    __builtin_trap();
  }
  if (WithScanner(text, delim, max_line, comment, edgeline::CsvScanMode::kSimd, split) != ref) {
    __builtin_trap();
  }

  // The pipeline: reader path vs scanner path over the same rows, with the header "ts,d,v"
  // given (as for a resumed file) or read from the text.
  const std::vector<std::string> given = {"ts", "d", "v"};
  const bool read_header = (ctl & 0x40) != 0;
  auto none = [](std::vector<edgeline::Record>&&) { return edgeline::Status::Ok(); };
  edgeline::JobPipeline by_reader(spec, none), by_scanner(spec, none);
  // The chunked path scans in small windows (1 to 256 bytes), the stream path in one.
  by_scanner.set_csv_scan_window(1 + (static_cast<size_t>(ctl) * 37) % 256);
  std::istringstream in(text);
  const bool reader_ok = by_reader.Run(in, "fuzz", read_header ? nullptr : &given).ok();
  // The scanner path: text[0, split), not final, then the rest from where it stopped.
  std::vector<std::string> header;
  if (!read_header) header = given;
  bool skipping = false;
  size_t used = 0, used2 = 0;
  bool scanner_ok =
      by_scanner.RunCsvChunk(text.data(), split, false, "fuzz", 0, &header, &skipping, &used).ok();
  if (used > split) __builtin_trap();
  if (scanner_ok) {
    scanner_ok = by_scanner
                     .RunCsvChunk(text.data() + used, text.size() - used, true, "fuzz",
                                  static_cast<int64_t>(used), &header, &skipping, &used2)
                     .ok();
    if (scanner_ok && (used + used2 != text.size() || skipping)) __builtin_trap();
  }
  if (reader_ok != scanner_ok) __builtin_trap();
  if (by_reader.counters().ToJson() != by_scanner.counters().ToJson()) __builtin_trap();
  if (by_reader.position() != by_scanner.position()) __builtin_trap();
  return 0;
}
