// CSV scanner stage 1 (agent/csv_scanner.h): each 64-byte block of the input classified
// into bitmasks, with SIMD (Highway, the best target of this CPU chosen at run time: SSE4,
// AVX2 or AVX-512 on x86, NEON or SVE on Arm) or with portable SWAR code, with the same
// results. Internal to the scanner.
#pragma once

#include <cstddef>
#include <cstdint>

#include "agent/csv_scanner.h"

namespace edgeline {
namespace csv_detail {

constexpr size_t kBlockBytes = 64;  // one bit per byte in a uint64_t mask

// For each of the num_blocks 64-byte blocks b of `in`: bit i of quote[b] is set iff byte i
// is '"', of structural[b] iff it is `delim` or '\n', of lf[b] iff it is '\n'.
void ClassifyBlocks(CsvScanMode mode, const uint8_t* in, size_t num_blocks, uint8_t delim,
                    uint64_t* quote, uint64_t* structural, uint64_t* lf);

}  // namespace csv_detail
}  // namespace edgeline
