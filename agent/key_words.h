// A short text (up to 16 bytes, e.g. a JSON key with its closing quote) as two
// little-endian words and their masks, compared with the bytes at a pointer in two masked
// 8-byte compares instead of a memcmp of variable length. Used by the JSON readers to
// match a record's raw keys (agent/json_fields.h, agent/ndjson_flat.h).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace edgeline {

struct KeyWords {
  uint64_t word[2] = {};  // the text, zero beyond it
  uint64_t mask[2] = {};  // 0xff over the text's bytes

  // REQUIRES: text.size() <= 16.
  static KeyWords Of(std::string_view text) {
    char bytes[16] = {};
    char ones[16] = {};
    std::memcpy(bytes, text.data(), text.size());
    std::memset(ones, 0xff, text.size());
    KeyWords k;
    std::memcpy(k.word, bytes, sizeof bytes);
    std::memcpy(k.mask, ones, sizeof ones);
    return k;
  }

  // Whether 16 bytes, loaded as w[0] and w[1], start with the text.
  bool Matches(const uint64_t w[2]) const {
    return (((w[0] ^ word[0]) & mask[0]) | ((w[1] ^ word[1]) & mask[1])) == 0;
  }
  // The same for the 16 bytes at p (all of them must be readable).
  bool MatchesAt(const char* p) const {
    uint64_t w[2];
    std::memcpy(w, p, sizeof w);
    return Matches(w);
  }
  // The same text (the words are zero beyond it).
  bool operator==(const KeyWords& o) const { return word[0] == o.word[0] && word[1] == o.word[1]; }
};

}  // namespace edgeline
