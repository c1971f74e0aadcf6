// One job's record pipeline: parse (CSV, NDJSON or a JSON array) -> cast -> clean -> batch.
// Used by the agent daemon and by `edgeline-agent run`.
//
// Thread-safety: Run/Flush from one thread; Snapshot() from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/cast.h"
#include "agent/cleaner.h"
#include "agent/csv_scanner.h"
#include "agent/json_array_reader.h"
#include "agent/ndjson_flat.h"
#include "agent/ndjson_reader.h"
#include "agent/raw_cell.h"
#include "common/job_spec.h"
#include "common/record.h"
#include "common/status.h"
#include "common/timestamp.h"

namespace edgeline {

// Counts by outcome and reason. read = kept + rejected + dropped (+ the records a
// fill "linear" op holds back until their gap closes or Flush).
struct JobCounters {
  int64_t read = 0;
  int64_t kept = 0;
  int64_t rejected = 0;  // could not be parsed or cast
  int64_t dropped = 0;   // removed by a clean op
  std::map<std::string, int64_t> reasons;
  int64_t batches = 0;                      // batches handed to the sink
  std::map<std::string, int64_t> repaired;  // values changed (kept) by a clean op, by reason

  // {"read":..,"kept":..,"rejected":..,"dropped":..,"reasons":{..},"batches":..}, plus
  // "repairs":{..} when there were any.
  nlohmann::json ToJson() const;
  // The inverse of ToJson; missing or malformed members count as zero.
  static JobCounters FromJson(const nlohmann::json& j);
};

// Receives each batch of kept records (at most spec.batch_max_records). An error aborts
// the job. The sink may move the records (or the vector) away; whatever it leaves is
// reused by the pipeline for later records.
using BatchSink = std::function<Status(std::vector<Record>&& records)>;

// Told about each rejected row: its reason and its raw text as read (the CSV record, line
// end included; the NDJSON line without its LF; the JSON array element; empty when the
// row was never read whole, e.g. a line_too_long found by the file source). Runs on the
// pipeline's thread; `raw` is valid during the call only.
using RejectObserver = std::function<void(const std::string& reason, std::string_view raw)>;

class JobPipeline {
 public:
  // `spec` must outlive the pipeline. `cancel` (may be null) aborts Run when set. What
  // the job needs from the device is looked up here (the time zone, a redact key); if
  // something is missing, Run, RunCsvChunk and Flush fail with that error before
  // processing anything.
  JobPipeline(const JobSpec& spec, BatchSink sink, const std::atomic<bool>* cancel = nullptr);

