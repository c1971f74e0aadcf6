#include <catch2/catch.hpp>

#include "common/ack.h"

using namespace edgeline;

TEST_CASE("acks fold sequence numbers into ranges per job and epoch") {
  std::string p = EncodeAcks({{"gh", 7, 3}, {"gh", 7, 1}, {"gh", 7, 2}, {"gh", 7, 5},
                              {"gh", 7, 5}, {"gh", 8, 1}, {"cold", 7, 4}});
  CHECK(p == R"({"acks":[{"epoch":7,"job_id":"cold","ranges":[[4,4]]},)"
             R"({"epoch":7,"job_id":"gh","ranges":[[1,3],[5,5]]},)"
             R"({"epoch":8,"job_id":"gh","ranges":[[1,1]]}]})");
  auto d = DecodeAcks(p);
  REQUIRE(d.ok());
  CHECK(d.value() == std::vector<AckRange>{{"cold", 7, 4, 4}, {"gh", 7, 1, 3}, {"gh", 7, 5, 5},
                                           {"gh", 8, 1, 1}});
}

TEST_CASE("malformed acks are refused with a reason") {
  auto reason = [](const std::string& p) { return DecodeAcks(p).status().message(); };
  CHECK(reason("") == "invalid ack: not an object with an \"acks\" array");
  CHECK(reason(R"({"acks":[{"job_id":"a/b","epoch":1,"ranges":[]}]})") ==
        "invalid ack: each entry needs job_id, epoch and ranges");
  CHECK(reason(R"({"acks":[{"job_id":"a","epoch":1,"ranges":[[3,2]]}]})") ==
        "invalid ack: a range is [first, last] with first <= last");
  CHECK(reason(R"({"acks":[{"job_id":"a","epoch":1,"ranges":[[1]]}]})") ==
        "invalid ack: a range is [first, last] with first <= last");
  auto many = DecodeAcks(R"({"acks":[{"job_id":"a","epoch":1,"ranges":[[1,1],[2,2],[3,3]]}]})", 2);
  CHECK(many.status().message() == "invalid ack: too many ranges");
}
