#include "agent/ndjson_reader.h"

#include <catch2/catch.hpp>
#include <random>
#include <sstream>

#include "agent/json_fields.h"
#include "tests/unit/raw_cell_text.h"

using namespace edgeline;

namespace {
// A copy of `text` with the padding simdjson reads past the end.
std::string Padded(std::string text) {
  text.reserve(text.size() + kJsonPadding);
  return text;
}

// Every outcome of reading `text`: "row:<cells>" or the reason, then "@<position>".
std::vector<std::string> ReadAll(const std::vector<std::string>& pointers, const std::string& text,
                                 size_t max_line = 1024,
                                 NdjsonReader::Mode mode = NdjsonReader::Mode::kBatched) {
  std::string buf = Padded(text);
  NdjsonReader r(pointers, max_line, mode);
  r.Reset(buf.data(), buf.size());
  std::vector<RawCell> cells;
  std::string reason;
  std::vector<std::string> out;
  for (auto o = r.Next(&cells, &reason); o != NdjsonReader::Outcome::kEnd;
       o = r.Next(&cells, &reason)) {
    std::string s;
    if (o == NdjsonReader::Outcome::kRow) {
      s = "row:";
      for (size_t i = 0; i < cells.size(); ++i) s += (i ? "," : "") + Show(cells[i]);
    } else {
      s = reason;
    }
    out.push_back(s + "@" + std::to_string(r.position()) + " " + std::string(r.raw()));
  }
  return out;
}

std::vector<std::string> Rows(const std::vector<std::string>& pointers, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& s : ReadAll(pointers, text)) out.push_back(s.substr(0, s.find('@')));
  return out;
}
}  // namespace

TEST_CASE("NDJSON lines yield the wanted keys as cells") {
  std::string buf = Padded(
      "{\"ts\": 5, \"t\": 1.5, \"s\": \"x\", \"extra\": {\"deep\": [1,2]}}\n"
      "\n"
      "{\"t\": null, \"s\": true}\n"
      "{\"ts\": 6, \"t\": [1]}\n");
  NdjsonReader r({"/ts", "/t", "/s"}, 1024);
  r.Reset(buf.data(), buf.size());
  std::vector<RawCell> c;
  std::string reason;
  REQUIRE(r.Next(&c, &reason) == NdjsonReader::Outcome::kRow);
  CHECK(c[0].kind == RawCell::kNumber);
  CHECK(c[0].text == "5");
  CHECK(c[1].number == 1.5);
  CHECK(c[2].kind == RawCell::kText);
  CHECK(c[2].text == "x");
  REQUIRE(r.Next(&c, &reason) == NdjsonReader::Outcome::kRow);
  CHECK(r.line() == 3);
  CHECK(c[0].kind == RawCell::kMissing);
  CHECK(c[1].kind == RawCell::kNull);
  CHECK(c[2].kind == RawCell::kBool);
  CHECK(c[2].boolean);
  REQUIRE(r.Next(&c, &reason) == NdjsonReader::Outcome::kRow);
  CHECK(c[1].kind == RawCell::kOther);
  CHECK(r.Next(&c, &reason) == NdjsonReader::Outcome::kEnd);
}

TEST_CASE("a number's text is the token without the whitespace after it") {
  // Space, tab and CR between a number and the next ',' or '}' are not its text (an int
  // cast reads the text); a byte glued to the number makes it no number.
  for (auto mode : {NdjsonReader::Mode::kBatched, NdjsonReader::Mode::kPerLine}) {
    const auto rows = [&] {
      std::vector<std::string> out;
      for (const auto& s : ReadAll({"/a", "/b", "/c"},
                                   "{\"a\": 12 , \"b\": -2.5e3\t\r}\r\n"
                                   "{\"a\":7\t\t,\"b\":0 \r , \"c\": 1}\n"
                                   "{\"a\": 12x, \"b\": 1}\n",
                                   1024, mode)) {
        out.push_back(s.substr(0, s.find('@')));
      }
      return out;
    }();
    CHECK(rows == std::vector<std::string>{"row:#12,#-2.5e3,-", "row:#7,#0,#1", "row:?,#1,-"});
  }
}

