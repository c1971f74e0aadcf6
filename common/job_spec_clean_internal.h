// Internal to the clean section of the job spec parser: common/job_spec_clean.cc (the ops)
// and common/job_spec_filter.cc (the `filter` op's conditions).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/job_spec_internal.h"

namespace edgeline::job_spec_internal {

using nlohmann::ordered_json;

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

inline bool IsNum(FieldType t) { return t == FieldType::kFloat || t == FieldType::kInt; }
// A literal from JSON: null, bool, number (int64 when integral and in range) or string.
bool JsonLiteral(const ordered_json& j, Value* v);

}  // namespace edgeline::job_spec_internal
