// The fill clean op: constant, previous, linear.
#include <catch2/catch.hpp>

#include "agent/cleaner.h"

using namespace edgeline;

namespace {
JobSpec Spec(const std::string& clean,
             const std::string& fields = R"({"device": {"type": "string"}, "temp": {"type": "float"}})") {
  auto r = ParseJobSpec(R"({"job_id": "t", "version": 1, "target": {"agents": ["a"]}, "mode": "batch",
    "input": {"type": "stdin", "format": "ndjson"},
    "schema": {"timestamp": {"field": "ts", "format": "epoch_ms"}, "keys": ["device"], "fields": )" +
                        fields + R"(}, "clean": )" + clean + "}");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return r.value();
}

Record Rec(int64_t ts, const char* device, Value temp) { return Record{ts, {std::string(device), temp}}; }

// Pushes records one by one; what came out after each push, as "ts:temp" strings.
struct Run {
  ReasonCounts drops, repairs;
  int64_t dropped = 0;
  std::vector<std::vector<std::string>> steps;
  std::vector<std::string> drained;

  static std::string Show(const Record& r) {
    const Value& v = r.values.back();
    std::string t = IsNull(v) ? "null" : std::holds_alternative<double>(v) ? std::to_string(std::get<double>(v))
                                                                           : "?";
    if (t != "null") t.erase(t.find_last_not_of('0') + 1);  // 20.000000 -> 20.
    return std::to_string(r.ts_ms) + ":" + std::get<std::string>(r.values[0]) + ":" + t;
  }
  Run(Cleaner& c, const std::vector<Record>& in) {
    for (const Record& r : in) {
      std::vector<Record> out;
      dropped += c.Push(r, &out, &drops, &repairs);
      steps.emplace_back();
      for (const Record& o : out) steps.back().push_back(Show(o));
    }
    std::vector<Record> out;
    dropped += c.Drain(&out, &drops, &repairs);
    for (const Record& o : out) drained.push_back(Show(o));
  }
};
using Strings = std::vector<std::string>;
}  // namespace

TEST_CASE("fill constant fills nulls of every listed field, as the field's type") {
  JobSpec s = Spec(R"([{"op": "fill", "fields": ["temp", "hum"], "method": "constant", "value": 0},
                       {"op": "fill", "fields": ["door"], "method": "constant", "value": "closed"}])",
                   R"({"device": {"type": "string"}, "temp": {"type": "float"}, "hum": {"type": "int"},
                       "door": {"type": "string"}})");
  CHECK(s.clean[0].method == CleanOp::kConstant);
  Cleaner c(s);
  ReasonCounts repairs;
  Record r{1, {std::string("a"), Value{}, Value{}, Value{}}};
  REQUIRE(c.Apply(&r, &repairs) == nullptr);
  CHECK(r.values == std::vector<Value>{std::string("a"), 0.0, int64_t{0}, std::string("closed")});
  CHECK(std::holds_alternative<double>(r.values[1]));
  CHECK(repairs == ReasonCounts{{"fill_constant", 3}});
  Record full{2, {std::string("a"), 1.5, int64_t{2}, std::string("open")}};
  REQUIRE(c.Apply(&full, &repairs) == nullptr);
  CHECK(full.values == std::vector<Value>{std::string("a"), 1.5, int64_t{2}, std::string("open")});
  CHECK(repairs == ReasonCounts{{"fill_constant", 3}});
}

TEST_CASE("fill previous carries the last value forward per key") {
  JobSpec s = Spec(R"([{"op": "fill", "fields": ["temp"], "method": "previous"}])");
  CHECK(s.clean[0].by == std::vector<int>{0});  // schema.keys by default
  Cleaner c(s);
  Run run(c, {Rec(1, "a", 20.0), Rec(2, "a", Value{}), Rec(3, "b", Value{}), Rec(4, "b", 5.0),
              Rec(5, "a", Value{}), Rec(6, "b", Value{}), Rec(7, "a", 21.0), Rec(8, "a", Value{})});
  CHECK(run.steps == std::vector<Strings>{{"1:a:20."}, {"2:a:20."}, {"3:b:null"}, {"4:b:5."},
                                          {"5:a:20."}, {"6:b:5."}, {"7:a:21."}, {"8:a:21."}});
  CHECK(run.repairs == ReasonCounts{{"fill_previous", 4}});
  CHECK(run.dropped == 0);
}

