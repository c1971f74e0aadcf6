// The quote-free walk of the CSV scanner's stage 2 (agent/csv_plain_walk.h).
#include "agent/csv_plain_walk.h"

#include <algorithm>

#include "agent/csv_stage1.h"

namespace edgeline {
namespace csv_detail {

uint64_t WalkPlainBlocks(PlainWalk* w, uint64_t events) {
  // Positions in 32 bits, as in the spans (Scan looks at less than 4 GiB - 64 bytes).
  const uint8_t* const in = w->in;
  const uint32_t n = static_cast<uint32_t>(w->n);
  const size_t max_line = w->max_line;
  const size_t skip = w->skip;
  CsvFieldSpan* const fields = w->fields;
  CsvFieldSpan* field = fields + w->nf;
  CsvRecordSpan* record = w->records + w->nr;
  // Room for the spans of one more block while field and record are at most these.
  const CsvFieldSpan* const field_end = fields + w->field_room - (kBlockBytes + 1);
  const CsvRecordSpan* const record_end = w->records + w->record_room - (kBlockBytes + 1);
  uint32_t blk = static_cast<uint32_t>(w->blk);
  uint32_t fs = static_cast<uint32_t>(w->fs);
  uint32_t rs = static_cast<uint32_t>(w->rs);
  uint32_t first_field = static_cast<uint32_t>(w->first_field);
  size_t b = (blk - w->chunk_begin) / kBlockBytes;
  // The last block to go on to: classified, and starting before n.
  const size_t blocks_before_n = (n - w->chunk_begin + kBlockBytes - 1) / kBlockBytes;
  const size_t last_b = std::min(w->chunk_blocks, blocks_before_n) - 1;
  while (true) {
    const uint64_t lf = w->lf_bits[b];
    while (events != 0) {
      const uint64_t lfs = events & lf;
      const uint64_t lf_bit = lfs & (uint64_t{0} - lfs);  // the next LF, 0 if none
      uint64_t delims = events & (lf_bit - 1);            // the delimiters before it
      while (delims != 0) {
        const uint32_t j = blk + static_cast<uint32_t>(__builtin_ctzll(delims));
        delims &= delims - 1;
        *field++ = CsvFieldSpan{fs, j - fs, false, false};
        fs = j + 1;
      }
      if (lf_bit == 0) break;
      events &= ~(lf_bit - 1);  // from the LF on
      const uint32_t j = blk + static_cast<uint32_t>(__builtin_ctzll(lf_bit));
      if (j + 1 - rs > max_line || j + 1 >= n) goto out;
      uint32_t length = j - fs;
      if (length > 0 && in[j - 1] == '\r') --length;
      *field++ = CsvFieldSpan{fs, length, false, false};
      const uint32_t end_field = static_cast<uint32_t>(field - fields);
      *record++ =
          CsvRecordSpan{rs, j + 1 - rs, first_field, end_field - first_field, CsvError::kNone};
      first_field = end_field;
      rs = fs = j + 1;
      events ^= lf_bit;
      // A blank line (CR or LF) or a comment line may start here: the general walk's. A
      // control byte below CR (rare) goes there too, which is only slower.
      const uint8_t next = in[j + 1];  // j + 1 < n
      if (next <= '\r' || next == w->comment0) {
        w->blank_next = true;
        goto out;
      }
    }
    // The block is walked. On to the next if it is plain too; else the general walk ends
    // this block (its checks of an open record's length) and goes on.
    events = 0;
    if (b >= last_b || w->quote_bits[b + 1] != 0) break;
    const uint32_t next_blk = blk + kBlockBytes;
    if (next_blk - rs > max_line && rs < next_blk) break;
    if (field > field_end || record > record_end) break;
    blk = next_blk;
    ++b;
    events = w->struct_bits[b];
    if (skip > blk) events &= BitsFrom(skip - blk);
  }
out:
  w->blk = blk;
  w->nf = static_cast<size_t>(field - fields);
  w->nr = static_cast<size_t>(record - w->records);
  w->fs = fs;
  w->rs = rs;
  w->first_field = first_field;
  return events;
}

}  // namespace csv_detail
}  // namespace edgeline
