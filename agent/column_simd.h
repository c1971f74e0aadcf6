// The commonest cells of a CSV column parsed a column's worth at once: the steps of a
// one-word (SWAR) parse on SIMD vectors of such words, one cell per lane (Highway, the best
// target of this CPU, chosen at run time; the same results on every target and as the
// one-cell parse).
#pragma once

#include <cstddef>
#include <cstdint>

#include "agent/short_decimal.h"
#include "common/time_util.h"

namespace edgeline {

// ParseSignedShortDecimalWord(words[i], lengths[i]) for each i < count (the bytes of words[i]
// above lengths[i] are ignored): values[i] is set and ok[i] is ~0 where it takes the text,
// else ok[i] is 0 (and values[i] is unspecified). REQUIRES: 4 <= lengths[i] <= 8.
void ParseShortDecimals(const uint64_t* words, const uint64_t* lengths, size_t count,
                        double* values, uint64_t* ok);

// ParseIso8601UtcWords(a[i], b[i], x[i], minute) for each i < count: ms[i] is set and ok[i]
// is ~0 where it takes the text, else ok[i] is 0 (and ms[i] is unspecified).
// REQUIRES: minute.valid.
void ParseIso8601UtcColumn(const uint64_t* a, const uint64_t* b, const uint64_t* x, size_t count,
                           const IsoDateCache& minute, int64_t* ms, uint64_t* ok);

}  // namespace edgeline
