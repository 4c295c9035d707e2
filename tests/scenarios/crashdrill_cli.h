// Runs the crashdrill binary of this build tree (CRASHDRILL_BINARY) as a
// real process, as an operator or a CI job would, for the command tests.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "faults/process_control.h"
#include "system/io/clock.h"
#include "tests/support/temp_dir.h"

namespace crashdrill {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `crashdrill args...` to completion (at most 120 s), stdout and stderr to files.
inline Outcome Crashdrill(const testing::TempDir& dir, const std::string& name,
                   const std::vector<std::string>& args) {
  std::string command = "exec '" + std::string(CRASHDRILL_BINARY) + "'";
  for (const std::string& arg : args) command += " '" + arg + "'";
  command += " 2>'" + dir.Join(name + ".err") + "'";
  faults::ChildSpec spec;
  spec.argv = {"/bin/sh", "-c", command};
  spec.stdout_path = dir.Join(name + ".out");
  auto child = faults::ChildProcess::Spawn(spec);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  if (!child.ok()) return {};
  system::SystemClock clock;
  auto code = child->Wait(clock, 120 * system::kNanosPerSecond);
  EXPECT_TRUE(code.ok()) << name << ": " << code.status().ToString();
  return {code.ok() ? *code : -1, ReadFile(spec.stdout_path), ReadFile(dir.Join(name + ".err"))};
}

}  // namespace crashdrill
