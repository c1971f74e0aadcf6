#include "agent/json_fields.h"

#include <cstring>

#include "common/json_schema.h"

namespace edgeline {

static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING, "simdjson reads this far ahead");

namespace {
using simdjson::ondemand::json_type;

// RFC 6901 array index: "0" or digits without a leading zero; -1 when the token is not
// one (or too large to be a position in any array we could read).
int64_t ArrayIndex(const std::string& token) {
  if (token.empty() || token.size() > 18 || (token[0] == '0' && token.size() > 1)) return -1;
  int64_t n = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

// Sets *cell from a scalar value, told apart by its raw token's first byte as simdjson's
// type() does; kOther for an object or array (not consumed: the walk may go on into it)
// and for a scalar simdjson cannot read as its type. Inlined into the walk: it runs for
// every value read.
__attribute__((always_inline)) inline void ToCell(simdjson::ondemand::value& v, RawCell* cell) {
  std::string_view raw = v.raw_json_token();
  const char first = raw.empty() ? '\0' : raw[0];
  if (first == '"') {
    std::string_view s;
    cell->kind = v.get_string().get(s) ? RawCell::kOther : RawCell::kText;
    cell->text = s;
  } else if (first == '-' || (first >= '0' && first <= '9')) {
    // The token runs to the next structural byte: only JSON whitespace (space, tab, CR,
    // LF, all <= ' ') may follow the number there.
    while (static_cast<unsigned char>(raw.back()) <= ' ') raw.remove_suffix(1);
    cell->text = raw;  // the exact text: int casts must not go through a double
    cell->kind = v.get_double().get(cell->number) ? RawCell::kOther : RawCell::kNumber;
  } else if (first == 'n') {
    cell->kind = RawCell::kNull;
  } else if (first == 't' || first == 'f') {
    cell->kind = v.get_bool().get(cell->boolean) ? RawCell::kOther : RawCell::kBool;
  } else {
    cell->kind = RawCell::kOther;
  }
}

// The unescaped key of a field; false when it is not a closed string before `end`.
bool UnescapedKey(simdjson::ondemand::field& f, const char* end, std::string_view* key) {
  const char* p = f.key().raw();
  for (const char* q = p; q < end; ++q) {
    if (*q == '"') {
      *key = std::string_view(p, static_cast<size_t>(q - p));
      return true;
    }
    if (*q == '\\') return !f.unescaped_key().get(*key);
  }
  return false;
}

bool NeedsEscape(const std::string& key) {
  for (unsigned char c : key) {
    if (c == '"' || c == '\\' || c < 0x20) return true;
  }
  return false;
}
}  // namespace

bool ParseJsonPointer(std::string_view text, std::vector<std::string>* tokens) {
  tokens->clear();
  if (text.empty() || text[0] != '/') return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '/') {
      tokens->emplace_back();
    } else if (c == '~') {
      if (i + 1 >= text.size() || (text[i + 1] != '0' && text[i + 1] != '1')) return false;
      tokens->back() += text[++i] == '0' ? '~' : '/';
    } else {
      tokens->back() += c;
    }
  }
  return true;
}

std::vector<std::string> JsonPointers(const JobSpec& spec) {
  std::vector<std::string> out;
  if (!spec.ts_field.empty()) {
    out.push_back(spec.ts_path.empty() ? "/" + EscapeJsonPointerToken(spec.ts_field)
                                       : spec.ts_path);
  }
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    const bool has_path = i < spec.field_paths.size() && !spec.field_paths[i].empty();
    out.push_back(has_path ? spec.field_paths[i]
                           : "/" + EscapeJsonPointerToken(spec.fields[i].name));
  }
  return out;
}

JsonFieldPlan::JsonFieldPlan(const std::vector<std::string>& pointers)
    : nodes_(1), num_cells_(pointers.size()) {
  std::vector<std::string> tokens;
  for (uint32_t cell = 0; cell < pointers.size(); ++cell) {
    ParseJsonPointer(pointers[cell], &tokens);
    uint32_t id = 0;
    for (const std::string& token : tokens) {
      uint32_t next = 0;
      for (uint32_t child : nodes_[id].children) {
        if (nodes_[child].key == token) next = child;
      }
      if (next == 0) {
        next = static_cast<uint32_t>(nodes_.size());
        Node node;
        node.key = token;
        node.index = ArrayIndex(token);
        node.needs_escape = NeedsEscape(token);
        nodes_.push_back(std::move(node));
        nodes_[id].children.push_back(next);
        if (nodes_[next].index >= 0) nodes_[id].has_index_child = true;
      }
      nodes_[id].below.push_back(cell);
      id = next;
    }
    nodes_[id].cells.push_back(cell);
    nodes_[id].below.push_back(cell);
  }
  for (Node& node : nodes_) {
    if (node.children.empty() && node.cells.size() == 1) node.leaf_cell = node.cells[0];
  }
  for (Node& node : nodes_) {
    for (uint32_t child : node.children) {
      const std::string& k = nodes_[child].key;
      if (nodes_[child].needs_escape || k.size() >= 16) continue;  // compared unescaped
      RawKey key;
      key.child = child;
      key.leaf_cell = static_cast<int32_t>(nodes_[child].leaf_cell);
      key.text = KeyWords::Of(k + '"');
      node.raw_keys.push_back(key);
    }
  }
}

