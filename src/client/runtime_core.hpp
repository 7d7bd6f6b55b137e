#pragma once
// The embedded backend behind tapi::Runtime: a loop, a provider and the engine, with a
// way to run a piece of work on the loop from any thread and wait for its result.

#include <future>
#include <memory>
#include <type_traits>
#include <utility>

#include <tapi/tapi.hpp>

#include "base/asio_loop.hpp"
#include "base/sim_loop.hpp"
#include "engine/engine.hpp"
#include "providers/sim/sim_provider.hpp"

namespace tapi::detail {

struct RuntimeCore {
  explicit RuntimeCore(EngineOptions options);
  ~RuntimeCore();

  /** Runs `f()` on the loop thread and returns its result. */
  template <typename F>
  auto invoke(F&& f) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    if (sim || asio->onLoopThread()) {
      return f();
    }
    std::packaged_task<R()> task(std::forward<F>(f));
    auto fut = task.get_future();
    asio->post([&task] { task(); });
    return fut.get();
  }

  base::EventLoop& loop() { return sim ? static_cast<base::EventLoop&>(*sim) : *asio; }

  EngineOptions options;
  // Declaration order is destruction order reversed: the loop outlives everything on it.
  std::unique_ptr<base::SimLoop> sim;
  std::unique_ptr<base::AsioLoop> asio;
  std::unique_ptr<providers::sim::SimProvider> provider;
  std::unique_ptr<engine::Engine> engine;
  bool engineShutDown = false;
};

}  // namespace tapi::detail
