// JobPipeline for the JSON formats: the chunk entry points FileSource calls (NDJSON
// lines, JSON array elements) and Run()'s reading of a stream (stdin) in chunks.
#include <algorithm>
#include <cstring>

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
  if (!setup_.ok()) return setup_;  // as Run(): fail before any row
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
  if (!setup_.ok()) return setup_;
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
  // The buffer is kept between calls: a stream may be one short message per call.
  const bool array = spec_.format == "json";
  const size_t chunk = std::max<size_t>(1 << 20, spec_.max_line_bytes + 1);
  if (stream_buf_.size() < chunk + kJsonPadding) stream_buf_.assign(chunk + kJsonPadding, ' ');
  char* const buf = &stream_buf_[0];
  size_t have = 0;             // bytes in buf
  int64_t offset = position_;  // of buf[0] in the input
  JsonArrayCursor cursor = offset > 0 ? JsonArrayCursor::Resumed() : JsonArrayCursor();
  bool skipping = false;  // NDJSON: inside a line longer than the buffer
  auto drop = [&](size_t n) {
    std::memmove(buf, buf + n, have - n);
    have -= n;
    offset += static_cast<int64_t>(n);
  };
  while (true) {
    in.read(buf + have, static_cast<std::streamsize>(chunk - have));
    have += static_cast<size_t>(in.gcount());
    const bool eof = !in;
    if (array) {
      size_t used = 0;
      Status s = RunJsonArrayChunk(buf, have, offset, eof, &cursor, &used);
      if (!s.ok()) return s;
      drop(used);
      position_ = offset;
      if (eof) break;
      continue;
    }
    if (skipping) {
      const char* nl = static_cast<const char*>(std::memchr(buf, '\n', have));
      drop(nl == nullptr ? have : static_cast<size_t>(nl - buf) + 1);
      skipping = nl == nullptr;
    }
    const char* last_nl = static_cast<const char*>(memrchr(buf, '\n', have));
    const size_t cut = eof ? have : last_nl == nullptr ? 0 : static_cast<size_t>(last_nl - buf) + 1;
    if (cut == 0) {
      if (eof) break;
      if (have >= chunk) {  // no line end in a full buffer
        CountReject("line_too_long");
        drop(have);
        skipping = true;
      }
      continue;
    }
    Status s = RunNdjsonChunk(buf, cut, offset);
    if (!s.ok()) return s;
    drop(cut);
    if (eof) break;
  }
  position_ = offset;
  return Status::Ok();
}

}  // namespace edgeline
