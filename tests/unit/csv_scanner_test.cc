#include "agent/csv_scanner.h"

#include <hwy/targets.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "agent/csv_reader.h"

using namespace edgeline;

namespace {

// A record as both readers report it: field texts and quoted flags, or an error reason.
struct Row {
  std::vector<std::string> texts;
  std::vector<bool> quoted;
  std::string error;
  bool operator==(const Row& o) const {
    return texts == o.texts && quoted == o.quoted && error == o.error;
  }
};
using Rows = std::vector<Row>;

std::string Escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Describe(const Rows& rows) {
  std::string out;
  for (const Row& r : rows) {
    if (!r.error.empty()) {
      out += "  !" + r.error + "\n";
      continue;
    }
    out += " ";
    for (size_t i = 0; i < r.texts.size(); ++i) {
      out += r.quoted[i] ? " Q[" : " [";
      out += Escape(r.texts[i]) + "]";
    }
    out += "\n";
  }
  return out;
}

Rows ReadWithCsvReader(const std::string& text, char delim, size_t max_line,
                       const std::string& comment = "") {
  std::istringstream in(text);
  CsvReader reader(in, delim, max_line, comment);
  Rows rows;
  std::vector<CsvField> fields;
  std::string reason;
  while (true) {
    const auto o = reader.Next(&fields, &reason);
    if (o == CsvReader::Outcome::kEnd) break;
    Row row;
    if (o == CsvReader::Outcome::kError) {
      row.error = reason;
    } else {
      for (const CsvField& f : fields) {
        row.texts.push_back(f.text);
        row.quoted.push_back(f.quoted);
      }
    }
    rows.push_back(row);
  }
  return rows;
}

struct ScanResult {
  Rows rows;
  std::string problem;  // a broken Scan contract, empty if none
};

// Feeds `text` to a CsvScanner the way a streaming caller does: the unconsumed tail plus the
// next piece. Pieces are 0..max_piece bytes long (random, if rng is set), else the whole text.
ScanResult ScanWithScanner(const std::string& text, char delim, size_t max_line, CsvScanMode mode,
                           std::mt19937_64* rng = nullptr, size_t max_piece = 0,
                           const std::string& comment = "") {
  CsvScanner scanner({delim, max_line, mode, comment});
  CsvRecords recs;
  ScanResult result;
  std::string buf;
  std::string scratch;
  size_t next = 0;
  while (true) {
    size_t piece = text.size() - next;
    if (rng != nullptr && max_piece > 0) {
      piece = std::min(piece, std::uniform_int_distribution<size_t>(0, max_piece)(*rng));
    }
    buf.append(text, next, piece);
    next += piece;
    const bool final = next == text.size();
    const size_t used = scanner.Scan(buf.data(), buf.size(), final, &recs);
    if (used > buf.size()) {
      result.problem = "consumed more than given";
      return result;
    }
    for (size_t r = 0; r < recs.size(); ++r) {
      const CsvRecordSpan& rec = recs.record(r);
      if (rec.offset + rec.length > used) result.problem = "record beyond consumed bytes";
      Row row;
      if (rec.error != CsvError::kNone) {
        row.error = CsvErrorReason(rec.error);
        if (rec.num_fields != 0) result.problem = "error record with fields";
      } else {
        if (rec.num_fields == 0) result.problem = "record without fields";
        for (size_t k = 0; k < rec.num_fields; ++k) {
          const CsvFieldSpan& f = recs.field(r, k);
          if (f.offset < rec.offset || f.offset + f.length > rec.offset + rec.length) {
            result.problem = "field outside its record";
          }
          row.texts.emplace_back(CsvFieldText(buf.data(), f, &scratch));
          row.quoted.push_back(f.quoted);
        }
      }
      result.rows.push_back(row);
    }
    if (final) {
      if (used != buf.size()) result.problem = "final call did not consume everything";
      return result;
    }
    buf.erase(0, used);
    if (buf.size() > 2 * max_line + 2) {
      result.problem = "kept " + std::to_string(buf.size()) + " bytes, over the memory bound";
    }
  }
}

// Scans with both modes and several splits; all must agree. Returns the rows in the style of
// csv_reader_test.cc: field texts, or {"!reason"} for an error.
std::vector<std::vector<std::string>> ScanAll(const std::string& text, char delim = ',',
                                              size_t max_line = 1 << 20,
                                              const std::string& comment = "") {
  const ScanResult whole =
      ScanWithScanner(text, delim, max_line, CsvScanMode::kSimd, nullptr, 0, comment);
  CHECK(whole.problem.empty());
  std::mt19937_64 rng(42);
  for (CsvScanMode mode : {CsvScanMode::kScalar, CsvScanMode::kSimd}) {
    for (size_t max_piece : {size_t{0}, size_t{1}, size_t{2}, size_t{5}, size_t{70}}) {
      const ScanResult r = ScanWithScanner(text, delim, max_line, mode, &rng, max_piece, comment);
      INFO("mode " << static_cast<int>(mode) << ", pieces up to " << max_piece);
      CHECK(r.problem.empty());
      CHECK(Describe(r.rows) == Describe(whole.rows));
    }
  }
  // And the reference agrees.
  CHECK(Describe(ReadWithCsvReader(text, delim, max_line, comment)) == Describe(whole.rows));
  std::vector<std::vector<std::string>> out;
  for (const Row& r : whole.rows) {
    if (!r.error.empty()) {
      out.push_back({"!" + r.error});
    } else {
      out.push_back(r.texts);
    }
  }
  return out;
}
using Texts = std::vector<std::vector<std::string>>;

}  // namespace

