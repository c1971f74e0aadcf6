// Fuzz target: the batch decoder (untrusted network input), and MarkHistorical on what
// it accepts.
#include <cstdint>
#include <string_view>

#include "common/batch_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  edgeline::DecodeLimits limits;
  limits.max_decompressed_bytes = 1 << 20;
  auto b = edgeline::DecodeBatch(in, limits);
  if (b.ok()) {
    // What decodes must re-encode and decode to the same batch.
    auto again = edgeline::DecodeBatch(edgeline::EncodeBatch(b.value(), false));
    if (!again.ok() || again->header.count != b->header.count) __builtin_trap();
  }
  return 0;
}
