#include <catch2/catch.hpp>

#include "common/topics.h"

using namespace edgeline;

TEST_CASE("topics are built under the prefix") {
  Topics t("fleet");
  CHECK(t.Job("greenhouse") == "fleet/jobs/greenhouse");
  CHECK(t.AgentState("pi-01") == "fleet/agents/pi-01/state");
  CHECK(t.JobStatus("pi-01", "gh") == "fleet/agents/pi-01/jobs/gh");
  CHECK(t.Data("gh", "pi-01") == "fleet/data/gh/pi-01");
  CHECK(t.AllData() == "fleet/data/+/+");
  CHECK(t.Rejects("gh", "pi-01") == "fleet/rejects/gh/pi-01");
  CHECK(t.RejectsFilter("gh", "") == "fleet/rejects/gh/+");
  CHECK(t.RejectsFilter("", "pi-01") == "fleet/rejects/+/pi-01");
  CHECK(t.RejectsFilter("", "") == "fleet/rejects/+/+");
}

TEST_CASE("received topics are parsed into kind and ids") {
  Topics t;
  auto p = t.Parse("edgeline/data/gh/pi-01");
  CHECK(p.kind == Topics::Parsed::kData);
  CHECK(p.job_id == "gh");
  CHECK(p.agent_id == "pi-01");
  p = t.Parse("edgeline/agents/pi-02/jobs/cold");
  CHECK(p.kind == Topics::Parsed::kJobStatus);
  CHECK(p.agent_id == "pi-02");
  CHECK(p.job_id == "cold");
  p = t.Parse("edgeline/rejects/gh/pi-03");
  CHECK(p.kind == Topics::Parsed::kRejects);
  CHECK(p.job_id == "gh");
  CHECK(p.agent_id == "pi-03");
  CHECK(t.Parse("edgeline/rejects/gh").kind == Topics::Parsed::kOther);
  CHECK(t.Parse("edgeline/agents/pi-02/state").kind == Topics::Parsed::kAgentState);
  CHECK(t.Parse("edgeline/jobs/x").kind == Topics::Parsed::kJob);
  CHECK(t.Parse("edgeline/jobs/x/y").kind == Topics::Parsed::kOther);
  CHECK(t.Parse("edgelinex/jobs/x").kind == Topics::Parsed::kOther);
  CHECK(t.Parse("other/jobs/x").kind == Topics::Parsed::kOther);
}

TEST_CASE("ids are limited to one safe topic level") {
  CHECK(IsValidId("pi-01"));
  CHECK(IsValidId("a.b_c-D9"));
  CHECK_FALSE(IsValidId(""));
  CHECK_FALSE(IsValidId(".."));
  CHECK_FALSE(IsValidId("a/b"));
  CHECK_FALSE(IsValidId("a+b"));
  CHECK_FALSE(IsValidId("a#"));
  CHECK_FALSE(IsValidId(std::string(65, 'a')));
}
