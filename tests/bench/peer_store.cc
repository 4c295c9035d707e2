#include "tests/bench/peer_store.h"

namespace crashdrill::bench {

std::vector<std::unique_ptr<PeerStore>> MakePeerStores() {
  std::vector<std::unique_ptr<PeerStore>> peers;
#ifdef CRASHDRILL_BENCH_WITH_ROCKSDB
  peers.push_back(MakeRocksDbStore());
#endif
#ifdef CRASHDRILL_BENCH_WITH_SQLITE
  peers.push_back(MakeSqliteStore());
#endif
  return peers;
}

}  // namespace crashdrill::bench
