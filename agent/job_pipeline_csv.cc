// JobPipeline for CSV: the chunk entry point FileSource calls and Run()'s reading of a
// stream (stdin) in chunks. A chunk is scanned by the SIMD scanner (agent/csv_scanner.h);
// its rows are then cast in blocks, column by column (agent/cast.h), and cleaned and
// batched row by row, in input order.
#include <simdjson.h>

#include <algorithm>
#include <iterator>

#include "agent/cast.h"
#include "agent/csv_scanner.h"
#include "agent/job_pipeline.h"

namespace edgeline {

namespace {
// Asks the CPU to fetch the storage of r's values for writing. A slot was last written a
// batch ago (batch_max_records rows, about 1 MB of records at the default 5000): out of L2
// by now, and the column casts that follow would each wait for it. The first cache line
// only: prefetching each of its 3 or 4 lines cost 19 instructions per row and was 4%
// slower, no prefetch 2% slower (docs/benchmarks.md#agent-clean-6).
void PrefetchValues(const Record& r) { __builtin_prefetch(r.values.data(), 1); }
}  // namespace

Status JobPipeline::MapCsvColumns(const std::vector<std::string>& header, const std::string& name,
                                  std::vector<int>* col, size_t* num_fields) const {
  const std::vector<std::string>& names = spec_.csv_columns.empty() ? header : spec_.csv_columns;
  if (spec_.csv_header && names.size() != header.size()) {
    return Status::Error(name + ": the CSV header has " + std::to_string(header.size()) +
                         " columns, input.csv.columns names " + std::to_string(names.size()));
  }
  // Each wanted column (timestamp first, then schema fields) to its index in names.
  std::vector<std::string> wanted;
  if (!spec_.ts_field.empty()) wanted.push_back(spec_.ts_field);
  for (const auto& f : spec_.fields) wanted.push_back(f.name);
  col->assign(wanted.size(), -1);
  for (size_t w = 0; w < wanted.size(); ++w) {
    for (size_t c = 0; c < names.size(); ++c) {
      if (names[c] == wanted[w]) (*col)[w] = static_cast<int>(c);
    }
  }
  if (!spec_.ts_field.empty() && (*col)[0] < 0) {
    return Status::Error(name + ": the CSV header has no column \"" + spec_.ts_field +
                         "\" (the timestamp field)");
  }
  *num_fields = names.size();
  return Status::Ok();
}

Status JobPipeline::RunCsv(std::istream& in, const std::string& name,
                           const std::vector<std::string>* csv_header) {
  // Chunks through the SIMD scanner, which leaves a record still open at a chunk's end
  // for the next one.
  std::vector<std::string> header =
      csv_header != nullptr ? *csv_header : std::vector<std::string>();
  bool skipping = false;  // inside a line being dropped
  const size_t chunk = InputChunkBytes(spec_);
  return StreamChunks(
      in, 0, [&](const char* buf, size_t have, int64_t offset, bool eof, size_t* used) {
        Status s = RunCsvChunk(buf, have, eof, name, offset, &header, &skipping, used);
        if (s.ok() && *used == 0 && have >= chunk) {
          // A record longer than a whole chunk (within max_line_bytes, but with enough ""
          // pairs, which count once, to be longer in bytes): as FileSource rejects it.
          CountReject("line_too_long");
          *used = have;
          skipping = true;
        }
        return s;
      });
}

Status JobPipeline::RunCsvChunk(const char* data, size_t len, bool final, const std::string& name,
                                int64_t base_offset, std::vector<std::string>* header,
                                bool* skipping, size_t* consumed) {
  if (!setup_.ok()) return setup_;
  position_ = base_offset;
  *consumed = 0;
  CsvScanOptions opts;
  opts.delimiter = spec_.csv_delimiter;
  opts.max_line_bytes = spec_.max_line_bytes;
  opts.comment = spec_.csv_comment;
  CsvScanner scanner(opts);
  // The scanner of the previous chunk is gone: this one goes on where it stopped.
  if (base_offset > 0 || *skipping) scanner.Resume(*skipping);
  CsvRecords& recs = scan_records_;
  CsvBlock blk;
  bool need_header = spec_.csv_header && header->empty();
  if (!need_header) {
    Status m = MapCsvColumns(*header, name, &blk.col, &blk.num_fields);
    if (!m.ok()) return m;
  }
  size_t done = 0;
  size_t window = csv_scan_window_;
  while (true) {
    const char* buf = data + done;
    // The chunk is scanned a window at a time (set_csv_scan_window), so the rows are cast
    // while their bytes and spans are still in the CPU's caches. A window that holds no
    // complete record grows to the rest of the chunk. Then, without `final`, one call
    // consumes all that can be (chunks are far below the 4 GiB a call looks at); the rest
    // waits for the caller's next chunk.
    const size_t rest = len - done;
    const bool last = rest <= window;
    const size_t used = scanner.Scan(buf, last ? rest : window, final && last, &recs);
    blk.buf = buf;
    blk.readable = rest;
    blk.buf_offset = base_offset + static_cast<int64_t>(done);
    // One UTF-8 check for everything consumed; record by record only if it fails.
    blk.all_utf8 = simdjson::validate_utf8(buf, used);
    size_t r = 0;
    for (; need_header && r < recs.size(); ++r) {
      const CsvRecordSpan& rec = recs.record(r);
      position_ = blk.buf_offset + static_cast<int64_t>(rec.offset + rec.length);
      if (rec.error != CsvError::kNone) continue;  // a malformed header line is skipped
      std::string unescaped;
      for (size_t k = 0; k < rec.num_fields; ++k) {
        header->emplace_back(CsvFieldText(buf, recs.field(r, k), &unescaped));
      }
      need_header = false;
      Status m = MapCsvColumns(*header, name, &blk.col, &blk.num_fields);
      if (!m.ok()) return m;
    }
    while (r < recs.size()) {
      if (cancel_ && cancel_->load()) return Status::Error("cancelled");
      Status s = ProcessCsvRows(blk, recs, r, std::min(recs.size(), r + kBlockRows), &r);
      if (!s.ok()) return s;
    }
    done += used;
    if (!last) {
      window = used == 0 ? rest : csv_scan_window_;
      continue;
    }
    if (!final || used == 0 || done >= len) break;
  }
  *skipping = scanner.skipping();
  *consumed = done;
  position_ = base_offset + static_cast<int64_t>(done);
  return Status::Ok();
}

Record* JobPipeline::CastSlots(std::vector<Record>* v, size_t base, size_t n) {
  if (v->size() < base + n) {
    // New slots from the spare records first (their values keep their storage), moved
    // over together.
    const size_t take = std::min(spare_.size(), base + n - v->size());
    v->insert(v->end(), std::make_move_iterator(spare_.end() - take),
              std::make_move_iterator(spare_.end()));
    spare_.resize(spare_.size() - take);
    v->resize(base + n);
  }
  Record* const slots = v->data() + base;
  const size_t num_values = spec_.fields.size();
  for (size_t k = 0; k < n; ++k) {
    Record& record = slots[k];
    TakeSpareIfEmpty(&record);
    if (record.values.size() != num_values) record.values.resize(num_values);
    PrefetchValues(record);  // for the column casts (docs/benchmarks.md#agent-clean-5)
  }
  return slots;
}

Status JobPipeline::ProcessCsvRows(const CsvBlock& blk, const CsvRecords& recs, size_t begin,
                                   size_t end, size_t* next) {
  const size_t ts_cols = spec_.ts_field.empty() ? 0 : 1;
  // When every clean op decides on one record alone, the rows are cast in place at the end
  // of the pending batch, and the kept ones stay there: a block then ends where the batch
  // would be full. Otherwise (a linear fill) they are cast into csv_rows_.records and go
  // through the cleaner one by one.
  const bool in_place = !cleaner_holds_records_;
  if (in_place) {
    const size_t max = std::max<size_t>(spec_.batch_max_records, 1);
    end = std::min(end, begin + (pending_size_ < max ? max - pending_size_ : 1));
  }
  *next = end;
  CsvRows& rows = csv_rows_;
  rows.unescaped.resize(kBlockRows);
  rows.first_field.resize(kBlockRows);
  rows.early.resize(kBlockRows);
  rows.reasons.resize(kBlockRows);
  rows.quick.resize(kBlockRows);
  // 1. Each row's fate before casting (a CSV error, invalid UTF-8, the wrong number of
  // fields); the others get a record.
  size_t n = 0;
  const char** const early = rows.early.data();
  std::fill(early, early + (end - begin), nullptr);
  for (size_t r = begin; r < end; ++r) {
    const CsvRecordSpan& rec = recs.record(r);
    // (An error has no fields: the right number of fields means no error.)
    if (rec.num_fields != blk.num_fields || !blk.all_utf8) {
      const char*& reason = early[r - begin];
      if (rec.error != CsvError::kNone) {
        reason = CsvErrorReason(rec.error);
      } else if (!blk.all_utf8 && !simdjson::validate_utf8(blk.buf + rec.offset, rec.length)) {
        reason = "invalid_utf8";
      } else if (rec.num_fields != blk.num_fields) {
        reason = "csv_field_count";
      }
      if (reason != nullptr) continue;
    }
    rows.first_field[n++] = rec.first_field;
  }
  std::fill(rows.reasons.begin(), rows.reasons.begin() + static_cast<ptrdiff_t>(n), nullptr);
  const size_t base = in_place ? pending_size_ : 0;
  Record* const records = CastSlots(in_place ? &pending_ : &rows.records, base, n);
  // 2. Cast column by column, the cells made from the scanned fields as they are read:
  // the timestamp, then the fields, giving each row CastRecord's result.
  const char** const reasons = rows.reasons.data();
  CsvColumnCells cells;
  cells.buf = blk.buf;
  cells.readable = blk.readable;
  cells.fields = recs.num_fields() > 0 ? &recs.field(0) : nullptr;
  cells.first_field = rows.first_field.data();
  cells.unescaped = rows.unescaped.data();
  std::vector<CsvColumnCells>& columns = rows.columns;
  columns.assign(blk.col.size(), cells);
  for (size_t w = 0; w < blk.col.size(); ++w) {
    if (override_field_ >= 0 && w == static_cast<size_t>(override_field_) + ts_cols) {
      columns[w].mode = CsvColumnCells::kConstant;
      columns[w].constant = override_text_;
    } else if (blk.col[w] < 0) {
      columns[w].mode = CsvColumnCells::kMissing;
    } else {
      columns[w].col = static_cast<size_t>(blk.col[w]);
    }
  }
  if (ts_cols > 0) CastTimestampColumn(columns[0], n, &ts_parser_, records, reasons);
  CastFieldColumns(spec_, columns.data() + ts_cols, n, records, reasons);
  if (ts_cols == 0) {
    for (size_t k = 0; k < n; ++k) records[k].ts_ms = 0;
  }
  // 3. Row by row, in input order: count rejects, clean the others. In place, the kept
  // records close up at the front of the block's slots and the others stay slots after
  // them; else each record goes through the cleaner, which batches what it releases.
  // With only drop_null and range ops, the rows they pass are found column by column first.
  uint8_t* const quick = rows.quick.data();
  const bool all_quick = in_place && cleaner_.all_quick();
  if (all_quick) cleaner_.QuickKeep(records, n, quick);
  size_t k = 0;     // the row's record
  size_t kept = 0;  // in place: records kept so far
  for (size_t r = begin; r < end; ++r) {
    const CsvRecordSpan& rec = recs.record(r);
    const char* reason = early[r - begin];
    if (reason == nullptr) reason = reasons[k++];
    if (reason != nullptr) {
      position_ = blk.buf_offset + static_cast<int64_t>(rec.offset + rec.length);
      Reject(reason, std::string_view(blk.buf + rec.offset, rec.length - blk.json_lines));
      continue;
    }
    Record& record = records[k - 1];
    if (in_place) {
      if (all_quick && quick[k - 1]) {
        ++counters_.read;  // what CleanInPlace counts for a record kept as it is
      } else if (CleanInPlace(&record)) {
        continue;
      }
      if (kept != k - 1) swap(records[kept], record);  // the dropped one's storage after it
      ++kept;
      continue;
    }
    position_ = blk.buf_offset + static_cast<int64_t>(rec.offset + rec.length);
    Status s = CleanHeld(std::move(record));
    if (!s.ok()) return s;
  }
  const CsvRecordSpan& last = recs.record(end - 1);
  position_ = blk.buf_offset + static_cast<int64_t>(last.offset + last.length);
  if (!in_place) return Status::Ok();
  pending_size_ = base + kept;  // the others stay slots for the next rows
  return KeepAdded(kept);
}

}  // namespace edgeline