TEST_CASE("fill previous with unfilled drop drops what it can't fill") {
  JobSpec s = Spec(R"([{"op": "fill", "fields": ["temp"], "method": "previous", "by": [], "unfilled": "drop"}])");
  CHECK(s.clean[0].by.empty());  // one key for all records
  CHECK(s.clean[0].drop_unfilled);
  Cleaner c(s);
  Run run(c, {Rec(1, "a", Value{}), Rec(2, "b", 3.0), Rec(3, "a", Value{})});
  CHECK(run.steps == std::vector<Strings>{{}, {"2:b:3."}, {"3:a:3."}});
  CHECK(run.drops == ReasonCounts{{"fill", 1}});
  CHECK(run.repairs == ReasonCounts{{"fill_previous", 1}});
}

TEST_CASE("fill linear interpolates by event time and holds records until the gap closes") {
  JobSpec s = Spec(R"([{"op": "fill", "fields": ["temp"], "method": "linear", "max_gap": 2}])");
  CHECK(s.clean[0].method == CleanOp::kLinear);
  CHECK(s.clean[0].max_gap == 2);
  Cleaner c(s);
  Run run(c, {Rec(0, "a", 10.0), Rec(10, "a", Value{}), Rec(5, "b", 1.0), Rec(20, "a", Value{}),
              Rec(30, "a", 40.0), Rec(40, "a", Value{})});
  CHECK(run.steps == std::vector<Strings>{{"0:a:10."},
                                          {},
                                          {"5:b:1."},  // another key is not held up
                                          {},
                                          {"10:a:20.", "20:a:30.", "30:a:40."},
                                          {}});
  CHECK(run.drained == Strings{"40:a:null"});  // no value after it: stays null
  CHECK(run.repairs == ReasonCounts{{"fill_linear", 2}});
  CHECK(c.held() == 0);
}

TEST_CASE("fill linear leaves a gap longer than max_gap and leading nulls unfilled") {
  JobSpec s = Spec(R"([{"op": "fill", "fields": ["temp"], "method": "linear", "max_gap": 2}])");
  Cleaner c(s);
  Run run(c, {Rec(0, "a", Value{}), Rec(1, "a", 1.0), Rec(2, "a", Value{}), Rec(3, "a", Value{}),
              Rec(4, "a", Value{}), Rec(5, "a", Value{}), Rec(6, "a", 6.0)});
  CHECK(run.steps == std::vector<Strings>{{"0:a:null"},
                                          {"1:a:1."},
                                          {},
                                          {},
                                          {"2:a:null", "3:a:null", "4:a:null"},  // the 3rd null
                                          {"5:a:null"},
                                          {"6:a:6."}});
  CHECK(run.repairs.empty());
}

TEST_CASE("fill linear with unfilled drop drops the records it can't fill") {
  JobSpec s = Spec(R"([{"op": "fill", "fields": ["temp"], "method": "linear", "max_gap": 1, "unfilled": "drop"}])");
  Cleaner c(s);
  Run run(c, {Rec(0, "a", Value{}), Rec(1, "a", 1.0), Rec(2, "a", Value{}), Rec(3, "a", 3.0),
              Rec(4, "a", Value{}), Rec(5, "a", Value{}), Rec(6, "a", 6.0), Rec(7, "a", Value{})});
  CHECK(run.steps == std::vector<Strings>{{}, {"1:a:1."}, {}, {"2:a:2.", "3:a:3."}, {}, {}, {"6:a:6."}, {}});
  CHECK(run.drained.empty());
  CHECK(run.dropped == 4);  // ts 0 (leading), 4 and 5 (gap of 2 > 1), 7 (end of input)
  CHECK(run.drops == ReasonCounts{{"fill", 4}});
  CHECK(run.repairs == ReasonCounts{{"fill_linear", 1}});
}

