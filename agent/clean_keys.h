// Shared pieces of the clean ops (agent/cleaner.h): the tally of drops and repairs by
// reason, record keys, and per-key state bounded by a least-recently-used key cap.
#pragma once

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <list>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/record.h"

namespace edgeline {

using ReasonCounts = std::map<std::string, int64_t>;

// What the ops did during one Cleaner call. `drops` counts dropped records by reason,
// `repairs` repaired values by reason; either may be null (not counted).
struct CleanTally {
  ReasonCounts* drops = nullptr;
  ReasonCounts* repairs = nullptr;
  int64_t dropped = 0;

  void Drop(const char* reason) {
    ++dropped;
    if (drops) ++(*drops)[reason];
  }
  void Repair(const char* reason) {
    if (repairs) ++(*repairs)[reason];
  }
};

// Appends one value to a key, type-tagged so that "1" (string) and 1 (number) differ;
// '\x1f' separates the parts.
inline void AppendKeyPart(const Value& v, std::string* key) {
  char buf[32];
  switch (v.index()) {
    case 0:
      *key += "n";
      break;
    case 1:
      std::snprintf(buf, sizeof(buf), "d%.17g", std::get<double>(v));
      *key += buf;
      break;
    case 2:
      *key += "i" + std::to_string(std::get<int64_t>(v));
      break;
    case 3:
      *key += "s" + std::get<std::string>(v);
      break;
    case 4:
      *key += std::get<bool>(v) ? "bt" : "bf";
      break;
  }
  *key += '\x1f';
}

// The key of a record: the listed fields' values in order (-1 = the event time). An
// empty list gives the one key "".
inline std::string RecordKey(const Record& r, const std::vector<int>& fields) {
  std::string key;
  for (int idx : fields) {
    if (idx < 0) {
      key += "t" + std::to_string(r.ts_ms) + '\x1f';
    } else {
      AppendKeyPart(r.values[idx], &key);
    }
  }
  return key;
}

// A State per key, at most max_keys of them: adding a key beyond that evicts the least
// recently used one (Get counts as a use).
template <typename State>
class LruStates {
 public:
  explicit LruStates(size_t max_keys) : max_keys_(max_keys > 0 ? max_keys : 1) {}

  // The state of `key`, default-constructed when new. If a new key needs room, the least
  // recently used state is passed to on_evict(State&) and then destroyed.
  template <typename OnEvict>
  State& Get(const std::string& key, OnEvict&& on_evict) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      lru_.splice(lru_.end(), lru_, it->second);
      return it->second->second;
    }
    if (index_.size() >= max_keys_) {
      on_evict(lru_.front().second);
      index_.erase(lru_.front().first);
      lru_.pop_front();
    }
    lru_.emplace_back(key, State());
    auto last = std::prev(lru_.end());
    index_.emplace(key, last);
    return last->second;
  }
  State& Get(const std::string& key) {
    return Get(key, [](State&) {});
  }

  size_t size() const { return index_.size(); }
  // Calls f(State&) for every key, least recently used first.
  template <typename F>
  void ForEach(F&& f) {
    for (auto& entry : lru_) f(entry.second);
  }
  // Calls f(key, const State&) for every key, least recently used first: calling Get for
  // the keys in this order rebuilds the same order.
  template <typename F>
  void ForEachKey(F&& f) const {
    for (const auto& entry : lru_) f(entry.first, entry.second);
  }

 private:
  using List = std::list<std::pair<std::string, State>>;
  size_t max_keys_;
  List lru_;
  std::unordered_map<std::string, typename List::iterator> index_;
};

}  // namespace edgeline
