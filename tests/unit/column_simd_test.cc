#include "agent/column_simd.h"

#include <hwy/targets.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "agent/cast.h"

using namespace edgeline;

namespace {

uint64_t Bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

// ParseShortDecimals over texts (4 to 8 bytes each): ok and value per text. The words
// hold the bytes that follow each text in `after` (as an eight-byte load reads them).
struct Parsed {
  std::vector<uint64_t> ok;
  std::vector<double> values;
};
Parsed ParseAll(const std::vector<std::string>& texts, const std::string& after = "") {
  std::vector<uint64_t> words;
  std::vector<uint64_t> lengths;
  for (const auto& t : texts) {
    const std::string bytes = (t + after + std::string(8, '\0')).substr(0, 8);
    words.push_back(Load8(bytes.data()));
    lengths.push_back(t.size());
  }
  Parsed p;
  p.ok.assign(texts.size(), 1);
  p.values.assign(texts.size(), 0);
  ParseShortDecimals(words.data(), lengths.data(), texts.size(), p.values.data(), p.ok.data());
  return p;
}

// Random texts of 4 to 8 bytes: mostly sensor-like decimals, some with the bytes next to the
// digits and the point in ASCII ('/' ':' '-' '.' '"') and high bytes anywhere.
std::vector<std::string> RandomTexts(std::mt19937_64& rng, size_t count) {
  const std::string near =
      std::string("0123456789012345678901234567890123456789./:-+ eE\"") + "\x80\xae\xb0\xff";
  std::vector<std::string> texts;
  while (texts.size() < count) {
    std::string t;
    if (rng() % 2 == 0) {
      t = (rng() % 4 == 0 ? "-" : "") + std::to_string(rng() % 10000);
      if (rng() % 4 != 0) t += "." + std::to_string(rng() % 1000);
    } else {
      const size_t n = 4 + rng() % 5;
      for (size_t k = 0; k < n; ++k) t += near[rng() % near.size()];
    }
    if (t.size() >= 4 && t.size() <= 8) texts.push_back(t);
  }
  return texts;
}

}  // namespace

TEST_CASE("short decimals: exact values and rejects") {
  const std::vector<std::pair<std::string, double>> good = {
      {"21.37", 21.37},       {"-3.25", -3.25},         {"1013.25", 1013.25},
      {"0.125", 0.125},       {"12345678", 12345678.0}, {".1234567", 0.1234567},
      {"1234.", 1234.0},      {"-1.5", -1.5},           {"-.12", -0.12},
      {"-12.", -12.0},        {"99999999", 99999999.0}, {"0000.000", 0.0},
      {"-1234.56", -1234.56}, {"4.35", 4.35},           {"-40.125", -40.125}};
  const std::vector<std::string> bad = {"1e10",
                                        "12.3.4",
                                        "ab.c",
                                        "--12",
                                        "1-23",
                                        "\"\"12",
                                        "1.2-",
                                        "+1.5",
                                        "12 3",
                                        "n/a.",
                                        "....",
                                        "-",
                                        "1,25",
                                        "\xff"
                                        "123"};
  std::vector<std::string> texts;
  for (const auto& g : good) texts.push_back(g.first);
  for (const auto& b : bad) {
    if (b.size() >= 4) texts.push_back(b);
  }
  const Parsed p = ParseAll(texts, GENERATE(as<std::string>(), "", ",22.5\n", "9.\xff-ab"));
  for (size_t i = 0; i < good.size(); ++i) {
    INFO(good[i].first);
    CHECK(p.ok[i] == ~uint64_t{0});
    CHECK(Bits(p.values[i]) == Bits(good[i].second));
  }
  for (size_t i = good.size(); i < texts.size(); ++i) {
    INFO(texts[i]);
    CHECK(p.ok[i] == 0);
  }
  // "-000" is negative zero, as strtod gives.
  const Parsed z = ParseAll({"-000", "-0.0", "0000"});
  CHECK(z.ok == std::vector<uint64_t>(3, ~uint64_t{0}));
  CHECK(std::signbit(z.values[0]));
  CHECK(std::signbit(z.values[1]));
  CHECK(!std::signbit(z.values[2]));
}

