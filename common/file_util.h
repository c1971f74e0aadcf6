// Small file helpers shared by the binaries.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace edgeline {

// Reads a whole file; nullopt if it does not exist or cannot be read.
std::optional<std::string> ReadFile(const std::string& path);

// Writes `data` to `path` atomically: temp file, rename. With sync (the default) the file
// and its directory are fsynced, so after return the content survives a power loss;
// without, a crash leaves the old or the new content, a power loss may leave neither.
Status WriteFileAtomic(const std::string& path, const std::string& data, bool sync = true);

}  // namespace edgeline
