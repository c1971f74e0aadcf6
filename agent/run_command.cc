#include "agent/run_command.h"

#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/job_pipeline.h"
#include "agent/record_writer.h"
#include "common/config.h"
#include "common/file_util.h"

namespace edgeline {

namespace {

// Writes batches of records to stdout as NDJSON on a thread of its own, so that formatting
// the output overlaps with parsing and cleaning the next batch (on a multi-core device
// `run` takes about the time of the slower of the two). Memory stays as without the
// thread: the pipeline hands a batch over only once the previous one is written (so one
// batch is written while the next fills) and gets the written one back to reuse its
// records; the text goes out in pieces of kTextBytes.
class BatchWriter {
 public:
  explicit BatchWriter(const JobSpec& spec) : writer_(spec), thread_([this] { Loop(); }) {}
  ~BatchWriter() { (void)Finish(); }

  // Hands *records over (blocking while the previous batch is being written) and leaves
  // in *records the written batch, or nothing. Returns the first write error.
  Status Submit(std::vector<Record>* records) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !has_next_ && !busy_; });
    next_.swap(*records);
    has_next_ = true;
    records->swap(written_);
    written_.clear();
    cv_.notify_all();
    return status_;
  }

  // Writes what is left, stops the thread and flushes stdout; the first write error.
  Status Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (std::fflush(stdout) != 0 && status_.ok()) status_ = Status::Error("cannot write to stdout");
    return status_;
  }

 private:
  void Loop() {
    std::vector<Record> batch;
    std::vector<char> text(kTextBytes);
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        busy_ = false;
        written_.swap(batch);  // the batch written last, back to the pipeline
        cv_.notify_all();
        cv_.wait(lock, [this] { return has_next_ || done_; });
        if (!has_next_) return;
        batch.swap(next_);
        has_next_ = false;
        busy_ = true;
      }
      char* end = text.data();
      for (const auto& r : batch) {
        const size_t need = writer_.MaxBytes(r);
        if (static_cast<size_t>(text.data() + text.size() - end) < need) {
          Write(text.data(), end);
          end = text.data();
          if (text.size() < need) text.resize(need);  // one huge record
        }
        end = writer_.Write(r, end);
      }
      Write(text.data(), end);
    }
  }

  void Write(const char* begin, const char* end) {
    std::fwrite(begin, 1, static_cast<size_t>(end - begin), stdout);
    if (std::ferror(stdout)) {
      std::lock_guard<std::mutex> lock(mu_);
      if (status_.ok()) status_ = Status::Error("cannot write to stdout");
    }
  }

  static constexpr size_t kTextBytes = 64 * 1024;
  const NdjsonRecordWriter writer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Record> next_;  // the batch waiting to be written
  bool has_next_ = false;
  bool busy_ = false;            // the thread is writing a batch
  std::vector<Record> written_;  // a written batch the pipeline has not taken back yet
  bool done_ = false;
  Status status_;
  std::thread thread_;  // last: starts when everything above is ready
};

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  Config cfg({{"job", "", "job spec file (JSON)"},
              {"input", "", "input file, or - for stdin (default: the spec's input)"},
              {"id", "local", "agent id used to expand {agent_id} in the input path"},
              {"help", "", "show this help", true}},
             "EDGELINE_RUN");
  std::vector<std::string> positional;
  Status s = cfg.ParseArgs(args, &positional);
  if (s.ok() && !positional.empty()) s = Status::Error("unexpected argument " + positional[0]);
  const bool help = s.ok() && cfg.GetBool("help");
  if (!s.ok() || help || cfg.Get("job").empty()) {
    if (!s.ok()) std::cerr << "edgeline-agent run: " << s.message() << "\n";
    (help ? std::cout : std::cerr)
        << "usage: edgeline-agent run --job JOB.json [--input FILE|-] [--id ID]\n"
        << "Runs the job locally: cleaned records as NDJSON on stdout, a JSON summary\n"
        << "on stderr.\n"
        << cfg.Help();
    return help ? 0 : 2;
  }
  auto text = ReadFile(cfg.Get("job"));
  if (!text) {
    std::cerr << "edgeline-agent run: cannot read job spec " << cfg.Get("job") << "\n";
    return 2;
  }
  auto spec = ParseJobSpec(*text);
  if (!spec.ok()) {
    std::cerr << "edgeline-agent run: " << cfg.Get("job") << ": " << spec.status().message()
              << "\n";
    return 2;
  }
  BatchWriter output(spec.value());
  JobPipeline pipeline(spec.value(),
                       [&](std::vector<Record>&& records) { return output.Submit(&records); });
  s = RunJobInputs(&pipeline, spec.value(), cfg.Get("id"), cfg.Get("input"));
  Status w = output.Finish();
  if (s.ok()) s = w;
  nlohmann::ordered_json summary;
  summary["job_id"] = spec->job_id;
  summary["version"] = spec->version;
  const nlohmann::json counters = pipeline.counters().ToJson();
  for (auto& [k, v] : counters.items()) summary[k] = v;
  if (!s.ok()) summary["error"] = s.message();
  std::cerr << summary.dump() << "\n";
  if (!s.ok()) {
    std::cerr << "edgeline-agent run: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace edgeline