const char* ParseJsonRecord(simdjson::ondemand::parser& parser, const JsonFieldPlan& plan,
                            const char* data, size_t len, std::vector<RawCell>* cells) {
  simdjson::ondemand::document doc;
  if (parser.iterate(simdjson::padded_string_view(data, len, len + kJsonPadding)).get(doc)) {
    return "json_malformed";
  }
  json_type t;
  if (doc.type().get(t)) return "json_malformed";
  if (t != json_type::object) return "json_not_object";
  simdjson::ondemand::object object;
  if (doc.get_object().get(object) || !plan.Extract(object, data + len, cells)) {
    return "json_malformed";
  }
  // Content after the object (a second value, garbage) makes the record malformed.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return "json_malformed";
  return nullptr;
}

bool JsonFieldPlan::Extract(simdjson::ondemand::object& object, const char* end,
                            std::vector<RawCell>* cells) const {
  cells->resize(num_cells_);
  for (RawCell& c : *cells) c.kind = RawCell::kMissing;  // the other members mean nothing then
  return VisitObject(0, object, end, cells);
}

bool JsonFieldPlan::Visit(uint32_t id, simdjson::ondemand::value& value, const char* end,
                          std::vector<RawCell>* cells) const {
  const Node& node = nodes_[id];
  // A key seen again replaces everything read below its first occurrence (a leaf's
  // cells are all overwritten below anyway).
  if (!node.children.empty()) {
    for (uint32_t c : node.below) (*cells)[c].kind = RawCell::kMissing;
  }
  json_type t = json_type::null;
  const bool typed = !value.type().get(t);
  if (!node.cells.empty()) {
    RawCell cell;
    if (typed) {
      ToCell(value, &cell);
    } else {
      cell.kind = RawCell::kOther;
    }
    for (uint32_t c : node.cells) (*cells)[c] = cell;
  }
  if (node.children.empty() || !typed) return true;
  if (t == json_type::object) {
    simdjson::ondemand::object object;
    if (value.get_object().get(object)) return false;
    return VisitObject(id, object, end, cells);
  }
  if (t == json_type::array && node.has_index_child) {
    simdjson::ondemand::array array;
    if (value.get_array().get(array)) return false;
    return VisitArray(id, array, end, cells);
  }
  return true;  // a scalar has nothing below it: deeper pointers stay missing
}

bool JsonFieldPlan::VisitObject(uint32_t id, simdjson::ondemand::object& object, const char* end,
                                std::vector<RawCell>* cells) const {
  // The common case in a tight loop: the record's raw key is one of the node's short plain
  // keys (RawKey), of a leaf with one cell. Everything else (a key that needs unescaping,
  // an unwanted key, a long key, a child with children) goes out of line, to VisitField.
  // This layout took the reader from 241 to 225 ms on the reference file
  // (docs/benchmarks.md#agent-clean-7).
  const Node& node = nodes_[id];
  const RawKey* const keys = node.raw_keys.data();
  const size_t num_keys = node.raw_keys.size();
  RawCell* const out = cells->data();
  size_t hint = 0;  // records tend to repeat one key order: try the key after the last hit
  for (auto result : object) {
    // By reference, not copied: copies of these small structs cost store-forwarding
    // stalls that showed as the top line of the profile.
    if (result.error()) return false;
    simdjson::ondemand::field& field = result.value_unsafe();
    // The raw key's first 16 bytes against each key and its closing quote: a hit is the
    // whole key, as the key has no '\\' that could escape the quote that closes it. The
    // bytes read past the record are within the buffer's padding.
    uint64_t w[2];
    std::memcpy(w, field.key().raw(), sizeof w);
    size_t k = hint;
    size_t n = 0;
    for (; n < num_keys; ++n, ++k) {
      if (k == num_keys) k = 0;
      if (keys[k].text.Matches(w)) break;
    }
    if (n < num_keys) {
      hint = k + 1;
      if (keys[k].leaf_cell >= 0) {
        simdjson::ondemand::value value = field.value();
        ToCell(value, &out[keys[k].leaf_cell]);
        continue;
      }
    }
    if (!VisitField(node, n < num_keys ? keys[k].child : kNoChild, field, end, cells)) {
      return false;
    }
  }
  return true;
}

bool JsonFieldPlan::VisitField(const Node& node, uint32_t child, simdjson::ondemand::field& field,
                               const char* end, std::vector<RawCell>* cells) const {
  if (child == kNoChild) {
    // Not one of the short plain keys: compare unescaped with every child's key.
    std::string_view key;
    if (!UnescapedKey(field, end, &key)) return false;
    for (uint32_t c : node.children) {
      if (nodes_[c].key == key) child = c;
    }
    // Unwanted values are not read: On-Demand skips them when the loop advances, and a
    // structural error inside one still surfaces there.
    if (child == kNoChild) return true;
  }
  return Visit(child, field.value(), end, cells);
}

bool JsonFieldPlan::VisitArray(uint32_t id, simdjson::ondemand::array& array, const char* end,
                               std::vector<RawCell>* cells) const {
  const std::vector<uint32_t>& children = nodes_[id].children;
  int64_t i = 0;
  for (auto result : array) {
    if (result.error()) return false;
    simdjson::ondemand::value& element = result.value_unsafe();
    for (uint32_t child : children) {
      if (nodes_[child].index == i) {
        if (!Visit(child, element, end, cells)) return false;
        break;
      }
    }
    ++i;
  }
  return true;
}

}  // namespace edgeline
