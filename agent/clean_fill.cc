#include "agent/clean_fill.h"

#include <algorithm>

#include "common/record_json.h"

namespace edgeline {

FillOp::FillOp(const CleanOp& op, const std::vector<FieldType>& types)
    : op_(op), types_(types), keys_(static_cast<size_t>(op.max_keys)) {
  types_.resize(op_.fields.size(), FieldType::kFloat);
}

const char* FillOp::Apply(Record* r, CleanTally* t) {
  const size_t n = op_.fields.size();
  if (op_.method == CleanOp::kConstant) {
    for (size_t f = 0; f < n; ++f) {
      Value& v = r->values[op_.fields[f]];
      if (!IsNull(v)) continue;
      if (types_[f] == FieldType::kFloat && std::holds_alternative<int64_t>(op_.value)) {
        v = static_cast<double>(std::get<int64_t>(op_.value));
      } else {
        v = op_.value;
      }
      t->Repair("fill_constant");
    }
    return nullptr;
  }
  // previous
  Key& k = keys_.Get(RecordKey(*r, op_.by));
  if (k.last.size() != n) k.last.resize(n);
  bool unfilled = false;
  for (size_t f = 0; f < n; ++f) {
    Value& v = r->values[op_.fields[f]];
    if (!IsNull(v)) {
      k.last[f] = v;
    } else if (!IsNull(k.last[f])) {
      v = k.last[f];
      t->Repair("fill_previous");
    } else {
      unfilled = true;
    }
  }
  return unfilled && op_.drop_unfilled ? "fill" : nullptr;
}

void FillOp::Interpolate(Key* k, size_t f, int64_t ts, double v, CleanTally* t) {
  const Anchor a = k->anchor[f];
  const int64_t n = k->gap[f];
  int64_t j = 0;
  for (Held& h : k->queue) {
    if (!h.pending[f]) continue;
    ++j;
    double x;
    if (ts > a.ts) {  // by event time, clamped to the two anchors
      int64_t at = std::min(std::max(h.r.ts_ms, a.ts), ts);
      x = a.v + (v - a.v) * static_cast<double>(at - a.ts) / static_cast<double>(ts - a.ts);
    } else {  // no time between the anchors: evenly by position
      x = a.v + (v - a.v) * static_cast<double>(j) / static_cast<double>(n + 1);
    }
    h.r.values[op_.fields[f]] = x;
    h.pending[f] = 0;
    --h.npending;
    t->Repair("fill_linear");
  }
}

void FillOp::GiveUp(Key* k, size_t f) {
  for (Held& h : k->queue) {
    if (!h.pending[f]) continue;
    h.pending[f] = 0;
    --h.npending;
    if (op_.drop_unfilled) h.drop = true;
  }
  k->anchor[f].set = false;
  k->gap[f] = 0;
}

void FillOp::Release(Key* k, bool all, std::vector<Record>* out, CleanTally* t) {
  if (all) {
    for (size_t f = 0; f < k->gap.size(); ++f) {
      if (k->gap[f] > 0) GiveUp(k, f);
    }
  }
  while (!k->queue.empty() && k->queue.front().npending == 0) {
    Held& h = k->queue.front();
    if (h.drop) {
      t->Drop("fill");
    } else {
      out->push_back(std::move(h.r));
    }
    k->queue.pop_front();
    --held_;
  }
}

void FillOp::Push(Record r, std::vector<Record>* out, CleanTally* t) {
  const size_t n = op_.fields.size();
  Key& k = keys_.Get(RecordKey(r, op_.by), [&](Key& evicted) { Release(&evicted, true, out, t); });
  if (k.anchor.size() != n) {
    k.anchor.resize(n);
    k.gap.assign(n, 0);
  }
  Held h;
  h.pending.assign(n, 0);
  for (size_t f = 0; f < n; ++f) {
    const Value& v = r.values[op_.fields[f]];
    if (!IsNull(v)) {
      const double x = AsDouble(v);
      if (k.gap[f] > 0) Interpolate(&k, f, r.ts_ms, x, t);
      k.anchor[f] = Anchor{true, r.ts_ms, x};
      k.gap[f] = 0;
    } else if (k.anchor[f].set && k.gap[f] < op_.max_gap) {
      h.pending[f] = 1;
      ++h.npending;
      ++k.gap[f];
    } else {
      // Nothing before it, or the gap just grew beyond max_gap: the whole gap stays
      // unfilled, and so does every null up to the next value.
      if (k.anchor[f].set) GiveUp(&k, f);
      if (op_.drop_unfilled) h.drop = true;
    }
  }
  if (k.queue.empty() && h.npending == 0) {
    if (h.drop) {
      t->Drop("fill");
    } else {
      out->push_back(std::move(r));
    }
    return;
  }
  h.r = std::move(r);
  k.queue.push_back(std::move(h));
  ++held_;
  Release(&k, false, out, t);
}

void FillOp::Drain(std::vector<Record>* out, CleanTally* t) {
  keys_.ForEach([&](Key& k) { Release(&k, true, out, t); });
}

// State JSON: {"keys": [[key, {"last": [values], "anchor": [[set, ts, v], ...],
// "gap": [n, ...], "queue": [[record, [pending 0/1, ...], drop], ...]}], ...]}, keys least
// recently used first; empty members left out.
nlohmann::json FillOp::SaveState() const {
  nlohmann::json keys = nlohmann::json::array();
  keys_.ForEachKey([&](const std::string& key, const Key& k) {
    nlohmann::json st = nlohmann::json::object();
    if (!k.last.empty()) {
      nlohmann::json& last = st["last"] = nlohmann::json::array();
      for (const Value& v : k.last) last.push_back(ValueJson(v));
    }
    if (!k.anchor.empty()) {
      nlohmann::json& anchor = st["anchor"] = nlohmann::json::array();
      for (const Anchor& a : k.anchor) anchor.push_back({a.set, a.ts, ValueJson(a.v)});
      st["gap"] = k.gap;
    }
    if (!k.queue.empty()) {
      nlohmann::json& queue = st["queue"] = nlohmann::json::array();
      for (const Held& h : k.queue) {
        std::vector<int> pending(h.pending.begin(), h.pending.end());
        queue.push_back({RecordJson(h.r), pending, h.drop});
      }
    }
    keys.push_back({key, std::move(st)});
  });
  return {{"keys", std::move(keys)}};
}

void FillOp::Clear() {
  keys_ = LruStates<Key>(static_cast<size_t>(op_.max_keys));
  held_ = 0;
}

bool FillOp::RestoreState(const nlohmann::json& state, size_t num_values) {
  Clear();
  const size_t n = op_.fields.size();
  auto fail = [this] {
    Clear();
    return false;
  };
  if (!state.is_object() || !state.contains("keys") || !state["keys"].is_array()) return fail();
  for (const auto& entry : state["keys"]) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_object()) {
      return fail();
    }
    Key& k = keys_.Get(entry[0].get<std::string>());
    const nlohmann::json& st = entry[1];
    if (st.contains("last")) {
      if (!st["last"].is_array() || st["last"].size() != n) return fail();
      k.last.resize(n);
      for (size_t f = 0; f < n; ++f) {
        if (!JsonValue(st["last"][f], &k.last[f])) return fail();
      }
    }
    if (st.contains("anchor")) {
      const nlohmann::json& anchor = st["anchor"];
      const nlohmann::json& gap = st.value("gap", nlohmann::json());
      if (!anchor.is_array() || anchor.size() != n || !gap.is_array() || gap.size() != n) {
        return fail();
      }
      k.anchor.resize(n);
      k.gap.resize(n);
      for (size_t f = 0; f < n; ++f) {
        const nlohmann::json& a = anchor[f];
        Value v;
        if (!a.is_array() || a.size() != 3 || !a[0].is_boolean() || !a[1].is_number_integer() ||
            !JsonValue(a[2], &v) || !std::holds_alternative<double>(v) ||
            !gap[f].is_number_integer()) {
          return fail();
        }
        k.anchor[f] = Anchor{a[0].get<bool>(), a[1].get<int64_t>(), std::get<double>(v)};
        k.gap[f] = gap[f].get<int64_t>();
      }
    }
    if (st.contains("queue")) {
      if (!st["queue"].is_array() || k.anchor.size() != n) return fail();
      for (const auto& q : st["queue"]) {
        Held h;
        if (!q.is_array() || q.size() != 3 || !JsonRecord(q[0], &h.r) ||
            h.r.values.size() != num_values || !q[1].is_array() || q[1].size() != n ||
            !q[2].is_boolean()) {
          return fail();
        }
        h.pending.assign(n, 0);
        for (size_t f = 0; f < n; ++f) {
          if (!q[1][f].is_number_integer()) return fail();
          h.pending[f] = q[1][f].get<int>() != 0;
          h.npending += h.pending[f];
        }
        h.drop = q[2].get<bool>();
        k.queue.push_back(std::move(h));
        ++held_;
      }
    }
  }
  return true;
}

}  // namespace edgeline
