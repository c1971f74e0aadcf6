// CSV scanner: stage 2, the walk of stage 1's bitmasks (agent/csv_stage1.h) into record and
// field spans (runs of quote-free blocks: agent/csv_plain_walk.h), and the byte-at-a-time
// parser for what the walk leaves. See csv_scanner.h.
#include "agent/csv_scanner.h"

#include <hwy/base.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "agent/csv_plain_walk.h"
#include "agent/csv_stage1.h"

namespace edgeline {

namespace {

using csv_detail::BitsFrom;
using csv_detail::kBlockBytes;
using csv_detail::PlainWalk;
using csv_detail::WalkPlainBlocks;

constexpr size_t kChunkBlocks = 256;  // stage 1 runs on 16 KiB at a time
// Spans are 32-bit, and positions up to len + 3 must not wrap.
constexpr size_t kMaxScanBytes = size_t{0xFFFFFFFFu} - 64;

// Bit i of the result is the XOR of bits 0..i of m: with m the quote mask, the bits inside
// a quoted field (its opening quote included, its closing quote excluded). Carry-less
// multiplication by all-ones would do it in one instruction, but Highway 1.0 has no
// scalar CLMUL; six shift-XORs are cheap next to the walk over the events.
inline uint64_t PrefixXor(uint64_t m) {
  m ^= m << 1;
  m ^= m << 2;
  m ^= m << 4;
  m ^= m << 8;
  m ^= m << 16;
  m ^= m << 32;
  return m;
}

}  // namespace

// One Scan call: the buffer, the output cursors and the two parsers.
struct CsvScanRun {
  CsvScanner& scanner;
  CsvRecords& out;
  const char* const buf;
  const uint8_t* const u;
  const size_t len;
  const bool final;
  const uint8_t delim;
  const size_t max_line;
  const std::string& comment;

  CsvScanRun(CsvScanner& s, CsvRecords& o, const char* b, size_t n, bool f)
      : scanner(s),
        out(o),
        buf(b),
        u(reinterpret_cast<const uint8_t*>(b)),
        len(n),
        final(f),
        delim(static_cast<uint8_t>(s.options_.delimiter)),
        max_line(s.options_.max_line_bytes),
        comment(s.options_.comment) {}

  // Makes room for `fields` more fields and `records` more records.
  void Reserve(size_t fields, size_t records) {
    if (out.num_fields_ + fields > out.fields_.size()) {
      out.fields_.resize(std::max(out.fields_.size() * 2, out.num_fields_ + fields + 1024));
    }
    if (out.num_records_ + records > out.records_.size()) {
      out.records_.resize(std::max(out.records_.size() * 2, out.num_records_ + records + 256));
    }
  }

  // Requires room (Reserve).
  void AddField(size_t offset, size_t length, bool quoted, bool escaped) {
    out.fields_[out.num_fields_++] =
        CsvFieldSpan{static_cast<uint32_t>(offset), static_cast<uint32_t>(length), quoted, escaped};
  }
  // Requires room. The record's fields are those added since index first_field.
  void AddRecord(size_t offset, size_t length, size_t first_field) {
    out.records_[out.num_records_++] =
        CsvRecordSpan{static_cast<uint32_t>(offset), static_cast<uint32_t>(length),
                      static_cast<uint32_t>(first_field),
                      static_cast<uint32_t>(out.num_fields_ - first_field), CsvError::kNone};
  }
  void AddError(size_t offset, size_t length, CsvError error) {
    Reserve(0, 1);
    out.records_[out.num_records_++] =
        CsvRecordSpan{static_cast<uint32_t>(offset), static_cast<uint32_t>(length),
                      static_cast<uint32_t>(out.num_fields_), 0, error};
  }

  // First position >= p that is not CR or LF (blank lines, CsvReader skips them).
  size_t SkipBlank(size_t p) const {
    while (p < len && (u[p] == '\n' || u[p] == '\r')) ++p;
    return p;
  }

