#include "tests/faults/crashfs_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace crashdrill::faults::crashfs {

namespace fs = std::filesystem;

void CrashfsTest::SetUp() {
  if (access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no usable /dev/fuse";
  if (access("/usr/bin/fusermount3", X_OK) != 0 && access("/bin/fusermount3", X_OK) != 0) {
    GTEST_SKIP() << "fusermount3 is missing (Debian package fuse3)";
  }
  std::string pattern = (fs::temp_directory_path() / "crashfs-test-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  root_ = pattern;
  backing_ = root_ + "/backing";
  mnt_ = root_ + "/mnt";
  fs::create_directory(backing_);
  fs::create_directory(mnt_);
}

void CrashfsTest::TearDown() {
  for (pid_t pid : children_) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  if (daemon_.pid > 0) {
    kill(daemon_.pid, SIGTERM);
    for (int i = 0; i < 5000 && waitpid(daemon_.pid, nullptr, WNOHANG) == 0; ++i) usleep(1000);
    if (kill(daemon_.pid, SIGKILL) == 0) waitpid(daemon_.pid, nullptr, 0);
  }
  if (daemon_.out != nullptr) std::fclose(daemon_.out);
  if (!mnt_.empty()) {
    const std::string command = "fusermount3 -uz " + mnt_ + " 2>/dev/null";
    if (std::system(command.c_str()) != 0) {
      // Not mounted any more: the usual case.
    }
  }
  std::error_code ignored;
  if (!root_.empty()) fs::remove_all(root_, ignored);
}

Child CrashfsTest::Spawn(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  EXPECT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  Child child{.pid = pid, .out = fdopen(pipe_fds[0], "r")};
  return child;
}

Child CrashfsTest::SpawnHelper(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CRASHDRILL_CRASHFS_HELPER};
  argv.insert(argv.end(), args.begin(), args.end());
  Child child = Spawn(argv);
  children_.push_back(child.pid);
  return child;
}

bool CrashfsTest::ReadLine(Child& child, std::string& line) {
  char buffer[4096];
  if (std::fgets(buffer, sizeof buffer, child.out) == nullptr) return false;
  line = buffer;
  while (!line.empty() && line.back() == '\n') line.pop_back();
  return true;
}

std::vector<std::string> CrashfsTest::Drain(Child& child) {
  std::vector<std::string> lines;
  std::string line;
  while (ReadLine(child, line)) lines.push_back(line);
  std::fclose(child.out);
  child.out = nullptr;
  waitpid(child.pid, nullptr, 0);
  std::erase(children_, child.pid);
  return lines;
}

void CrashfsTest::Mount(uint64_t seed, const std::string& model_json) {
  std::vector<std::string> argv = {
      CRASHDRILL_BINARY, "crashfs", "--backing", backing_, mnt_, "--seed", std::to_string(seed)};
  if (!model_json.empty()) argv.insert(argv.end(), {"--model", model_json});
  daemon_ = Spawn(argv);
  std::string line;
  while (ReadLine(daemon_, line)) {
    if (line.starts_with("crashfs: mounted")) return;
  }
  FAIL() << "the crashfs daemon exited before mounting " << mnt_;
}

std::string CrashfsTest::PowerLoss() {
  Child client = Spawn({CRASHDRILL_BINARY, "crashfs", "--power-loss", mnt_});
  std::string line;
  EXPECT_TRUE(ReadLine(client, line));
  std::fclose(client.out);
  int status = 0;
  waitpid(client.pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << line;
  std::printf("  %s\n", line.c_str());
  return line;
}

void CrashfsTest::Unmount() {
  ASSERT_GT(daemon_.pid, 0);
  kill(daemon_.pid, SIGTERM);
  std::string line, last;
  while (ReadLine(daemon_, line)) last = line;
  int status = 0;
  waitpid(daemon_.pid, &status, 0);
  daemon_.pid = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << last;
  EXPECT_NE(last.find("holds the image"), std::string::npos) << last;
}

std::map<std::string, std::string> CrashfsTest::Tree(const std::string& dir) {
  std::map<std::string, std::string> tree;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    tree[fs::relative(entry.path(), dir).string()] = ReadFile(entry.path().string());
  }
  return tree;
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return "<missing>";
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

void WriteFile(const std::string& path, const std::string& text, bool sync) {
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  if (sync) {
    ASSERT_EQ(fdatasync(fd), 0);
  }
  close(fd);
}

void SyncDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0) << dir;
  ASSERT_EQ(fsync(fd), 0);
  close(fd);
}

}  // namespace crashdrill::faults::crashfs
