// Fuzz target: the NDJSON reader through the pipeline.
#include <cstdint>
#include <sstream>
#include <string>

#include "agent/job_pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const edgeline::JobSpec spec = [] {
    auto r = edgeline::ParseJobSpec(R"({"job_id": "f", "version": 1,
      "target": {"agents": ["a"]}, "mode": "batch",
      "input": {"type": "stdin", "format": "ndjson", "max_line_bytes": 512},
      "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
                 "fields": {"d": {"type": "string"}, "v": {"type": "float"},
                            "n": {"type": "int"}, "b": {"type": "bool"}}}})");
    if (!r.ok()) __builtin_trap();
    return r.value();
  }();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  edgeline::JobPipeline p(spec, [](std::vector<edgeline::Record>&&) { return edgeline::Status::Ok(); });
  (void)p.Run(in, "fuzz");
  const auto& c = p.counters();
  if (c.read != c.kept + c.rejected + c.dropped) __builtin_trap();
  return 0;
}
