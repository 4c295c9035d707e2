#include "tests/bench/bench_support.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace crashdrill::bench {

system::TradingState TypicalCriticalState() {
  using namespace system;
  TradingState t;
  t.account_id = "acct-bench";
  for (int i = 0; i < 100; ++i) {
    const std::string symbol = "SYM" + std::to_string(i);
    t.positions[symbol] = {symbol, 10 + i, (10 + i) * 5'000, i * 3};
    t.risk.exposure_lots[symbol] = 10 + i;
  }
  for (int i = 0; i < 1000; ++i) {
    Order o;
    o.client_order_id = "c-" + std::to_string(100'000 + i);
    o.exchange_order_id = 9'000'000 + static_cast<uint64_t>(i);
    o.symbol = "SYM" + std::to_string(i % 100);
    o.venue = "SIMX";
    o.strategy_id = "mm-1";
    o.side = i % 2 == 0 ? Side::kBuy : Side::kSell;
    o.price_ticks = 4'800 + i % 50;
    o.quantity_lots = 10;
    o.filled_lots = i % 3;
    t.open_orders[o.client_order_id] = o;
  }
  t.balances["SIMX/USD"] = {"SIMX", "USD", 1'000'000'000, 900'000'000};
  t.state_seq = 1;
  return t;
}


using system::Status;

namespace {
std::filesystem::path BenchRoot() {
  const char* root = std::getenv("CRASHDRILL_BENCH_DIR");
  return std::filesystem::path(root != nullptr ? root : "crashdrill-bench");
}
}  // namespace

std::string BenchDir(const std::string& name) {
  const std::filesystem::path dir = BenchRoot() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string BenchCacheDir(const std::string& name) {
  const std::filesystem::path dir = BenchRoot() / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string WhySyncCostIsMeaningless(const std::string& dir) {
  struct statfs fs {};
  if (statfs(dir.c_str(), &fs) != 0) {
    return fmt::format("statfs({}) failed: {}; cannot tell whether a sync there means anything",
                       dir, std::strerror(errno));
  }
  const char* kind = fs.f_type == TMPFS_MAGIC   ? "tmpfs"
                     : fs.f_type == RAMFS_MAGIC ? "ramfs"
                                                : nullptr;
  if (kind == nullptr) return "";
  return fmt::format(
      "refusing to measure sync cost on {} ({}): it has no device, so fsync "
      "returns at once and proves nothing; set CRASHDRILL_BENCH_DIR to a "
      "directory on a disk",
      kind, dir);
}

bool RefuseVolatileFs(benchmark::State& state, const std::string& dir) {
  const std::string why = WhySyncCostIsMeaningless(dir);
  if (why.empty()) return false;
  state.SkipWithError(why.c_str());
  return true;
}

FdatasyncFloor::FdatasyncFloor(std::string path, size_t record_bytes, uint64_t file_bytes)
    : path_(std::move(path)), record_(record_bytes, 'r'), file_bytes_(file_bytes) {}

FdatasyncFloor::~FdatasyncFloor() {
  if (fd_ >= 0) ::close(fd_);
}

Status FdatasyncFloor::Open() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::FromErrno(errno, "floor open", path_);
  if (const int error = posix_fallocate(fd_, 0, static_cast<off_t>(file_bytes_)); error != 0) {
    return Status::FromErrno(error, "floor posix_fallocate", path_);
  }
  if (::fsync(fd_) != 0) return Status::FromErrno(errno, "floor fsync", path_);
  offset_ = 0;
  return Status::Ok();
}

Status FdatasyncFloor::WriteAndSync() {
  if (offset_ + record_.size() > file_bytes_) CD_RETURN_IF_ERROR(Open());
  const ssize_t written =
      ::pwrite(fd_, record_.data(), record_.size(), static_cast<off_t>(offset_));
  if (written != static_cast<ssize_t>(record_.size())) {
    return written < 0
               ? Status::FromErrno(errno, "floor pwrite", path_)
               : Status::Error(system::StatusCode::kNoSpace, "floor pwrite", path_, "short write");
  }
  if (::fdatasync(fd_) != 0) return Status::FromErrno(errno, "floor fdatasync", path_);
  offset_ += record_.size();
  return Status::Ok();
}

namespace {

// Bytes of `fd` (of `size` bytes) resident in the page cache.
system::Result<uint64_t> ResidentBytes(int fd, uint64_t size, const std::string& path) {
  if (size == 0) return uint64_t{0};
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return Status::FromErrno(errno, "mmap for mincore", path);
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((size + page - 1) / page);
  const int result = ::mincore(map, size, resident.data());
  const int error = errno;
  ::munmap(map, size);
  if (result != 0) return Status::FromErrno(error, "mincore", path);
  const auto pages =
      std::count_if(resident.begin(), resident.end(), [](unsigned char r) { return (r & 1) != 0; });
  return static_cast<uint64_t>(pages) * page;
}

}  // namespace

system::Result<DroppedCache> DropPageCache(const std::string& dir) {
  DroppedCache out;
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, error)) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(errno, "open to drop cache", path);
    struct stat st {};
    Status status;
    if (::fstat(fd, &st) != 0) {
      status = Status::FromErrno(errno, "fstat", path);
    } else if (::fdatasync(fd) != 0) {  // DONTNEED leaves dirty pages where they are
      status = Status::FromErrno(errno, "fdatasync before dropping cache", path);
    } else if (const int e = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); e != 0) {
      status = Status::FromErrno(e, "posix_fadvise(DONTNEED)", path);
    }
    auto resident = status.ok() ? ResidentBytes(fd, static_cast<uint64_t>(st.st_size), path)
                                : system::Result<uint64_t>(status);
    ::close(fd);
    if (!resident.ok()) return resident.status();
    out.file_bytes += static_cast<uint64_t>(st.st_size);
    out.resident_bytes += *resident;
  }
  if (error) return Status::Error(system::StatusCode::kIoError, "list", dir, error.message());
  return out;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void AddMinMax(benchmark::internal::Benchmark* b) {
  b->ComputeStatistics("min", [](const std::vector<double>& v) {
     return *std::min_element(v.begin(), v.end());
   })->ComputeStatistics("max", [](const std::vector<double>& v) {
    return *std::max_element(v.begin(), v.end());
  });
}

double Samples::Percentile(double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}
double Samples::Min() {
  return values.empty() ? 0 : *std::min_element(values.begin(), values.end());
}
double Samples::Max() {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

}  // namespace crashdrill::bench
