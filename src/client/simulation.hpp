#pragma once
// The definition of tapi::Simulation, which tapi.hpp only declares: the public API names
// the embedded runtime's simulated network without naming the provider behind it. This
// project's tests, tools and the C API include this header to script that network.

#include "providers/sim/sim_provider.hpp"

namespace tapi {

/**
 * The simulated network of an embedded runtime (Runtime::simulation()). Owned by the
 * runtime's backend and valid as long as the runtime; the provider is used on the
 * runtime's loop thread (with a simulated clock: the thread that drives it).
 */
class Simulation {
 public:
  explicit Simulation(providers::sim::SimProvider& provider) : provider_(provider) {}
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /** The provider the engine uses: script destinations, place inbound calls. */
  providers::sim::SimProvider& provider() const noexcept { return provider_; }

 private:
  providers::sim::SimProvider& provider_;
};

}  // namespace tapi
