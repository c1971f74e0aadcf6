// Reads a job's input files (docs/job-spec.md#inputs) into a JobPipeline.
//
// Once (input.type "file", mode batch): every file matching the glob, in name order, to
// its end, a last line without newline included. Following (input.type "tail", mode
// stream): only complete lines; files that appear later are picked up; a file that
// shrinks was truncated and is read again from its start; a file renamed away (rotated)
// is finished through its open descriptor, and the new file at the path is read from its
// start.
//
// A JSON array (format "json") is read once: its reader takes the complete elements of
// each chunk, and an element the chunk cuts is read again with the next one.
//
// Each file has a cursor (path, device, inode, offset, CSV header, whether the offset is
// inside a line being dropped) that Checkpoint() exports and Restore() resumes from, so a
// restart neither skips nor repeats a row.
// Memory is bounded: one chunk of at most max(1 MiB, max_line_bytes + 1) at a time.
//
// Not thread-safe: one per job, used by the job's worker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/job_pipeline.h"
#include "common/job_spec.h"
#include "common/status.h"

namespace edgeline {

class FileSource {
 public:
  // `pattern` is the expanded glob; `spec` must outlive the source.
  FileSource(const JobSpec& spec, std::string pattern, bool follow);
  ~FileSource();
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  // Resumes from Checkpoint() output. Cursors whose file is gone are dropped (logged).
  void Restore(const nlohmann::json& cursors);
  // The cursors as JSON. While Poll is feeding a file (i.e. from the pipeline's sink),
  // that file's offset is `current_offset` (JobPipeline::position()).
  nlohmann::json Checkpoint(int64_t current_offset) const;

  // Feeds what is available into the pipeline. Errors: no file matches (reading once
  // only), an I/O error, or a pipeline error.
  Status Poll(JobPipeline* pipeline);

  // Files seen truncated since start.
  int64_t truncations() const { return truncations_; }
  // The path of the file being fed while Poll runs (e.g. to the pipeline's observers), else "".
  std::string current_path() const { return current_ >= 0 ? cursors_[current_].path : ""; }

 private:
  struct Cursor {
    std::string path;
    uint64_t dev = 0;
    uint64_t ino = 0;
    int64_t offset = 0;
    std::vector<std::string> header;  // CSV: the header row, once read
    int fd = -1;
    bool in_glob = true;
    bool skipping = false;  // inside a line being dropped (too long; CSV: malformed, or a
                            // comment): drop bytes up to the next newline
    bool restored = false;  // from a checkpoint, not yet found again (fd < 0)
    bool finishing = false;  // rotated away and quiet: read its last line without newline
    int64_t last_size = -1;  // size at the previous poll (rotated-away files)
    JsonArrayCursor json;    // input.format "json": where reading the array stands
  };
  // Reads one cursor as far as it can. *progress is set when bytes were consumed.
  Status ReadCursor(Cursor* c, JobPipeline* pipeline, bool* progress);
  void Close(Cursor* c);

  const JobSpec& spec_;
  std::string pattern_;
  bool follow_;
  size_t chunk_bytes_;
  std::vector<Cursor> cursors_;
  int current_ = -1;  // index of the cursor being fed, -1 outside Poll
  int64_t truncations_ = 0;
  std::string buf_;
};

}  // namespace edgeline
