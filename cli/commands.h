// The edgeline CLI's commands (docs/cli.md). Each returns the process exit code:
// 0 success, 1 operation failed, 2 usage or validation error, 3 timeout.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"

namespace edgeline {

int JobSubmit(const Config& cfg, const std::vector<std::string>& args);
int JobDelete(const Config& cfg, const std::vector<std::string>& args);
int JobList(const Config& cfg);
int JobValidate(const std::vector<std::string>& args);
int JobWait(const Config& cfg, const std::vector<std::string>& args);
int Agents(const Config& cfg);
int Query(const Config& cfg);
int Rejects(const Config& cfg);

}  // namespace edgeline
