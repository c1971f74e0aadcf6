// Test helper: the error ParseJobSpec gives for a spec that must be refused.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "common/job_spec.h"

namespace edgeline {

// `spec`: an nlohmann::json or ordered_json job spec. Fails the test if it is accepted.
template <typename Json>
std::string ErrorOf(const Json& spec) {
  auto r = ParseJobSpec(spec.dump());
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

}  // namespace edgeline
