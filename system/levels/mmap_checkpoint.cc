#include "system/levels/mmap_checkpoint.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include <fmt/format.h>

#include "system/state/byte_codec.h"
#include "system/state/codec.h"
#include "system/state/trading_image.h"

namespace crashdrill::system {
namespace {

constexpr uint32_t kL1Magic = 0x314C4443;  // "CDL1" as little-endian bytes
// Version 2: a slot holds a TradingImage (entry by entry, refreshed
// incrementally) instead of a whole encoded state document.
constexpr uint32_t kL1FormatVersion = 2;

uint64_t LoadU64(const std::byte* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<uint64_t>(p[i]);
  return value;
}

void StoreU64(std::byte* p, uint64_t value) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::byte>(value >> (8 * i));
}

// XXH3 over the slot's seq and length fields and the image.
uint64_t SlotChecksum(const std::byte* slot, ByteSpan image) {
  return Checksum64(ByteSpan(slot, 16), image);
}

// The file header: magic, format version, slot size, then XXH3 of those 16 bytes.
std::vector<std::byte> FileHeader(uint64_t slot_bytes) {
  ByteWriter w;
  w.U32(kL1Magic);
  w.U32(kL1FormatVersion);
  w.U64(slot_bytes);
  w.U64(Checksum64(w.written()));
  return w.Take();
}

}  // namespace

MmapCheckpoint::MmapCheckpoint(Fs& fs, MmapCheckpointOptions options)
    : fs_(fs), options_(std::move(options)) {
  assert(options_.slot_bytes > kSlotHeaderBytes);
}

MmapCheckpoint::~MmapCheckpoint() = default;

Status MmapCheckpoint::Open() {
  const uint64_t file_bytes = kFileHeaderBytes + 2 * options_.slot_bytes;
  CD_ASSIGN_OR_RETURN(bool exists, fs_.Exists(options_.path));
  CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                      fs_.Open(options_.path, OpenOptions::CreateOrOpen()));
  if (exists) {
    CD_RETURN_IF_ERROR(CheckFileHeader(*file));
  } else {
    CD_RETURN_IF_ERROR(InitializeFile(*file));
  }
  CD_ASSIGN_OR_RETURN(region_, file->Map(0, file_bytes));
  file_ = std::move(file);
  const auto slots = ReadSlots();
  const bool first_newer = slots[0].state.ok() &&
                           (!slots[1].state.ok() || slots[0].state_seq >= slots[1].state_seq);
  const bool any_valid = slots[0].state.ok() || slots[1].state.ok();
  next_slot_ = !any_valid ? 0 : (first_newer ? 1 : 0);
  return Status::Ok();
}

Status MmapCheckpoint::InitializeFile(File& file) {
  // Reserve every byte now so later stores into the map cannot hit a full disk.
  const uint64_t file_bytes = kFileHeaderBytes + 2 * options_.slot_bytes;
  CD_RETURN_IF_ERROR(file.Allocate(0, file_bytes));
  CD_RETURN_IF_ERROR(file.Truncate(file_bytes));
  CD_RETURN_IF_ERROR(file.WriteAt(0, FileHeader(options_.slot_bytes)));
  CD_RETURN_IF_ERROR(file.Sync());
  return fs_.SyncDir(ParentDir(options_.path));
}

Status MmapCheckpoint::CheckFileHeader(File& file) {
  std::vector<std::byte> header(24);
  CD_ASSIGN_OR_RETURN(size_t read, file.ReadAt(0, header));
  const std::vector<std::byte> expected = FileHeader(options_.slot_bytes);
  if (read == header.size() && header == expected) return Status::Ok();
  ByteReader r(header, options_.path, 0);
  const bool magic_ok = read >= 4 && r.U32("magic") == kL1Magic;
  const bool sum_ok = read == header.size() &&
                      LoadU64(header.data() + 16) == Checksum64(ByteSpan(header).first(16));
  if (!magic_ok || !sum_ok) {
    return Status::Corruption(options_.path, 0, magic_ok ? "header.checksum" : "header.magic",
                              "not a valid L1 checkpoint file header; the file is kept");
  }
  const uint32_t version = r.U32("version");
  if (version != kL1FormatVersion) {
    return Status::Error(StatusCode::kFailedPrecondition, "open", options_.path,
                         fmt::format("header.version: L1 file format version {}, this build "
                                     "reads version {}; the file is kept",
                                     version, kL1FormatVersion));
  }
  return Status::Error(StatusCode::kFailedPrecondition, "open", options_.path,
                       fmt::format("L1 file has slots of {} bytes, configured {}",
                                   LoadU64(header.data() + 8), options_.slot_bytes));
}

