#include "faults/sim_inode.h"

#include <algorithm>
#include <cstring>

namespace crashdrill::faults {

std::string NormalizeSimPath(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  while (out.size() > 2 && out.compare(0, 2, "./") == 0) out.erase(0, 2);
  return out.empty() ? "." : out;
}

void ApplyWrite(std::vector<std::byte>& bytes, uint64_t offset, system::ByteSpan data) {
  const uint64_t end = offset + data.size();
  if (bytes.size() < end) bytes.resize(end, std::byte{0});
  if (!data.empty()) std::memcpy(bytes.data() + offset, data.data(), data.size());
}

void ApplyOp(std::vector<std::byte>& bytes, const PendingOp& op) {
  if (op.kind == PendingOp::Kind::kTruncate) {
    bytes.resize(op.offset, std::byte{0});
  } else {
    ApplyWrite(bytes, op.offset, op.data);
  }
}

void RebuildCache(SimInode& inode) {
  inode.cache = inode.durable;
  for (const PendingOp& op : inode.pending) ApplyOp(inode.cache, op);
}

void TrimPending(SimInode& inode, uint64_t begin, uint64_t end) {
  std::vector<PendingOp> kept;
  kept.reserve(inode.pending.size());
  for (PendingOp& op : inode.pending) {
    const uint64_t op_end = op.offset + op.data.size();
    if (op.kind != PendingOp::Kind::kWrite || op_end <= begin || op.offset >= end) {
      kept.push_back(std::move(op));
      continue;
    }
    if (op.offset < begin) {
      PendingOp head = op;
      head.data.assign(op.data.begin(), op.data.begin() + static_cast<std::ptrdiff_t>(begin - op.offset));
      kept.push_back(std::move(head));
    }
    if (op_end > end) {
      PendingOp tail = op;
      tail.offset = end;
      tail.data.assign(op.data.begin() + static_cast<std::ptrdiff_t>(end - op.offset), op.data.end());
      kept.push_back(std::move(tail));
    }
  }
  inode.pending = std::move(kept);
}

}  // namespace crashdrill::faults