// --- The CsvReader cases (tests/unit/csv_reader_test.cc), through the scanner. -------------

TEST_CASE("scanner: plain rows with LF, CRLF and no final newline") {
  CHECK(ScanAll("a,b\n1,2\n") == Texts{{"a", "b"}, {"1", "2"}});
  CHECK(ScanAll("a,b\r\n1,2\r\n") == Texts{{"a", "b"}, {"1", "2"}});
  CHECK(ScanAll("a,b\r\n1,2") == Texts{{"a", "b"}, {"1", "2"}});
  CHECK(ScanAll("a,b\n1,2\r") == Texts{{"a", "b"}, {"1", "2"}});
}

TEST_CASE("scanner: quoted fields hold delimiters, newlines and escaped quotes") {
  CHECK(ScanAll("\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",\"cr\r\nlf\"\n") ==
        Texts{{"a,b", "say \"hi\"", "line1\nline2", "cr\r\nlf"}});
}

TEST_CASE("scanner: empty fields and quoted empty strings are told apart") {
  const std::string text = "a,,\"\"\n";
  for (CsvScanMode mode : {CsvScanMode::kScalar, CsvScanMode::kSimd}) {
    CsvScanner scanner({',', 1024, mode, ""});
    CsvRecords recs;
    REQUIRE(scanner.Scan(text.data(), text.size(), true, &recs) == text.size());
    REQUIRE(recs.size() == 1);
    REQUIRE(recs.record(0).num_fields == 3);
    CHECK(recs.field(0, 1).length == 0);
    CHECK_FALSE(recs.field(0, 1).quoted);
    CHECK(recs.field(0, 2).length == 0);
    CHECK(recs.field(0, 2).quoted);
  }
}

TEST_CASE("scanner: blank lines are skipped and a UTF-8 BOM is dropped") {
  CHECK(ScanAll("\xEF\xBB\xBFts,v\n\n\r\n1,2\n\n") == Texts{{"ts", "v"}, {"1", "2"}});
  CHECK(ScanAll("\xEF\xBB\xBF") == Texts{});
  CHECK(ScanAll("\xEF\xBB") == Texts{{"\xEF\xBB"}});  // not a BOM: data
  CHECK(ScanAll("\xEF\xBBx,y") == Texts{{"\xEF\xBBx", "y"}});
  CHECK(ScanAll("a\n\xEF\xBB\xBF\n") == Texts{{"a"}, {"\xEF\xBB\xBF"}});  // only at the start
  CHECK(ScanAll("\r\r\n\n\ra\n\r") == Texts{{"a"}});
}

TEST_CASE("scanner: other delimiters") {
  CHECK(ScanAll("a;b\n\"x;y\";2\n", ';') == Texts{{"a", "b"}, {"x;y", "2"}});
  CHECK(ScanAll("a\tb\n", '\t') == Texts{{"a", "b"}});
  CHECK(ScanAll("a|\"b|c\"||\n", '|') == Texts{{"a", "b|c", "", ""}});
  CHECK(ScanAll(std::string("a\0b\n", 4), '\0') == Texts{{"a", "b"}});
}

