#include "agent/file_source.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace edgeline;
namespace fs = std::filesystem;

namespace {
struct Fixture {
  fs::path dir;
  JobSpec spec;
  std::vector<Record> records;
  std::vector<nlohmann::json> checkpoints;

  explicit Fixture(const std::string& name, const std::string& format = "csv") {
    dir = fs::temp_directory_path() / ("edgeline-filesource-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto r = ParseJobSpec(R"({"job_id": "t", "version": 1, "target": {"agents": ["a"]},
      "mode": "batch", "input": {"type": "file", "path": "x", "format": ")" +
                          format + R"("},
      "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"},
                 "fields": {"v": {"type": "float"}}}})");
    REQUIRE(r.ok());
    spec = r.value();
    spec.batch_max_records = 1;  // a sink call per record: a checkpoint per record
  }
  void Append(const std::string& file, const std::string& text) {
    std::ofstream(dir / file, std::ios::app | std::ios::binary) << text;
  }
  std::vector<double> Values() const {
    std::vector<double> out;
    for (const auto& r : records) out.push_back(std::get<double>(r.values[0]));
    return out;
  }
};

// A pipeline whose sink records each record and the source's checkpoint at that point.
struct Run {
  Fixture& f;
  FileSource source;
  JobPipeline pipeline;
  Run(Fixture& fx, bool follow)
      : f(fx),
        source(fx.spec, (fx.dir / "*.csv").string() + (fx.spec.format != "csv" ? ".json" : ""),
               follow),
        pipeline(fx.spec, [this](std::vector<Record>&& rs) {
          for (auto& r : rs) f.records.push_back(std::move(r));
          f.checkpoints.push_back(source.Checkpoint(pipeline.position()));
          return Status::Ok();
        }) {}
};

// Resumes a new run from checkpoint k of the first run, `saved` (taken after its record k:
// one record per batch), and checks that exactly the records after it, of the first run's
// `all`, are read. Returns that run's counters.
JobCounters ResumeFrom(Fixture& f, const std::vector<nlohmann::json>& saved, size_t k,
                       const std::vector<double>& all) {
  f.records.clear();
  Run r(f, false);
  r.source.Restore(saved[k]);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  INFO("checkpoint " << k << ": " << saved[k].dump());
  CHECK(f.Values() == std::vector<double>(all.begin() + static_cast<long>(k) + 1, all.end()));
  return r.pipeline.counters();
}
}  // namespace

TEST_CASE("reading once covers every file in name order, a last line without newline too") {
  Fixture f("once");
  f.Append("b.csv", "ts,v\n3,3\n4,4");
  f.Append("a.csv", "v,ts\n1,1\n2,2\n");
  Run r(f, false);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{1, 2, 3, 4});
  CHECK(r.pipeline.counters().read == 4);
}

TEST_CASE("following reads only complete lines and picks up growth and new files") {
  Fixture f("follow");
  f.Append("a.csv", "ts,v\n1,1\n2,");
  Run r(f, true);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{1});
  f.Append("a.csv", "2\n3,3\n");
  f.Append("b.csv", "ts,v\n10,10\n");
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{1, 2, 3, 10});
  REQUIRE(r.source.Poll(&r.pipeline).ok());  // nothing new
  CHECK(f.records.size() == 4);
}

TEST_CASE("a truncated file is read again from its start") {
  Fixture f("truncate");
  f.Append("a.csv", "ts,v\n1,1\n2,2\n");
  Run r(f, true);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  fs::resize_file(f.dir / "a.csv", 0);
  f.Append("a.csv", "ts,v\n5,5\n");
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{1, 2, 5});
  CHECK(r.source.truncations() == 1);
}

TEST_CASE("a rotated file is finished and the new one read from its start") {
  Fixture f("rotate");
  f.Append("a.csv", "ts,v\n1,1\n");
  Run r(f, true);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  f.Append("a.csv", "2,2\n");  // written just before rotation
  fs::rename(f.dir / "a.csv", f.dir / "a.csv.1");
  f.Append("a.csv", "ts,v\n3,3\n");
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{1, 2, 3});
}

TEST_CASE("resuming from any checkpoint neither skips nor repeats a row") {
  Fixture f("resume");
  f.Append("a.csv", "ts,v\n1,1\nbad\n2,2\n3,3\n");
  {
    Run r(f, false);
    REQUIRE(r.source.Poll(&r.pipeline).ok());
  }
  REQUIRE(f.checkpoints.size() == 3);
  const std::vector<double> all = f.Values();
  const std::vector<nlohmann::json> saved = f.checkpoints;
  for (size_t k = 0; k < saved.size(); ++k) ResumeFrom(f, saved, k, all);
}