TEST_CASE("malformed, non-object and over-long lines are errors with reasons") {
  const std::string text =
      "{\"a\": 1,\n[1,2]\n\"str\"\n{\"a\": 1} x\n" + std::string(80, ' ') + "{}\n{\"a\": 2}\n";
  for (auto mode : {NdjsonReader::Mode::kBatched, NdjsonReader::Mode::kPerLine}) {
    std::vector<std::string> got;
    for (const auto& s : ReadAll({"/a"}, text, 64, mode)) got.push_back(s.substr(0, s.find('@')));
    CHECK(got == std::vector<std::string>{"json_malformed", "json_not_object", "json_not_object",
                                          "json_malformed", "line_too_long", "row:#2"});
  }
}

TEST_CASE("positions are just after each line, LF included; raw is the line without it") {
  const std::string text = "{\"a\":1}\r\n\n  \n{\"a\":2} junk\n{\"a\":3}";
  CHECK(ReadAll({"/a"}, text) == std::vector<std::string>{"row:#1@9 {\"a\":1}\r",
                                                          "json_malformed@26 {\"a\":2} junk",
                                                          "row:#3@33 {\"a\":3}"});
}

TEST_CASE("JSON pointers reach nested values, array elements and escaped keys") {
  const std::vector<std::string> ptrs = {"/sensor/temp", "/readings/0",  "/readings/2/v",
                                         "/a~1b",        "/m~0n",        "/sensor/none",
                                         "/ts/x",        "/readings/01", "/"};
  CHECK(Rows(ptrs, R"({"sensor": {"temp": 21.5, "id": "x"}, "readings": [7, 8, {"v": true}], )"
                   R"("a/b": "slash", "m~n": null, "ts": 5, "": "empty key"})"
                   "\n") ==
        std::vector<std::string>{R"(row:#21.5,#7,true,"slash",null,-,-,-,"empty key")"});
  // A scalar where an object was expected leaves the deeper pointers missing; an index
  // token names a key of an object (RFC 6901).
  CHECK(Rows(ptrs, R"({"sensor": 3, "readings": {"0": 1}})"
                   "\n") == std::vector<std::string>{"row:-,#1,-,-,-,-,-,-,-"});
  // Keys are compared unescaped.
  CHECK(Rows({"/temp", "/q\"k"}, R"({"\u0074emp": 4, "q\"k": "quoted"})"
                                 "\n") == std::vector<std::string>{R"(row:#4,"quoted")"});
}

TEST_CASE("a key given twice: the last one wins, with everything below it") {
  CHECK(Rows({"/a", "/s/t", "/s/u"}, R"({"a": 1, "s": {"t": 1}, "a": 2, "s": {"u": 2}})"
                                     "\n") == std::vector<std::string>{"row:#2,-,#2"});
  CHECK(Rows({"/s/t"}, R"({"s": {"t": 1, "t": "b"}})"
                       "\n") == std::vector<std::string>{R"(row:"b")"});
}

TEST_CASE("two fields with the same path both get the value") {
  CHECK(Rows({"/x/y", "/x/y", "/x"}, R"({"x": {"y": "v"}})"
                                     "\n") == std::vector<std::string>{R"(row:"v","v",?)"});
}

TEST_CASE("pointers parse per RFC 6901") {
  std::vector<std::string> t;
  CHECK(ParseJsonPointer("/a~1b/~0/0/", &t));
  CHECK(t == std::vector<std::string>{"a/b", "~", "0", ""});
  CHECK(ParseJsonPointer("/~01", &t));
  CHECK(t == std::vector<std::string>{"~1"});
  CHECK_FALSE(ParseJsonPointer("", &t));
  CHECK_FALSE(ParseJsonPointer("a/b", &t));
  CHECK_FALSE(ParseJsonPointer("/a~2", &t));
  CHECK_FALSE(ParseJsonPointer("/a~", &t));
}

