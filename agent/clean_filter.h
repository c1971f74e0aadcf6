// The `filter` clean op (docs/job-spec.md#filter): evaluates a condition on a record.
#pragma once

#include "common/job_spec.h"
#include "common/record.h"

namespace edgeline {

// True when r satisfies c. `==` is true when both sides are equal (null equals only
// null; numbers compare by value, int or float); `!=` is its negation; `<`, `<=`, `>`,
// `>=` are false when either side is null; `in` is `==` with any listed value and
// `not in` its negation. An empty `all` is true, an empty `any` false.
bool EvalCond(const CleanOp::Cond& c, const Record& r);

}  // namespace edgeline
