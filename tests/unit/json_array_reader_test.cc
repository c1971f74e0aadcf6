#include "agent/json_array_reader.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/raw_cell_text.h"

using namespace edgeline;

namespace {

// Reads `text` as FileSource does: chunks of `chunk` bytes from the offset the reader
// consumed up to, the cursor kept between them. Each outcome is "row:<cells>" or the
// reason, then "@<position in text>".
std::vector<std::string> Read(const std::string& text, size_t max = 64, size_t chunk = 0,
                              const std::vector<std::string>& ptrs = {"/a"}, size_t start = 0) {
  if (chunk == 0) chunk = text.size() + 1;
  JsonArrayReader r(ptrs, max);
  JsonArrayCursor cursor = start > 0 ? JsonArrayCursor::Resumed() : JsonArrayCursor();
  std::vector<std::string> out;
  std::vector<RawCell> cells;
  std::string reason;
  size_t offset = start;
  while (true) {
    std::string buf = text.substr(offset, chunk);
    buf.reserve(buf.size() + kJsonPadding);
    const bool final = offset + buf.size() == text.size();
    r.Reset(buf.data(), buf.size(), final, &cursor);
    for (auto o = r.Next(&cells, &reason); o != JsonArrayReader::Outcome::kEnd;
         o = r.Next(&cells, &reason)) {
      std::string s = reason;
      if (o == JsonArrayReader::Outcome::kRow) {
        s = "row:";
        for (size_t i = 0; i < cells.size(); ++i) s += (i ? "," : "") + Show(cells[i]);
      }
      out.push_back(s + "@" + std::to_string(offset + r.position()));
    }
    offset += r.used();
    if (final) break;
    REQUIRE(r.used() > 0);  // a chunk longer than max always makes progress
  }
  CHECK(offset == text.size());
  return out;
}
}  // namespace

TEST_CASE("each element of a JSON array is a record, whatever the whitespace") {
  CHECK(Read("[{\"a\":1},{\"a\":2}]") == std::vector<std::string>{"row:#1@8", "row:#2@16"});
  CHECK(Read("\xEF\xBB\xBF \n[ {\"a\": 1} ,\n\t{\"a\":\"x\"}\r\n,{}\n]\n  ") ==
        std::vector<std::string>{"row:#1@15", "row:\"x\"@28", "row:-@33"});
  CHECK(Read("[{\"a\":{\"b\":[1,\"],\\\"\"]},\"c\":\"}\"}]", 64, 0, {"/a/b/1", "/c"}) ==
        std::vector<std::string>{"row:\"],\"\",\"}\"@31"});
}

TEST_CASE("empty arrays and empty input have no records") {
  CHECK(Read("[]").empty());
  CHECK(Read(" [ \n ] \n").empty());
  CHECK(Read("").empty());
  CHECK(Read("  \n").empty());
}

TEST_CASE("a single top-level object is one record") {
  CHECK(Read(" {\"a\": [1, {\"b\": 2}]}\n") == std::vector<std::string>{"row:?@21"});
  CHECK(Read("{\"a\":1} {\"a\":2}") == std::vector<std::string>{"row:#1@7", "json_bad_array@15"});
  CHECK(Read("{\"a\":1, \"b\":") == std::vector<std::string>{"json_malformed@12"});
}

TEST_CASE("bad elements are rejected one by one and reading goes on") {
  const std::string text =
      "[{\"a\":1}, {\"a\" 1}, {\"a\":2}}, 5, \"s\", [1, 2], null, {\"a\":3} {\"a\":4},"
      " , {\"a\":5},]";
  CHECK(Read(text) == std::vector<std::string>{"row:#1@8", "json_malformed@17", "json_malformed@27",
                                               "json_not_object@30", "json_not_object@35",
                                               "json_not_object@43", "json_not_object@49",
                                               "json_malformed@66", "json_malformed@68",
                                               "row:#5@77", "json_malformed@78"});
  CHECK(Read("[,{\"a\":1}]") == std::vector<std::string>{"json_malformed@1", "row:#1@9"});
}

