// BackupTarget: where backup objects live — a local directory (DirTarget), an
// S3 bucket later. Objects are opaque, immutable byte strings under flat names
// of [A-Za-z0-9._-] (valid S3 keys as they are, no directories to manage).
//
// Contract every target keeps (the backup's crash safety rests on it):
// - Put is atomic-or-absent: after OK the object is durable under `name` with
//   exactly these bytes; after an error or a crash at any moment, `name` holds
//   its previous content or nothing — never a prefix. (S3: a PUT is atomic.)
// - Delete is durable when it returns OK, and deletes made one after another
//   become durable in that order (so a manifest deleted before its objects is
//   never found again without them).
// - List shows every object whose Put returned OK and that was not deleted,
//   and perhaps objects of Puts interrupted after they became durable.
#pragma once

#include <string>
#include <vector>

#include "system/io/fs.h"

namespace crashdrill::system {

class BackupTarget {
 public:
  virtual ~BackupTarget() = default;
  virtual Status Put(const std::string& name, ByteSpan bytes) = 0;
  // kNotFound, naming the object, when it is absent.
  virtual Result<std::vector<std::byte>> Get(const std::string& name) = 0;
  // Names of every object, sorted.
  virtual Result<std::vector<std::string>> List() = 0;
  // OK if the object is already absent.
  virtual Status Delete(const std::string& name) = 0;
  // "dir:/backups", for messages.
  virtual std::string Describe() const = 0;
};

// True for a name a target accepts.
bool ValidObjectName(std::string_view name);

// Objects as files of one directory, over Fs. Put writes `<name>.tmp`, syncs
// it, renames it over `<name>` and syncs the directory; Delete unlinks and
// syncs the directory. Temp files of interrupted Puts are not listed, and
// Open removes them.
class DirTarget final : public BackupTarget {
 public:
  DirTarget(Fs& fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}

  // Creates the directory (durably) and removes temp files of interrupted Puts.
  Status Open();

  Status Put(const std::string& name, ByteSpan bytes) override;
  Result<std::vector<std::byte>> Get(const std::string& name) override;
  Result<std::vector<std::string>> List() override;
  Status Delete(const std::string& name) override;
  std::string Describe() const override { return "dir:" + dir_; }

 private:
  Fs& fs_;
  std::string dir_;
};

}  // namespace crashdrill::system
