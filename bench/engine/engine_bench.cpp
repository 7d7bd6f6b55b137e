// The make -> connect -> drop -> deallocate cycle on the simulated provider, and the heap
// cost of live and of idle-but-unreleased calls (counted by replacing operator new).

#include <benchmark/benchmark.h>

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "base/sim_loop.hpp"
#include "engine/engine.hpp"
#include "providers/sim/sim_provider.hpp"

namespace {

std::atomic<long long> gLiveBytes{0};
std::atomic<long long> gAllocations{0};

}  // namespace

void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  gLiveBytes.fetch_add(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed);
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  return p;
}
void operator delete(void* p) noexcept {
  if (p != nullptr) {
    gLiveBytes.fetch_sub(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed);
    std::free(p);
  }
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

namespace {

using namespace std::chrono_literals;
using namespace tapi;

struct World {
  base::SimLoop loop;
  providers::sim::SimProvider sim{loop, {{"sim/0", "100"}}};
  engine::Engine engine{loop, sim};
  std::uint32_t app = 0;
  std::uint32_t line = 0;

  World() {
    providers::sim::Script instant;
    instant.steps = {{0ms, providers::sim::Action::Answer}};
    sim.setDefaultScript(instant);
    app = *engine.initialize(engine::AppParams{"bench", kApiVersion22, 0, {}});
    engine::LineOpenParams p;
    p.privileges = static_cast<std::uint32_t>(Privilege::Owner);
    line = *engine.open(app, p);
  }
  void drain() {
    while (true) {
      auto m = engine.getMessage(app);
      if (!m.ok() || !m->has_value()) {
        return;
      }
    }
  }
};

void BM_MakeConnectDropDeallocate(benchmark::State& state) {
  World w;
  const long long allocsBefore = gAllocations.load();
  for (auto _ : state) {
    auto mc = w.engine.makeCall(w.app, w.line, "200");
    w.loop.runUntilIdle();  // reply, CONNECTED
    auto d = w.engine.drop(w.app, mc->hCall);
    benchmark::DoNotOptimize(d);
    w.loop.runUntilIdle();  // IDLE, reply
    w.drain();
    (void)w.engine.deallocate(w.app, mc->hCall);
    w.loop.runUntilIdle();  // deferred release
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["cycles/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["allocs/cycle"] =
      static_cast<double>(gAllocations.load() - allocsBefore) / static_cast<double>(state.iterations());
  if (w.engine.stats().calls != 0) {
    state.SkipWithError("calls left behind");
  }
}
BENCHMARK(BM_MakeConnectDropDeallocate);

// Heap bytes held per call while connected, and per call that is idle but whose handle
// the app has not released yet (the TAPI "forgot to deallocate" case).
void BM_HeapPerCall(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  double perLive = 0;
  double perIdle = 0;
  for (auto _ : state) {
    World w;
    w.loop.runUntilIdle();
    w.drain();
    const long long base = gLiveBytes.load();
    std::vector<std::uint32_t> calls;
    calls.reserve(static_cast<std::size_t>(n));
    const long long vecBytes = gLiveBytes.load() - base;
    for (int i = 0; i < n; ++i) {
      calls.push_back(w.engine.makeCall(w.app, w.line, "200")->hCall);
    }
    w.loop.runUntilIdle();
    w.drain();
    perLive = static_cast<double>(gLiveBytes.load() - base - vecBytes) / n;
    for (auto h : calls) {
      (void)w.engine.drop(w.app, h);
    }
    w.loop.runUntilIdle();
    w.drain();
    perIdle = static_cast<double>(gLiveBytes.load() - base - vecBytes) / n;
    for (auto h : calls) {
      (void)w.engine.deallocate(w.app, h);
    }
    w.loop.runUntilIdle();
  }
  state.counters["bytes/live_call"] = perLive;
  state.counters["bytes/idle_unreleased_call"] = perIdle;
}
BENCHMARK(BM_HeapPerCall)->Arg(10000)->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