  // Stage 1 for the blocks from blk (a multiple of 64) on, up to kChunkBlocks of them.
  void Classify(size_t blk, size_t* chunk_begin, size_t* chunk_end) {
    const size_t end = std::min(len, blk + kChunkBlocks * kBlockBytes);
    const size_t full = (end - blk) / kBlockBytes;
    const size_t rest = (end - blk) % kBlockBytes;
    uint64_t* q = scanner.quote_bits_.data();
    uint64_t* s = scanner.struct_bits_.data();
    uint64_t* l = scanner.lf_bits_.data();
    auto classify = [&](const uint8_t* in, size_t n, uint64_t* qo, uint64_t* so, uint64_t* lo) {
      csv_detail::ClassifyBlocks(scanner.options_.mode, in, n, delim, qo, so, lo);
    };
    if (full > 0) classify(u + blk, full, q, s, l);
    if (rest > 0) {  // the last, partial block of buf: classify a copy, drop the padding
      uint8_t tail[kBlockBytes] = {};
      std::memcpy(tail, u + blk + full * kBlockBytes, rest);
      classify(tail, 1, q + full, s + full, l + full);
      const uint64_t valid = (uint64_t{1} << rest) - 1;
      q[full] &= valid;
      s[full] &= valid;
      l[full] &= valid;
    }
    *chunk_begin = blk;
    *chunk_end = blk + (full + (rest > 0)) * kBlockBytes;
  }

  // Byte-at-a-time port of CsvReader::Next for the record starting at rs (< len, not a
  // blank-line byte). Appends the record or error (nothing for a comment line), sets *next
  // to where the next record (or blank lines) may start, and returns true; or returns
  // false, appending nothing, if buf ends before the record is decided and more input may
  // follow. If an error's or a comment's skip to the next LF runs past the end of a
  // non-final buf, sets scanner.skipping_ and *next = len.
  bool SlowRecord(size_t rs, size_t* next) {
    constexpr int kEnd = -1;   // end of input
    constexpr int kMore = -2;  // end of buf, more input may follow
    auto peek = [&](size_t p) -> int { return p < len ? u[p] : final ? kEnd : kMore; };
    auto skip_line = [&](size_t from) {  // resume after the LF at or after `from`
      const void* lf = from < len ? std::memchr(buf + from, '\n', len - from) : nullptr;
      if (lf != nullptr) {
        *next = static_cast<size_t>(static_cast<const char*>(lf) - buf) + 1;
      } else {
        if (!final) scanner.skipping_ = true;
        *next = len;
      }
    };
    if (!comment.empty()) {
      const size_t have = std::min(comment.size(), len - rs);
      if (std::memcmp(buf + rs, comment.data(), have) == 0) {
        if (have == comment.size()) {  // a comment line: dropped like a blank line
          skip_line(rs);
          return true;
        }
        if (!final) return false;  // the prefix may go on in the next buf
      }
    }
    const size_t first_field = out.num_fields_;
    enum { kStart, kUnquoted, kQuoted, kAfterQuote } state = kStart;
    size_t field = rs;  // first byte of the field's text
    size_t close = 0;   // the closing quote, in kAfterQuote
    bool escaped = false;
    size_t bytes = 0;
    size_t p = rs;

    auto fail = [&](CsvError error, size_t resume) {
      out.num_fields_ = first_field;
      *next = resume;
      AddError(rs, resume - rs, error);
      return true;
    };
    // Resume after the LF at or after `from` (CsvReader::SkipRestOfLine).
    auto fail_skip = [&](CsvError error, size_t from) {
      skip_line(from);
      return fail(error, *next);
    };
    auto end_field = [&](size_t end, bool quoted) {
      Reserve(1, 0);
      AddField(field, end - field, quoted, quoted && escaped);
    };
    auto end_record = [&](size_t after) {
      Reserve(0, 1);
      AddRecord(rs, after - rs, first_field);
      *next = after;
      return true;
    };

    while (true) {
      const size_t at = p;
      const int c = peek(p);
      if (c == kMore) break;
      if (c >= 0) ++p;
      if (c >= 0 && ++bytes > max_line) {
        // Inside quotes the record's end is unknown: resume at the next line.
        if (state != kQuoted && c == '\n') return fail(CsvError::kLineTooLong, p);
        return fail_skip(CsvError::kLineTooLong, p);
      }
      switch (state) {
        case kStart:
        case kUnquoted:
          if (c < 0 || c == '\n') {
            end_field(at, false);
            return end_record(p);
          }
          if (c == '\r') {
            const int n = peek(p);
            if (n == kMore) goto need_more;
            if (n == '\n' || n < 0) {
              end_field(at, false);
              return end_record(n == '\n' ? p + 1 : p);
            }
            state = kUnquoted;
          } else if (c == delim) {
            end_field(at, false);
            field = p;
            state = kStart;
          } else if (c == '"' && state == kStart) {
            field = p;
            escaped = false;
            state = kQuoted;
          } else {
            state = kUnquoted;
          }
          break;
        case kQuoted:
          if (c < 0) return fail(CsvError::kUnterminatedQuote, len);
          if (c == '"') {
            const int n = peek(p);
            if (n == kMore) goto need_more;
            if (n == '"') {
              ++p;  // not counted, as in CsvReader
              escaped = true;
            } else {
              close = at;
              state = kAfterQuote;
            }
          }
          break;
        case kAfterQuote:
          if (c < 0 || c == '\n') {
            end_field(close, true);
            return end_record(p);
          }
          if (c == '\r') {
            const int n = peek(p);
            if (n == kMore) goto need_more;
            if (n == '\n' || n < 0) {
              end_field(close, true);
              return end_record(n == '\n' ? p + 1 : p);
            }
          }
          if (c == delim) {
            end_field(close, true);
            field = p;
            state = kStart;
            break;
          }
          return fail_skip(CsvError::kBadQuote, p);
      }
    }
  need_more:
    out.num_fields_ = first_field;
    return false;
  }