MutableByteSpan MmapCheckpoint::Slot(int index) const {
  return region_->data().subspan(kFileHeaderBytes + static_cast<size_t>(index) * options_.slot_bytes,
                                 options_.slot_bytes);
}

Status MmapCheckpoint::Write(const TradingState& state) {
  image_.Reset(state);
  writes_since_verify_ = 0;
  return WriteImage(state.state_seq);
}

Status MmapCheckpoint::Write(const TradingState& state, const TradingChanges& changes) {
  image_.Refresh(state, changes);
  Status drift;
  if (options_.verify_every != 0 && ++writes_since_verify_ >= options_.verify_every) {
    writes_since_verify_ = 0;
    ++verifications_;
    drift = image_.Verify(state);
    // A change the bookkeeping missed: write the whole state, then say so.
    if (!drift.ok()) image_.Reset(state);
  }
  CD_RETURN_IF_ERROR(WriteImage(state.state_seq));
  return drift;
}

Status MmapCheckpoint::WriteImage(Seq state_seq) {
  assert(region_ != nullptr && "MmapCheckpoint::Write before Open");
  const ByteSpan image = image_.bytes();
  const size_t needed = kSlotHeaderBytes + image.size();
  if (needed > options_.slot_bytes) {
    return Status::Error(StatusCode::kFailedPrecondition, "write", options_.path,
                         fmt::format("state of {} bytes outgrows the {}-byte L1 slot", needed,
                                     options_.slot_bytes));
  }
  std::byte* slot = Slot(next_slot_).data();
  // Invalidate first, so a crash mid-copy cannot leave the old header over new bytes.
  StoreU64(slot + 16, 0);
  std::memcpy(slot + kSlotHeaderBytes, image.data(), image.size());
  StoreU64(slot, state_seq);
  StoreU64(slot + 8, image.size());
  StoreU64(slot + 16, SlotChecksum(slot, image));
  if (options_.sync_each_write) {
    CD_RETURN_IF_ERROR(region_->Sync(kFileHeaderBytes + static_cast<size_t>(next_slot_) *
                                         options_.slot_bytes, needed));
  }
  next_slot_ = 1 - next_slot_;
  return Status::Ok();
}

L1Slot MmapCheckpoint::ReadSlot(int index) const {
  L1Slot out;
  out.index = index;
  const std::byte* slot = Slot(index).data();
  const std::string name = fmt::format("slot{}", index);
  out.state_seq = LoadU64(slot);
  const uint64_t length = LoadU64(slot + 8);
  const uint64_t stored = LoadU64(slot + 16);
  out.empty = out.state_seq == 0 && length == 0 && stored == 0;
  if (out.empty) return out;
  const uint64_t slot_offset = kFileHeaderBytes + static_cast<uint64_t>(index) * options_.slot_bytes;
  if (length > options_.slot_bytes - kSlotHeaderBytes) {
    out.state = Status::Corruption(options_.path, slot_offset + 8, name + ".length",
                                   fmt::format("length {} exceeds the slot", length));
    return out;
  }
  const ByteSpan image(slot + kSlotHeaderBytes, length);
  if (stored == 0 || SlotChecksum(slot, image) != stored) {
    out.state = Status::Corruption(options_.path, slot_offset + 16, name + ".checksum",
                                   "slot checksum mismatch (torn or corrupt slot)");
    return out;
  }
  out.state = DecodeTradingImage(image, options_.path, slot_offset + kSlotHeaderBytes);
  if (!out.state.ok()) {
    const Status& error = out.state.status();
    out.state = Status::Corruption(options_.path, static_cast<uint64_t>(error.offset()),
                                   name + "." + error.field(), error.message());
  } else if (out.state->state_seq != out.state_seq) {
    out.state = Status::Corruption(options_.path, slot_offset, name + ".state_seq",
                                   fmt::format("slot header says state_seq {}, the image {}",
                                               out.state_seq, out.state->state_seq));
  }
  return out;
}

std::array<L1Slot, 2> MmapCheckpoint::ReadSlots() const { return {ReadSlot(0), ReadSlot(1)}; }

Result<TradingState> MmapCheckpoint::ReadNewest() const {
  auto slots = ReadSlots();
  L1Slot* best = nullptr;
  for (L1Slot& slot : slots) {
    if (slot.state.ok() && (best == nullptr || slot.state->state_seq > best->state->state_seq)) {
      best = &slot;
    }
  }
  if (best == nullptr) {
    return Status::Error(StatusCode::kNotFound, "read", options_.path, "no valid L1 slot");
  }
  return std::move(best->state);
}

}  // namespace crashdrill::system
