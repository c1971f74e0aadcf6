// Which values of a JSON record become cells, for the NDJSON and JSON-array readers.
//
// Each cell is addressed by an RFC 6901 JSON pointer ("/sensor/temp", "/readings/0",
// "/a~1b" for the key "a/b"). The pointers are compiled into a trie that is walked once
// per record with simdjson On-Demand: a value no pointer leads into is skipped, not
// parsed, so extracting k cells costs one pass over the record whatever k is (at_pointer
// per cell would rescan the record k times).
//
// Immutable after construction: one plan may be shared by readers on several threads.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/key_words.h"
#include "agent/ndjson_reader.h"
#include "agent/raw_cell.h"
#include "common/job_spec.h"

namespace edgeline {

// Splits a JSON pointer into its unescaped reference tokens ("/a~1b/0" -> {"a/b", "0"}).
// Returns false if `text` is not a pointer with at least one token: empty, not starting
// with '/', or with a '~' not followed by '0' or '1'.
bool ParseJsonPointer(std::string_view text, std::vector<std::string>* tokens);

// The pointers of a spec's cells, laid out as CastRecord wants them: the timestamp (if
// any), then each schema field. A value without a `path` is the top-level key of its
// name.
std::vector<std::string> JsonPointers(const JobSpec& spec);

class JsonFieldPlan;

// Parses data[0, len) as one record with `parser` and extracts the plan's cells. Returns
// nullptr for a row, else the reject reason: "json_malformed" (not one valid JSON value,
// or content after it) or "json_not_object". REQUIRES: data[len, len + kJsonPadding)
// is readable.
const char* ParseJsonRecord(simdjson::ondemand::parser& parser, const JsonFieldPlan& plan,
                            const char* data, size_t len, std::vector<RawCell>* cells);

class JsonFieldPlan {
 public:
  // One cell per pointer, in order; equal pointers each get the value. REQUIRES: every
  // pointer passes ParseJsonPointer (ParseJobSpec checks the spec's).
  explicit JsonFieldPlan(const std::vector<std::string>& pointers);

  size_t num_cells() const { return num_cells_; }

  // Fills *cells (resized to num_cells()) from one object: each cell is the value at its
  // pointer, kMissing when the object has none. When a key appears twice the last one
  // wins, for everything below it too. `end` bounds the record's text (the object lies
  // before it). Returns false when iterating the object fails (malformed JSON); *cells
  // is then unspecified. Texts in the cells point into the record or the parser.
  bool Extract(simdjson::ondemand::object& object, const char* end,
               std::vector<RawCell>* cells) const;

 private:
  static constexpr uint32_t kNoChild = ~uint32_t{0};
  // A child with a key under 16 bytes that needs no escaping in JSON: the key and its
  // closing quote as two masked words, compared with a record's raw key.
  struct RawKey {
    KeyWords text;           // the key and its closing quote
    uint32_t child = 0;      // node id
    int32_t leaf_cell = -1;  // the child's
  };
  struct Node {
    std::string key;                 // the token leading here from the parent
    int64_t index = -1;              // the token as an array index, -1 if it is not one
    std::vector<uint32_t> cells;     // cells whose pointer ends here
    std::vector<uint32_t> below;     // cells whose pointer ends here or deeper
    std::vector<uint32_t> children;  // node ids
    int64_t leaf_cell = -1;          // the one cell of a node without children, else -1
    bool has_index_child = false;
    bool needs_escape = false;     // the key has '"', '\\' or a control character
    std::vector<RawKey> raw_keys;  // the children's that have one, side by side
  };
  // Walks the value of node `id` into the cells; false on a parse error.
  bool Visit(uint32_t id, simdjson::ondemand::value& value, const char* end,
             std::vector<RawCell>* cells) const;
  bool VisitObject(uint32_t id, simdjson::ondemand::object& object, const char* end,
                   std::vector<RawCell>* cells) const;
  // VisitObject's out-of-line part, for a field whose raw key is not a leaf's RawKey:
  // `child` is the node its raw key matched, else kNoChild (then it is compared unescaped).
  __attribute__((noinline)) bool VisitField(const Node& node, uint32_t child,
                                            simdjson::ondemand::field& field, const char* end,
                                            std::vector<RawCell>* cells) const;
  bool VisitArray(uint32_t id, simdjson::ondemand::array& array, const char* end,
                  std::vector<RawCell>* cells) const;

  std::vector<Node> nodes_;  // nodes_[0] is the root (the record itself)
  size_t num_cells_ = 0;
};

}  // namespace edgeline
