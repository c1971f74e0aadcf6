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
  // Chunks of whole lines (NDJSON) or of the array's bytes, with the padding simdjson
  // reads ahead.
  if (spec_.format == "json") {
    JsonArrayCursor cursor = position_ > 0 ? JsonArrayCursor::Resumed() : JsonArrayCursor();
    return StreamChunks(in, kJsonPadding,
                        [&](const char* buf, size_t have, int64_t offset, bool eof, size_t* used) {
                          return RunJsonArrayChunk(buf, have, offset, eof, &cursor, used);
                        });
  }
  const size_t chunk = InputChunkBytes(spec_);
  bool skipping = false;  // inside a line longer than the buffer
  return StreamChunks(
      in, kJsonPadding, [&](const char* buf, size_t have, int64_t offset, bool eof, size_t* used) {
        size_t skip = 0;  // the rest of a line being dropped
        if (skipping) {
          const char* nl = static_cast<const char*>(std::memchr(buf, '\n', have));
          skipping = nl == nullptr;
          skip = skipping ? have : static_cast<size_t>(nl - buf) + 1;
        }
        const char* rest = buf + skip;
        const size_t n = have - skip;
        const char* last_nl = static_cast<const char*>(memrchr(rest, '\n', n));
        const size_t cut = eof                  ? n
                           : last_nl == nullptr ? 0
                                                : static_cast<size_t>(last_nl - rest) + 1;
        *used = skip + cut;
        if (cut == 0) {
          if (!eof && n >= chunk) {  // no line end in a full buffer
            CountReject("line_too_long");
            *used = have;
            skipping = true;
          }
          return Status::Ok();
        }
        return RunNdjsonChunk(rest, cut, offset + static_cast<int64_t>(skip));
      });
}

}  // namespace edgeline