TEST_CASE("short decimals: every SIMD target gives the scalar parse and ParseStrictDouble") {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  REQUIRE(!targets.empty());
  std::mt19937_64 rng(7);
  const std::vector<std::string> texts = RandomTexts(rng, 20000);
  size_t taken = 0;
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    INFO("target " << hwy::TargetName(target));
    // In runs of 1 to 70 texts, so every lane count and tail is met.
    for (size_t begin = 0; begin < texts.size();) {
      const size_t count = std::min<size_t>(1 + rng() % 70, texts.size() - begin);
      const std::vector<std::string> run(texts.begin() + begin, texts.begin() + begin + count);
      // What follows the texts in the words: zeros, or (as in a CSV row) more bytes.
      const Parsed p = ParseAll(run, rng() % 2 ? "" : std::string(",7.5\x80\"", 1 + rng() % 5));
      for (size_t i = 0; i < count; ++i) {
        const std::string& t = run[i];
        INFO("[" << t << "]");
        double want = 0;
        const bool ok =
            ParseSignedShortDecimalWord(ShortDecimalWord(t.data(), t.size()), t.size(), &want);
        REQUIRE(p.ok[i] == (ok ? ~uint64_t{0} : 0));
        if (!ok) continue;
        ++taken;
        REQUIRE(Bits(p.values[i]) == Bits(want));
        const auto strict = ParseStrictDouble(t);
        REQUIRE(strict.has_value());
        REQUIRE(Bits(*strict) == Bits(want));
      }
      begin += count;
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  CHECK(taken > 5000 * targets.size());
}

TEST_CASE("ISO 8601 column: every SIMD target gives the one-text parse") {
  // Texts of the cached minute with one byte changed (to a digit, a neighbour of the fixed
  // bytes or a high byte) at a random place, leap seconds, other minutes, the minute of a
  // negative epoch; against ParseIso8601UtcWords, and against ParseIso8601Ms where taken.
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  REQUIRE(!targets.empty());
  std::mt19937_64 rng(11);
  auto minute_of = [](const std::string& text) {
    IsoDateCache cache;
    LocalTime t;
    REQUIRE(ParseIso8601Local(text, &t, &cache));
    REQUIRE(cache.valid);
    return cache;
  };
  const std::vector<std::string> minutes = {"2024-03-01T00:07", "1969-12-31T23:59",
                                            "2016-12-31T23:59"};
  const std::string bytes = "0123456789:.Z/;-T \xff";
  size_t taken = 0;
  for (const std::string& prefix : minutes) {
    const IsoDateCache minute = minute_of(prefix + ":00.000Z");
    std::vector<std::string> texts;
    for (int i = 0; i < 3000; ++i) {
      char sec[3], ms[4];
      std::snprintf(sec, sizeof(sec), "%02d", static_cast<int>(rng() % 62));
      std::snprintf(ms, sizeof(ms), "%03d", static_cast<int>(rng() % 1000));
      std::string t = prefix + ":" + sec + "." + ms + "Z";
      if (rng() % 3 == 0) t[rng() % t.size()] = bytes[rng() % bytes.size()];
      if (rng() % 20 == 0) t = "2024-03-01T00:08:00.000Z";  // another minute
      texts.push_back(t);
    }
    for (int64_t target : targets) {
      hwy::SetSupportedTargetsForTest(target);
      INFO("minute " << prefix << ", target " << hwy::TargetName(target));
      for (size_t begin = 0; begin < texts.size();) {
        const size_t count = std::min<size_t>(1 + rng() % 70, texts.size() - begin);
        std::vector<uint64_t> a(count), b(count), x(count), ok(count);
        std::vector<int64_t> ms(count);
        for (size_t i = 0; i < count; ++i) {
          const std::string& t = texts[begin + i];
          a[i] = Load8(t.data());
          b[i] = Load8(t.data() + 8);
          x[i] = Load8(t.data() + 16);
        }
        ParseIso8601UtcColumn(a.data(), b.data(), x.data(), count, minute, ms.data(), ok.data());
        for (size_t i = 0; i < count; ++i) {
          const std::string& t = texts[begin + i];
          INFO("[" << t << "]");
          int64_t want = 0;
          const bool want_ok = ParseIso8601UtcWords(a[i], b[i], x[i], minute, &want);
          REQUIRE(ok[i] == (want_ok ? ~uint64_t{0} : 0));
          if (!want_ok) continue;
          ++taken;
          REQUIRE(ms[i] == want);
          const auto full = ParseIso8601Ms(t);
          REQUIRE(full.has_value());
          REQUIRE(*full == want);
        }
        begin += count;
      }
    }
    hwy::SetSupportedTargetsForTest(0);
  }
  CHECK(taken > 3000 * targets.size());
  // Exact values: the minute's start, a leap second, before 1970.
  const IsoDateCache m = minute_of("1969-12-31T23:59:00Z");
  const std::string texts[] = {"1969-12-31T23:59:00.000Z", "1969-12-31T23:59:59.999Z",
                               "1969-12-31T23:59:60.500Z", "1969-12-31T23:59:61.000Z"};
  uint64_t a[4], b[4], x[4], ok[4];
  int64_t ms[4];
  for (size_t i = 0; i < 4; ++i) {
    a[i] = Load8(texts[i].data());
    b[i] = Load8(texts[i].data() + 8);
    x[i] = Load8(texts[i].data() + 16);
  }
  ParseIso8601UtcColumn(a, b, x, 4, m, ms, ok);
  CHECK(ok[0] == ~uint64_t{0});
  CHECK(ms[0] == -60000);
  CHECK(ok[1] == ~uint64_t{0});
  CHECK(ms[1] == -1);
  CHECK(ok[2] == ~uint64_t{0});
  CHECK(ms[2] == 500);
  CHECK(ok[3] == 0);
}
