// Writers derived from a chaos result (crashdrill.result/1, DESIGN §9-10): a
// short Markdown summary (what a CI job posts) and JUnit XML (a testsuite per
// scenario, a testcase per property; a failure carries its replay lines).
// They read the result record only, and only the fields of DESIGN §9 (not
// the samples a merge needs). A result that is not crashdrill.result/1 is
// refused with the field that is wrong.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "reports/result_model.h"

namespace crashdrill::reports {

// Why `result` is not a result this build can read (naming the field), or nullopt.
std::optional<std::string> CheckResult(const nlohmann::json& result);

// REQUIRES: CheckResult(result) is nullopt.
std::string MarkdownSummary(const nlohmann::json& result);
std::string JunitXml(const nlohmann::json& result);

}  // namespace crashdrill::reports
