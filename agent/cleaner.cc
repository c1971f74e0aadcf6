#include "agent/cleaner.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <string>

#include "agent/cast.h"
#include "agent/clean_filter.h"

namespace edgeline {

Cleaner::Cleaner(const JobSpec& spec)
    : spec_(spec),
      dedup_(spec.clean.size()),
      fill_(spec.clean.size()),
      outlier_(spec.clean.size()),
      redact_(spec.clean.size()),
      quick_(spec.clean.size()) {
  // The type of each field as the ops before op i leave it.
  std::vector<FieldType> types;
  for (const auto& f : spec.fields) types.push_back(f.type);
  for (size_t i = 0; i < spec.clean.size(); ++i) {
    const CleanOp& op = spec.clean[i];
    QuickCheck& q = quick_[i];
    switch (op.kind) {
      case CleanOp::kDropNull:
        q.kind = QuickCheck::kNotNull;
        q.begin = static_cast<uint32_t>(quick_fields_.size());
        quick_fields_.insert(quick_fields_.end(), op.fields.begin(), op.fields.end());
        q.end = static_cast<uint32_t>(quick_fields_.size());
        break;
      case CleanOp::kRange:
        q.kind = QuickCheck::kWithin;
        q.field = op.field;
        q.min = op.min.value_or(-std::numeric_limits<double>::infinity());
        q.max = op.max.value_or(std::numeric_limits<double>::infinity());
        break;
      case CleanOp::kFill: {
        all_quick_ = false;
        std::vector<FieldType> ft;
        for (int idx : op.fields) ft.push_back(types[idx]);
        fill_[i] = std::make_unique<FillOp>(op, ft);
        break;
      }
      case CleanOp::kOutlier:
        outlier_[i] = std::make_unique<OutlierOp>(op);
        break;
      case CleanOp::kRedact:
        redact_[i] = std::make_unique<RedactOp>(op, "/clean/" + std::to_string(i), &status_);
        if (op.action == CleanOp::kHash) {
          for (int idx : op.fields) types[idx] = FieldType::kString;
        }
        break;
      case CleanOp::kCast:
        types[op.field] = op.to_type;
        break;
      default:
        break;
    }
    if (q.kind == QuickCheck::kOther) all_quick_ = false;
  }
}

void Cleaner::QuickKeep(const Record* records, size_t n, uint8_t* keep) const {
  std::fill(keep, keep + n, uint8_t{1});
  for (const QuickCheck& q : quick_) {
    if (q.kind == QuickCheck::kNotNull) {
      for (uint32_t f = q.begin; f < q.end; ++f) {
        const size_t field = static_cast<size_t>(quick_fields_[f]);
        for (size_t k = 0; k < n; ++k) keep[k] &= !IsNull(records[k].values[field]);
      }
    } else if (q.kind == QuickCheck::kWithin) {
      const size_t field = static_cast<size_t>(q.field);
      for (size_t k = 0; k < n; ++k) {
        const Value& x = records[k].values[field];
        const double* d = std::get_if<double>(&x);
        keep[k] &= IsNull(x) || (d != nullptr && !(*d < q.min) && !(*d > q.max));
      }
    }
  }
}

Cleaner::~Cleaner() = default;

bool Cleaner::IsDuplicate(const CleanOp& op, DedupState* st, const Record& r) {
  std::string key = RecordKey(r, op.fields);
  // Evict keys that no record at or after max_ts - horizon can match any more. Records
  // may arrive out of order, so an evicted key could have matched a much older record;
  // that is the documented bound of the horizon.
  if (r.ts_ms > st->max_ts) st->max_ts = r.ts_ms;
  while (!st->order.empty() && st->order.front().first < st->max_ts - op.horizon_ms) {
    auto it = st->last_seen.find(st->order.front().second);
    if (it != st->last_seen.end() && it->second == st->order.front().first) st->last_seen.erase(it);
    st->order.pop_front();
  }
  auto it = st->last_seen.find(key);
  if (it != st->last_seen.end()) {
    int64_t d = r.ts_ms - it->second;
    if (d <= op.horizon_ms && d >= -op.horizon_ms) return true;
  }
  st->last_seen[key] = r.ts_ms;
  st->order.emplace_back(r.ts_ms, key);
  return false;
}

const char* Cleaner::ApplyOp(size_t i, Record* r, CleanTally* t) {
  const CleanOp& op = spec_.clean[i];
  switch (op.kind) {
    case CleanOp::kDropNull:
      for (int idx : op.fields) {
        if (IsNull(r->values[idx])) return "drop_null";
      }
      return nullptr;
    case CleanOp::kRange: {
      Value& v = r->values[op.field];
      if (IsNull(v)) return nullptr;
      const double d = AsDouble(v);
      const bool low = op.min && d < *op.min;
      const bool high = op.max && d > *op.max;
      if (!low && !high) return nullptr;
      if (op.action != CleanOp::kClamp) return "range";
      const double bound = low ? *op.min : *op.max;
      if (std::holds_alternative<int64_t>(v)) {
        v = static_cast<int64_t>(bound);
      } else {
        v = bound;
      }
      t->Repair("range_clamped");
      return nullptr;
    }
    case CleanOp::kConvert: {
      Value& v = r->values[op.field];
      if (IsNull(v)) return nullptr;
      v = op.to_unit.empty() ? AsDouble(v) * op.scale + op.offset
                             : ConvertUnit(AsDouble(v), op.from_unit, op.to_unit);
      return nullptr;
    }
    case CleanOp::kDedup:
      return IsDuplicate(op, &dedup_[i], *r) ? "dedup" : nullptr;
    case CleanOp::kCast: {
      Value& v = r->values[op.field];
      Value cast;
      if (RecastValue(v, op.to_type, &cast)) {
        v = std::move(cast);
        return nullptr;
      }
      if (!op.null_on_error) return "cast";
      v = std::monostate{};
      t->Repair("cast_nulled");
      return nullptr;
    }
    case CleanOp::kFill:
      if (op.method == CleanOp::kLinear) return nullptr;  // Run handles it
      return fill_[i]->Apply(r, t);
    case CleanOp::kOutlier:
      return outlier_[i]->Apply(r, t);
    case CleanOp::kRedact:
      redact_[i]->Apply(r);
      return nullptr;
    case CleanOp::kFilter:
      return EvalCond(op.where, *r) ? nullptr : "filter";
    case CleanOp::kRound: {
      Value& v = r->values[op.field];
      if (std::holds_alternative<double>(v)) v = RoundHalfAway(std::get<double>(v), op.digits);
      return nullptr;
    }
    case CleanOp::kRename:
    case CleanOp::kSelect:
    case CleanOp::kDrop:
      return nullptr;  // resolved when the spec was parsed
  }
  return nullptr;
}

void Cleaner::Run(size_t from, Record r, std::vector<Record>* out, CleanTally* t) {
  for (size_t i = from; i < spec_.clean.size(); ++i) {
    if (IsLinearFill(i)) {
      std::vector<Record> next;
      fill_[i]->Push(std::move(r), &next, t);
      for (Record& n : next) Run(i + 1, std::move(n), out, t);
      return;
    }
    if (const char* reason = ApplyOp(i, &r, t)) {
      t->Drop(reason);
      return;
    }
  }
  out->push_back(std::move(r));
}

int64_t Cleaner::Push(Record r, std::vector<Record>* out, ReasonCounts* drops,
                      ReasonCounts* repairs) {
  CleanTally t{drops, repairs};
  Run(0, std::move(r), out, &t);
  return t.dropped;
}

int64_t Cleaner::Drain(std::vector<Record>* out, ReasonCounts* drops, ReasonCounts* repairs) {
  CleanTally t{drops, repairs};
  // In op order, so records one fill releases and a later one holds are released too.
  for (size_t i = 0; i < spec_.clean.size(); ++i) {
    if (!IsLinearFill(i)) continue;
    std::vector<Record> next;
    fill_[i]->Drain(&next, &t);
    for (Record& n : next) Run(i + 1, std::move(n), out, &t);
  }
  return t.dropped;
}

bool Cleaner::HoldsRecords() const {
  for (size_t i = 0; i < spec_.clean.size(); ++i) {
    if (IsLinearFill(i)) return true;
  }
  return false;
}

size_t Cleaner::held() const {
  size_t n = 0;
  for (const auto& f : fill_) {
    if (f) n += f->held();
  }
  return n;
}

const char* Cleaner::ApplyFrom(size_t from, Record* r, ReasonCounts* repairs) {
  CleanTally t{nullptr, repairs};
  for (size_t i = from; i < spec_.clean.size(); ++i) {
    if (const char* reason = ApplyOp(i, r, &t)) return reason;
  }
  return nullptr;
}

nlohmann::json Cleaner::SaveState() const {
  nlohmann::json fill = nlohmann::json::object();
  for (size_t i = 0; i < fill_.size(); ++i) {
    if (!fill_[i]) continue;
    nlohmann::json st = fill_[i]->SaveState();
    if (!st["keys"].empty()) fill[std::to_string(i)] = std::move(st);
  }
  if (fill.empty()) return nullptr;
  return {{"fill", std::move(fill)}};
}

Status Cleaner::RestoreState(const nlohmann::json& state) {
  if (state.is_null()) return Status::Ok();
  Status s;
  if (!state.is_object() || !state.contains("fill") || !state["fill"].is_object()) {
    s = Status::Error("malformed clean state");
  } else {
    for (const auto& [index, st] : state["fill"].items()) {
      const size_t i = std::strtoul(index.c_str(), nullptr, 10);
      if (i >= fill_.size() || !fill_[i] || std::to_string(i) != index) {
        s = Status::Error("clean state for op " + index + ", which is no fill op");
        break;
      }
      if (!fill_[i]->RestoreState(st, spec_.fields.size())) {
        s = Status::Error("malformed state of clean op " + index);
        break;
      }
    }
  }
  if (!s.ok()) {
    for (auto& f : fill_) {
      if (f) f->Clear();
    }
  }
  return s;
}

}  // namespace edgeline
