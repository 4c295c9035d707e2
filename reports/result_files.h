// Result files on disk: reading one (a damaged or truncated file is refused
// with its name and the byte where the JSON broke) and writing a report
// atomically: a reader of the path sees the old file or the whole new one,
// never a part, and after WriteFileAtomically returns the new one survives a
// power loss.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "reports/checked.h"
#include "reports/result_model.h"

namespace crashdrill::reports {

// The JSON document in `path`. Refusals start with the path.
Checked<nlohmann::json> ReadJsonFile(const std::string& path);

// The result in `path`, every field a merge needs (ResultFromJson). Refusals
// start with the path and name the field.
Checked<ResultRecord> ReadResultFile(const std::string& path);

// The text of a result file: `result` indented, with a final newline.
std::string ResultFileText(const nlohmann::json& result);

// Writes `text` to `path` through `path`.tmp: write, fsync, rename, fsync of
// the directory. nullopt on success, else the path and the step that failed
// (the temporary file is removed).
std::optional<std::string> WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace crashdrill::reports
