#include "agent/run_command.h"

#include <cstdio>
#include <iostream>
#include <vector>

#include "agent/job_pipeline.h"
#include "agent/record_writer.h"
#include "common/config.h"
#include "common/file_util.h"

namespace edgeline {

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
  std::vector<char> out;  // one batch of NDJSON; grows to the largest batch, never shrinks
  const NdjsonRecordWriter writer(spec.value());
  JobPipeline pipeline(spec.value(), [&](std::vector<Record>&& records) {
    size_t bound = 0;
    for (const auto& r : records) bound += writer.MaxBytes(r);
    if (out.size() < bound) out.resize(bound);
    char* end = out.data();
    for (const auto& r : records) end = writer.Write(r, end);
    std::fwrite(out.data(), 1, static_cast<size_t>(end - out.data()), stdout);
    return std::ferror(stdout) ? Status::Error("cannot write to stdout") : Status::Ok();
  });
  s = RunJobInputs(&pipeline, spec.value(), cfg.Get("id"), cfg.Get("input"));
  std::fflush(stdout);
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
