// Internal to the job spec parser (common/job_spec.cc, common/job_spec_clean.cc,
// common/job_spec_filter.cc).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/job_spec.h"
#include "common/status.h"

namespace edgeline::job_spec_internal {

// An error about the spec field at JSON pointer `path`: "job spec <path>: <msg>".
inline Status Err(const std::string& path, const std::string& msg) {
  return Status::Error("job spec " + path + ": " + msg);
}

// Checks the clean section and resolves it into spec->clean, out_names and emitted.
// REQUIRES: spec->fields and spec->ts_field are built.
Status BuildClean(const nlohmann::ordered_json& clean, JobSpec* spec);

}  // namespace edgeline::job_spec_internal
