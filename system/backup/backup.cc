#include "system/backup/backup.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "system/backup/object_codec.h"
#include "system/backup/state_files.h"
#include "system/levels/atomic_file.h"
#include "system/levels/checkpointer.h"

namespace crashdrill::system {
namespace {

constexpr uint64_t kManifestBytesMax = 256ull << 20;

// The number the next set takes: above every set number on the target,
// complete or not, so an interrupted set's leftover objects are never reused.
Result<uint64_t> NextSetNumber(BackupTarget& target) {
  CD_ASSIGN_OR_RETURN(const std::vector<std::string> names, target.List());
  uint64_t highest = 0;
  for (const std::string& name : names) {
    const std::string set_id = SetIdOfObject(name);
    if (!set_id.empty()) highest = std::max(highest, *ParseSetId(set_id));
  }
  return highest + 1;
}

// The set a new one of `kind` builds on (nullptr for a full).
Result<const Manifest*> ChooseParent(const std::vector<Manifest>& sets, BackupKind kind) {
  if (kind == BackupKind::kFull) return static_cast<const Manifest*>(nullptr);
  for (auto set = sets.rbegin(); set != sets.rend(); ++set) {
    if (kind == BackupKind::kIncremental || set->kind == BackupKind::kFull) return &*set;
  }
  return Status::Error(StatusCode::kFailedPrecondition, "create backup", "",
                       fmt::format("a {} backup needs a complete full backup on the target "
                                   "first; there is none",
                                   BackupKindName(kind)));
}

std::string Where(std::string_view set_id, std::string_view path) {
  return fmt::format("set {} path {}", set_id, path);
}

// Fetches, authenticates and decompresses one file of a manifest and checks
// its size and XXH3 against it. Errors name the object's set and path.
Result<std::vector<std::byte>> FetchFile(BackupTarget& target, const BackupKey& key,
                                         const ManifestEntry& entry) {
  const std::string set_id = SetIdOfObject(entry.object);
  const auto annotate = [&](Status status) {
    return status.Annotate(
        fmt::format("backup object {} ({})", entry.object, Where(set_id, entry.path)));
  };
  Result<std::vector<std::byte>> sealed = target.Get(entry.object);
  if (!sealed.ok()) return annotate(sealed.status());
  Result<std::vector<std::byte>> plain =
      OpenObject(key, ObjectBinding(set_id, entry.path), *sealed, entry.object, entry.bytes);
  if (!plain.ok()) return annotate(plain.status());
  if (plain->size() != entry.bytes || Xxh3Of(*plain) != entry.xxh3) {
    return annotate(
        Status::Corruption(entry.object, 0, "content",
                           fmt::format("{} bytes with XXH3 {:016x}; the manifest "
                                       "says {} bytes with XXH3 {:016x}",
                                       plain->size(), Xxh3Of(*plain), entry.bytes, entry.xxh3)));
  }
  return plain;
}

}  // namespace

Result<Manifest> ReadManifest(BackupTarget& target, const BackupKey& key,
                              const std::string& set_id) {
  const std::string name = ManifestObjectName(set_id);
  Result<std::vector<std::byte>> sealed = target.Get(name);
  if (!sealed.ok()) {
    return Status(sealed.status()).Annotate(fmt::format("manifest of set {}", set_id));
  }
  Result<std::vector<std::byte>> plain =
      OpenObject(key, ManifestBinding(set_id), *sealed, name, kManifestBytesMax);
  if (!plain.ok()) {
    return Status(plain.status()).Annotate(fmt::format("manifest of set {}", set_id));
  }
  const std::string_view text(reinterpret_cast<const char*>(plain->data()), plain->size());
  CD_ASSIGN_OR_RETURN(Manifest manifest, DecodeManifest(text, name));
  if (manifest.set_id != set_id) {
    return Status::Corruption(name, 0, "set", "the manifest names another set");
  }
  return manifest;
}

Result<std::vector<Manifest>> ListBackups(BackupTarget& target, const BackupKey& key) {
  CD_RETURN_IF_ERROR(InitSodium());
  CD_ASSIGN_OR_RETURN(const std::vector<std::string> names, target.List());
  std::vector<Manifest> sets;
  for (const std::string& name : names) {  // sorted: set numbers have 20 digits
    if (!IsManifestObject(name)) continue;
    CD_ASSIGN_OR_RETURN(Manifest manifest, ReadManifest(target, key, SetIdOfObject(name)));
    sets.push_back(std::move(manifest));
  }
  return sets;
}

Result<BackupStats> CreateBackup(Fs& fs, Clock& clock, const std::string& state_dir,
                                 BackupTarget& target, const BackupKey& key, BackupKind kind) {
  const int64_t start_ns = clock.Mono();
  CD_ASSIGN_OR_RETURN(const std::vector<Manifest> sets, ListBackups(target, key));
  CD_ASSIGN_OR_RETURN(const Manifest* parent, ChooseParent(sets, kind));
  CD_ASSIGN_OR_RETURN(const uint64_t number, NextSetNumber(target));
  Manifest manifest{.set_id = SetId(number),
                    .kind = kind,
                    .parent_id = parent != nullptr ? parent->set_id : "",
                    .created_at_ns = clock.Wall()};
  std::map<std::string, const ManifestEntry*> before;
  if (parent != nullptr) {
    for (const ManifestEntry& entry : parent->files) before[entry.path] = &entry;
  }
  BackupStats stats{.set_id = manifest.set_id, .parent_id = manifest.parent_id, .kind = kind};
  const auto store = [&](const std::string& path, ByteSpan bytes) -> Status {
    ManifestEntry entry{.path = path, .bytes = bytes.size(), .xxh3 = Xxh3Of(bytes)};
    const auto old = before.find(path);
    if (old != before.end() && old->second->bytes == entry.bytes &&
        old->second->xxh3 == entry.xxh3) {
      entry.object = old->second->object;  // unchanged: the ancestor's object serves
    } else {
      entry.object = FileObjectName(manifest.set_id, stats.files_stored++);
      const std::vector<std::byte> sealed =
          SealObject(key, ObjectBinding(manifest.set_id, path), bytes);
      CD_RETURN_IF_ERROR(target.Put(entry.object, sealed));
      stats.bytes_read += bytes.size();
      stats.bytes_stored += sealed.size();
    }
    stats.bytes_plain += bytes.size();
    if (old != before.end()) before.erase(old);
    manifest.files.push_back(std::move(entry));
    return Status::Ok();
  };
  CD_ASSIGN_OR_RETURN(manifest.snapshot_seq, VisitStateFiles(fs, state_dir, store));
  for (const auto& [path, entry] : before) manifest.deleted.push_back(path);
  std::sort(manifest.files.begin(), manifest.files.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.path < b.path; });
  // Last: the set exists from here on, and every object it names is durable.
  const std::string text = EncodeManifest(manifest);
  const std::vector<std::byte> sealed =
      SealObject(key, ManifestBinding(manifest.set_id), AsBytes(text));
  CD_RETURN_IF_ERROR(target.Put(ManifestObjectName(manifest.set_id), sealed));
  stats.bytes_stored += sealed.size();
  stats.snapshot_seq = manifest.snapshot_seq;
  stats.files = manifest.files.size();
  stats.files_deleted = manifest.deleted.size();
  stats.duration_ns = clock.Mono() - start_ns;
  return stats;
}