  // Reads `in` to its end. `name` is used in error messages. For CSV, `csv_header`
  // gives the header row's names when `in` starts after it (a resumed or followed
  // file); otherwise the first record is the header (unless the spec has none,
  // input.csv.header false). `base_offset` is the byte offset of `in`'s start in its file,
  // for position(). Returns an error for input that cannot be processed at all (e.g. a CSV
  // header without the timestamp column), a sink error, or cancellation; bad rows are
  // counted, not errors.
  Status Run(std::istream& in, const std::string& name,
             const std::vector<std::string>* csv_header = nullptr, int64_t base_offset = 0);
  // CSV only: processes data[0, len), which starts `base_offset` bytes into a file, at a
  // record boundary or (*skipping) inside a line being dropped up to its LF, with the SIMD
  // scanner (agent/csv_scanner.h). `final`: nothing follows data (the end of a file that
  // will not grow); otherwise a record still open at the end of data is left for the next
  // call, which starts at data + *consumed. *header: the file's header row; while it is
  // empty (and the spec has one, input.csv.header) the first record read becomes it.
  // *skipping is set when the next call starts inside a line being dropped. Same results
  // as Run() over the same bytes, in one call or in many. REQUIRES: data stays valid
  // during the call.
  Status RunCsvChunk(const char* data, size_t len, bool final, const std::string& name,
                     int64_t base_offset, std::vector<std::string>* header, bool* skipping,
                     size_t* consumed);
  // NDJSON only: processes data[0, len), complete lines (a last line without LF is a
  // line too) that start `base_offset` bytes into their file. Same results as Run() over
  // the same bytes, errors included (a clean op that could not be set up fails it before
  // any row). REQUIRES: data[len, len + kJsonPadding) is readable (simdjson reads ahead);
  // data stays valid during the call.
  Status RunNdjsonChunk(const char* data, size_t len, int64_t base_offset);
  // JSON array only (input.format "json"): goes on with the document at data[0, len),
  // which starts `base_offset` bytes into its file, from *cursor (a default one at the
  // start of a file, JsonArrayCursor::Resumed() at a checkpoint's offset); `final`: the
  // file ends at len. Processes the complete elements and sets *used to the bytes
  // consumed: the rest is the start of an element to pass again with what follows.
  // REQUIRES as RunNdjsonChunk.
  Status RunJsonArrayChunk(const char* data, size_t len, int64_t base_offset, bool final,
                           JsonArrayCursor* cursor, size_t* used);
  // At the end of the input: releases the records the clean ops hold back (fill
  // linear), then hands any partial batch to the sink.
  Status Flush();
  // Flushes when the oldest pending record waited batch_max_ms.
  Status FlushIfDue(int64_t now_ms);
  // Byte offset in the current file just after the last record read. During a sink
  // call: everything before it is in this batch or counted.
  int64_t position() const { return position_; }
  // Counts a row rejected before parsing (e.g. a line too long for the reader); `raw` is
  // what the observer sees of it.
  void CountReject(const std::string& reason, std::string_view raw = {}) { Reject(reason, raw); }
  // Every row processed from now on gets `text` as the raw value of schema field `field`,
  // whatever the row holds (an mqtt input's topic_field); -1 stops it. REQUIRES: `text`
  // stays valid while rows are processed.
  void set_field_override(int field, std::string_view text) {
    override_field_ = field;
    override_text_ = text;
  }
  // RunCsvChunk scans its chunk this many bytes at a time (default 64 KiB, so the rows are
  // cast while their bytes are still in the caches); a window without a complete record
  // grows to the rest of the chunk. Results do not depend on it: tests set small ones.
  void set_csv_scan_window(size_t bytes) { csv_scan_window_ = std::max<size_t>(bytes, 1); }
  // Whether RunNdjsonChunk may read lines with its fast path (agent/ndjson_flat.h; on
  // by default). Results do not depend on it: tests compare both.
  void set_ndjson_fast_path(bool on) { ndjson_fast_path_ = on; }
  // Sets (or, with nullptr, clears) the observer of rejected rows.
  void set_reject_observer(RejectObserver observer) { reject_observer_ = std::move(observer); }
  // The clean ops' state (Cleaner::SaveState) and the records the cleaner released but
  // that are not batched yet, as JSON for a checkpoint taken during a sink call:
  // {"ops": ..., "released": [records]}, or null when there is nothing. With the
  // checkpoint's position and counters, a restart goes on as if there had been none.
  nlohmann::json CleanState() const;
  // Restores CleanState() of a checkpoint, before anything is processed. An error for
  // malformed state (the clean ops then start empty).
  Status RestoreCleanState(const nlohmann::json& state);
  // Starts counting from a checkpoint's counters.
  void RestoreCounters(const JobCounters& c) {
    counters_ = c;
    reason_counts_.clear();  // they point into the replaced counters
    Publish();
  }
  // A consistent copy of the counters as of the last batch boundary (or Flush).
  JobCounters Snapshot() const;
  // The live counters. REQUIRES: called from the thread running the pipeline.
  const JobCounters& counters() const { return counters_; }

