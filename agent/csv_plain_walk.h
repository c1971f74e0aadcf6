// CSV scanner stage 2, the quote-free walk: stage 1's bitmasks of blocks without quotes
// turned into record and field spans with bit tests alone. The general walk
// (agent/csv_scanner.cc, CsvScanRun::Run) hands it each run of such blocks. Internal to the
// scanner.
#pragma once

#include <cstddef>
#include <cstdint>

#include "agent/csv_scanner.h"

namespace edgeline {
namespace csv_detail {

// Bits k and up (none if k >= 64).
inline uint64_t BitsFrom(size_t k) { return k >= 64 ? 0 : ~uint64_t{0} << k; }

// The quote-free walk's input and output: where it writes and the state it goes on from and
// leaves, as in CsvScanRun::Run.
struct PlainWalk {
  // In.
  const uint8_t* in;
  size_t n;  // bytes in buf
  size_t max_line;
  int comment0;                 // see CsvScanRun::Run
  const uint64_t* struct_bits;  // stage 1 of the classified blocks
  const uint64_t* quote_bits;
  const uint64_t* lf_bits;
  size_t chunk_begin;    // position of the first classified block
  size_t chunk_blocks;   // classified blocks
  size_t skip;           // events before it are consumed
  CsvFieldSpan* fields;  // nf in use, room for field_room
  size_t field_room;
  CsvRecordSpan* records;  // nr in use, room for record_room
  size_t record_room;
  // In and out.
  size_t blk;  // the block being walked
  size_t nf;
  size_t nr;
  size_t fs;           // start of the current field
  size_t rs;           // start of the current record
  size_t first_field;  // the current record's first field
  bool blank_next;     // out: stopped after an LF followed by CR, LF or the comment byte
};

// Stage 2 for blocks without quotes, outside quotes, from block w->blk whose events are
// `events`: each event is a field's end, a delimiter or, where the LF mask has its bit, an
// LF that also ends the record. Writes the spans CsvScanRun::Run's general walk writes, with
// bit tests for byte tests, and goes on to the next block while it is classified, has no
// quote and there is room for its spans. Returns the events of block w->blk it leaves to the
// general walk: from an LF whose record would end at buf's end or be over max_line bytes on,
// or (w->blank_next) those after an LF followed by CR, LF or the comment prefix's first byte
// (blank lines and comments are the general walk's), or none with the block walked whole.
// Its own function (and file): in Run its state would not fit in the registers.
uint64_t WalkPlainBlocks(PlainWalk* w, uint64_t events);

}  // namespace csv_detail
}  // namespace edgeline
