// A real process for the crashfs tests to cut the power under. Prints one line per
// acknowledged (durable by its own contract) unit of work, and runs until killed:
//   records PATH        64-byte records at increasing offsets, each fdatasync'ed
//   mmap PATH           a counter stored into a shared mapping, each msync(MS_SYNC)'ed
//   sqlite DB MODE ID   rows inserted from id ID with PRAGMA synchronous=MODE (WAL)
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::exit(3);
}

int SyncParent(const std::string& path) {
  const std::string dir = path.substr(0, path.rfind('/'));
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0 || fsync(fd) != 0) Die("fsync dir");
  return close(fd);
}

int Records(const std::string& path) {
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0644);
  if (fd < 0) Die("open");
  SyncParent(path);
  for (long i = 0;; ++i) {
    char record[64];
    std::memset(record, '.', sizeof record);
    std::snprintf(record, sizeof record, "record %08ld", i);
    record[63] = '\n';
    if (pwrite(fd, record, sizeof record, i * 64) != 64) Die("pwrite");
    if (fdatasync(fd) != 0) Die("fdatasync");
    std::printf("%ld\n", i);
    std::fflush(stdout);
  }
}

int Mapped(const std::string& path) {
  const int fd = open(path.c_str(), O_CREAT | O_RDWR, 0644);
  if (fd < 0 || ftruncate(fd, 4096) != 0 || fsync(fd) != 0) Die("open");
  SyncParent(path);
  auto* page = static_cast<char*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  if (page == MAP_FAILED) Die("mmap");
  for (long i = 1;; ++i) {
    std::snprintf(page, 64, "counter %08ld", i);
    if (msync(page, 4096, MS_SYNC) != 0) Die("msync");
    std::printf("%ld\n", i);
    std::fflush(stdout);
  }
}

int Sqlite(const std::string& path, const std::string& mode, long first_id) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("sqlite3_open");
  const std::string pragmas =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=" + mode + "; PRAGMA busy_timeout=5000;";
  if (sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) Die("pragma");
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO t(id, payload) VALUES(?, randomblob(200))", -1,
                         &insert, nullptr) != SQLITE_OK) {
    Die("prepare");
  }
  for (long id = first_id;; ++id) {
    sqlite3_bind_int64(insert, 1, id);
    if (sqlite3_step(insert) != SQLITE_DONE) Die(sqlite3_errmsg(db));
    sqlite3_reset(insert);
    std::printf("%ld\n", id);  // committed: sqlite3_step of an autocommit INSERT returned
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "records" && argc == 3) return Records(argv[2]);
  if (mode == "mmap" && argc == 3) return Mapped(argv[2]);
  if (mode == "sqlite" && argc == 5) return Sqlite(argv[2], argv[3], std::atol(argv[4]));
  std::fprintf(stderr, "usage: crashfs_helper records PATH | mmap PATH | sqlite DB MODE ID\n");
  return 2;
}
