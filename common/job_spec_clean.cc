// The clean section of a job spec (docs/job-spec.md#clean-ops): checks what the JSON
// Schema cannot (fields exist, units convert, types fit each op) and resolves the ops into
// JobSpec::clean, out_names and emitted. Part of ParseJobSpec (common/job_spec.cc).
#include <algorithm>
#include <cmath>
#include <set>

#include "common/job_spec_internal.h"
#include "common/time_util.h"

namespace edgeline {
namespace job_spec_internal {

using nlohmann::ordered_json;

namespace {

// The unit families `convert` converts within (agent/clean_convert.cc has the factors).
int UnitFamily(const std::string& u) {
  static const char* const kFamilies[][8] = {{"degC", "degF", "K"},
                                             {"Pa", "hPa", "kPa", "bar", "psi", "mmHg", "inHg"},
                                             {"m", "cm", "mm", "km", "in", "ft", "mi"},
                                             {"m/s", "km/h", "mph", "kn"}};
  for (int f = 0; f < 4; ++f) {
    for (const char* name : kFamilies[f]) {
      if (name && u == name) return f;
    }
  }
  return -1;
}

bool ConvertibleUnits(const std::string& from, const std::string& to) {
  return UnitFamily(from) >= 0 && UnitFamily(from) == UnitFamily(to);
}

// The state of each schema field as the clean ops go: what later ops see.
struct FieldState {
  std::string name;  // current (output) name
  FieldType type = FieldType::kFloat;
  std::string unit;
  bool emitted = true;
  std::string removed_by;       // pointer of the op that removed it
  std::string renamed_by;       // pointer of the last op that renamed it
  std::string unit_cleared_by;  // pointer of a scale/offset convert
};

class CleanBuilder {
 public:
  explicit CleanBuilder(JobSpec* spec) : spec_(spec) {
    for (const auto& f : spec->fields) {
      FieldState fs;
      fs.name = f.name;
      fs.type = f.type;
      fs.unit = f.unit;
      st_.push_back(std::move(fs));
    }
  }

  Status Build(const ordered_json& clean);

 private:
  Status BuildOne(const ordered_json& j, const std::string& path, CleanOp* c);

 public:
  // Finds the field a name refers to after the ops so far (-1: the timestamp, when
  // allow_ts); false with the reason otherwise.
  bool Lookup(const std::string& name, bool allow_ts, int* out, std::string* why) const;

 private:
  // Resolves a field name as the ops before this one left the fields.
  Status Resolve(const ordered_json& name, const std::string& path, bool allow_ts, int* out) const;
  Status ResolveList(const ordered_json& names, const std::string& path, bool allow_ts,
                     std::vector<int>* out) const;
  Status ResolveTyped(const ordered_json& j, const std::string& path, bool want_float,
                      const char* what, int* out) const;
  Status ResolveBy(const ordered_json& j, const std::string& path, CleanOp* c) const;
  Status RemoveField(int idx, const std::string& path);
  Status ParseCond(const ordered_json& j, const std::string& path, int depth,
                   CleanOp::Cond* out) const;
  Status ParseWhereText(const std::string& text, const std::string& path, CleanOp::Cond* out) const;

 public:
  // Checks a comparison's literals against the field's current type (and turns an ISO
  // 8601 string compared with the timestamp into epoch ms). `where` prefixes messages.
  Status CheckCmp(CleanOp::Cond* c, const std::string& path, const std::string& where) const;