namespace {

// The manifests from `set_id` back to its full, the full first. Parents have
// lower numbers than their children, so the walk ends.
Result<std::vector<Manifest>> ReadChain(BackupTarget& target, const BackupKey& key,
                                        const std::string& set_id) {
  std::vector<Manifest> chain;
  CD_ASSIGN_OR_RETURN(Manifest manifest, ReadManifest(target, key, set_id));
  chain.push_back(std::move(manifest));
  while (!chain.back().parent_id.empty()) {
    const Manifest& child = chain.back();
    if (*ParseSetId(child.parent_id) >= *ParseSetId(child.set_id)) {
      return Status::Corruption(ManifestObjectName(child.set_id), 0, "parent",
                                "the parent set is not older than its child");
    }
    Result<Manifest> parent = ReadManifest(target, key, child.parent_id);
    if (!parent.ok()) {
      return Status(parent.status())
          .Annotate(fmt::format("set {} needs set {}", child.set_id, child.parent_id));
    }
    chain.push_back(std::move(*parent));
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

// Creates every directory `relative_path` needs under `root`, each durably.
Status MakeParents(Fs& fs, const std::string& root, const std::string& relative_path,
                   std::set<std::string>& made) {
  size_t slash = relative_path.find('/');
  while (slash != std::string::npos) {
    const std::string dir = JoinPath(root, relative_path.substr(0, slash));
    if (made.insert(dir).second) CD_RETURN_IF_ERROR(MakeDurableDir(fs, dir));
    slash = relative_path.find('/', slash + 1);
  }
  return Status::Ok();
}

Status CheckRestorable(Fs& fs, const std::string& out_dir) {
  CD_ASSIGN_OR_RETURN(const bool exists, fs.Exists(out_dir));
  if (!exists) return Status::Ok();
  CD_ASSIGN_OR_RETURN(const std::vector<std::string> names, fs.List(out_dir));
  if (!names.empty()) {
    return Status::Error(StatusCode::kFailedPrecondition, "restore backup", out_dir,
                         "the directory to restore into is not empty");
  }
  return Status::Ok();
}

}  // namespace

Result<RestoreStats> RestoreBackup(BackupTarget& target, const BackupKey& key,
                                   const std::string& set_id, Fs& fs, const std::string& out_dir) {
  CD_RETURN_IF_ERROR(InitSodium());
  CD_RETURN_IF_ERROR(CheckRestorable(fs, out_dir));
  CD_ASSIGN_OR_RETURN(const std::vector<Manifest> chain, ReadChain(target, key, set_id));
  RestoreStats stats;
  for (const Manifest& manifest : chain) stats.chain.push_back(manifest.set_id);
  const Manifest& manifest = chain.back();
  for (const ManifestEntry& entry : manifest.files) {
    if (std::find(stats.chain.begin(), stats.chain.end(), SetIdOfObject(entry.object)) ==
        stats.chain.end()) {
      return Status::Corruption(ManifestObjectName(set_id), 0, "file",
                                fmt::format("{}: its object {} is outside the set's chain",
                                            Where(set_id, entry.path), entry.object));
    }
  }
  // Verify everything first: nothing is written unless every object is good.
  for (const ManifestEntry& entry : manifest.files) {
    CD_RETURN_IF_ERROR(FetchFile(target, key, entry).status());
  }
  CD_RETURN_IF_ERROR(MakeDurableDir(fs, out_dir));
  // The marker first, durably: until it is gone, recovery refuses the
  // directory (a crash mid-restore must not recover an older state).
  const std::string marker = fmt::format("restore of backup set {} in progress\n", set_id);
  CD_RETURN_IF_ERROR(WriteFileAtomically(fs, out_dir, std::string(kRestoreInProgressFile),
                                         std::as_bytes(std::span(marker.data(), marker.size())),
                                         "restore marker"));
  std::set<std::string> made;
  for (const ManifestEntry& entry : manifest.files) {
    CD_ASSIGN_OR_RETURN(const std::vector<std::byte> bytes, FetchFile(target, key, entry));
    CD_RETURN_IF_ERROR(MakeParents(fs, out_dir, entry.path, made));
    const std::string path = JoinPath(out_dir, entry.path);
    const size_t slash = path.rfind('/');
    CD_RETURN_IF_ERROR(WriteFileAtomically(fs, path.substr(0, slash), path.substr(slash + 1), bytes,
                                           "restored file"));
    ++stats.files;
    stats.bytes += bytes.size();
  }
  // Every file is durable (WriteFileAtomically syncs file and directory):
  // only now does the directory become recoverable.
  CD_RETURN_IF_ERROR(fs.Unlink(JoinPath(out_dir, std::string(kRestoreInProgressFile))));
  CD_RETURN_IF_ERROR(fs.SyncDir(out_dir));
  return stats;
}

}  // namespace crashdrill::system
