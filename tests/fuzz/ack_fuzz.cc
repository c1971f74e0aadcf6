// Fuzz target: ack messages (aggregator -> agent).
#include <cstdint>
#include <string_view>

#include "common/ack.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)edgeline::DecodeAcks(std::string_view(reinterpret_cast<const char*>(data), size), 1000);
  return 0;
}
