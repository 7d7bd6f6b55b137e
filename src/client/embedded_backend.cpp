#include "client/embedded_backend.hpp"

namespace tapi::detail {

EmbeddedBackend::EmbeddedBackend(EngineOptions options) : options_(std::move(options)) {
  if (options_.simulatedClock) {
    sim_ = std::make_unique<base::SimLoop>();
  } else {
    asio_ = std::make_unique<base::AsioLoop>();
  }
  base::EventLoop& loop = sim_ ? static_cast<base::EventLoop&>(*sim_) : *asio_;
  std::vector<providers::sim::LineConfig> lines;
  for (std::uint32_t i = 0; i < options_.simulatedLines; ++i) {
    lines.push_back({"sim/" + std::to_string(i), std::to_string(100 + i)});
  }
  provider_ = std::make_unique<providers::sim::SimProvider>(loop, std::move(lines));
  simulation_ = std::make_unique<Simulation>(*provider_);
  engine::Config config;
  config.ownerlessGrace = options_.ownerlessGrace;
  config.idleReclaimAfter = options_.idleReclaimAfter;
  config.noAnswerTimeout = options_.noAnswerTimeout;
  config.maxDuration = options_.maxDuration;
  config.onCallReleased = options_.onCallReleased;
  engine_ = std::make_unique<engine::Engine>(loop, *provider_, std::move(config));
  if (asio_) {
    asio_->start();
  }
}

EmbeddedBackend::~EmbeddedBackend() {
  shutdownEngine();
  if (asio_) {
    // Let the work the shutdown posted (deferred releases) run, then stop the loop.
    invoke([] {});
    asio_->stop();
  } else {
    sim_->runUntilIdle();
  }
  engine_.reset();
  simulation_.reset();
  provider_.reset();
}

std::vector<LineDevice> EmbeddedBackend::lines() {
  auto infos = invoke([this] { return engine_->lines(); });
  std::vector<LineDevice> out;
  for (const auto& i : infos) {
    out.push_back(LineDevice{i.deviceId, i.name, i.address, i.devCapFlags, i.maxUserUserInfo});
  }
  return out;
}

EngineStats EmbeddedBackend::stats() {
  return invoke([this] { return engine_->stats(); });
}

std::vector<LeakEntry> EmbeddedBackend::leakReport() {
  return invoke([this] { return engine_->leakReport(); });
}

void EmbeddedBackend::shutdownEngine() {
  invoke([this] {
    if (!engineShutDown_) {
      engine_->shutdownAll();
      engineShutDown_ = true;
    }
  });
}

Result<Counters> EmbeddedBackend::counters() {
  const EngineStats s = stats();
  auto n = [](std::size_t v) { return static_cast<std::int64_t>(v); };
  return Counters{{"apps", n(s.apps)},
                  {"openLines", n(s.openLines)},
                  {"handles", n(s.handles)},
                  {"calls", n(s.calls)},
                  {"providerCalls", n(s.providerCalls)},
                  {"pendingRequests", n(s.pendingRequests)},
                  {"providerPendingRequests", n(s.providerPendingRequests)},
                  {"queuedEvents", n(s.queuedEvents)},
                  {"timers", n(s.timers)},
                  {"reclaimedHandles", n(s.reclaimedHandles)},
                  {"refusedTransitions", n(s.refusedTransitions)}};
}

Result<std::vector<CallRecord>> EmbeddedBackend::calls() {
  return invoke([this] { return engine_->callRecords(); });
}

Result<CallRecord> EmbeddedBackend::callRecord(std::uint32_t callId) {
  auto records = invoke([this] { return engine_->callRecords(); });
  for (auto& r : records) {
    if (r.callId == callId) {
      return std::move(r);
    }
  }
  return LineErr::InvalParam;  // released calls are the CDR store's business here
}

Result<std::uint32_t> EmbeddedBackend::placeInbound(const InboundCall&) {
  // In this process the simulation is scripted directly (Runtime::simulation()), with the
  // full Script model rather than the wire's "sim:" directives.
  return LineErr::OperationUnavail;
}

Result<std::uint32_t> EmbeddedBackend::initialize(const std::string& name, std::uint32_t apiVersion,
                                                  std::function<void()> notify) {
  return invoke([&] {
    return engine_->initialize(engine::AppParams{name, apiVersion, 0, std::move(notify)});
  });
}

Result<void> EmbeddedBackend::shutdown(std::uint32_t app) {
  return invoke([&] { return engine_->shutdown(app); });
}

Result<std::uint32_t> EmbeddedBackend::open(std::uint32_t app, const OpenRequest& req) {
  engine::LineOpenParams p;
  p.deviceId = req.deviceId;
  p.privileges = req.privileges;
  p.mediaModes = req.options.mediaModes;
  p.apiVersion = req.options.apiVersion;
  p.noAnswerTimeout = req.options.noAnswerTimeout;
  p.maxDuration = req.options.maxDuration;
  return invoke([&] { return engine_->open(app, p); });
}

Result<void> EmbeddedBackend::close(std::uint32_t app, std::uint32_t hLine) {
  return invoke([&] { return engine_->close(app, hLine); });
}

Result<MakeCallReply> EmbeddedBackend::makeCall(std::uint32_t app, std::uint32_t hLine,
                                                const std::string& destination,
                                                const MakeCallOptions& options) {
  engine::CallParams p;
  p.userUserInfo = options.userUserInfo;
  p.addressId = options.addressId;
  p.noAnswerTimeout = options.noAnswerTimeout;
  p.maxDuration = options.maxDuration;
  auto r = invoke([&] { return engine_->makeCall(app, hLine, destination, p); });
  if (!r) {
    return fail(r.error());
  }
  return MakeCallReply{r->requestId, r->hCall};
}

Result<std::uint32_t> EmbeddedBackend::answer(std::uint32_t app, std::uint32_t hCall,
                                              const std::string& uui) {
  return invoke([&] { return engine_->answer(app, hCall, uui); });
}

Result<std::uint32_t> EmbeddedBackend::accept(std::uint32_t app, std::uint32_t hCall,
                                              const std::string& uui) {
  return invoke([&] { return engine_->accept(app, hCall, uui); });
}

Result<std::uint32_t> EmbeddedBackend::drop(std::uint32_t app, std::uint32_t hCall,
                                            std::uint32_t mode, const std::string& uui) {
  return invoke([&] { return engine_->drop(app, hCall, mode, uui); });
}

Result<void> EmbeddedBackend::deallocate(std::uint32_t app, std::uint32_t hCall) {
  return invoke([&] { return engine_->deallocate(app, hCall); });
}

Result<CallRecord> EmbeddedBackend::callInfo(std::uint32_t app, std::uint32_t hCall) {
  auto r = invoke([&] { return engine_->callInfo(app, hCall); });
  if (!r) {
    return fail(r.error());
  }
  return std::move(r->record);
}

Result<CallStatus> EmbeddedBackend::callStatus(std::uint32_t app, std::uint32_t hCall) {
  return invoke([&] { return engine_->callStatus(app, hCall); });
}

Result<void> EmbeddedBackend::setAppSpecific(std::uint32_t app, std::uint32_t hCall,
                                             std::uint32_t value) {
  return invoke([&] { return engine_->setAppSpecific(app, hCall, value); });
}

Result<void> EmbeddedBackend::setCallPrivilege(std::uint32_t app, std::uint32_t hCall,
                                               Privilege p) {
  return invoke([&] { return engine_->setCallPrivilege(app, hCall, p); });
}

Result<void> EmbeddedBackend::handoff(std::uint32_t app, std::uint32_t hCall,
                                      const std::string& target, std::uint32_t mediaMode) {
  return invoke([&] { return engine_->handoff(app, hCall, target, mediaMode); });
}

Result<std::vector<std::uint32_t>> EmbeddedBackend::getNewCalls(std::uint32_t app,
                                                                std::uint32_t hLine) {
  return invoke([&] { return engine_->getNewCalls(app, hLine, 0, CallSelect::Line); });
}

Result<std::optional<Message>> EmbeddedBackend::getMessage(std::uint32_t app) {
  return invoke([&] { return engine_->getMessage(app); });
}

}  // namespace tapi::detail
