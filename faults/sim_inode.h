// SimInode: one simulated file's bytes as the device and the page cache see them.
// `durable` is what a power loss keeps for sure; `pending` the writes and truncates handed
// to the kernel but not yet synced, in issue order; `cache` the page-cache view (durable
// with pending applied in order), which every read returns. Internal to SimDisk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "system/io/fs.h"

namespace crashdrill::faults {

class SimMappedRegion;

struct PendingOp {
  enum class Kind : uint8_t { kWrite, kTruncate };
  Kind kind = Kind::kWrite;
  uint64_t offset = 0;  // kWrite: where the data goes; kTruncate: the new size
  std::vector<std::byte> data;
  uint64_t op_index = 0;
};

struct SimInode {
  uint64_t id = 0;
  std::vector<std::byte> durable;
  std::vector<PendingOp> pending;
  std::vector<std::byte> cache;
  uint64_t allocated_bytes = 0;          // posix_fallocate reservation (file offsets)
  std::vector<SimMappedRegion*> maps;    // live mappings whose stores must be folded in
  uint32_t open_handles = 0;
};

// One name per file: collapses "//", drops a trailing '/' and a leading "./".
std::string NormalizeSimPath(const std::string& path);

// Writes `data` at `offset`, growing `bytes` with zeros as needed.
void ApplyWrite(std::vector<std::byte>& bytes, uint64_t offset, system::ByteSpan data);
void ApplyOp(std::vector<std::byte>& bytes, const PendingOp& op);
// cache = durable with every pending op applied in order.
void RebuildCache(SimInode& inode);
// Removes [begin, end) from every pending write (splitting writes that straddle it), for
// a range that just became durable by another path (msync).
void TrimPending(SimInode& inode, uint64_t begin, uint64_t end);

}  // namespace crashdrill::faults
