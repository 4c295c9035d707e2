// Helpers shared by the fault-layer tests: byte/string conversions, whole-file reads
// through the Fs seam, and the suite-wide coverage probe tally printed at exit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faults/fault_trace.h"
#include "system/io/fs.h"

namespace crashdrill::faults::testing {

inline std::vector<std::byte> Bytes(std::string_view text) {
  const auto span = system::AsBytes(text);
  return {span.begin(), span.end()};
}

inline std::string Text(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The whole file as a string, or "<error: ...>" so a failed read shows in assertions.
std::string ReadText(system::Fs& fs, const std::string& path);

// Creates or truncates `path`, writes `text`, and syncs the file when `sync` is set.
system::Status WriteText(system::Fs& fs, const std::string& path, std::string_view text,
                         bool sync);

// Probe counts of every fault-layer object the suite exercised, printed at exit.
ProbeCounts& SuiteProbes();
inline void Tally(const FaultTrace& trace) { AddProbeCounts(SuiteProbes(), trace.counts()); }

}  // namespace crashdrill::faults::testing
