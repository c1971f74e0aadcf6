#include "agent/clean_redact.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

#include "agent/cast.h"

namespace edgeline {

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

RedactOp::RedactOp(const CleanOp& op, const std::string& path, Status* status) : op_(op) {
  if (op_.action != CleanOp::kHash) return;
  const char* key = std::getenv(op_.key_env.c_str());
  if (key && *key) {
    key_ = key;
    have_key_ = true;
  } else if (status->ok()) {
    *status = Status::Error("clean op " + path + " (redact): environment variable " + op_.key_env +
                            (key ? " is empty" : " is not set") +
                            "; it must hold the hash key on the device");
  }
}

RedactOp::~RedactOp() {
  if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
}

void RedactOp::Apply(Record* r) const {
  for (int idx : op_.fields) {
    Value& v = r->values[idx];
    if (IsNull(v)) continue;
    if (op_.action != CleanOp::kHash || !have_key_) {
      v = std::monostate{};
      continue;
    }
    std::string h = HmacSha256Hex(key_, ValueText(v));
    h.resize(static_cast<size_t>(op_.hash_length));
    v = std::move(h);
  }
}

}  // namespace edgeline
