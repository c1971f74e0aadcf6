// Fuzz target: job spec parsing and validation (specs arrive over MQTT).
#include <cstdint>
#include <string_view>

#include "common/job_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto spec = edgeline::ParseJobSpec(std::string_view(reinterpret_cast<const char*>(data), size));
  if (spec.ok()) {
    (void)spec->SchemaHash();
    (void)spec->ExpandPath("pi-01");
  }
  return 0;
}
