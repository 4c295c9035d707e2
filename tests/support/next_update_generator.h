// GenNextUpdate for a state that changes or moves while RapidCheck still holds
// the generator. GenNextUpdate keeps a reference to the state it is given, and
// RapidCheck replays a generator whenever it re-evaluates a value (each run of
// an exec body, shrinking, printing a counterexample); this one owns a copy.
#pragma once

#include <memory>

#include "tests/support/update_generators.h"

namespace crashdrill::testing {

inline rc::Gen<StateUpdate> GenNextUpdateOwning(EngineState state, int order_number) {
  auto kept = std::make_shared<const EngineState>(std::move(state));
  return rc::gen::exec(
      [kept, order_number] { return *testing::GenNextUpdate(*kept, order_number); });
}

}  // namespace crashdrill::testing
