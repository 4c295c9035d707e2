# Every dependency is a Debian 12 package (installed by .ci/install-deps).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(zstd CONFIG REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(FIU REQUIRED IMPORTED_TARGET libfiu)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(FUSE3 REQUIRED IMPORTED_TARGET fuse3)

if(CRASHDRILL_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
  find_package(rapidcheck CONFIG REQUIRED)
endif()
if(CRASHDRILL_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
  # Optional peer the WAL benchmark compares with (librocksdb-dev); SQLite, also
  # a peer, is required above for the L4 archive. pkg-config links the shared
  # library; RocksDB's CMake config would link the static one and find five
  # more compression and flag libraries first.
  pkg_check_modules(ROCKSDB QUIET IMPORTED_TARGET rocksdb)
  if(ROCKSDB_FOUND)
    message(STATUS "crashdrill_bench: RocksDB ${ROCKSDB_VERSION} found, measured as a peer")
  else()
    message(STATUS "crashdrill_bench: RocksDB not found (librocksdb-dev), not measured")
  endif()
endif()
