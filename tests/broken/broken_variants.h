// The test side of the broken variants (system/io/broken_variant.h): which one
// is active, and what each breaks. Linked only into tests/broken's binary,
// against the variant copies of the library chain; at most one variant is
// active at a time, none by default.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "system/io/broken_variant.h"

namespace crashdrill::broken {

struct VariantInfo {
  Variant variant;
  std::string_view name;   // "kAckBeforeSync"
  std::string_view where;  // the file whose branch it takes
  std::string_view bug;    // one line: what goes wrong
  // Non-empty: `mixed` does not catch it within the nightly budget, and why
  // (a gap in the harness's power, said rather than hidden).
  std::string_view known_miss = {};
};

// Every variant, in enum order.
const std::vector<VariantInfo>& Variants();
const VariantInfo& InfoOf(Variant variant);

// Makes `variant` the active one (nullopt: none).
void Activate(std::optional<Variant> variant);
std::optional<Variant> ActiveVariant();

// Activates a variant for a scope and restores the previous one after it.
class ScopedVariant {
 public:
  explicit ScopedVariant(std::optional<Variant> variant);
  ~ScopedVariant();
  ScopedVariant(const ScopedVariant&) = delete;
  ScopedVariant& operator=(const ScopedVariant&) = delete;

 private:
  std::optional<Variant> previous_;
};

}  // namespace crashdrill::broken