 private:
  Status RunCsv(std::istream& in, const std::string& name,
                const std::vector<std::string>* csv_header);
  // Maps the timestamp and schema fields to the columns named by input.csv.columns, or
  // else by the header row (-1: absent), and sets *num_fields to the number of fields a
  // row must have. An error when the timestamp column is missing, or the header row's
  // length differs from input.csv.columns'.
  Status MapCsvColumns(const std::vector<std::string>& header, const std::string& name,
                       std::vector<int>* col, size_t* num_fields) const;
  // RunNdjsonChunk with the fast path: runs of lines NdjsonFlatReader takes go through
  // ProcessCsvRows, each line it does not take through NdjsonReader alone; once those
  // are more than 8 and more than 1 in 16 of the chunk's lines so far, the rest of the
  // chunk goes to NdjsonReader's windows.
  Status RunNdjsonFlat(const char* data, size_t len, int64_t base_offset);
  // Run() for the JSON formats: reads `in` in chunks into the chunk functions.
  Status RunJsonStream(std::istream& in);
  // Run()'s reading of a stream: fills stream_buf_ (InputChunkBytes, then `padding` more
  // readable bytes) from `in`, calls consume(data, len, offset of data in the input, eof,
  // &used) and keeps data[used, len) for the next call, until the end of `in`.
  using ConsumeChunk =
      std::function<Status(const char* data, size_t len, int64_t offset, bool eof, size_t* used)>;
  Status StreamChunks(std::istream& in, size_t padding, const ConsumeChunk& consume);
  // Casts, cleans and batches what a JSON reader (NdjsonReader, JsonArrayReader) yields,
  // to its end; rejects its errors.
  template <typename Reader>
  Status ProcessJson(Reader* reader, int64_t base_offset);
  // Casts, cleans and batches one parsed row; `raw` is its text, for a reject.
  Status Process(const std::vector<RawCell>& cells, std::string_view raw);
  // What RunCsvChunk knows of the scanned part of its chunk.
  struct CsvBlock {
    const char* buf = nullptr;  // where the scanned records' offsets start
    size_t readable = 0;        // bytes from buf that may be read
    int64_t buf_offset = 0;     // of buf in the file
    bool all_utf8 = false;      // the whole scanned part is valid UTF-8
    bool json_lines = false;    // NDJSON lines (RunNdjsonFlat): a reject's raw text has no LF
    std::vector<int> col;       // see MapCsvColumns
    size_t num_fields = 0;
  };
  // Rows cast together, column by column. 64: the block's records are written while still
  // in the cache, which matters when another thread then reads them (edgeline-agent run's
  // writer: 0.38 s for 202 MB with 64, 0.43 s with 128, 0.48 s with 256; the one-thread
  // clean_bench is the same from 32 up, slower below: docs/benchmarks.md).
  static constexpr size_t kBlockRows = 64;
  // Process() for the scanned CSV records from `begin` (at most a block of them, up to
  // `end`, and no more than the pending batch has room for): cast column by column, then
  // cleaned and batched row by row. Sets *next to the first record not processed.
  Status ProcessCsvRows(const CsvBlock& blk, const CsvRecords& recs, size_t begin, size_t end,
                        size_t* next);
  // Makes (*v)[base, base + n) records with one value per schema field (reusing those
  // there, then spare records, whose values keep their storage) and returns the first.
  Record* CastSlots(std::vector<Record>* v, size_t base, size_t n);
  // The first slot after the pending batch, for one record (CastRecord sizes its values).
  Record* NextSlot();
  // A record without storage of its own (new, or moved away by the sink or the cleaner)
  // takes a spare record's, when there is one.
  void TakeSpareIfEmpty(Record* r) {
    if (r->values.capacity() == 0 && !spare_.empty()) {
      *r = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  // Cleans the record just added to the pending batch and counts it read; batches it or
  // what the cleaner releases.
  Status CleanLast();
  // Counts *r read and applies the clean ops to it in place; true when one drops it
  // (counted by reason). REQUIRES: !cleaner_holds_records_.
  bool CleanInPlace(Record* r);
  // Counts r read and pushes it through the cleaner (a linear fill may hold it back);
  // batches what comes out.
  Status CleanHeld(Record r);
  // Counts the record just added to the pending batch as kept; seals the batch when full or
  // due.
  Status KeepLast() { return KeepAdded(1); }
  // Counts the last n records of the pending batch as kept; seals the batch when full or
  // due. REQUIRES: the batch did not pass batch_max_records before the n were added.
  Status KeepAdded(size_t n);
  // Batches the records in cleaned_ (what the cleaner let through).
  Status KeepCleaned();
  // Hands any partial batch to the sink.
  Status Seal();
  void Reject(const std::string& reason, std::string_view raw);
  // Reject for a reason that is a string constant (the casts', the scanner's, the clean
  // ops'): counted through ReasonCount.
  void Reject(const char* reason, std::string_view raw);
  // counters_.reasons[reason] for a string constant, found by its address after the first
  // time (a map look-up per row costs as much as casting it).
  int64_t& ReasonCount(const char* reason);
  void Publish();

  const JobSpec& spec_;
  BatchSink sink_;
  RejectObserver reject_observer_;
  int override_field_ = -1;
  std::string_view override_text_;
  std::vector<RawCell> override_cells_;
  const std::atomic<bool>* cancel_;
  Cleaner cleaner_;
  const bool cleaner_holds_records_;  // a linear fill: records go through Cleaner::Push
  TimestampParser ts_parser_;
  Status setup_;                 // the first error from building ts_parser_ or cleaner_
  std::vector<Record> cleaned_;  // released by the cleaner; batched from cleaned_next_ on
  size_t cleaned_next_ = 0;
  // pending_[0, pending_size_) is the batch being filled; the records after it are slots
  // for the next ones, reused in place (their values keep their storage).
  std::vector<Record> pending_;
  size_t pending_size_ = 0;
  std::vector<Record> spare_;  // more records for reuse (slots left at a Seal)
  int64_t pending_since_ms_ = 0;
  JobCounters counters_;
  std::vector<std::pair<const char*, int64_t*>> reason_counts_;  // ReasonCount's
  CsvRecords scan_records_;  // reused by RunCsvChunk: steady-state scanning allocates nothing
  size_t csv_scan_window_ = size_t{64} << 10;
  // ProcessCsvRows' storage, reused: the unescaped texts of a column's cells, each row's
  // reject reason before casting, the first scanned field of each row to cast, the
  // records cast, their reasons and which the clean ops surely keep.
  struct CsvRows {
    std::vector<std::string> unescaped;
    std::vector<const char*> early;
    std::vector<uint32_t> first_field;
    std::vector<Record> records;
    std::vector<const char*> reasons;
    std::vector<uint8_t> quick;  // Cleaner::QuickKeep's result
    std::vector<CsvColumnCells> columns;  // the timestamp's, then each field's
  } csv_rows_;
  int64_t position_ = 0;
  std::unique_ptr<NdjsonReader> ndjson_;         // created at the first NDJSON chunk
  std::unique_ptr<NdjsonFlatReader> ndjson_flat_;  // then too, when the job allows it
  std::unique_ptr<NdjsonReader> ndjson_line_;      // RunNdjsonFlat's lines not taken
  bool ndjson_fast_path_ = true;
  std::unique_ptr<JsonArrayReader> json_array_;  // created at the first JSON array chunk
  std::string stream_buf_;                       // StreamChunks' buffer, allocated at first use
  mutable std::mutex snapshot_mu_;
  JobCounters snapshot_;
};

// The bytes an input is read in: 1 MiB, or max_line_bytes + 1 when that is more, so a
// chunk holds any record the job accepts.
size_t InputChunkBytes(const JobSpec& spec);

// Runs the pipeline once over the job's input files (a FileSource reading once), or
// stdin for input.type "stdin", then flushes. `override_input` ("" = none, "-" = stdin,
// else a path) replaces the spec's. Used by `edgeline-agent run`.
Status RunJobInputs(JobPipeline* pipeline, const JobSpec& spec, const std::string& agent_id,
                    const std::string& override_input);

}  // namespace edgeline
