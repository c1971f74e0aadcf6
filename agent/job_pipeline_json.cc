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
  if (!ndjson_) {
    const std::vector<std::string> pointers = JsonPointers(spec_);
    ndjson_ = std::make_unique<NdjsonReader>(pointers, spec_.max_line_bytes);
    // A number's text casts as its JSON value in float and int fields and in a timestamp
    // not parsed as ISO 8601 (agent/cast.h; NDJSON has no decimal comma).
    std::vector<bool> numbers;
    if (!spec_.ts_field.empty())
      numbers.push_back(ts_parser_.format() != TimestampFormat::kIso8601);
    for (const auto& f : spec_.fields) {
      numbers.push_back(f.type == FieldType::kFloat || f.type == FieldType::kInt);
    }
    ndjson_flat_ = NdjsonFlatReader::Make(pointers, numbers, spec_.max_line_bytes);
    if (ndjson_flat_) {
      ndjson_line_ = std::make_unique<NdjsonReader>(pointers, spec_.max_line_bytes,
                                                    NdjsonReader::Mode::kPerLine);
    }
  }
  if (ndjson_flat_ && ndjson_fast_path_ && len < (size_t{1} << 31)) {
    return RunNdjsonFlat(data, len, base_offset);
  }
  ndjson_->Reset(data, len);
  position_ = base_offset;
  Status s = ProcessJson(ndjson_.get(), base_offset);
  if (s.ok()) position_ = base_offset + static_cast<int64_t>(len);
  return s;
}

Status JobPipeline::RunNdjsonFlat(const char* data, size_t len, int64_t base_offset) {
  CsvBlock blk;
  blk.buf = data;
  blk.readable = len + kJsonPadding;
  blk.buf_offset = base_offset;
  blk.all_utf8 = true;  // the lines taken are ASCII
  blk.json_lines = true;
  blk.num_fields = ndjson_flat_->columns();
  for (size_t c = 0; c < blk.num_fields; ++c) blk.col.push_back(static_cast<int>(c));
  CsvRecords& recs = scan_records_;
  size_t pos = 0;
  size_t taken = 0;
  size_t alone = 0;  // lines not taken
  while (pos < len) {
    if (cancel_ && cancel_->load()) return Status::Error("cancelled");
    pos = ndjson_flat_->Read(data, len, pos, kBlockRows, &recs);
    taken += recs.size();
    for (size_t r = 0; r < recs.size();) {
      Status s = ProcessCsvRows(blk, recs, r, recs.size(), &r);
      if (!s.ok()) return s;
    }
    if (recs.size() == kBlockRows || pos >= len) continue;
    if (++alone > 8 && alone * 16 > taken) {  // lines unlike what the fast path takes
      ndjson_->Reset(data + pos, len - pos);
      Status s = ProcessJson(ndjson_.get(), base_offset + static_cast<int64_t>(pos));
      if (!s.ok()) return s;
      break;
    }
    const char* nl = static_cast<const char*>(std::memchr(data + pos, '\n', len - pos));
    const size_t end = nl != nullptr ? static_cast<size_t>(nl - data) + 1 : len;
    ndjson_line_->Reset(data + pos, end - pos);
    Status s = ProcessJson(ndjson_line_.get(), base_offset + static_cast<int64_t>(pos));
    if (!s.ok()) return s;
    pos = end;
  }
  position_ = base_offset + static_cast<int64_t>(len);
  return Status::Ok();
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
