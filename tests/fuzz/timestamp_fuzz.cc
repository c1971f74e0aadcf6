// Fuzz target: timestamp and duration parsing.
#include <cstdint>
#include <string>

#include "agent/cast.h"
#include "common/time_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  if (auto ms = edgeline::ParseIso8601Ms(s)) {
    // Whole-second UTC times print and parse back to themselves.
    if (*ms % 1000 == 0 && *ms > -62135596800000 && *ms < 253402300800000) {
      auto again = edgeline::ParseIso8601Ms(edgeline::FormatIso8601(*ms));
      if (!again || *again != *ms) __builtin_trap();
    }
  }
  (void)edgeline::ParseDurationMs(s);
  edgeline::RawCell cell{edgeline::RawCell::kText, s, 0, false};
  for (auto f : {edgeline::TimestampFormat::kIso8601, edgeline::TimestampFormat::kEpochS,
                 edgeline::TimestampFormat::kEpochMs, edgeline::TimestampFormat::kEpochUs}) {
    (void)edgeline::CastTimestamp(cell, f);
  }
  (void)edgeline::ParseStrictDouble(s);
  return 0;
}