TEST_CASE("a line longer than max_line_bytes is rejected and reading goes on after it") {
  Fixture f("long", "ndjson");
  f.spec.max_line_bytes = 64;
  std::string big = "{\"ts\": 1, \"v\": \"" + std::string((1 << 20) + 10, 'x') + "\"}\n";
  std::ofstream(f.dir / "a.csv.json") << big << "{\"ts\": 2, \"v\": 2}\n";
  Run r(f, true);
  for (int i = 0; i < 3; ++i) REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{2});
  CHECK(r.pipeline.counters().reasons.at("line_too_long") == 1);
}

TEST_CASE("a JSON array over several chunks: each element once, and resumable after any") {
  Fixture f("json-array", "json");
  std::string text = "[\n";
  const int n = 2500;  // ~2.6 MB: elements straddle the 1 MiB chunks
  for (int i = 0; i < n; ++i) {
    text += std::string(i ? ",\n" : "") + "  {\"ts\": " + std::to_string(i) +
            ", \"v\": " + std::to_string(i) + ", \"pad\": \"" + std::string(1000 + i % 7, 'p') +
            "\"}";
  }
  f.Append("a.csv.json", text + "\n]\n");
  {
    Run r(f, false);
    REQUIRE(r.source.Poll(&r.pipeline).ok());
    CHECK(r.pipeline.counters().ToJson() == JobCounters{n, n, 0, 0, {}, n, {}}.ToJson());
  }
  std::vector<double> all;
  for (int i = 0; i < n; ++i) all.push_back(i);
  REQUIRE(f.Values() == all);
  REQUIRE(f.checkpoints.size() == static_cast<size_t>(n));
  const std::vector<nlohmann::json> saved = f.checkpoints;
  for (size_t k : {size_t{0}, size_t{1}, size_t{1000}, size_t{1001}, size_t{2017}, size_t{n - 1}}) {
    CHECK(ResumeFrom(f, saved, k, all).rejected == 0);
  }
}

TEST_CASE("a quoted field with a newline is never cut at a chunk or poll boundary") {
  Fixture f("quoted-newline");
  f.spec.fields.push_back({"note", FieldType::kString, false, ""});
  f.Append("a.csv", "ts,v,note\n1,1,\"two\n");  // the record is not complete yet
  Run r(f, true);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.records.empty());
  CHECK(r.pipeline.counters().read == 0);
  f.Append("a.csv", "lines\"\n2,2,\"a \"\"b\"\"\"\n");
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  REQUIRE(f.records.size() == 2);
  CHECK(std::get<std::string>(f.records[0].values[1]) == "two\nlines");
  CHECK(std::get<std::string>(f.records[1].values[1]) == "a \"b\"");
  CHECK(r.pipeline.counters().rejected == 0);
}

TEST_CASE("after a restart a file rotated within the glob is found again by its inode") {
  Fixture f("restore-rotated");
  f.Append("sensor.csv", "ts,v\n1,1\n2,2\n");
  nlohmann::json cp;
  {
    Run r(f, true);
    REQUIRE(r.source.Poll(&r.pipeline).ok());
    cp = f.checkpoints.back();
  }
  // While the agent is down the file is rotated to a name the glob also matches, grows
  // a last line, and a new file starts at the old name.
  f.Append("sensor.csv", "3,3\n");
  fs::rename(f.dir / "sensor.csv", f.dir / "sensor.csv.1.csv");
  f.Append("sensor.csv", "ts,v\n4,4\n");
  f.records.clear();
  Run r(f, true);
  r.source.Restore(cp);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  std::vector<double> got = f.Values();
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<double>{3, 4});  // nothing read twice, nothing skipped
}

TEST_CASE("a rotated file's last line without newline is read once the file is quiet") {
  Fixture f("rotated-tail");
  f.Append("a.csv", "ts,v\n1,1\n");
  Run r(f, true);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  f.Append("a.csv", "2,2");  // the writer stopped mid-line and rotated
  fs::rename(f.dir / "a.csv", f.dir / "a.old");
  for (int i = 0; i < 3; ++i) REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{1, 2});
}

TEST_CASE("a comment line is skipped when a poll or a chunk ends inside it") {
  Fixture f("comment");
  f.spec.csv_comment = "//";
  f.Append("a.csv", "// \"quoted\nts,v\n1,1\n/");  // "/" may start a comment: it waits
  Run r(f, true);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{1});
  f.Append("a.csv", "/ a comment with a \"quote,");
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(r.source.Checkpoint(0)[0].value("skipping", false));
  f.Append("a.csv", " still\n2,2\n//\n3,3\n");
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{1, 2, 3});
  CHECK(r.pipeline.counters().read == 3);
  CHECK(r.pipeline.counters().rejected == 0);
}

