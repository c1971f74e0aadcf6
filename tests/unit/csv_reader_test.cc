#include <catch2/catch.hpp>

#include <sstream>

#include "agent/csv_reader.h"

using namespace edgeline;

namespace {
// Reads every record; errors appear as a single field "!reason".
std::vector<std::vector<std::string>> ReadAll(const std::string& text, char delim = ',',
                                              size_t max_line = 1 << 20,
                                              const std::string& comment = "") {
  std::istringstream in(text);
  CsvReader r(in, delim, max_line, comment);
  std::vector<std::vector<std::string>> out;
  std::vector<CsvField> fields;
  std::string reason;
  while (true) {
    auto o = r.Next(&fields, &reason);
    if (o == CsvReader::Outcome::kEnd) break;
    if (o == CsvReader::Outcome::kError) {
      out.push_back({"!" + reason});
      continue;
    }
    std::vector<std::string> row;
    for (auto& f : fields) row.push_back(f.text);
    out.push_back(row);
  }
  return out;
}
using Rows = std::vector<std::vector<std::string>>;
}  // namespace

TEST_CASE("plain rows with LF, CRLF and no final newline") {
  CHECK(ReadAll("a,b\n1,2\n") == Rows{{"a", "b"}, {"1", "2"}});
  CHECK(ReadAll("a,b\r\n1,2\r\n") == Rows{{"a", "b"}, {"1", "2"}});
  CHECK(ReadAll("a,b\r\n1,2") == Rows{{"a", "b"}, {"1", "2"}});
  CHECK(ReadAll("a,b\n1,2\r") == Rows{{"a", "b"}, {"1", "2"}});
}

TEST_CASE("quoted fields hold delimiters, newlines and escaped quotes") {
  CHECK(ReadAll("\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",\"cr\r\nlf\"\n") ==
        Rows{{"a,b", "say \"hi\"", "line1\nline2", "cr\r\nlf"}});
}

TEST_CASE("empty fields and quoted empty strings are told apart") {
  std::istringstream in("a,,\"\"\n");
  CsvReader r(in, ',', 1024);
  std::vector<CsvField> f;
  std::string reason;
  REQUIRE(r.Next(&f, &reason) == CsvReader::Outcome::kRow);
  REQUIRE(f.size() == 3);
  CHECK(f[1].text.empty());
  CHECK_FALSE(f[1].quoted);
  CHECK(f[2].text.empty());
  CHECK(f[2].quoted);
}

TEST_CASE("blank lines are skipped and a UTF-8 BOM is dropped") {
  CHECK(ReadAll("\xEF\xBB\xBFts,v\n\n\r\n1,2\n\n") == Rows{{"ts", "v"}, {"1", "2"}});
}

TEST_CASE("other delimiters") {
  CHECK(ReadAll("a;b\n\"x;y\";2\n", ';') == Rows{{"a", "b"}, {"x;y", "2"}});
  CHECK(ReadAll("a\tb\n", '\t') == Rows{{"a", "b"}});
}

TEST_CASE("malformed records are errors and reading resumes on the next line") {
  CHECK(ReadAll("a,b\n\"x\"y,2\n3,4\n") == Rows{{"a", "b"}, {"!csv_bad_quote"}, {"3", "4"}});
  CHECK(ReadAll("a,b\n1,\"open\n") == Rows{{"a", "b"}, {"!csv_unterminated_quote"}});
  CHECK(ReadAll("a,b\n" + std::string(100, 'x') + "\n1,2\n", ',', 50) ==
        Rows{{"a", "b"}, {"!line_too_long"}, {"1", "2"}});
}

TEST_CASE("line numbers point at the start of each record") {
  std::istringstream in("a\n\"x\ny\"\nb\n");
  CsvReader r(in, ',', 1024);
  std::vector<CsvField> f;
  std::string reason;
  REQUIRE(r.Next(&f, &reason) == CsvReader::Outcome::kRow);
  CHECK(r.line() == 1);
  REQUIRE(r.Next(&f, &reason) == CsvReader::Outcome::kRow);
  CHECK(r.line() == 2);
  REQUIRE(r.Next(&f, &reason) == CsvReader::Outcome::kRow);
  CHECK(r.line() == 4);
}

TEST_CASE("comment lines are skipped whole, only at a record start") {
  CHECK(ReadAll("#\"open\nts,v\n# a,\"b\n1,2\n", ',', 1 << 20, "#") ==
        Rows{{"ts", "v"}, {"1", "2"}});
  CHECK(ReadAll("a,#b\n\"x\n#y\"\n #z\n", ',', 1 << 20, "#") ==
        Rows{{"a", "#b"}, {"x\n#y"}, {" #z"}});
  // Not limited by max_line_bytes; the prefix must match whole, also at the end of input.
  CHECK(ReadAll("--" + std::string(100, 'c') + "\n-x\n-", ',', 10, "--") == Rows{{"-x"}, {"-"}});
}

TEST_CASE("a comment prefix split across the reader's 64 KiB reads still matches") {
  std::string text(64 * 1024 - 1, '\n');  // blank lines up to one byte before the refill
  text += "//x\"\n1\n";
  std::istringstream in(text);
  CsvReader r(in, ',', 1024, "//");
  std::vector<CsvField> f;
  std::string reason;
  REQUIRE(r.Next(&f, &reason) == CsvReader::Outcome::kRow);
  REQUIRE(f.size() == 1);
  CHECK(f[0].text == "1");
  CHECK(r.line() == 64 * 1024 + 1);
  CHECK(r.position() == text.size());
  CHECK(r.Next(&f, &reason) == CsvReader::Outcome::kEnd);
}