TEST_CASE("a document spanning lines is malformed on each of them") {
  const std::string text = "{\"a\": 1,\n\"b\": 2}\n{\"a\": {\"x\": 1}\n}\n{\"a\": 3}\n";
  const std::vector<std::string> want = {"json_malformed", "json_not_object", "json_malformed",
                                         "json_malformed", "row:#3"};
  for (auto mode : {NdjsonReader::Mode::kBatched, NdjsonReader::Mode::kPerLine}) {
    std::vector<std::string> got;
    for (const auto& s : ReadAll({"/a"}, text, 1024, mode)) got.push_back(s.substr(0, s.find('@')));
    CHECK(got == want);
  }
}

TEST_CASE("an incomplete document after a complete one on a window's last line is malformed") {
  // simdjson's stage 1 leaves an incomplete last document unindexed (and unvalidated:
  // invalid UTF-8 there is not reported): the stream then seems to end after {"a":3};
  // the reader must still see the rest of the line.
  for (const char* tail : {" {\"a\": {\"b\":1}", " {\"a\":", ", ,", " [", "\xf4", " \xf4{"}) {
    const std::string text = "{\"a\":1}\n{\"a\":3}" + std::string(tail) + "\n{\"a\":2}";
    INFO(text);
    CHECK(Rows({"/a"}, text) == std::vector<std::string>{"row:#1", "json_malformed", "row:#2"});
  }
}

namespace {
// One random NDJSON line: mostly records, with every kind of damage mixed in at `bad`
// percent.
std::string RandomLine(std::mt19937& rng, int bad) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::string num = std::to_string(pick(100000)) + "." + std::to_string(pick(100));
  std::string good = "{\"ts\":" + std::to_string(pick(1 << 30)) + ",\"device\":\"pi-" +
                     std::to_string(pick(64)) + "\",\"sensor\":{\"temp\":" + num +
                     ",\"tags\":[\"a\",\"b\\\"c\"]},\"hum\":" + (pick(10) ? num : "null") +
                     (pick(5) ? "" : ",\"hum\":\"dup\"") + "}";
  if (pick(100) >= bad) return good;
  static const char* const kDamage[] = {"",
                                        "   \t",
                                        "[1,2]",
                                        "\"str\"",
                                        "42",
                                        "null",
                                        "{",
                                        "}",
                                        "{\"a\":1} {}",
                                        "{\"a\":1}}",
                                        "{\"a\" 1}",
                                        "{\"a\":[1,}",
                                        "{\"a\":\"x}",
                                        "{\"a\":\"\xff\"}",
                                        "{\"ts\":1,",
                                        "\"b\":2}",
                                        "{\"s\":{\"t\":1}",
                                        "{\"k\":tru}",
                                        "\xef\xbb\xbf{}",
                                        "{\"a\":1}\r",
                                        "[",
                                        "]",
                                        "{\"a\":\"\\u12\"}",
                                        "x",
                                        "{\"a\":1e999}",
                                        "{\"a\":1} {\"k\":",
                                        "{\"a\":1} [",
                                        "{\"a\":1} {\"s\":{}"};
  const int n = static_cast<int>(sizeof(kDamage) / sizeof(kDamage[0]));
  const int k = pick(n + 3);
  if (k == n) return good.substr(0, static_cast<size_t>(pick(static_cast<int>(good.size()))));
  if (k == n + 1) return good + std::string(static_cast<size_t>(pick(3)), ' ') + "x";
  if (k == n + 2) return std::string(300, ' ') + good;  // over max_line_bytes below
  return kDamage[k];
}
}  // namespace

