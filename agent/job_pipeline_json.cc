// JobPipeline for the JSON formats: the chunk entry points FileSource calls (NDJSON
// lines, JSON array elements) and Run()'s reading of a stream (stdin) in chunks.
#include <algorithm>

#include "agent/job_pipeline.h"
#include "agent/json_fields.h"

namespace edgeline {

template <typename Reader>
Status JobPipeline::ProcessJson(Reader* reader, int64_t base_offset) {
  std::vector<RawCell> cells;
  std::string reason;
  while (true) {
    if (cancel_ && cancel_->load()) return Status::Error("cancelled");
    const typename Reader::Outcome o = reader->Next(&cells, &reason);
    if (o == Reader::Outcome::kEnd) return Status::Ok();
    position_ = base_offset + static_cast<int64_t>(reader->position());
    if (o == Reader::Outcome::kError) {
      Reject(reason, reader->raw());
      continue;
    }
    Status s = Process(cells, reader->raw());
    if (!s.ok()) return s;
  }
}

Status JobPipeline::RunNdjsonChunk(const char* data, size_t len, int64_t base_offset) {
  if (!cleaner_.status().ok()) return cleaner_.status();  // as Run(): fail before any row
  if (!ndjson_) ndjson_ = std::make_unique<NdjsonReader>(JsonPointers(spec_), spec_.max_line_bytes);
  ndjson_->Reset(data, len);
  position_ = base_offset;
  Status s = ProcessJson(ndjson_.get(), base_offset);
  if (s.ok()) position_ = base_offset + static_cast<int64_t>(len);
  return s;
}

Status JobPipeline::RunJsonArrayChunk(const char* data, size_t len, int64_t base_offset, bool final,
                                      JsonArrayCursor* cursor, size_t* used) {
  *used = 0;
  if (!cleaner_.status().ok()) return cleaner_.status();
  if (!json_array_) {
    json_array_ = std::make_unique<JsonArrayReader>(JsonPointers(spec_), spec_.max_line_bytes);
  }
  json_array_->Reset(data, len, final, cursor);
  position_ = base_offset;
  Status s = ProcessJson(json_array_.get(), base_offset);
  if (s.ok()) *used = json_array_->used();
  return s;
}

Status JobPipeline::RunJsonStream(std::istream& in) {
  // As FileSource does for files: chunks of whole lines (NDJSON) or of the array's bytes,
  // with the padding simdjson reads ahead, so memory stays bounded on any input size.
  const bool array = spec_.format == "json";
  const size_t chunk = std::max<size_t>(1 << 20, spec_.max_line_bytes + 1);
  std::string buf;
  buf.reserve(chunk + kJsonPadding);
  int64_t offset = position_;  // of buf[0]
  JsonArrayCursor cursor = offset > 0 ? JsonArrayCursor::Resumed() : JsonArrayCursor();
  bool skipping = false;  // NDJSON: inside a line longer than the buffer
  while (true) {
    const size_t have = buf.size();
    buf.resize(chunk);
    in.read(&buf[have], static_cast<std::streamsize>(chunk - have));
    buf.resize(have + static_cast<size_t>(in.gcount()));
    const bool eof = !in;
    if (array) {
      size_t used = 0;
      Status s = RunJsonArrayChunk(buf.data(), buf.size(), offset, eof, &cursor, &used);
      if (!s.ok()) return s;
      buf.erase(0, used);
      offset += static_cast<int64_t>(used);
      position_ = offset;
      if (eof) break;
      continue;
    }
    if (skipping) {
      const size_t nl = buf.find('\n');
      const size_t drop = nl == std::string::npos ? buf.size() : nl + 1;
      buf.erase(0, drop);
      offset += static_cast<int64_t>(drop);
      skipping = nl == std::string::npos;
    }
    const size_t last_nl = buf.rfind('\n');
    const size_t cut = eof ? buf.size() : last_nl == std::string::npos ? 0 : last_nl + 1;
    if (cut == 0) {
      if (eof) break;
      if (buf.size() >= chunk) {  // no line end in a full buffer
        CountReject("line_too_long");
        offset += static_cast<int64_t>(buf.size());
        buf.clear();
        skipping = true;
      }
      continue;
    }
    Status s = RunNdjsonChunk(buf.data(), cut, offset);
    if (!s.ok()) return s;
    buf.erase(0, cut);
    offset += static_cast<int64_t>(cut);
    if (eof) break;
  }
  position_ = offset;
  return Status::Ok();
}

}  // namespace edgeline
