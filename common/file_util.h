// Small file helpers shared by the binaries.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace edgeline {

// Reads a whole file; nullopt if it does not exist or cannot be read.
std::optional<std::string> ReadFile(const std::string& path);

// Writes `data` to `path` atomically: temp file, fsync, rename, fsync of the directory.
// A crash leaves either the old or the new content.
Status WriteFileAtomic(const std::string& path, const std::string& data);

}  // namespace edgeline