TEST_CASE("fill linear interpolates by position when the anchors share a time") {
  JobSpec s = Spec(R"([{"op": "fill", "fields": ["temp"], "method": "linear"}])");
  Cleaner c(s);
  Run run(c, {Rec(5, "a", 1.0), Rec(5, "a", Value{}), Rec(5, "a", Value{}), Rec(5, "a", 4.0)});
  CHECK(run.steps.back() == Strings{"5:a:2.", "5:a:3.", "5:a:4."});
}

TEST_CASE("fill linear resolves each field on its own and keeps the key's order") {
  JobSpec s = Spec(R"([{"op": "fill", "fields": ["x", "y"], "method": "linear"}])",
                   R"({"device": {"type": "string"}, "x": {"type": "float"}, "y": {"type": "float"}})");
  Cleaner c(s);
  std::vector<Record> out;
  ReasonCounts repairs;
  const Value a = std::string("a");
  c.Push(Record{0, {a, 0.0, 0.0}}, &out, nullptr, &repairs);
  c.Push(Record{1, {a, Value{}, 10.0}}, &out, nullptr, &repairs);
  CHECK(out.size() == 1);
  c.Push(Record{2, {a, 20.0, Value{}}}, &out, nullptr, &repairs);
  REQUIRE(out.size() == 2);
  CHECK(out[1].values == std::vector<Value>{a, 10.0, 10.0});
  CHECK(c.held() == 1);
  c.Push(Record{3, {a, 30.0, 30.0}}, &out, nullptr, &repairs);
  REQUIRE(out.size() == 4);
  CHECK(out[2].values == std::vector<Value>{a, 20.0, 20.0});
  CHECK(out[3].values == std::vector<Value>{a, 30.0, 30.0});
  CHECK(repairs == ReasonCounts{{"fill_linear", 2}});
}

TEST_CASE("fill linear: evicting a key releases its held records unfilled") {
  JobSpec s = Spec(R"([{"op": "fill", "fields": ["temp"], "method": "linear", "max_keys": 1}])");
  CHECK(s.clean[0].max_keys == 1);
  Cleaner c(s);
  Run run(c, {Rec(0, "a", 1.0), Rec(1, "a", Value{}), Rec(2, "b", 5.0), Rec(3, "a", 3.0)});
  CHECK(run.steps == std::vector<Strings>{{"0:a:1."}, {}, {"1:a:null", "2:b:5."}, {"3:a:3."}});
  CHECK(run.repairs.empty());
}

TEST_CASE("records released by a linear fill go through the later ops") {
  JobSpec s = Spec(R"([{"op": "fill", "fields": ["temp"], "method": "linear"},
                       {"op": "range", "field": "temp", "max": 25},
                       {"op": "fill", "fields": ["temp"], "method": "constant", "value": -1}])");
  Cleaner c(s);
  Run run(c, {Rec(0, "a", 10.0), Rec(10, "a", Value{}), Rec(20, "a", Value{}), Rec(30, "a", 40.0),
              Rec(40, "a", Value{})});
  CHECK(run.steps == std::vector<Strings>{{"0:a:10."}, {}, {}, {"10:a:20."}, {}});
  CHECK(run.drained == Strings{"40:a:-1."});  // drained records run the later ops too
  CHECK(run.drops == ReasonCounts{{"range", 2}});  // 30 and 40
  CHECK(run.dropped == 2);
  CHECK(run.repairs == ReasonCounts{{"fill_constant", 1}, {"fill_linear", 2}});
}

TEST_CASE("Apply skips a linear fill; Push is the form that buffers") {
  JobSpec s = Spec(R"([{"op": "fill", "fields": ["temp"], "method": "linear"}])");
  Cleaner c(s);
  Record r = Rec(0, "a", Value{});
  CHECK(c.Apply(&r) == nullptr);
  CHECK(IsNull(r.values[1]));
  CHECK(c.held() == 0);
}