 private:
  JobSpec* spec_;
  std::vector<FieldState> st_;
};

bool IsNum(FieldType t) { return t == FieldType::kFloat || t == FieldType::kInt; }

bool CleanBuilder::Lookup(const std::string& name, bool allow_ts, int* out,
                          std::string* why) const {
  if (!spec_->ts_field.empty() && name == spec_->ts_field) {
    if (allow_ts) {
      *out = -1;
      return true;
    }
    *why = "\"" + name + "\" is the timestamp field; this op takes schema fields only";
    return false;
  }
  for (size_t i = 0; i < st_.size(); ++i) {
    if (st_[i].emitted && st_[i].name == name) {
      *out = static_cast<int>(i);
      return true;
    }
  }
  for (size_t i = 0; i < st_.size(); ++i) {
    if (!st_[i].emitted && st_[i].name == name) {
      *why = "field \"" + name + "\" was removed by " + st_[i].removed_by;
      return false;
    }
  }
  for (size_t i = 0; i < st_.size(); ++i) {
    if (spec_->fields[i].name == name && !st_[i].renamed_by.empty()) {
      *why =
          "field \"" + name + "\" was renamed to \"" + st_[i].name + "\" by " + st_[i].renamed_by;
      return false;
    }
  }
  *why = "unknown field \"" + name + "\" (not in schema.fields)";
  return false;
}

Status CleanBuilder::Resolve(const ordered_json& j, const std::string& path, bool allow_ts,
                             int* out) const {
  std::string why;
  return Lookup(j.get<std::string>(), allow_ts, out, &why) ? Status::Ok() : Err(path, why);
}

Status CleanBuilder::ResolveList(const ordered_json& names, const std::string& path, bool allow_ts,
                                 std::vector<int>* out) const {
  for (size_t k = 0; k < names.size(); ++k) {
    int idx;
    Status s = Resolve(names[k], path + "/" + std::to_string(k), allow_ts, &idx);
    if (!s.ok()) return s;
    out->push_back(idx);
  }
  return Status::Ok();
}

Status CleanBuilder::ResolveTyped(const ordered_json& j, const std::string& path, bool want_float,
                                  const char* what, int* out) const {
  Status s = Resolve(j.at("field"), path + "/field", false, out);
  if (!s.ok()) return s;
  FieldType t = st_[*out].type;
  if (want_float ? t != FieldType::kFloat : !IsNum(t)) {
    return Err(path + "/field", std::string(what) + (want_float ? " needs a float field"
                                                                : " needs a numeric field"));
  }
  return Status::Ok();
}

Status CleanBuilder::ResolveBy(const ordered_json& j, const std::string& path, CleanOp* c) const {
  if (j.contains("max_keys")) c->max_keys = j["max_keys"].get<int64_t>();
  if (j.contains("by")) return ResolveList(j["by"], path + "/by", false, &c->by);
  for (const auto& k : spec_->keys) {  // the default key: schema.keys
    int idx = spec_->FieldIndex(k);
    if (idx >= 0) c->by.push_back(idx);
  }
  return Status::Ok();
}

Status CleanBuilder::RemoveField(int idx, const std::string& path) {
  st_[idx].emitted = false;
  st_[idx].removed_by = path;
  for (const auto& f : st_) {
    if (f.emitted) return Status::Ok();
  }
  return Err(path, "removes the last field; at least one field must be emitted");
}

// A literal from JSON: null, bool, number (int64 when integral and in range) or string.
bool JsonLiteral(const ordered_json& j, Value* v) {
  if (j.is_null())
    *v = std::monostate{};
  else if (j.is_boolean())
    *v = j.get<bool>();
  else if (j.is_number_integer() && !j.is_number_unsigned())
    *v = j.get<int64_t>();
  else if (j.is_number_unsigned() && j.get<uint64_t>() <= uint64_t(INT64_MAX))
    *v = j.get<int64_t>();
  else if (j.is_number())
    *v = j.get<double>();
  else if (j.is_string())
    *v = j.get<std::string>();
  else
    return false;
  return true;
}

const char* TypeNoun(const Value& v) {
  switch (v.index()) {
    case 0:
      return "null";
    case 1:
    case 2:
      return "a number";
    case 3:
      return "a string";
    default:
      return "a boolean";
  }
}

Status CleanBuilder::CheckCmp(CleanOp::Cond* c, const std::string& path,
                              const std::string& where) const {
  using Cond = CleanOp::Cond;
  const bool ordered =
      c->cmp == Cond::kLt || c->cmp == Cond::kLe || c->cmp == Cond::kGt || c->cmp == Cond::kGe;
  const std::string fname = c->field < 0 ? spec_->ts_field : st_[c->field].name;
  FieldType t = c->field < 0 ? FieldType::kInt : st_[c->field].type;
  for (Value& v : c->values) {
    if (IsNull(v)) {
      if (ordered) return Err(path, where + "null can only be compared with ==, != or in");
      continue;
    }
    if (c->field < 0 && std::holds_alternative<std::string>(v)) {
      auto ms = ParseIso8601Ms(std::get<std::string>(v));
      if (!ms) {
        return Err(path, where + "\"" + std::get<std::string>(v) +
                             "\" is not an ISO 8601 time (the timestamp compares with epoch ms or "
                             "an ISO 8601 string)");
      }
      v = *ms;
      continue;
    }
    bool ok = IsNum(t)                  ? IsNumeric(v)
              : t == FieldType::kString ? std::holds_alternative<std::string>(v)
                                        : std::holds_alternative<bool>(v);
    if (!ok) {
      return Err(path, where + "field \"" + fname + "\" is " +
                           (c->field < 0 ? "the timestamp" : FieldTypeName(t)) +
                           " and can't be compared with " + TypeNoun(v));
    }
    if (t == FieldType::kBool && ordered) {
      return Err(path,
                 where + "bool field \"" + fname + "\" can only be compared with ==, != or in");
    }
  }
  return Status::Ok();
}

bool ParseCmpName(const std::string& s, CleanOp::Cond::Cmp* cmp) {
  using Cond = CleanOp::Cond;
  static const std::pair<const char*, Cond::Cmp> kCmps[] = {
      {"==", Cond::kEq}, {"!=", Cond::kNe}, {"<", Cond::kLt},  {"<=", Cond::kLe},
      {">", Cond::kGt},  {">=", Cond::kGe}, {"in", Cond::kIn}, {"not_in", Cond::kNotIn}};
  for (const auto& [name, c] : kCmps) {
    if (s == name) {
      *cmp = c;
      return true;
    }
  }
  return false;
}

constexpr int kMaxCondDepth = 16;

Status CleanBuilder::ParseCond(const ordered_json& j, const std::string& path, int depth,
                               CleanOp::Cond* out) const {
  using Cond = CleanOp::Cond;
  if (depth > kMaxCondDepth) {
    return Err(path, "conditions nest more than " + std::to_string(kMaxCondDepth) + " levels deep");
  }
  if (j.contains("field")) {
    out->kind = Cond::kCmp;
    Status s = Resolve(j.at("field"), path + "/field", true, &out->field);
    if (!s.ok()) return s;
    ParseCmpName(j.at("cmp").get<std::string>(), &out->cmp);
    const auto& v = j.at("value");
    const bool list = out->cmp == Cond::kIn || out->cmp == Cond::kNotIn;
    if (list != v.is_array()) {
      return Err(path + "/value", list ? "must be an array for cmp \"in\" and \"not_in\""
                                       : "must not be an array (use cmp \"in\")");
    }
    for (const auto& item : list ? v : ordered_json::array({v})) {
      Value lit;
      if (!JsonLiteral(item, &lit))
        return Err(path + "/value", "must be a number, string, boolean or null");
      out->values.push_back(std::move(lit));
    }
    return CheckCmp(out, path + "/value", "");
  }
  if (j.contains("not")) {
    out->kind = Cond::kNot;
    out->children.resize(1);
    return ParseCond(j["not"], path + "/not", depth + 1, &out->children[0]);
  }
  const char* key = j.contains("all") ? "all" : "any";
  out->kind = j.contains("all") ? Cond::kAll : Cond::kAny;
  const auto& list = j.at(key);
  out->children.resize(list.size());
  for (size_t k = 0; k < list.size(); ++k) {
    Status s = ParseCond(list[k], path + "/" + key + "/" + std::to_string(k), depth + 1,
                         &out->children[k]);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

// The text form of `where`:
//   expr := and ("or" and)* ; and := unary ("and" unary)* ;
//   unary := "not" unary | "(" expr ")" | NAME op literal | NAME ["not"] "in" "(" literal (","
//   literal)* ")" op := "==" | "!=" | "<" | "<=" | ">" | ">=" ; literal := number | "string" | true
//   | false | null
class WhereParser {
 public:
  WhereParser(const CleanBuilder& b, const std::string& text, const std::string& path)
      : b_(b), s_(text), path_(path) {}

  Status Parse(CleanOp::Cond* out) {
    Status s = Or(out, 0);
    if (!s.ok()) return s;
    Ws();
    if (!AtEnd()) return Fail("unexpected \"" + Rest() + "\"");
    return Status::Ok();
  }

 private:
  using Cond = CleanOp::Cond;

  // The position of the next token.
  size_t Next() const {
    size_t p = pos_;
    while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\t' || s_[p] == '\n' || s_[p] == '\r')) ++p;
    return p;
  }
  Status Fail(const std::string& msg) const {
    return Err(path_, "at character " + std::to_string(Next() + 1) + ": " + msg);
  }
  bool AtEnd() const { return Next() >= s_.size(); }
  // The text from the next token on, shortened.
  std::string Rest() const {
    std::string r = s_.substr(Next(), 16);
    return Next() + 16 < s_.size() ? r + "..." : r;
  }
  void Ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  static bool IdentChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  // Reads a bare word (letters, digits, '_') without consuming it.
  std::string PeekWord() {
    Ws();
    size_t e = pos_;
    while (e < s_.size() && IdentChar(s_[e])) ++e;
    return s_.substr(pos_, e - pos_);
  }
  bool Keyword(const char* kw) {
    if (PeekWord() != kw) return false;
    pos_ += std::strlen(kw);
    return true;
  }
  bool Punct(const char* p) {
    Ws();
    if (s_.compare(pos_, std::strlen(p), p) != 0) return false;
    pos_ += std::strlen(p);
    return true;
  }

  Status Or(Cond* out, int depth) {
    Cond first;
    Status s = And(&first, depth);
    if (!s.ok()) return s;
    if (PeekWord() != "or") {
      *out = std::move(first);
      return Status::Ok();
    }
    out->kind = Cond::kAny;
    out->children.push_back(std::move(first));
    while (Keyword("or")) {
      out->children.emplace_back();
      s = And(&out->children.back(), depth);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  Status And(Cond* out, int depth) {
    Cond first;
    Status s = Unary(&first, depth);
    if (!s.ok()) return s;
    if (PeekWord() != "and") {
      *out = std::move(first);
      return Status::Ok();
    }
    out->kind = Cond::kAll;
    out->children.push_back(std::move(first));
    while (Keyword("and")) {
      out->children.emplace_back();
      s = Unary(&out->children.back(), depth);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  Status Unary(Cond* out, int depth) {
    if (depth >= kMaxCondDepth) {
      return Fail("conditions nest more than " + std::to_string(kMaxCondDepth) + " levels deep");
    }
    if (Keyword("not")) {
      out->kind = Cond::kNot;
      out->children.resize(1);
      return Unary(&out->children[0], depth + 1);
    }
    if (Punct("(")) {
      Status s = Or(out, depth + 1);
      if (!s.ok()) return s;
      if (!Punct(")"))
        return Fail(AtEnd() ? "expected \")\"" : "expected \")\" before \"" + Rest() + "\"");
      return Status::Ok();
    }
    return Comparison(out);
  }

  Status Comparison(Cond* out) {
    out->kind = Cond::kCmp;
    std::string name = PeekWord();
    const size_t start = pos_;
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
      return Fail(AtEnd() ? "expected a field name"
                          : "expected a field name, found \"" + Rest() + "\"");
    }
    pos_ += name.size();
    std::string why;
    if (!b_.Lookup(name, true, &out->field, &why)) {
      return Err(path_, "at character " + std::to_string(start + 1) + ": " + why);
    }
    const size_t op_pos = Next();
    bool list = false;
    if (Keyword("in")) {
      out->cmp = Cond::kIn;
      list = true;
    } else if (PeekWord() == "not") {
      Keyword("not");
      if (!Keyword("in")) return Fail("expected \"in\" after \"not\"");
      out->cmp = Cond::kNotIn;
      list = true;
    } else if (Punct("=="))
      out->cmp = Cond::kEq;
    else if (Punct("!="))
      out->cmp = Cond::kNe;
    else if (Punct("<="))
      out->cmp = Cond::kLe;
    else if (Punct(">="))
      out->cmp = Cond::kGe;
    else if (Punct("<"))
      out->cmp = Cond::kLt;
    else if (Punct(">"))
      out->cmp = Cond::kGt;
    else {
      return Fail(AtEnd() ? "expected a comparison (==, !=, <, <=, >, >=, in, not in)"
                          : "expected a comparison (==, !=, <, <=, >, >=, in, not in), found \"" +
                                Rest() + "\"");
    }
    if (list) {
      if (!Punct("(")) return Fail("expected \"(\" after \"in\"");
      do {
        out->values.emplace_back();
        Status s = Literal(&out->values.back());
        if (!s.ok()) return s;
      } while (Punct(","));
      if (!Punct(")")) return Fail("expected \",\" or \")\"");
    } else {
      out->values.emplace_back();
      Status s = Literal(&out->values.back());
      if (!s.ok()) return s;
    }
    return b_.CheckCmp(out, path_, "at character " + std::to_string(op_pos + 1) + ": ");
  }

  Status Literal(Value* v) {
    Ws();
    if (pos_ >= s_.size()) return Fail("expected a value");
    char c = s_[pos_];
    if (c == '"') {
      size_t e = pos_ + 1;
      while (e < s_.size() && s_[e] != '"') e += s_[e] == '\\' ? 2 : 1;
      if (e >= s_.size()) return Fail("unterminated string");
      nlohmann::json str = nlohmann::json::parse(s_.substr(pos_, e + 1 - pos_), nullptr, false);
      if (str.is_discarded() || !str.is_string()) return Fail("invalid string (JSON escapes only)");
      *v = str.get<std::string>();
      pos_ = e + 1;
      return Status::Ok();
    }
    if (Keyword("true"))
      *v = true;
    else if (Keyword("false"))
      *v = false;
    else if (Keyword("null"))
      *v = std::monostate{};
    else {
      size_t e = pos_;
      while (e < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[e])) || s_[e] == '-' ||
                               s_[e] == '+' || s_[e] == '.' || s_[e] == 'e' || s_[e] == 'E')) {
        ++e;
      }
      nlohmann::json num = e > pos_
                               ? nlohmann::json::parse(s_.substr(pos_, e - pos_), nullptr, false)
                               : nlohmann::json();
      if (e == pos_ || num.is_discarded() || !num.is_number()) {
        return Fail("expected a number, a \"string\", true, false or null, found \"" + Rest() +
                    "\"");
      }
      if (num.is_number_float() && !std::isfinite(num.get<double>()))
        return Fail("number out of range");
      if (num.is_number_integer() &&
          !(num.is_number_unsigned() && num.get<uint64_t>() > uint64_t(INT64_MAX))) {
        *v = num.get<int64_t>();
      } else {
        *v = num.get<double>();
      }
      pos_ = e;
    }
    return Status::Ok();
  }

  const CleanBuilder& b_;
  const std::string& s_;
  const std::string& path_;
  size_t pos_ = 0;
};

Status CleanBuilder::ParseWhereText(const std::string& text, const std::string& path,
                                    CleanOp::Cond* out) const {
  return WhereParser(*this, text, path).Parse(out);
}

Status CleanBuilder::Build(const ordered_json& clean) {
  for (size_t i = 0; i < clean.size(); ++i) {
    CleanOp c;
    Status s = BuildOne(clean[i], "/clean/" + std::to_string(i), &c);
    if (!s.ok()) return s;
    spec_->clean.push_back(std::move(c));
  }
  spec_->out_names.clear();
  spec_->emitted.clear();
  for (const auto& f : st_) {
    spec_->out_names.push_back(f.name);
    spec_->emitted.push_back(f.emitted);
  }
  return Status::Ok();
}

Status CleanBuilder::BuildOne(const ordered_json& j, const std::string& path, CleanOp* c) {
  const std::string op = j.at("op").get<std::string>();
  if (op == "drop_null") {
    c->kind = CleanOp::kDropNull;
    return ResolveList(j.at("fields"), path + "/fields", false, &c->fields);
  }
  if (op == "range") {
    c->kind = CleanOp::kRange;
    Status s = ResolveTyped(j, path, false, "range", &c->field);
    if (!s.ok()) return s;
    if (j.contains("min")) c->min = j["min"].get<double>();
    if (j.contains("max")) c->max = j["max"].get<double>();
    if (c->min && c->max && *c->min > *c->max) return Err(path + "/min", "min is greater than max");
    if (j.value("action", std::string("drop")) == "clamp") {
      c->action = CleanOp::kClamp;
      if (st_[c->field].type == FieldType::kInt) {
        for (const char* b : {"min", "max"}) {
          if (!j.contains(b)) continue;
          double d = j[b].get<double>();
          if (d != std::floor(d) || d < -9.2e18 || d > 9.2e18) {
            return Err(path + "/" + b, "clamping an int field needs integer bounds");
          }
        }
      }
    }
    return Status::Ok();
  }
  if (op == "convert") {
    c->kind = CleanOp::kConvert;
    Status s = ResolveTyped(j, path, true, "convert", &c->field);
    if (!s.ok()) return s;
    FieldState& f = st_[c->field];
    if (!j.contains("to")) {
      c->scale = j.value("scale", 1.0);
      c->offset = j.value("offset", 0.0);
      f.unit.clear();
      f.unit_cleared_by = path;
      return Status::Ok();
    }
    c->from_unit = f.unit;
    c->to_unit = j["to"].get<std::string>();
    if (c->from_unit.empty()) {
      return Err(path + "/field",
                 f.unit_cleared_by.empty()
                     ? "field \"" + f.name + "\" has no unit in schema.fields to convert from"
                     : "field \"" + f.name +
                           "\" has no unit to convert from after the scale/offset convert " +
                           f.unit_cleared_by);
    }
    if (!ConvertibleUnits(c->from_unit, c->to_unit)) {
      return Err(path + "/to", "cannot convert " + c->from_unit + " to " + c->to_unit);
    }
    f.unit = c->to_unit;
    return Status::Ok();
  }
  if (op == "dedup") {
    c->kind = CleanOp::kDedup;
    Status s = ResolveList(j.at("by"), path + "/by", true, &c->fields);
    if (!s.ok()) return s;
    c->horizon_ms = *ParseDurationMs(j.value("horizon", std::string("10m")));
    return Status::Ok();
  }
  if (op == "cast") {
    c->kind = CleanOp::kCast;
    Status s = Resolve(j.at("field"), path + "/field", false, &c->field);
    if (!s.ok()) return s;
    ParseFieldType(j.at("to").get<std::string>(), &c->to_type);
    c->null_on_error = j.value("on_error", std::string("reject")) == "null";
    FieldState& f = st_[c->field];
    f.type = c->to_type;
    if (!IsNum(f.type)) f.unit.clear();
    return Status::Ok();
  }
  if (op == "fill") {
    c->kind = CleanOp::kFill;
    Status s = ResolveList(j.at("fields"), path + "/fields", false, &c->fields);
    if (!s.ok()) return s;
    const std::string method = j.at("method").get<std::string>();
    c->method = method == "constant"   ? CleanOp::kConstant
                : method == "previous" ? CleanOp::kPrevious
                                       : CleanOp::kLinear;
    if (c->method == CleanOp::kConstant) {
      JsonLiteral(j.at("value"), &c->value);
      for (size_t k = 0; k < c->fields.size(); ++k) {
        const FieldState& f = st_[c->fields[k]];
        bool ok = f.type == FieldType::kFloat    ? IsNumeric(c->value)
                  : f.type == FieldType::kInt    ? std::holds_alternative<int64_t>(c->value)
                  : f.type == FieldType::kString ? std::holds_alternative<std::string>(c->value)
                                                 : std::holds_alternative<bool>(c->value);
        if (!ok) {
          return Err(path + "/value", std::string("must be ") +
                                          (f.type == FieldType::kFloat    ? "a number"
                                           : f.type == FieldType::kInt    ? "an integer"
                                           : f.type == FieldType::kString ? "a string"
                                                                          : "a boolean") +
                                          " to fill " + FieldTypeName(f.type) + " field \"" +
                                          f.name + "\"");
        }
      }
      return Status::Ok();  // an integer for a float field becomes a float when filled
    }
    c->drop_unfilled = j.value("unfilled", std::string("keep")) == "drop";
    if (c->method == CleanOp::kLinear) {
      c->max_gap = j.value("max_gap", c->max_gap);
      for (size_t k = 0; k < c->fields.size(); ++k) {
        if (st_[c->fields[k]].type != FieldType::kFloat) {
          return Err(path + "/fields/" + std::to_string(k), "linear fill needs a float field");
        }
      }
    }
    return ResolveBy(j, path, c);
  }
  if (op == "outlier") {
    c->kind = CleanOp::kOutlier;
    Status s = ResolveTyped(j, path, true, "outlier", &c->field);
    if (!s.ok()) return s;
    const std::string method = j.at("method").get<std::string>();
    c->method = method == "zscore" ? CleanOp::kZScore
                : method == "mad"  ? CleanOp::kMad
                                   : CleanOp::kHampel;
    c->window = j.value("window", c->window);
    c->threshold = j.value("threshold", c->threshold);
    c->min_samples = j.value("min_samples", std::min<int64_t>(5, c->window));
    if (c->min_samples > c->window) {
      return Err(path + "/min_samples",
                 "must not be greater than window (" + std::to_string(c->window) + ")");
    }
    const std::string action = j.value("action", std::string("drop"));
    c->action = action == "drop"   ? CleanOp::kDropRecord
                : action == "null" ? CleanOp::kNullValue
                                   : CleanOp::kClamp;
    return ResolveBy(j, path, c);
  }
  if (op == "rename") {
    c->kind = CleanOp::kRename;
    std::vector<std::string> keys;
    for (const auto& [from, to] : j.at("fields").items()) {
      int idx;
      Status s = Resolve(ordered_json(from), path + "/fields/" + from, false, &idx);
      if (!s.ok()) return s;
      c->renames.emplace_back(idx, to.get<std::string>());
      keys.push_back(from);
    }
    for (const auto& [idx, to] : c->renames) {
      st_[idx].name = to;
      st_[idx].renamed_by = path;
    }
    for (size_t k = 0; k < c->renames.size(); ++k) {
      const auto& [idx, to] = c->renames[k];
      if (to == spec_->ts_field) {
        return Err(path + "/fields/" + keys[k], "\"" + to + "\" is the timestamp field's name");
      }
      for (size_t i = 0; i < st_.size(); ++i) {
        if (static_cast<int>(i) != idx && st_[i].emitted && st_[i].name == to) {
          return Err(path + "/fields/" + keys[k],
                     "\"" + to + "\" is already the name of another field");
        }
      }
    }
    return Status::Ok();
  }
  if (op == "select" || op == "drop") {
    c->kind = op == "select" ? CleanOp::kSelect : CleanOp::kDrop;
    std::vector<int> listed;
    const auto& fs = j.at("fields");
    for (size_t k = 0; k < fs.size(); ++k) {
      int idx;
      Status s = Resolve(fs[k], path + "/fields/" + std::to_string(k), true, &idx);
      if (!s.ok()) return s;
      if (idx < 0 && c->kind == CleanOp::kDrop) {
        return Err(path + "/fields/" + std::to_string(k), "the timestamp field is always emitted");
      }
      if (idx >= 0) listed.push_back(idx);
    }
    for (size_t i = 0; i < st_.size(); ++i) {
      if (!st_[i].emitted) continue;
      bool in = std::find(listed.begin(), listed.end(), static_cast<int>(i)) != listed.end();
      if (in != (c->kind == CleanOp::kSelect)) c->fields.push_back(static_cast<int>(i));
    }
    for (int idx : c->fields) {
      Status s = RemoveField(idx, path);
      if (!s.ok()) return Err(path + "/fields", "no field would be left to emit");
    }
    return Status::Ok();
  }
  if (op == "redact") {
    c->kind = CleanOp::kRedact;
    Status s = ResolveList(j.at("fields"), path + "/fields", false, &c->fields);
    if (!s.ok()) return s;
    if (j.at("action").get<std::string>() == "hash") {
      c->action = CleanOp::kHash;
      c->key_env = j.at("key_env").get<std::string>();
      c->hash_length = j.value("length", c->hash_length);
      for (int idx : c->fields) {
        st_[idx].type = FieldType::kString;
        st_[idx].unit.clear();
      }
      return Status::Ok();
    }
    c->action = CleanOp::kNullValue;  // "drop": the values go, not the record
    for (int idx : c->fields) {
      s = RemoveField(idx, path);
      if (!s.ok()) return Err(path + "/fields", "no field would be left to emit");
    }
    return Status::Ok();
  }
  if (op == "filter") {
    c->kind = CleanOp::kFilter;
    const auto& w = j.at("where");
    if (w.is_string()) return ParseWhereText(w.get<std::string>(), path + "/where", &c->where);
    return ParseCond(w, path + "/where", 1, &c->where);
  }
  // round
  c->kind = CleanOp::kRound;
  Status s = ResolveTyped(j, path, true, "round", &c->field);
  if (!s.ok()) return s;
  c->digits = j.value("digits", 0);
  return Status::Ok();
}

}  // namespace

Status BuildClean(const ordered_json& clean, JobSpec* spec) {
  return CleanBuilder(spec).Build(clean);
}

}  // namespace job_spec_internal
}  // namespace edgeline