TEST_CASE("an element over max bytes is line_too_long, in one chunk or across several") {
  const std::string big = "{\"a\":\"" + std::string(100, 'x') + "\",\"b\":[{\"c\":\"]\"}]}";
  const std::string text = "[{\"a\":1}," + big + ",{\"a\":2}]";
  const std::vector<std::string> want = {"row:#1@8",
                                         "line_too_long@" + std::to_string(9 + big.size()),
                                         "row:#2@" + std::to_string(17 + big.size())};
  CHECK(Read(text, 64) == want);
  // Chunks of 65 bytes: the big element is rejected when a chunk ends inside it (its
  // position is then that chunk's end), skipped to its end, and reading goes on.
  auto got = Read(text, 64, 65);
  REQUIRE(got.size() == 3);
  CHECK(got[0] == want[0]);
  CHECK(got[1].rfind("line_too_long@", 0) == 0);
  CHECK(got[2] == want[2]);
}

TEST_CASE("whitespace before the separator counts toward max bytes, in any chunking") {
  const std::string text = "[{\"a\":1}" + std::string(70, '\n') + ",{\"a\":2}]";
  const std::vector<std::string> want = {"line_too_long@8", "row:#2@86"};
  CHECK(Read(text, 64) == want);
  for (size_t chunk = 65; chunk <= text.size(); ++chunk) {
    INFO("chunk " << chunk);
    auto got = Read(text, 64, chunk);
    REQUIRE(got.size() == 2);
    CHECK(got[0].rfind("line_too_long@", 0) == 0);
    CHECK(got[1] == want[1]);
  }
}

TEST_CASE("a document that is not an array is one json_bad_array, and the rest is not read") {
  CHECK(Read("x[{\"a\":1}]") == std::vector<std::string>{"json_bad_array@10"});
  CHECK(Read("\"str\"") == std::vector<std::string>{"json_bad_array@5"});
  CHECK(Read("[{\"a\":1}] [{\"a\":2}]") ==
        std::vector<std::string>{"row:#1@8", "json_bad_array@19"});
  // The end of input inside the array: once. A last element complete by its brackets is
  // read first; an incomplete one is part of the json_bad_array.
  CHECK(Read("[{\"a\":1}") == std::vector<std::string>{"row:#1@8", "json_bad_array@8"});
  CHECK(Read("[{\"a\":1},") == std::vector<std::string>{"row:#1@8", "json_bad_array@9"});
  CHECK(Read("[{\"a\":1},{\"a\":") == std::vector<std::string>{"row:#1@8", "json_bad_array@14"});
  // Unbalanced brackets swallow what follows: the element runs to the end.
  CHECK(Read("[{\"a\":[1}, {\"a\":2}]") ==
        std::vector<std::string>{"json_malformed@19", "json_bad_array@19"});
}

TEST_CASE("chunk boundaries anywhere give the same records and positions") {
  const std::string text =
      "[ {\"a\": 1, \"s\": \"x,]}\\\"y\"},\n {\"a\": [2, {\"b\": \"]\"}]}, 7,\n"
      "{\"a\":\"" +
      std::string(70, 'z') + "\"}, {\"a\" 3}, {\"a\": 4} ]\n";
  const auto whole = Read(text, 64);
  CHECK(whole.size() == 6);
  for (size_t chunk = 65; chunk <= text.size(); ++chunk) {
    INFO("chunk " << chunk);
    auto got = Read(text, 64, chunk);
    REQUIRE(got.size() == whole.size());
    for (size_t i = 0; i < got.size(); ++i) {
      if (whole[i].rfind("line_too_long", 0) == 0) continue;  // position: where it was found
      CHECK(got[i] == whole[i]);
    }
  }
}

TEST_CASE("resuming at the position after any element reads exactly the elements after it") {
  const std::string text = "[{\"a\":1} ,{\"a\":2},\n{\"a\" 3},{\"a\":4} ]";
  const auto whole = Read(text);
  REQUIRE(whole.size() == 4);
  for (size_t k = 0; k < whole.size(); ++k) {
    const size_t at = std::stoul(whole[k].substr(whole[k].find('@') + 1));
    INFO("resume at " << at);
    CHECK(Read(text, 64, 0, {"/a"}, at) ==
          std::vector<std::string>(whole.begin() + static_cast<long>(k) + 1, whole.end()));
  }
}
