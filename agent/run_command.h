// `edgeline-agent run`: runs a job spec locally with no broker (docs/job-spec.md#dry-run).
#pragma once

#include <string>
#include <vector>

namespace edgeline {

// Returns the process exit code: 0 when the job ran (even with rejected rows), 2 for
// usage errors or an invalid job spec, 1 when the input cannot be read.
int RunCommand(const std::vector<std::string>& args);

}  // namespace edgeline
