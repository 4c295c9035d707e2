#include "reports/result_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace crashdrill::reports {
namespace {

std::string StepFailed(const std::string& path, const char* step, int error) {
  return fmt::format("{}: step '{}' failed: {}", path, step, std::strerror(error));
}

// Writes all of `text` to `fd`, retrying short writes and EINTR; errno on failure.
int WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

// Makes the rename of a file in `dir` durable.
int SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int error = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return error;
}

}  // namespace

Checked<nlohmann::json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Refusal{fmt::format("{}: cannot be opened: {}", path, std::strerror(errno))};
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Refusal{fmt::format("{}: cannot be read", path)};
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& error) {
    return Refusal{fmt::format("{}: not a complete JSON document (truncated?): byte {}: {}", path,
                               error.byte, error.what())};
  }
}

Checked<ResultRecord> ReadResultFile(const std::string& path) {
  Checked<nlohmann::json> json = ReadJsonFile(path);
  if (!json.ok()) return Refusal{json.error()};
  Checked<ResultRecord> result = ResultFromJson(*json);
  if (!result.ok()) return Refusal{fmt::format("{}: {}", path, result.error())};
  return result;
}

std::string ResultFileText(const nlohmann::json& result) { return result.dump(2) + "\n"; }

std::optional<std::string> WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return StepFailed(temp, "create temp file", errno);
  int error = WriteAll(fd, text);
  const char* step = "write temp file";
  if (error == 0 && ::fsync(fd) != 0) {
    error = errno;
    step = "sync temp file";
  }
  if (::close(fd) != 0 && error == 0) {
    error = errno;
    step = "close temp file";
  }
  if (error == 0 && ::rename(temp.c_str(), path.c_str()) != 0) {
    error = errno;
    step = "rename into place";
  }
  if (error != 0) {
    ::unlink(temp.c_str());  // frees the space; the first error is what matters
    return StepFailed(path, step, error);
  }
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (const int sync_error = SyncDir(dir.string()); sync_error != 0) {
    return StepFailed(path, "sync directory", sync_error) +
           " (the file is in place but may not survive a power loss)";
  }
  return std::nullopt;
}

}  // namespace crashdrill::reports