  // Records from pos on with the byte-at-a-time parser only. Returns bytes consumed.
  size_t RunSlow(size_t pos) {
    while (true) {
      pos = SkipBlank(pos);
      if (pos >= len) return len;
      size_t next;
      if (!SlowRecord(pos, &next)) return pos;
      if (scanner.skipping_) return len;
      pos = next;
    }
  }

  // Records from pos on: stage 1 and 2 with the slow parser for what stage 2 does not
  // handle. Returns bytes consumed.
  size_t Run(size_t pos) {
    if (delim == '"' || delim == '\r' || delim == '\n') return RunSlow(pos);
    // The hot state lives in locals: the compiler would otherwise reload members of *this
    // and `out` after every span it stores. Written back before the slow parser and returns.
    const uint8_t* const in = u;
    const size_t n = len;
    const uint8_t dl = delim;
    const uint64_t* const qbits = scanner.quote_bits_.data();
    const uint64_t* const sbits = scanner.struct_bits_.data();
    const uint64_t* const lbits = scanner.lf_bits_.data();
    size_t chunk_begin = 0;
    size_t chunk_end = 0;
    CsvFieldSpan* fields = nullptr;
    CsvRecordSpan* records = nullptr;
    size_t nf = 0;  // fields in use
    size_t nr = 0;  // records in use
    auto load_out = [&] {
      fields = out.fields_.data();
      records = out.records_.data();
      nf = out.num_fields_;
      nr = out.num_records_;
    };
    auto store_out = [&] {
      out.num_fields_ = nf;
      out.num_records_ = nr;
    };
    auto skip_blank = [&](size_t p) {
      while (p < n && (in[p] == '\n' || in[p] == '\r')) ++p;
      return p;
    };
    // A record starting with this byte may be a comment line: the slow parser decides. -1
    // (no comment prefix) matches no byte.
    const int comment0 = comment.empty() ? -1 : static_cast<uint8_t>(comment[0]);
    load_out();

    size_t rs;           // start of the current record
    size_t fs;           // start of the current field (quoted: its opening quote)
    size_t first_field;  // the current record's first field
    size_t skip;         // events before this position are consumed (look-ahead, blank lines)
    bool quoted;         // inside a quoted field
    bool escaped;        // the quoted field holds "" pairs
    uint64_t carry;      // all ones if the block starts inside quotes (by parity)
    size_t blk;          // the current block
    uint64_t first_mask;

    auto add_field = [&](size_t offset, size_t length, bool q, bool e) {
      fields[nf++] =
          CsvFieldSpan{static_cast<uint32_t>(offset), static_cast<uint32_t>(length), q, e};
    };
    auto add_record = [&](size_t end) {
      records[nr++] = CsvRecordSpan{static_cast<uint32_t>(rs), static_cast<uint32_t>(end - rs),
                                    static_cast<uint32_t>(first_field),
                                    static_cast<uint32_t>(nf - first_field), CsvError::kNone};
      first_field = nf;
    };

  restart:  // at pos, outside quotes: at the start and after the slow parser
    rs = fs = skip = skip_blank(pos);
    first_field = nf;
    if (rs < n && in[rs] == comment0) goto slow;
    quoted = false;
    escaped = false;
    carry = 0;
    blk = rs - rs % kBlockBytes;
    first_mask = BitsFrom(rs - blk);  // quotes before rs do not count: rs is "outside"

    for (; blk < n; blk += kBlockBytes) {
      if (blk < chunk_begin || blk >= chunk_end) Classify(blk, &chunk_begin, &chunk_end);
      const size_t b = (blk - chunk_begin) / kBlockBytes;
      const uint64_t q = qbits[b] & first_mask;
      first_mask = ~uint64_t{0};
      const uint64_t inside = (q == 0 ? 0 : PrefixXor(q)) ^ carry;
      // Quotes, and delimiters and LFs outside quotes. The walk checks that each quote is
      // where the parity assumes (opening at a field start, closing before a delimiter or
      // line end, or a "" pair) and hands the record to SlowRecord otherwise, so
      // `inside` agrees with `quoted` for every event it looks at.
      uint64_t events = q | (sbits[b] & ~inside);
      if (skip > blk) events &= BitsFrom(skip - blk);
      // Room for one field and one record per event.
      if (nf + kBlockBytes + 1 > out.fields_.size() || nr + kBlockBytes + 1 > out.records_.size()) {
        store_out();
        Reserve(kBlockBytes + 1, kBlockBytes + 1);
        load_out();
      }
      if (q == 0 && carry == 0 && !quoted) {
        // No quote in the block and none open (the common case): the quote-free walk, up
        // to an LF that needs more than it does.
        PlainWalk w{in,
                    n,
                    max_line,
                    comment0,
                    sbits,
                    qbits,
                    lbits,
                    chunk_begin,
                    (chunk_end - chunk_begin) / kBlockBytes,
                    skip,
                    fields,
                    out.fields_.size(),
                    records,
                    out.records_.size(),
                    blk,
                    nf,
                    nr,
                    fs,
                    rs,
                    first_field,
                    false};
        events = WalkPlainBlocks(&w, events);
        blk = w.blk;
        nf = w.nf;
        nr = w.nr;
        fs = w.fs;
        rs = w.rs;
        first_field = w.first_field;
        if (w.blank_next) {  // as after an LF below
          const size_t after = rs;
          rs = fs = skip_blank(after);
          if (rs < n && in[rs] == comment0) goto slow;
          if (rs > after) {
            skip = rs;
            events &= BitsFrom(skip - blk);
          }
        }
      }
      while (events != 0) {
        const size_t j = blk + hwy::Num0BitsBelowLS1Bit_Nonzero64(events);
        events &= events - 1;
        const uint8_t c = in[j];
        if (!quoted) {
          if (c == dl) {
            add_field(fs, j - fs, false, false);
            fs = j + 1;
            continue;
          }
          if (c == '\n') {
            if (j + 1 - rs > max_line) goto slow;
            const size_t end = (j > fs && in[j - 1] == '\r') ? j - 1 : j;
            add_field(fs, end - fs, false, false);
            add_record(j + 1);
            rs = fs = skip_blank(j + 1);
            if (rs < n && in[rs] == comment0) goto slow;
            if (rs > j + 1) {
              skip = rs;
              events &= BitsFrom(skip - blk);
            }
            continue;
          }
          // A quote: opens a quoted field at its start, else is data (CsvReader keeps it
          // in the text) but breaks the parity: leave the record to the slow parser.
          if (j != fs) goto slow;
          quoted = true;
          escaped = false;
          continue;
        }
        // A quote inside a quoted field: "" or the closing quote. Look at the next byte.
        size_t rec_end;  // the record ends before this position
        if (j + 1 >= n) {
          if (!final) goto need_more;
          rec_end = n;
        } else {
          const uint8_t next = in[j + 1];
          if (next == '"') {
            escaped = true;
            skip = j + 2;
            events &= BitsFrom(skip - blk);
            continue;
          }
          if (next == dl) {
            add_field(fs + 1, j - fs - 1, true, escaped);
            quoted = false;
            fs = skip = j + 2;
            events &= BitsFrom(skip - blk);
            continue;
          }
          if (next == '\n') {
            rec_end = j + 2;
          } else if (next == '\r') {
            if (j + 2 >= n) {
              if (!final) goto need_more;
              rec_end = n;
            } else if (in[j + 2] == '\n') {
              rec_end = j + 3;
            } else {
              goto slow;  // csv_bad_quote (or line_too_long first)
            }
          } else {
            goto slow;  // csv_bad_quote (or line_too_long first)
          }
        }
        if (rec_end - rs > max_line) goto slow;
        add_field(fs + 1, j - fs - 1, true, escaped);
        add_record(rec_end);
        quoted = false;
        rs = fs = skip = skip_blank(rec_end);
        if (rs < n && in[rs] == comment0) goto slow;
        events &= BitsFrom(skip - blk);
      }
      carry = uint64_t{0} - (inside >> 63);
      // A record still open after more than max_line bytes: let the slow parser decide
      // where CsvReader would report line_too_long (it counts bytes slightly differently).
      const size_t seen = std::min(n, blk + kBlockBytes);
      if (rs < seen && seen - rs > max_line) goto slow;
    }

    // End of buf.
    if (rs >= n) {
      store_out();
      return n;
    }
    if (!final) goto need_more;
    if (quoted || n - rs > max_line) goto slow;  // unterminated quote, or too long
    {
      store_out();
      Reserve(1, 1);
      load_out();
      const size_t end = (n - 1 >= fs && in[n - 1] == '\r') ? n - 1 : n;
      add_field(fs, end - fs, false, false);
      add_record(n);
      store_out();
      return n;
    }

  need_more:
    // Keep the open record for the next call, unless it already exceeds max_line bytes:
    // then the slow parser reports line_too_long now and the skip bounds memory.
    if (n - rs <= max_line) {
      nf = first_field;
      store_out();
      return rs;
    }
  slow:
    nf = first_field;
    store_out();
    {
      size_t next;
      if (!SlowRecord(rs, &next)) return rs;
      if (scanner.skipping_) return n;
      pos = next;
    }
    load_out();
    goto restart;
  }
};

const char* CsvErrorReason(CsvError error) {
  switch (error) {
    case CsvError::kNone:
      return "";
    case CsvError::kUnterminatedQuote:
      return "csv_unterminated_quote";
    case CsvError::kBadQuote:
      return "csv_bad_quote";
    case CsvError::kLineTooLong:
      return "line_too_long";
  }
  return "";
}

CsvScanner::CsvScanner(const CsvScanOptions& options)
    : options_(options),
      quote_bits_(kChunkBlocks),
      struct_bits_(kChunkBlocks),
      lf_bits_(kChunkBlocks) {}

void CsvScanner::Reset() {
  at_start_ = true;
  skipping_ = false;
}

size_t CsvScanner::Scan(const char* buf, size_t len, bool final, CsvRecords* out) {
  out->Clear();
  if (len == 0) {  // (buf may be null)
    if (final) Reset();
    return 0;
  }
  if (len > kMaxScanBytes) {
    len = kMaxScanBytes;
    final = false;
  }
  size_t pos = 0;
  if (at_start_) {
    static constexpr char kBom[] = "\xEF\xBB\xBF";
    const size_t n = std::min<size_t>(len, 3);
    const bool bom_prefix = std::memcmp(buf, kBom, n) == 0;
    if (bom_prefix && n < 3 && !final) return 0;  // cannot tell yet
    if (bom_prefix && n == 3) pos = 3;
    at_start_ = false;
  }
  if (skipping_) {
    const void* lf = std::memchr(buf + pos, '\n', len - pos);
    if (lf == nullptr) {
      if (final) Reset();
      return len;
    }
    pos = static_cast<const char*>(lf) - buf + 1;
    skipping_ = false;
  }
  CsvScanRun run(*this, *out, buf, len, final);
  const size_t used = run.Run(pos);
  if (final) Reset();
  return used;
}

namespace {
void AppendUnescaped(const char* p, size_t n, std::string* out) {
  // Inside a quoted field every quote is the first of a "" pair.
  const char* end = p + n;
  while (p < end) {
    const char* q = static_cast<const char*>(std::memchr(p, '"', end - p));
    if (q == nullptr) {
      out->append(p, end - p);
      return;
    }
    out->append(p, q + 1 - p);
    p = q + 2;
  }
}
}  // namespace

std::string_view CsvFieldText(const char* buf, const CsvFieldSpan& f, std::string* scratch) {
  if (!f.escaped) return std::string_view(buf + f.offset, f.length);
  scratch->clear();
  AppendUnescaped(buf + f.offset, f.length, scratch);
  return *scratch;
}

void AppendCsvFieldText(const char* buf, const CsvFieldSpan& f, std::string* out) {
  if (!f.escaped) {
    out->append(buf + f.offset, f.length);
  } else {
    AppendUnescaped(buf + f.offset, f.length, out);
  }
}

}  // namespace edgeline
