// A crashfs mount for a test: a real `crashdrill crashfs` daemon on a temporary backing
// directory and mountpoint, real child processes, and a teardown that always leaves no
// mount and no process behind (SIGKILL the children, SIGTERM then SIGKILL the daemon,
// `fusermount3 -uz`), even when an assertion failed half-way.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace crashdrill::faults::crashfs {

// A child process with its stdout on a pipe, read line by line.
struct Child {
  pid_t pid = -1;
  std::FILE* out = nullptr;
};

class CrashfsTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts the daemon with `seed` and an optional CrashModel JSON; returns once mounted.
  void Mount(uint64_t seed, const std::string& model_json = "");
  // `crashdrill crashfs --power-loss`: returns its stdout line; expects exit 0.
  std::string PowerLoss();
  // SIGTERM, and waits for a clean exit 0.
  void Unmount();

  // Spawns `argv` (argv[0] a path) with stdout on a pipe.
  Child Spawn(const std::vector<std::string>& argv);
  Child SpawnHelper(const std::vector<std::string>& args);
  // Reads one line of the child's stdout; false at EOF.
  static bool ReadLine(Child& child, std::string& line);
  // Reads to EOF (the child died), reaps it, returns every line it printed.
  std::vector<std::string> Drain(Child& child);

  std::string Mnt(const std::string& name = "") const {
    return mnt_ + (name.empty() ? "" : "/" + name);
  }
  std::string Backing(const std::string& name = "") const {
    return backing_ + (name.empty() ? "" : "/" + name);
  }
  // Every regular file under `dir`, relative path -> content.
  static std::map<std::string, std::string> Tree(const std::string& dir);

  std::string root_, backing_, mnt_;
  Child daemon_;
  std::vector<pid_t> children_;
};

// File helpers on real paths (through the mount or not); every failure is a test failure.
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text, bool sync);
void SyncDir(const std::string& dir);

}  // namespace crashdrill::faults::crashfs