TEST_CASE("without a header row the columns come from the spec, from the file's first byte") {
  Fixture f("no-header");
  f.spec.csv_header = false;
  f.spec.csv_columns = {"v", "ts"};
  f.Append("a.csv",
           "\xEF\xBB\xBF"
           "1,10\n2,20\n");
  f.Append("b.csv", "3,30\n4\n");
  Run r(f, false);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{1, 2, 3});
  CHECK(r.pipeline.counters().reasons == std::map<std::string, int64_t>{{"csv_field_count", 1}});
  CHECK_FALSE(f.checkpoints.back()[0].contains("header"));
  CHECK_FALSE(f.checkpoints.back()[0]["header_read"].get<bool>());
}

TEST_CASE("input.csv.columns replace the names of each file's header row") {
  Fixture f("columns");
  f.spec.csv_columns = {"ts", "v", "x"};
  f.Append("a.csv", "time,value,extra\n1,1,a\n2,2\n");
  f.Append("b.csv", "ts,v\n3,3\n");
  Run r(f, false);
  Status s = r.source.Poll(&r.pipeline);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() ==
        (f.dir / "b.csv").string() + ": the CSV header has 2 columns, input.csv.columns names 3");
  CHECK(f.Values() == std::vector<double>{1});
  CHECK(r.pipeline.counters().reasons == std::map<std::string, int64_t>{{"csv_field_count", 1}});
  CHECK(f.checkpoints.back()[0]["header"] ==
        nlohmann::json::array({"time", "value", "extra"}));  // the file's own row
}

TEST_CASE("a CSV record over max_line_bytes is rejected once while it is still being written") {
  Fixture f("csv-long");
  f.spec.max_line_bytes = 64;
  f.Append("a.csv", "ts,v\n1,1\n" + std::string(100, 'x'));
  Run r(f, true);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(r.pipeline.counters().reasons.at("line_too_long") == 1);
  f.Append("a.csv", std::string(100, 'y'));
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  f.Append("a.csv", "\"\n2,2\n");
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{1, 2});
  CHECK(r.pipeline.counters().reasons == std::map<std::string, int64_t>{{"line_too_long", 1}});
}

TEST_CASE("a checkpoint taken while another file is inside a dropped line resumes after it") {
  Fixture f("skip-checkpoint");
  f.spec.csv_comment = "#";
  f.Append("a.csv", "ts,v\n1,1\n# a comment still being written, \"quote");
  f.Append("b.csv", "ts,v\n");
  nlohmann::json cp;
  {
    Run r(f, true);
    REQUIRE(r.source.Poll(&r.pipeline).ok());
    f.Append("b.csv", "10,10\n");  // its batch checkpoints a.csv too
    REQUIRE(r.source.Poll(&r.pipeline).ok());
    cp = f.checkpoints.back();
  }
  REQUIRE(cp[0]["path"] == (f.dir / "a.csv").string());
  CHECK(cp[0]["skipping"] == true);
  CHECK_FALSE(cp[1].contains("skipping"));
  f.Append("a.csv", " ends\",2\n2,2\n");
  f.records.clear();
  Run r(f, true);
  r.source.Restore(cp);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{2});
  CHECK(r.pipeline.counters().rejected == 0);
}

TEST_CASE("a record within max_line_bytes but longer than a chunk is line_too_long") {
  // "" counts once toward max_line_bytes, so such a record is up to twice the limit in
  // bytes; the chunk holds max(1 MiB, limit + 1).
  Fixture f("chunk-long");
  f.spec.max_line_bytes = 1 << 20;
  std::string quotes;
  for (int i = 0; i < 600000; ++i) quotes += "\"\"";
  f.Append("a.csv", "ts,v\n1,1\n2,\"" + quotes + "\"\n3,3\n");
  Run r(f, false);
  REQUIRE(r.source.Poll(&r.pipeline).ok());
  CHECK(f.Values() == std::vector<double>{1, 3});
  CHECK(r.pipeline.counters().reasons == std::map<std::string, int64_t>{{"line_too_long", 1}});
}

TEST_CASE("resuming from any checkpoint of a file with comments and bad rows") {
  Fixture f("resume-options");
  f.spec.csv_header = false;
  f.spec.csv_columns = {"ts", "v"};
  f.spec.csv_comment = "#";
  f.Append("a.csv", "#ts,v\n1,1\n# \"\n\"2\",\"2\"\n3,\xff\n#\n4,4\n5,\"5\n6\"\n7,7");
  {
    Run r(f, false);
    REQUIRE(r.source.Poll(&r.pipeline).ok());
  }
  CHECK(f.Values() == std::vector<double>{1, 2, 4, 7});
  CHECK(f.checkpoints.size() == 4);
  const std::vector<double> all = f.Values();
  const std::vector<nlohmann::json> saved = f.checkpoints;
  for (size_t k = 0; k < saved.size(); ++k) ResumeFrom(f, saved, k, all);
}
