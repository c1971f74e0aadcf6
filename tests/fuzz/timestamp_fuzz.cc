// Fuzz target: timestamp and duration parsing, strftime patterns, time zones (TZif
// files and POSIX TZ rules) and local -> UTC resolution. Deterministic: the same input
// always does the same work (the zones come from the system's zone database when it has
// them, else only UTC is used).
#include <cstdint>
#include <string>
#include <vector>

#include "agent/cast.h"
#include "common/time_pattern.h"
#include "common/time_util.h"
#include "common/timestamp.h"
#include "common/timezone.h"

namespace {

using edgeline::TimeZone;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// Every UTC instant a local time resolves to shows that local time again.
void CheckZone(const TimeZone& zone) {
  TimeZone::Cache cache;
  for (int64_t local : {int64_t{0}, int64_t{-2208988800}, int64_t{1774747800}, int64_t{1792891800},
                        int64_t{4102444800}, int64_t{1774747800} + 1}) {
    const TimeZone::Resolved r = zone.FromLocal(local, &cache);
    const TimeZone::Resolved again = zone.FromLocal(local, nullptr);  // cache-free
    Check(r.kind == again.kind && r.earliest == again.earliest && r.latest == again.latest);
    if (r.kind == TimeZone::Resolved::kNonexistent) continue;
    Check(r.earliest + zone.OffsetAt(r.earliest) == local);
    Check(r.latest + zone.OffsetAt(r.latest) == local);
    Check(r.earliest <= r.latest);
  }
}

std::vector<edgeline::TimestampParser> MakeParsers() {
  using edgeline::TimestampFormat;
  std::vector<edgeline::TimestampParser> out;
  const struct {
    TimestampFormat format;
    const char* pattern;
    const char* zone;
  } kSpecs[] = {
      {TimestampFormat::kIso8601, "", "UTC"},
      {TimestampFormat::kIso8601, "", "Europe/Berlin"},
      {TimestampFormat::kEpochS, "", "UTC"},
      {TimestampFormat::kEpochMs, "", "UTC"},
      {TimestampFormat::kEpochUs, "", "UTC"},
      {TimestampFormat::kEpochNs, "", "UTC"},
      {TimestampFormat::kStrftime, "%d/%m/%Y %H:%M:%S", "Europe/Berlin"},
      {TimestampFormat::kStrftime, "%b %e %T %Y", "Australia/Lord_Howe"},
      {TimestampFormat::kStrftime, "%Y-%j %I:%M %p%z", "America/New_York"},
      {TimestampFormat::kStrftime, "%a, %d %B %y %R:%S.%f %Z", "UTC"},
      {TimestampFormat::kStrftime, "%s.%f", "UTC"},
  };
  for (const auto& s : kSpecs) {
    edgeline::TimestampSpec spec;
    spec.format = s.format;
    spec.pattern = s.pattern;
    spec.timezone = s.zone;
    auto p = edgeline::TimestampParser::Create(spec);
    if (p.ok()) out.push_back(std::move(p.value()));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<edgeline::TimestampParser> parsers = MakeParsers();
  std::string s(reinterpret_cast<const char*>(data), size);
  if (auto ms = edgeline::ParseIso8601Ms(s)) {
    // Whole-second UTC times print and parse back to themselves.
    if (*ms % 1000 == 0 && *ms > -62135596800000 && *ms < 253402300800000) {
      auto again = edgeline::ParseIso8601Ms(edgeline::FormatIso8601(*ms));
      Check(again && *again == *ms);
    }
  }
  (void)edgeline::ParseDurationMs(s);
  (void)edgeline::ParseStrictDouble(s);

  edgeline::RawCell cell{edgeline::RawCell::kText, s, 0, false};
  for (auto& p : parsers) {
    const edgeline::TimestampResult r = edgeline::CastTimestamp(cell, &p);
    Check(r.ok() || r.reject != nullptr);
  }
  // The ISO 8601 parser in UTC (parsers[0]) with its minute cache, primed by earlier
  // inputs and then by this one (the one-step path of ParseIso8601UtcCached), gives what
  // the uncached parse gives.
  const auto uncached = edgeline::ParseIso8601Ms(s);
  for (int twice = 0; twice < 2; ++twice) {
    const edgeline::TimestampResult r = parsers[0].Parse(s);
    Check(r.ok() == uncached.has_value() && (!r.ok() || r.ms == *uncached));
  }

  // The input as a pattern, matched against itself and a few texts.
  if (auto pattern = edgeline::TimePattern::Compile(s); pattern.ok()) {
    edgeline::LocalTime t;
    for (const char* text : {s.c_str(), "29/03/2026 02:30:00", "2026-03-29T02:30:00Z",
                             "Mar  5 10:00:00 2026", "1793527200.5"}) {
      (void)pattern->Match(text, &t);
    }
  }

  // The input as a POSIX TZ rule and as a TZif file.
  edgeline::PosixTz tz;
  if (edgeline::PosixTz::Parse(s, &tz) && tz.has_dst) {
    (void)tz.StartUtc(2026);
    (void)tz.EndUtc(-2000);
  }
  if (auto zone = TimeZone::FromPosix("fuzz", s); zone.ok()) CheckZone(**zone);
  if (auto zone = TimeZone::FromTzif("fuzz", s); zone.ok()) CheckZone(**zone);
  return 0;
}
