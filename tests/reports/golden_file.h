// Golden files of the reports tests (tests/reports/golden): a writer's output
// for a fixed result is compared with the file byte for byte. With
// CRASHDRILL_UPDATE_GOLDEN=1 the file is written instead and the check fails,
// saying so, so a regeneration never passes silently.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace crashdrill::reports::testing {

// CRASHDRILL_GOLDEN_DIR: tests/reports/golden in the source tree (tests/reports/CMakeLists.txt).
inline std::string GoldenPath(const std::string& name) {
  return std::string(CRASHDRILL_GOLDEN_DIR) + "/" + name;
}

inline ::testing::AssertionResult MatchesGolden(const std::string& name, const std::string& text) {
  const std::string path = GoldenPath(name);
  if (const char* update = std::getenv("CRASHDRILL_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(path, std::ios::binary) << text;
    return ::testing::AssertionFailure() << "wrote " << path << " (CRASHDRILL_UPDATE_GOLDEN=1)";
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return ::testing::AssertionFailure() << path << " cannot be read";
  std::stringstream golden;
  golden << in.rdbuf();
  if (golden.str() == text) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "differs from " << path
         << " (review the change, then CRASHDRILL_UPDATE_GOLDEN=1 to accept it):\n"
         << text;
}

}  // namespace crashdrill::reports::testing
