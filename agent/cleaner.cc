#include "agent/cleaner.h"

#include <cstdio>

namespace edgeline {

double ConvertUnit(double v, const std::string& from, const std::string& to) {
  if (from == to) return v;
  double c = from == "degC" ? v : from == "degF" ? (v - 32) * 5 / 9 : v - 273.15;
  if (to == "degC") return c;
  if (to == "degF") return c * 9 / 5 + 32;
  return c + 273.15;
}

Cleaner::Cleaner(const JobSpec& spec) : spec_(spec), dedup_(spec.clean.size()) {}

namespace {
void AppendKeyPart(const Value& v, std::string* key) {
  // A type tag keeps "1" (string) and 1 (number) apart; '\x1f' separates parts.
  char buf[32];
  switch (v.index()) {
    case 0: *key += "n"; break;
    case 1: std::snprintf(buf, sizeof(buf), "d%.17g", std::get<double>(v)); *key += buf; break;
    case 2: *key += "i" + std::to_string(std::get<int64_t>(v)); break;
    case 3: *key += "s" + std::get<std::string>(v); break;
    case 4: *key += std::get<bool>(v) ? "bt" : "bf"; break;
  }
  *key += '\x1f';
}
}  // namespace

bool Cleaner::IsDuplicate(const CleanOp& op, DedupState* st, const Record& r) {
  std::string key;
  for (int idx : op.fields) {
    if (idx < 0) {
      key += "t" + std::to_string(r.ts_ms) + '\x1f';
    } else {
      AppendKeyPart(r.values[idx], &key);
    }
  }
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

const char* Cleaner::Apply(Record* r) {
  for (size_t i = 0; i < spec_.clean.size(); ++i) {
    const CleanOp& op = spec_.clean[i];
    switch (op.kind) {
      case CleanOp::kDropNull:
        for (int idx : op.fields) {
          if (IsNull(r->values[idx])) return "drop_null";
        }
        break;
      case CleanOp::kRange: {
        const Value& v = r->values[op.field];
        if (IsNull(v)) break;
        double d = AsDouble(v);
        if ((op.min && d < *op.min) || (op.max && d > *op.max)) return "range";
        break;
      }
      case CleanOp::kConvert: {
        Value& v = r->values[op.field];
        if (!IsNull(v)) v = ConvertUnit(AsDouble(v), op.from_unit, op.to_unit);
        break;
      }
      case CleanOp::kDedup:
        if (IsDuplicate(op, &dedup_[i], *r)) return "dedup";
        break;
    }
  }
  return nullptr;
}

}  // namespace edgeline