TEST_CASE("scanner: malformed records are errors and reading resumes on the next line") {
  CHECK(ScanAll("a,b\n\"x\"y,2\n3,4\n") == Texts{{"a", "b"}, {"!csv_bad_quote"}, {"3", "4"}});
  CHECK(ScanAll("a,b\n1,\"open\n") == Texts{{"a", "b"}, {"!csv_unterminated_quote"}});
  CHECK(ScanAll("a,b\n" + std::string(100, 'x') + "\n1,2\n", ',', 50) ==
        Texts{{"a", "b"}, {"!line_too_long"}, {"1", "2"}});
}

TEST_CASE("scanner: comment lines are skipped like blank lines, quotes and all") {
  CHECK(ScanAll("# a \"quoted, \"\"open\nts,v\n#x,\"\n1,2\n", ',', 1 << 20, "#") ==
        Texts{{"ts", "v"}, {"1", "2"}});
  // Only at a record start: not after a field, not inside quotes, not after leading space.
  CHECK(ScanAll("a,#b\n\"x\n#y\",1\n #z\n", ',', 1 << 20, "#") ==
        Texts{{"a", "#b"}, {"x\n#y", "1"}, {" #z"}});
  // A multi-byte prefix must match whole; a comment line is not limited by max_line_bytes
  // and ends at its LF only (a lone CR does not end it); the last line may be a comment.
  CHECK(ScanAll("/x\n//" + std::string(100, 'c') + "\r\"\n1\n//", ',', 10, "//") ==
        Texts{{"/x"}, {"1"}});
  CHECK(ScanAll("\xEF\xBB\xBF;c\n;\n1;2\r\n;;\n", ';', 1 << 20, ";") == Texts{{"1", "2"}});
  CHECK(ScanAll("#", ',', 1 << 20, "#!") == Texts{{"#"}});  // the input ends inside the prefix
  CHECK(ScanAll("a\n#", ',', 1 << 20, "#") == Texts{{"a"}});
}

TEST_CASE("scanner: a comment after a record in the same 64-byte block restarts the parity") {
  // The comment's lone quote would flip the in-quote state of everything after it.
  std::string text = "a,b\n#\"\nc,\"d,e\"\n" + std::string(70, 'f') + ",g\n";
  CHECK(ScanAll(text, ',', 1 << 20, "#") ==
        Texts{{"a", "b"}, {"c", "d,e"}, {std::string(70, 'f'), "g"}});
  text = "\"a\"\n#\"\n\"b,\"\n";  // after a quoted field's line end
  CHECK(ScanAll(text, ',', 1 << 20, "#") == Texts{{"a"}, {"b,"}});
}

TEST_CASE("scanner: a comment line across Scan calls is dropped without being kept") {
  CsvScanner scanner({',', 10, CsvScanMode::kSimd, "//"});
  CsvRecords recs;
  std::string buf = "1\n/";  // cannot tell yet whether "/" starts a comment
  CHECK(scanner.Scan(buf.data(), buf.size(), false, &recs) == 2);
  CHECK(recs.size() == 1);
  buf = "//\"" + std::string(40, 'x');  // longer than max_line_bytes: still a comment
  CHECK(scanner.Scan(buf.data(), buf.size(), false, &recs) == buf.size());
  CHECK(recs.empty());
  CHECK(scanner.skipping());
  // Another scanner resumes where this one stopped.
  CsvScanner next({',', 10, CsvScanMode::kSimd, "//"});
  next.Resume(scanner.skipping());
  buf = "\"x\n2\n";
  CHECK(next.Scan(buf.data(), buf.size(), true, &recs) == buf.size());
  REQUIRE(recs.size() == 1);
  CHECK(recs.field(0, 0).offset == 3);
  CHECK_FALSE(next.skipping());
}

TEST_CASE("scanner: Resume continues an input, so a BOM there is data") {
  CsvScanner scanner({',', 1 << 20, CsvScanMode::kSimd, ""});
  scanner.Resume(false);
  CsvRecords recs;
  const std::string buf = std::string("\xEF\xBB\xBF") + "a\n";
  CHECK(scanner.Scan(buf.data(), buf.size(), true, &recs) == buf.size());
  REQUIRE(recs.size() == 1);
  CHECK(recs.field(0, 0).offset == 0);
  CHECK(recs.field(0, 0).length == 4);
}

