#include "system/levels/mmap_checkpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "system/io/check.h"
#include "system/state/byte_codec.h"
#include "system/state/codec.h"
#include "system/state/trading_image.h"

namespace crashdrill::system {
namespace {

constexpr uint32_t kL1Magic = 0x314C4443;  // "CDL1" as little-endian bytes
// Version 2: a slot holds a TradingImage (entry by entry, refreshed
// incrementally) instead of a whole encoded state document.
constexpr uint32_t kL1FormatVersion = 2;
constexpr size_t kHeaderFieldBytes = 24;  // magic, version, slot size, checksum

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
  CD_CHECK(options_.slot_bytes > kSlotHeaderBytes, "an L1 slot must hold more than its header");
}

MmapCheckpoint::~MmapCheckpoint() = default;

uint64_t MmapCheckpoint::FileBytes() const { return kFileHeaderBytes + 2 * options_.slot_bytes; }

uint64_t MmapCheckpoint::SlotOffset(int index) const {
  return kFileHeaderBytes + static_cast<uint64_t>(index) * options_.slot_bytes;
}

Status MmapCheckpoint::Open() {
  CD_ASSIGN_OR_RETURN(bool exists, fs_.Exists(options_.path));
  CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                      fs_.Open(options_.path, OpenOptions::CreateOrOpen()));
  CD_RETURN_IF_ERROR(PrepareFile(*file, exists));
  CD_ASSIGN_OR_RETURN(region_, file->Map(0, FileBytes()));
  file_ = std::move(file);
  const auto slots = ReadSlots();
  const bool first_newer =
      slots[0].state.ok() && (!slots[1].state.ok() || slots[0].state_seq >= slots[1].state_seq);
  const bool any_valid = slots[0].state.ok() || slots[1].state.ok();
  next_slot_ = !any_valid ? 0 : (first_newer ? 1 : 0);
  return Status::Ok();
}

Result<L1Inspection> MmapCheckpoint::Inspect() const {
  L1Inspection out;
  CD_ASSIGN_OR_RETURN(out.exists, fs_.Exists(options_.path));
  if (!out.exists) return out;
  CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs_.Open(options_.path, OpenOptions::Read()));
  CD_ASSIGN_OR_RETURN(out.file_bytes, file->Size());
  std::vector<std::byte> header(kHeaderFieldBytes);  // zeros past the end of the file
  if (out.file_bytes > 0) CD_RETURN_IF_ERROR(file->ReadAt(0, header).status());
  const std::vector<std::byte> expected = FileHeader(options_.slot_bytes);
  if (!std::equal(header.begin(), header.end(), expected.begin())) {
    out.header = CheckFileHeader(header);
    if (out.header.ok()) {
      out.header = Status::Error(StatusCode::kFailedPrecondition, "inspect", options_.path,
                                 fmt::format("header.slot_bytes: the file's slot size differs "
                                             "from the configured {}",
                                             options_.slot_bytes));
    }
  } else if (out.file_bytes < FileBytes()) {
    out.header = Status::Corruption(
        options_.path, out.file_bytes, "file.size",
        fmt::format("the file is {} bytes, the layout {}", out.file_bytes, FileBytes()));
  }
  CD_ASSIGN_OR_RETURN(out.slots, ReadSlotsUnmapped(*file, out.file_bytes));
  return out;
}

// Decides what the file at the path is before anything maps it: a file
// shorter than the layout must never be mapped (a store past its end is
// SIGBUS on a real file), and only a file that holds nothing of value, or
// whose valid slots stay where they are, may be written here.
Status MmapCheckpoint::PrepareFile(File& file, bool existed) {
  CD_ASSIGN_OR_RETURN(const uint64_t size, file.Size());
  report_ = {.found = L1Found::kNoFile, .file_bytes = size};
  std::vector<std::byte> header(kHeaderFieldBytes);  // zeros past the end of the file
  if (size > 0) CD_RETURN_IF_ERROR(file.ReadAt(0, header).status());
  const std::vector<std::byte> expected = FileHeader(options_.slot_bytes);
  const size_t present = static_cast<size_t>(std::min<uint64_t>(size, header.size()));
  const bool own =
      present > 0 && std::equal(header.begin(), header.begin() + present, expected.begin());
  const bool blank =
      std::all_of(header.begin(), header.end(), [](std::byte b) { return b == std::byte{0}; });
  if (own && size >= FileBytes()) {
    report_.found = L1Found::kComplete;
    // A crash may have left all of it in the page cache only: adopt it durably.
    CD_RETURN_IF_ERROR(file.Allocate(0, FileBytes()));
    return MakeDurable(file);
  }
  const Status header_status = own || blank ? Status::Ok() : CheckFileHeader(header);
  if (!header_status.ok() && !header_status.IsCorruption()) return header_status;
  CD_ASSIGN_OR_RETURN(const auto slots, ReadSlotsUnmapped(file, size));
  const L1Slot* newest = nullptr;
  for (const L1Slot& slot : slots) {
    if (slot.state.ok() && (newest == nullptr || slot.state_seq > newest->state_seq)) {
      newest = &slot;
    }
  }
  if (newest == nullptr && !header_status.ok()) return header_status;  // not known to be ours
  if (existed) {
    report_.found = newest == nullptr ? L1Found::kUnfinished : L1Found::kDamagedWithValidSlot;
    report_.finding = Finding(header_status, size, newest);
  }
  return CompleteFile(file, size);
}

