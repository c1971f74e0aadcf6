// Time helpers. All event times in edgeline are UTC epoch milliseconds (int64).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgeline {

// Wall-clock now, UTC epoch milliseconds.
int64_t NowMs();

// Parses a duration such as "500ms", "30s", "5m", "2h", "1d" into milliseconds.
// Returns nullopt for anything else (including zero, negative or overflowing values).
std::optional<int64_t> ParseDurationMs(std::string_view text);

// Parses ISO 8601 / RFC 3339 date-times: "YYYY-MM-DD[T| ]HH:MM:SS[.frac][Z|+hh:mm|-hh:mm|+hhmm]".
// No zone means UTC. Fractional digits beyond milliseconds are truncated.
// Returns nullopt on any syntax or range error.
std::optional<int64_t> ParseIso8601Ms(std::string_view text);

// Formats epoch ms as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string FormatIso8601(int64_t epoch_ms);

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace edgeline
