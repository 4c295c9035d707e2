// TempDir: a fresh directory under /tmp for one test on real files, removed
// with everything in it when the test ends.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "system/io/fs.h"

namespace crashdrill::testing {

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/crashdrill-test-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Join(std::string_view name) const { return system::JoinPath(path_, name); }

 private:
  std::string path_;
};

}  // namespace crashdrill::testing
