#pragma once
// The engine in this process: a loop (real-time thread, or a simulated clock driven by
// the caller), the simulated network as provider, and the engine.

#include <future>
#include <memory>
#include <type_traits>
#include <utility>

#include "base/asio_loop.hpp"
#include "base/sim_loop.hpp"
#include "client/backend.hpp"
#include "client/simulation.hpp"
#include "engine/engine.hpp"
#include "providers/sim/sim_provider.hpp"

namespace tapi::detail {

class EmbeddedBackend final : public Backend {
 public:
  explicit EmbeddedBackend(EngineOptions options);
  ~EmbeddedBackend() override;

  /** Runs `f()` on the loop thread and returns its result. */
  template <typename F>
  auto invoke(F&& f) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    if (sim_ || asio_->onLoopThread()) {
      return f();
    }
    std::packaged_task<R()> task(std::forward<F>(f));
    auto fut = task.get_future();
    asio_->post([&task] { task(); });
    return fut.get();
  }

  base::SimLoop* simLoop() const { return sim_.get(); }
  /** The simulated network (Runtime::simulation()). */
  Simulation* simulation() const { return simulation_.get(); }

  // Backend
  std::vector<LineDevice> lines() override;
  EngineStats stats() override;
  std::vector<LeakEntry> leakReport() override;
  void shutdownEngine() override;
  Result<Counters> counters() override;
  Result<std::vector<CallRecord>> calls() override;
  Result<CallRecord> callRecord(std::uint32_t callId) override;
  Result<std::uint32_t> placeInbound(const InboundCall& call) override;
  Result<std::uint32_t> initialize(const std::string& name, std::uint32_t apiVersion,
                                   std::function<void()> notify) override;
  Result<void> shutdown(std::uint32_t app) override;
  Result<std::uint32_t> open(std::uint32_t app, const OpenRequest& req) override;
  Result<void> close(std::uint32_t app, std::uint32_t hLine) override;
  Result<MakeCallReply> makeCall(std::uint32_t app, std::uint32_t hLine,
                                 const std::string& destination,
                                 const MakeCallOptions& options) override;
  Result<std::uint32_t> answer(std::uint32_t app, std::uint32_t hCall,
                               const std::string& uui) override;
  Result<std::uint32_t> accept(std::uint32_t app, std::uint32_t hCall,
                               const std::string& uui) override;
  Result<std::uint32_t> drop(std::uint32_t app, std::uint32_t hCall, std::uint32_t mode,
                             const std::string& uui) override;
  Result<void> deallocate(std::uint32_t app, std::uint32_t hCall) override;
  Result<CallRecord> callInfo(std::uint32_t app, std::uint32_t hCall) override;
  Result<CallStatus> callStatus(std::uint32_t app, std::uint32_t hCall) override;
  Result<void> setAppSpecific(std::uint32_t app, std::uint32_t hCall, std::uint32_t value) override;
  Result<void> setCallPrivilege(std::uint32_t app, std::uint32_t hCall, Privilege p) override;
  Result<void> handoff(std::uint32_t app, std::uint32_t hCall, const std::string& target,
                       std::uint32_t mediaMode) override;
  Result<std::vector<std::uint32_t>> getNewCalls(std::uint32_t app, std::uint32_t hLine) override;
  Result<std::optional<Message>> getMessage(std::uint32_t app) override;
  bool neverBlocks() const override { return sim_ != nullptr; }

 private:
  EngineOptions options_;
  // Declaration order is destruction order reversed: the loop outlives everything on it.
  std::unique_ptr<base::SimLoop> sim_;
  std::unique_ptr<base::AsioLoop> asio_;
  std::unique_ptr<providers::sim::SimProvider> provider_;
  std::unique_ptr<Simulation> simulation_;  // names provider_ in the public API
  std::unique_ptr<engine::Engine> engine_;
  bool engineShutDown_ = false;
};

}  // namespace tapi::detail