// --- Scanner specifics. ---------------------------------------------------------------------

TEST_CASE("scanner: quotes are only special at the start of a field") {
  CHECK(ScanAll("ab\"c,d\n") == Texts{{"ab\"c", "d"}});
  CHECK(ScanAll("x,a\"b\"c\"\n\"q\",z\n") == Texts{{"x", "a\"b\"c\""}, {"q", "z"}});
  CHECK(ScanAll("a, \"b\"\n") == Texts{{"a", " \"b\""}});
}

TEST_CASE("scanner: CR is a line end only before LF or at the end of the input") {
  CHECK(ScanAll("a\rb,c\n") == Texts{{"a\rb", "c"}});
  CHECK(ScanAll("a,\r,b\n") == Texts{{"a", "\r", "b"}});
  CHECK(ScanAll("a\r\r\n") == Texts{{"a\r"}});
  CHECK(ScanAll("a\r\r") == Texts{{"a\r"}});
  CHECK(ScanAll("\"a\"\r\n\"b\"\r") == Texts{{"a"}, {"b"}});
  CHECK(ScanAll("\"a\"\rb\nc\n") == Texts{{"!csv_bad_quote"}, {"c"}});
  CHECK(ScanAll("\"a\"\r,b\nc\n") == Texts{{"!csv_bad_quote"}, {"c"}});
}

TEST_CASE("scanner: line length is counted as CsvReader counts it") {
  // CsvReader counts the LF of an LF line end, not the LF of CRLF nor the second quote of "".
  CHECK(ScanAll("abc\n", ',', 3) == Texts{{"!line_too_long"}});
  CHECK(ScanAll("abc\n", ',', 4) == Texts{{"abc"}});
  CHECK(ScanAll("abc\r\n", ',', 4) == Texts{{"abc"}});
  CHECK(ScanAll("abc", ',', 3) == Texts{{"abc"}});
  CHECK(ScanAll("\"a\"\"\"\n", ',', 5) == Texts{{"a\""}});
  CHECK(ScanAll("\"a\"\"\"\n", ',', 4) == Texts{{"!line_too_long"}});
  // Over the limit inside quotes: reading resumes after the next LF, even a quoted one.
  CHECK(ScanAll("\"abcdef\nxy\",1\nz\n", ',', 6) ==
        Texts{{"!line_too_long"}, {"xy\"", "1"}, {"z"}});
  // Over the limit on a lone CR: the skip runs to the next LF.
  CHECK(ScanAll("abc\rdef\ngh\n", ',', 3) == Texts{{"!line_too_long"}, {"gh"}});
  CHECK(ScanAll("", ',', 0) == Texts{});
  CHECK(ScanAll("\n\n", ',', 0) == Texts{});
  CHECK(ScanAll("a\nb\n", ',', 0) == Texts{{"!line_too_long"}, {"!line_too_long"}});
}

TEST_CASE("scanner: fields and records are spans of the buffer") {
  const std::string text = "\xEF\xBB\xBF\n id,\"say \"\"hi\"\"\",\"\"\r\n\"x\"y\n";
  for (CsvScanMode mode : {CsvScanMode::kScalar, CsvScanMode::kSimd}) {
    CsvScanner scanner({',', 1024, mode, ""});
    CsvRecords recs;
    REQUIRE(scanner.Scan(text.data(), text.size(), true, &recs) == text.size());
    REQUIRE(recs.size() == 2);
    const CsvRecordSpan& r0 = recs.record(0);
    CHECK(r0.offset == 4);
    CHECK(r0.length == 21);
    CHECK(r0.error == CsvError::kNone);
    REQUIRE(r0.num_fields == 3);
    const CsvFieldSpan& f0 = recs.field(0, 0);
    CHECK((f0.offset == 4 && f0.length == 3 && !f0.quoted && !f0.escaped));
    const CsvFieldSpan& f1 = recs.field(0, 1);
    CHECK((f1.offset == 9 && f1.length == 10 && f1.quoted && f1.escaped));
    std::string scratch;
    CHECK(CsvFieldText(text.data(), f1, &scratch) == "say \"hi\"");
    std::string appended = "<";
    AppendCsvFieldText(text.data(), f1, &appended);
    AppendCsvFieldText(text.data(), f0, &appended);
    CHECK(appended == "<say \"hi\" id");
    const CsvFieldSpan& f2 = recs.field(0, 2);
    CHECK((f2.length == 0 && f2.quoted && !f2.escaped));
    const CsvRecordSpan& r1 = recs.record(1);
    CHECK(r1.error == CsvError::kBadQuote);
    CHECK(r1.num_fields == 0);
    CHECK(r1.offset == 25);
    CHECK(r1.length == 5);
    CHECK(std::string(CsvErrorReason(r1.error)) == "csv_bad_quote");
  }
  CHECK(std::string(CsvErrorReason(CsvError::kUnterminatedQuote)) == "csv_unterminated_quote");
  CHECK(std::string(CsvErrorReason(CsvError::kLineTooLong)) == "line_too_long");
  CHECK(std::string(CsvErrorReason(CsvError::kNone)).empty());
}

