// Fuzz target: the CSV reader and the whole cast/clean pipeline over CSV input.
#include <cstdint>
#include <sstream>
#include <string>

#include "agent/csv_reader.h"
#include "agent/job_pipeline.h"

namespace {
const edgeline::JobSpec& Spec() {
  static const edgeline::JobSpec spec = [] {
    auto r = edgeline::ParseJobSpec(R"({"job_id": "f", "version": 1,
      "target": {"agents": ["a"]}, "mode": "batch",
      "input": {"type": "stdin", "format": "csv", "max_line_bytes": 256},
      "schema": {"timestamp": {"field": "ts", "format": "iso8601"},
                 "fields": {"d": {"type": "string", "required": true}, "v": {"type": "float"},
                            "n": {"type": "int"}, "b": {"type": "bool"}}},
      "clean": [{"op": "range", "field": "v", "min": 0, "max": 10},
                {"op": "dedup", "by": ["d", "ts"], "horizon": "1m"}]})");
    if (!r.ok()) __builtin_trap();
    return r.value();
  }();
  return spec;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  {
    std::istringstream in(text);
    edgeline::CsvReader reader(in, size > 0 ? static_cast<char>(data[0] % 4 == 0 ? ';' : ',') : ',',
                               64);
    std::vector<edgeline::CsvField> fields;
    std::string reason;
    uint64_t last = 0;
    while (reader.Next(&fields, &reason) != edgeline::CsvReader::Outcome::kEnd) {
      if (reader.position() < last || reader.position() > size) __builtin_trap();
      last = reader.position();
    }
  }
  std::istringstream in(text);
  edgeline::JobPipeline p(Spec(), [](std::vector<edgeline::Record>&&) { return edgeline::Status::Ok(); });
  (void)p.Run(in, "fuzz");
  const auto& c = p.counters();
  if (c.read != c.kept + c.rejected + c.dropped) __builtin_trap();
  return 0;
}