TEST_CASE("iterate_many windows give exactly what parsing each line alone gives") {
  const std::vector<std::string> ptrs = {"/ts",  "/device", "/sensor/temp", "/sensor/tags/1",
                                         "/hum", "/a",      "/k",           "/s/t"};
  for (int bad : {0, 1, 10, 50, 100}) {
    std::mt19937 rng(static_cast<unsigned>(bad) + 7);
    std::string text;
    for (int i = 0; i < 6000; ++i) text += RandomLine(rng, bad) + "\n";
    text += "{\"ts\":1}";  // a last line without LF
    INFO("bad lines: " << bad << "%");
    const auto batched = ReadAll(ptrs, text, 256, NdjsonReader::Mode::kBatched);
    const auto alone = ReadAll(ptrs, text, 256, NdjsonReader::Mode::kPerLine);
    REQUIRE(batched.size() == alone.size());
    for (size_t i = 0; i < alone.size(); ++i) {
      INFO("record " << i);
      REQUIRE(batched[i] == alone[i]);
    }
    if (bad == 0) CHECK(batched.size() == 6001);
  }
}

TEST_CASE("keys of every length up to and past two words match exactly, in both modes") {
  // Keys under 16 bytes are compared as two masked words, longer ones unescaped; a key
  // that is a prefix of another, or longer by one byte, must not match. The record ends
  // right after each key's value, with only the buffer's padding behind it.
  const std::vector<std::string> keys = {
      "a",         "abcdefg",         "abcdefgh",         "pressure",
      "abcdefghi", "abcdefghijklmno", "abcdefghijklmnop", "abcdefghijklmnopq"};
  std::vector<std::string> pointers;
  for (const auto& k : keys) pointers.push_back("/" + k);
  std::string text;
  std::vector<std::string> want;
  for (size_t i = 0; i < keys.size(); ++i) {
    // The key itself, and decoys one byte shorter and one byte longer.
    const std::string& k = keys[i];
    text += "{\"" + k + "x\": 1, \"" + k.substr(0, k.size() - 1) + "\": 2, \"" + k +
            "\": " + std::to_string(10 + i) + "}\n";
    std::string row = "row:";
    for (size_t j = 0; j < keys.size(); ++j) {
      // A shorter decoy is itself one of the keys when it is k minus its last byte.
      std::string cell = "-";
      if (j == i) cell = "#" + std::to_string(10 + i);
      if (keys[j] == k.substr(0, k.size() - 1)) cell = "#2";
      row += (j ? "," : "") + cell;
    }
    want.push_back(row);
  }
  CHECK(Rows(pointers, text) == want);
  std::vector<std::string> per_line;
  for (const auto& s : ReadAll(pointers, text, 1024, NdjsonReader::Mode::kPerLine)) {
    per_line.push_back(s.substr(0, s.find('@')));
  }
  CHECK(per_line == want);
}

TEST_CASE("strings are unescaped wherever a backslash stands, in both modes") {
  // A backslash at every offset of strings of 1 to 40 bytes, blanks after the string, an
  // empty string and an escaped quote.
  std::string text;
  std::vector<std::string> want;
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t at = 0; at <= len; ++at) {  // at == len: no escape
      std::string raw(len, 'a');
      std::string value = raw;
      if (at < len) {
        raw.replace(at, 1, "\\n");
        value[at] = '\n';
      }
      text += "{\"s\":\"" + raw + "\" \t,\"t\":\"" + raw + "\"}\n";
      const std::string shown = "\"" + value + "\"";
      want.push_back("row:" + shown + "," + shown);
    }
  }
  text += "{\"s\":\"\",\"t\":null}\n{\"s\":\"\\\"\",\"t\":null }\n";
  want.push_back("row:\"\",null");
  want.push_back("row:\"\"\",null");
  CHECK(Rows({"/s", "/t"}, text) == want);
  std::vector<std::string> per_line;
  for (const auto& s : ReadAll({"/s", "/t"}, text, 1024, NdjsonReader::Mode::kPerLine)) {
    per_line.push_back(s.substr(0, s.find('@')));
  }
  CHECK(per_line == want);
}