TEST_CASE("scanner: streaming keeps only the open record and bounds memory") {
  CsvScanner scanner({',', 10, CsvScanMode::kSimd, ""});
  CsvRecords recs;
  // An open record is not consumed; a record needs its line end or the final call.
  std::string buf = "a,b\nc,";
  CHECK(scanner.Scan(buf.data(), buf.size(), false, &recs) == 4);
  CHECK(recs.size() == 1);
  buf = "c,\"x\"";  // cannot tell yet whether "x" is closed or "x"" follows
  CHECK(scanner.Scan(buf.data(), buf.size(), false, &recs) == 0);
  CHECK(recs.empty());
  buf = "c,\"x\"\r";  // nor whether CR ends the line
  CHECK(scanner.Scan(buf.data(), buf.size(), false, &recs) == 0);
  buf = "c,\"x\"\r\n";
  CHECK(scanner.Scan(buf.data(), buf.size(), false, &recs) == buf.size());
  CHECK(recs.size() == 1);
  // A line over the limit is reported at once and skipped in later calls.
  buf = std::string(40, 'y');
  CHECK(scanner.Scan(buf.data(), buf.size(), false, &recs) == buf.size());
  REQUIRE(recs.size() == 1);
  CHECK(recs.record(0).error == CsvError::kLineTooLong);
  buf = std::string(40, 'y');
  CHECK(scanner.Scan(buf.data(), buf.size(), false, &recs) == buf.size());
  CHECK(recs.empty());
  buf = "yyy\nok\n";
  CHECK(scanner.Scan(buf.data(), buf.size(), true, &recs) == buf.size());
  REQUIRE(recs.size() == 1);
  CHECK(recs.field(0, 0).length == 2);
  // After a final call the scanner starts a new input: a BOM is dropped again.
  buf = "\xEF\xBB";
  CHECK(scanner.Scan(buf.data(), buf.size(), false, &recs) == 0);
  buf = "\xEF\xBB\xBFz\n";
  CHECK(scanner.Scan(buf.data(), buf.size(), true, &recs) == buf.size());
  REQUIRE(recs.size() == 1);
  CHECK(recs.field(0, 0).offset == 3);
}

TEST_CASE("scanner: quoted fields across 64-byte blocks and 16 KiB chunks") {
  std::string text;
  Texts expected;
  for (int i = 0; i < 700; ++i) {
    std::string a(static_cast<size_t>(i % 97), 'a');
    std::string b = std::string(static_cast<size_t>(i % 61), ',') + "\n\"\"" +
                    std::string(static_cast<size_t>(i % 7), '\n');
    std::string b_escaped;
    for (char c : b) b_escaped += c == '"' ? std::string("\"\"") : std::string(1, c);
    text += a + ",\"" + b_escaped + "\"," + std::to_string(i) + (i % 3 ? "\n" : "\r\n");
    expected.push_back({a, b, std::to_string(i)});
  }
  CHECK(ScanAll(text) == expected);
}

