// The `filter` op's conditions in a job spec (docs/job-spec.md#filter): the JSON form and
// the text form of `where`, checked against the fields' types as the ops before leave them.
// Part of the clean section's parser (common/job_spec_clean.cc).
#include <cmath>

#include "common/job_spec_clean_internal.h"
#include "common/time_util.h"

namespace edgeline {
namespace job_spec_internal {

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

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

Status CleanBuilder::ParseWhereText(const std::string& text, const std::string& path,
                                    CleanOp::Cond* out) const {
  return WhereParser(*this, text, path).Parse(out);
}

}  // namespace job_spec_internal
}  // namespace edgeline
