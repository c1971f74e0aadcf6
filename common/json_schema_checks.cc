// The validator's checks of objects, arrays and anyOf/oneOf.
#include <algorithm>
#include <cstdint>
#include <map>

#include "common/json_schema_internal.h"

namespace edgeline {
namespace json_schema_internal {

void Validator::CheckObject(const json& s, const json& v, Loc loc, Sink* sink) {
  const std::string& path = *loc.path;
  auto end = s.end();
  auto it = s.find("required");
  if (it != end && it->is_array()) {
    for (const json& key : *it) {
      if (key.is_string() && !v.contains(key.get_ref<const std::string&>())) {
        sink->Add(path + "/" + EscapeJsonPointerToken(key.get<std::string>()), "is required");
      }
    }
  }
  it = s.find("dependentRequired");
  if (it != end && it->is_object()) {
    for (auto dep = it->begin(); dep != it->end(); ++dep) {
      if (!v.contains(dep.key()) || !dep->is_array()) continue;
      for (const json& key : *dep) {
        if (key.is_string() && !v.contains(key.get_ref<const std::string&>())) {
          sink->Add(path + "/" + EscapeJsonPointerToken(key.get<std::string>()),
                    "is required when \"" + dep.key() + "\" is present");
        }
      }
    }
  }
  size_t limit = 0;
  if (GetCount(s, "minProperties", &limit) && v.size() < limit) {
    sink->Add(path, "must have at least " + Count(limit, "property", "properties"));
  }
  if (GetCount(s, "maxProperties", &limit) && v.size() > limit) {
    sink->Add(path, "must have at most " + Count(limit, "property", "properties"));
  }
  auto props = s.find("properties");
  auto pattern_props = s.find("patternProperties");
  auto additional = s.find("additionalProperties");
  auto names = s.find("propertyNames");
  for (auto field = v.begin(); field != v.end() && !sink->Full(); ++field) {
    const std::string& key = field.key();
    bool known = false;
    if (props != end && props->is_object()) {
      auto p = props->find(key);
      if (p != props->end()) {
        known = true;
        Descend(*p, *field, key, loc, sink);
      }
    }
    if (pattern_props != end && pattern_props->is_object()) {
      for (auto p = pattern_props->begin(); p != pattern_props->end(); ++p) {
        const CompiledPattern* re = Pattern(p.key());
        if (re && Matches(*re, key) == 1) {
          known = true;
          Descend(p.value(), *field, key, loc, sink);
        }
      }
    }
    if (!known && additional != end) {
      if (additional->is_boolean() && !additional->get<bool>()) {
        sink->Add(path + "/" + EscapeJsonPointerToken(key), "unknown field");
      } else {
        Descend(*additional, *field, key, loc, sink);
      }
    }
    if (names != end) {
      std::string key_path = path + "/" + EscapeJsonPointerToken(key);
      Sink probe(kBranchErrorLimit);
      Validate(*names, json(key), Loc{&key_path, loc.depth + 1, loc.eval + 1}, &probe);
      for (const SchemaError& e : probe.errors) sink->Add(e.path, "property name " + e.message);
    }
  }
  it = s.find("dependentSchemas");
  if (it != end && it->is_object()) {
    for (auto dep = it->begin(); dep != it->end(); ++dep) {
      if (v.contains(dep.key())) Validate(dep.value(), v, loc.Deeper(), sink);
    }
  }
}

void Validator::CheckArray(const json& s, const json& v, Loc loc, Sink* sink) {
  const std::string& path = *loc.path;
  auto end = s.end();
  size_t limit = 0;
  if (GetCount(s, "minItems", &limit) && v.size() < limit) {
    sink->Add(path, "must have at least " + Count(limit, "item", "items"));
  }
  if (GetCount(s, "maxItems", &limit) && v.size() > limit) {
    sink->Add(path, "must have at most " + Count(limit, "item", "items"));
  }
  auto items = s.find("items");
  auto prefix = s.find("prefixItems");
  auto rest = items;
  if (items != end && items->is_array()) {  // Draft 2019-09 tuple form.
    prefix = items;
    rest = s.find("additionalItems");
  }
  size_t start = 0;
  if (prefix != end && prefix->is_array()) {
    start = prefix->size();
    for (size_t i = 0; i < std::min(start, v.size()); ++i) {
      Descend((*prefix)[i], v[i], std::to_string(i), loc, sink);
    }
  }
  if (rest != end) {
    for (size_t i = start; i < v.size() && !sink->Full(); ++i) {
      Descend(*rest, v[i], std::to_string(i), loc, sink);
    }
  }
  auto contains = s.find("contains");
  if (contains != end) {
    size_t matches = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      Sink probe(1);
      Descend(*contains, v[i], std::to_string(i), loc, &probe);
      matches += probe.errors.empty();
    }
    size_t min = 1;
    GetCount(s, "minContains", &min);
    if (matches < min) {
      sink->Add(path, "must contain at least " + Count(min, "matching item", "matching items"));
    }
    if (GetCount(s, "maxContains", &limit) && matches > limit) {
      sink->Add(path, "must contain at most " + Count(limit, "matching item", "matching items"));
    }
  }
  auto unique = s.find("uniqueItems");
  if (unique != end && unique->is_boolean() && unique->get<bool>()) {
    std::unordered_multimap<size_t, size_t> seen;  // Hash -> index of first occurrence.
    for (size_t j = 0; j < v.size() && !sink->Full(); ++j) {
      size_t hash = DeepHash(v[j]);
      auto range = seen.equal_range(hash);
      auto dup = std::find_if(range.first, range.second,
                              [&](const auto& entry) { return JsonEqual(v[entry.second], v[j]); });
      if (dup == range.second) {
        seen.emplace(hash, j);
      } else {
        sink->Add(path + "/" + std::to_string(j),
                  "is a duplicate of item " + std::to_string(dup->second));
      }
    }
  }
}

void Validator::CheckAlternatives(const json& branches, bool one_of, const json& v, Loc loc,
                                  Sink* sink) {
  if (!branches.is_array() || branches.empty()) return;
  std::vector<Sink> results;
  size_t matched = 0;
  for (const json& branch : branches) {
    results.emplace_back(kBranchErrorLimit);
    Validate(branch, v, loc.Deeper(), &results.back());
    if (results.back().errors.empty() && (++matched > 1 || !one_of)) break;
  }
  if (matched == 1 || (matched > 0 && !one_of)) return;
  if (matched > 1) {
    sink->Add(*loc.path, "must match exactly one of the allowed schemas");
    return;
  }
  // No branch matched. Look for a discriminator: a property with a `const` (or one-value `enum`)
  // in several branches; pick the one present in the most branches.
  std::map<std::string, std::vector<const json*>> consts;  // Property -> const per branch.
  for (size_t i = 0; i < branches.size() && v.is_object(); ++i) {
    const json& branch = Deref(branches[i]);
    auto props = branch.find("properties");  // end() for non-objects.
    if (props == branch.end() || !props->is_object()) continue;
    for (auto p = props->begin(); p != props->end(); ++p) {
      const json& prop = Deref(p.value());
      if (!prop.is_object()) continue;
      auto c = prop.find("const");
      auto e = prop.find("enum");
      const json* value = c != prop.end()                                      ? &*c
                          : e != prop.end() && e->is_array() && e->size() == 1 ? &(*e)[0]
                                                                               : nullptr;
      if (!value) continue;
      auto& slot = consts[p.key()];
      slot.resize(branches.size(), nullptr);
      slot[i] = value;
    }
  }
  const std::string* name = nullptr;
  const std::vector<const json*>* values = nullptr;
  size_t covered = 1;
  for (const auto& [prop, per_branch] : consts) {
    size_t n = branches.size() - std::count(per_branch.begin(), per_branch.end(), nullptr);
    if (n > covered) {
      name = &prop;
      values = &per_branch;
      covered = n;
    }
  }
  std::vector<size_t> candidates;
  if (name) {
    bool all = covered == branches.size();
    std::string field_path = *loc.path + "/" + EscapeJsonPointerToken(*name);
    auto field = v.find(*name);
    if (field != v.end()) {
      for (size_t i = 0; i < branches.size(); ++i) {
        if ((*values)[i] && JsonEqual(*(*values)[i], *field)) candidates.push_back(i);
      }
      if (candidates.empty() && all) {
        std::vector<const json*> listed;
        for (const json* value : *values) {
          auto same = [&](const json* other) { return JsonEqual(*other, *value); };
          if (std::none_of(listed.begin(), listed.end(), same)) listed.push_back(value);
        }
        sink->Add(field_path, "must be one of " + DescribeList(listed));
        return;
      }
      if (candidates.empty()) {  // Unknown value: consider the branches without a const.
        for (size_t i = 0; i < branches.size(); ++i) {
          if (!(*values)[i]) candidates.push_back(i);
        }
      }
    } else if (all) {
      bool required_everywhere = std::all_of(branches.begin(), branches.end(), [&](const json& b) {
        const json& branch = Deref(b);
        auto req = branch.find("required");
        return req != branch.end() && req->is_array() &&
               std::find(req->begin(), req->end(), json(*name)) != req->end();
      });
      if (required_everywhere) {
        sink->Add(field_path, "is required");
        return;
      }
    }
  }
  if (candidates.empty()) {
    // When every branch rejects the instance by `type`, say which types are accepted.
    std::vector<std::string> nouns;
    bool all_type_errors = std::all_of(branches.begin(), branches.end(), [&](const json& b) {
      const json& branch = Deref(b);
      if (!branch.is_object() || !branch.contains("type")) return false;
      return !TypeAccepts(branch["type"], v, &nouns);
    });
    if (all_type_errors) {
      sink->Add(*loc.path, MustBeOneOf(nouns));
      return;
    }
    for (size_t i = 0; i < branches.size(); ++i) candidates.push_back(i);
  }
  // Report the closest candidate: fewest errors, then deepest error path.
  auto max_depth = [&](size_t i) {
    size_t depth = 0;
    for (const SchemaError& e : results[i].errors) depth = std::max(depth, PathDepth(e.path));
    return depth;
  };
  size_t best = candidates[0];
  for (size_t i : candidates) {
    size_t count = results[i].errors.size(), best_count = results[best].errors.size();
    if (count < best_count || (count == best_count && max_depth(i) > max_depth(best))) best = i;
  }
  for (const SchemaError& e : results[best].errors) sink->Add(e.path, e.message);
}

}  // namespace json_schema_internal
}  // namespace edgeline