TEST_CASE("scanner: delimiters that are quote, CR or LF behave as in CsvReader") {
  std::mt19937_64 rng(7);
  const std::string alphabet = "ab\"\r\n,";
  for (char delim : {'"', '\r', '\n'}) {
    for (int i = 0; i < 300; ++i) {
      std::string text;
      const size_t n = std::uniform_int_distribution<size_t>(0, 40)(rng);
      for (size_t k = 0; k < n; ++k) {
        text += alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)];
      }
      const size_t max_line = i % 2 ? 1 << 20 : 1 + i % 13;
      INFO("delimiter " << Escape(std::string(1, delim)) << ", input [" << Escape(text) << "]");
      const Rows ref = ReadWithCsvReader(text, delim, max_line);
      for (CsvScanMode mode : {CsvScanMode::kScalar, CsvScanMode::kSimd}) {
        const ScanResult r = ScanWithScanner(text, delim, max_line, mode, &rng, 4);
        REQUIRE(r.problem.empty());
        REQUIRE(Describe(r.rows) == Describe(ref));
      }
    }
  }
}

// --- Property test: CsvReader, scanner (scalar) and scanner (SIMD) agree. --------------------

namespace {

class CsvGenerator {
 public:
  explicit CsvGenerator(uint64_t seed) : rng_(seed) {}

