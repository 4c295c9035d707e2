#include "system/io/fs.h"

#include <fmt/format.h>

namespace crashdrill::system {

Result<std::vector<std::byte>> ReadWholeFile(Fs& fs, const std::string& path) {
  CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs.Open(path, OpenOptions::Read()));
  CD_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::vector<std::byte> bytes(size);
  uint64_t done = 0;
  while (done < size) {
    CD_ASSIGN_OR_RETURN(size_t n, file->ReadAt(done, MutableByteSpan(bytes).subspan(done)));
    if (n == 0) {
      return Status::Error(StatusCode::kIoError, "read", path,
                           fmt::format("file shrank while reading: {} of {} bytes", done, size));
    }
    done += n;
  }
  return bytes;
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  if (out.back() != '/') out.push_back('/');
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  out.append(name);
  return out;
}

std::string ParentDir(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace crashdrill::system
