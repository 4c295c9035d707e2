#include "tests/faults/test_util.h"

#include <cstdio>

#include <gtest/gtest.h>

namespace crashdrill::faults::testing {

std::string ReadText(system::Fs& fs, const std::string& path) {
  auto bytes = system::ReadWholeFile(fs, path);
  if (!bytes.ok()) return "<error: " + bytes.status().ToString() + ">";
  return Text(*bytes);
}

system::Status WriteText(system::Fs& fs, const std::string& path, std::string_view text,
                         bool sync) {
  CD_ASSIGN_OR_RETURN(auto file, fs.Open(path, system::OpenOptions::CreateTruncate()));
  CD_RETURN_IF_ERROR(file->WriteAt(0, system::AsBytes(text)));
  if (sync) CD_RETURN_IF_ERROR(file->Sync());
  return system::Status::Ok();
}

ProbeCounts& SuiteProbes() {
  static ProbeCounts counts{};
  return counts;
}

namespace {

// Prints the tally after the last test, so every run shows which fault paths it exercised.
class ProbeReporter : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf("[fault probes] %s\n", FormatProbeCounts(SuiteProbes()).c_str());
  }
};

const auto* const kReporter = ::testing::AddGlobalTestEnvironment(new ProbeReporter);

}  // namespace
}  // namespace crashdrill::faults::testing