  std::mt19937_64& rng() { return rng_; }
  size_t Uniform(size_t lo, size_t hi) {
    return std::uniform_int_distribution<size_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  // A random input for delimiter d: mostly CSV-like records (plain, empty, quoted with
  // delimiters, CR, LF and "" inside, malformed quoting, long fields, blank lines, every
  // line end), sometimes raw noise over the special bytes. With a comment prefix: comment
  // lines holding quotes, delimiters and CRs, near misses, the prefix after a newline
  // inside quotes, and at the end of the input.
  std::string Input(char d, const std::string& comment) {
    comment_ = comment;
    // A third of the inputs are mostly plain fields (few quotes): many whole 64-byte
    // blocks without a quote, which the scanner walks on its quote-free path.
    plain_ = Chance(0.33);
    std::string s;
    if (Chance(0.05)) s += "\xEF\xBB\xBF";
    if (Chance(0.15)) {  // noise
      const std::string alphabet = std::string("ab \"\"\r\n\n\xEF") + d + d + comment + comment;
      const size_t n = Uniform(0, 200);
      for (size_t i = 0; i < n; ++i) s += alphabet[Uniform(0, alphabet.size() - 1)];
      return s;
    }
    const size_t records = Chance(0.05) ? Uniform(100, 600) : Uniform(0, 30);
    for (size_t r = 0; r < records; ++r) {
      if (Chance(0.05)) s += Pick({"\n", "\r\n", "\r", "\n\n"});  // blank lines
      if (!comment.empty() && Chance(0.15)) s += CommentLine(d);
      const size_t fields = Uniform(1, 8);
      for (size_t f = 0; f < fields; ++f) {
        if (f > 0) s += d;
        s += Field(d);
      }
      const bool last = r + 1 == records;
      if (last && Chance(0.3)) break;  // no line end
      s += Chance(0.7) ? "\n" : Chance(0.8) ? "\r\n" : "\r";
    }
    if (Chance(0.05)) s += "\"unterminated" + std::string(1, d) + "\nquote";
    if (!comment.empty() && Chance(0.1)) {  // a comment, or a part of the prefix, at the end
      s += Chance(0.5) ? comment.substr(0, Uniform(1, comment.size())) : comment + "\"x";
    }
    return s;
  }

 private:
  std::string Pick(std::initializer_list<const char*> options) {
    const size_t i = Uniform(0, options.size() - 1);
    return *(options.begin() + i);
  }

  // A comment line (sometimes one that only nearly starts with the prefix), with its LF.
  std::string CommentLine(char d) {
    std::string s = Chance(0.2) ? comment_.substr(0, comment_.size() - 1) + "x" : comment_;
    const size_t n = Chance(0.1) ? Uniform(100, 300) : Uniform(0, 12);
    static const std::string kChars = "\"\"\r a1";
    for (size_t i = 0; i < n; ++i) {
      s += Chance(0.1) ? d : Chance(0.05) ? comment_[0] : kChars[Uniform(0, kChars.size() - 1)];
    }
    return s + (Chance(0.7) ? "\n" : "\r\n");
  }

  std::string Plain(size_t max_len) {
    static const std::string kChars = "abcxyz0123456789.-: _T";
    std::string s;
    const size_t n = Uniform(0, max_len);
    for (size_t i = 0; i < n; ++i) s += kChars[Uniform(0, kChars.size() - 1)];
    return s;
  }

  std::string Field(char d) {
    switch (plain_ && !Chance(0.02) ? 6 : Uniform(0, 9)) {
      case 0:
        return "";
      case 1:
        return "\"\"";
      case 2:
      case 3: {  // quoted, with specials inside
        std::string s = "\"";
        const size_t n = Uniform(0, 15);
        for (size_t i = 0; i < n; ++i) {
          switch (Uniform(0, 7)) {
            case 0:
              s += "\"\"";
              break;
            case 1:
              s += d;
              break;
            case 2:
              s += '\n';
              if (Chance(0.3)) s += comment_;  // not a comment: inside quotes
              break;
            case 3:
              s += '\r';
              break;
            default:
              s += Plain(3);
          }
        }
        return s + "\"";
      }
      case 4: {  // malformed: a quote inside an unquoted field, or text after a closing quote
        switch (Uniform(0, 4)) {
          case 0:
            return Plain(3) + "x\"" + Plain(3);
          case 1:
            return "\"" + Plain(4) + "\"" + Plain(2) + "y";
          case 2:
            return "\"" + Plain(2) + "\"\r" + Plain(2);
          case 3:
            return "\r\"" + Plain(2) + "\"";
          default:
            return "\"" + Plain(3) + "\"\"\"" + std::string(1, d) + "\"";
        }
      }
      case 5:
        return Chance(0.3) ? Plain(400) : Plain(70);  // long lines
      default:
        return Plain(12);
    }
  }

  std::mt19937_64 rng_;
  std::string comment_;  // of the current input
  bool plain_ = false;   // the current input's fields are mostly plain
};

// Runs one generated input through CsvReader and the scanner in both modes (random pieces);
// returns false (after failing a CHECK with the details) on any difference.
bool CheckOneInput(CsvGenerator& gen, bool scalar_too) {
  static const char kDelims[] = {',', ';', '|', '\t'};
  const char d = kDelims[gen.Uniform(0, 3)];
  // Half the inputs have a comment prefix: one byte or several, one that also starts plain
  // fields ("a"), the delimiter itself, or the BOM's first byte.
  const std::string comments[] = {"#", "//", "a", std::string(1, d), "\xEF", "#!?"};
  const std::string comment = gen.Chance(0.5) ? "" : comments[gen.Uniform(0, 5)];
  const std::string text = gen.Input(d, comment);
  const size_t max_line = gen.Chance(0.5) ? size_t{1} << 20 : gen.Uniform(0, 120);
  static const size_t kPieces[] = {0, 1, 3, 7, 64, 200, 5000};
  const Rows ref = ReadWithCsvReader(text, d, max_line, comment);
  for (CsvScanMode mode : {CsvScanMode::kScalar, CsvScanMode::kSimd}) {
    if (mode == CsvScanMode::kScalar && !scalar_too) continue;
    const size_t max_piece = kPieces[gen.Uniform(0, 6)];
    const ScanResult r = ScanWithScanner(text, d, max_line, mode, &gen.rng(), max_piece, comment);
    if (r.problem.empty() && r.rows == ref) continue;
    INFO("mode " << (mode == CsvScanMode::kSimd ? "simd" : "scalar") << " on "
                 << CsvSimdTargetName() << ", delimiter [" << Escape(std::string(1, d))
                 << "], comment [" << Escape(comment) << "], max_line " << max_line
                 << ", pieces up to " << max_piece << "\ninput [" << Escape(text) << "]");
    CHECK(r.problem.empty());
    CHECK(Describe(r.rows) == Describe(ref));
    return false;
  }
  return true;
}

}  // namespace

TEST_CASE("scanner property: 2000 random inputs, CsvReader == scalar == SIMD") {
  CsvGenerator gen(20240611);
  int failures = 0;
  for (int i = 0; i < 2000 && failures < 3; ++i) {
    if (!CheckOneInput(gen, true)) ++failures;
  }
  CHECK(failures == 0);
}

TEST_CASE("scanner property: every SIMD target this CPU supports") {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  REQUIRE(!targets.empty());
  CsvGenerator gen(99);
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    INFO("target " << hwy::TargetName(target));
    CHECK(std::string(CsvSimdTargetName()) == hwy::TargetName(target));
    int failures = 0;
    for (int i = 0; i < 300 && failures < 3; ++i) {
      if (!CheckOneInput(gen, false)) ++failures;
    }
    CHECK(failures == 0);
  }
  hwy::SetSupportedTargetsForTest(0);
}
