// The `redact` clean op (docs/job-spec.md#redact): removes values, or replaces them
// with a keyed hash (HMAC-SHA256) so that equal values still group together.
#pragma once

#include <string>
#include <string_view>

#include "common/job_spec.h"
#include "common/record.h"
#include "common/status.h"

namespace edgeline {

// HMAC-SHA256 of `data` under `key`, as 64 lowercase hex digits.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

class RedactOp {
 public:
  // For action "hash", reads the key from the environment variable op.key_env. If it
  // is unset or empty, *status (which must be ok on entry) becomes an error naming
  // `path` and the variable; the op then nulls the values instead of hashing them.
  RedactOp(const CleanOp& op, const std::string& path, Status* status);
  ~RedactOp();
  RedactOp(const RedactOp&) = delete;
  RedactOp& operator=(const RedactOp&) = delete;

  // Replaces each listed non-null value by its hash (the hex digest of its text,
  // truncated to op.hash_length digits), or by null for action "drop".
  void Apply(Record* r) const;

 private:
  CleanOp op_;
  std::string key_;
  bool have_key_ = false;
};

}  // namespace edgeline
