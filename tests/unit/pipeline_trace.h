// What a JobPipeline tells, as text, to compare two runs over the same input: each batch
// with position() at the sink call and its records (ts_ms, then each value's type index
// and text), each reject with its reason, position() and raw text, and at the end the
// counters and the final position. Used by unit tests and fuzz targets.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/cast.h"
#include "agent/job_pipeline.h"

namespace edgeline {

class PipelineTrace {
 public:
  explicit PipelineTrace(const JobSpec& spec)
      : pipeline(spec, [this](std::vector<Record>&& rs) {
          out_ += "batch@" + std::to_string(pipeline.position()) + "\n";
          for (const Record& r : rs) {
            out_ += std::to_string(r.ts_ms);
            for (const Value& v : r.values) out_ += " " + std::to_string(v.index()) + ValueText(v);
            out_ += "\n";
          }
          return Status::Ok();
        }) {
    pipeline.set_reject_observer([this](const std::string& reason, std::string_view raw) {
      out_ += "reject " + reason + "@" + std::to_string(pipeline.position()) + ": " +
              std::string(raw) + "\n";
    });
  }

  // The trace so far, closed with the counters and the position.
  std::string Finish() const {
    return out_ + pipeline.counters().ToJson().dump() + "@" + std::to_string(pipeline.position()) +
           "\n";
  }

 private:
  std::string out_;  // before `pipeline`, whose callbacks write it

 public:
  JobPipeline pipeline;
};

}  // namespace edgeline