// What was wrong with an existing file that was not complete, and what Open
// does about it.
Status MmapCheckpoint::Finding(const Status& header_status, uint64_t size,
                               const L1Slot* newest) const {
  Status finding =
      !header_status.ok() ? header_status
      : size < FileBytes()
          ? Status::Corruption(
                options_.path, size, "file.size",
                fmt::format("the file is {} bytes, the layout {}", size, FileBytes()))
          : Status::Corruption(options_.path, 0, "header", "the header reads as zeros");
  finding.Annotate(newest == nullptr
                       ? std::string("no slot holds a valid state: initialised again")
                       : fmt::format("slot {} holds state_seq {}: header and size restored, "
                                     "both slots kept as they were",
                                     newest->index, newest->state_seq));
  return finding;
}

// Gives the file its reserved full size and its header, leaving the slots'
// bytes as they are, and makes all of it durable with its directory entry.
Status MmapCheckpoint::CompleteFile(File& file, uint64_t size) {
  // Reserve every byte now so later stores into the map cannot hit a full disk.
  CD_RETURN_IF_ERROR(file.Allocate(0, FileBytes()));
  if (size < FileBytes()) CD_RETURN_IF_ERROR(file.Truncate(FileBytes()));
  CD_RETURN_IF_ERROR(file.WriteAt(0, FileHeader(options_.slot_bytes)));
  return MakeDurable(file);
}

Status MmapCheckpoint::MakeDurable(File& file) {
  CD_RETURN_IF_ERROR(file.Sync());
  return fs_.SyncDir(ParentDir(options_.path));
}

// Corruption for a damaged header; kFailedPrecondition for a valid header of
// another format version or slot size. REQUIRES: header.size() == kHeaderFieldBytes.
Status MmapCheckpoint::CheckFileHeader(ByteSpan header) const {
  ByteReader r(header, options_.path, 0);
  const bool magic_ok = r.U32("magic") == kL1Magic;
  const bool sum_ok = LoadU64(header.data() + 16) == Checksum64(header.first(16));
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

// Both slots read with ReadAt (bytes past the end of the file read as zeros).
Result<std::array<L1Slot, 2>> MmapCheckpoint::ReadSlotsUnmapped(File& file, uint64_t size) const {
  // Only what a slot holds is read: its header, then the image its length
  // names (a slot is megabytes, its image often kilobytes; recovery reads this
  // cold). Bytes past the end of a short file read as zeros.
  std::array<L1Slot, 2> slots;
  std::vector<std::byte> bytes;
  for (int index = 0; index < 2; ++index) {
    const uint64_t offset = SlotOffset(index);
    bytes.assign(kSlotHeaderBytes, std::byte{0});
    const auto read = [&](size_t from) -> Status {
      if (offset + from >= size) return Status::Ok();
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(bytes.size() - from, size - offset - from));
      return file.ReadAt(offset + from, MutableByteSpan(bytes).subspan(from, n)).status();
    };
    CD_RETURN_IF_ERROR(read(0));
    const uint64_t length = LoadU64(bytes.data() + 8);
    if (length <= options_.slot_bytes - kSlotHeaderBytes) {
      bytes.resize(kSlotHeaderBytes + length, std::byte{0});
      CD_RETURN_IF_ERROR(read(kSlotHeaderBytes));
    }
    slots[static_cast<size_t>(index)] = DecodeSlot(bytes, index);
  }
  return slots;
}

MutableByteSpan MmapCheckpoint::Slot(int index) const {
  return region_->data().subspan(SlotOffset(index), options_.slot_bytes);
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
  CD_CHECK(region_ != nullptr, "MmapCheckpoint::Write before Open");
  const ByteSpan image = image_.bytes();
  const size_t needed = kSlotHeaderBytes + image.size();
  if (needed > options_.slot_bytes) {
    return Status::Error(
        StatusCode::kFailedPrecondition, "write", options_.path,
        fmt::format("state of {} bytes outgrows the {}-byte L1 slot", needed, options_.slot_bytes));
  }
  std::byte* slot = Slot(next_slot_).data();
  // Invalidate first, so a crash mid-copy cannot leave the old header over new bytes.
  StoreU64(slot + 16, 0);
  std::memcpy(slot + kSlotHeaderBytes, image.data(), image.size());
  StoreU64(slot, state_seq);
  StoreU64(slot + 8, image.size());
  StoreU64(slot + 16, SlotChecksum(slot, image));
  if (options_.sync_each_write) {
    CD_RETURN_IF_ERROR(region_->Sync(SlotOffset(next_slot_), needed));
  }
  next_slot_ = 1 - next_slot_;
  return Status::Ok();
}

L1Slot MmapCheckpoint::ReadSlot(int index) const { return DecodeSlot(Slot(index), index); }

L1Slot MmapCheckpoint::DecodeSlot(ByteSpan slot_bytes, int index) const {
  // The whole slot (mapped), or its header and as much as its length names (read).
  CD_CHECK(slot_bytes.size() >= kSlotHeaderBytes && slot_bytes.size() <= options_.slot_bytes,
           "an L1 slot of the wrong size");
  L1Slot out;
  out.index = index;
  const std::byte* slot = slot_bytes.data();
  const std::string name = fmt::format("slot{}", index);
  out.state_seq = LoadU64(slot);
  const uint64_t length = LoadU64(slot + 8);
  const uint64_t stored = LoadU64(slot + 16);
  out.empty = out.state_seq == 0 && length == 0 && stored == 0;
  if (out.empty) return out;
  const uint64_t slot_offset = SlotOffset(index);
  if (length > options_.slot_bytes - kSlotHeaderBytes) {
    out.state = Status::Corruption(options_.path, slot_offset + 8, name + ".length",
                                   fmt::format("length {} exceeds the slot", length));
    return out;
  }
  CD_CHECK(kSlotHeaderBytes + length <= slot_bytes.size(), "an L1 slot read short of its length");
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
