#include "engine/engine.hpp"

#include <utility>

#include "engine/detail/engine_impl.hpp"

namespace tapi::engine {

Engine::Engine(base::EventLoop& loop, spi::Provider& provider, Config config)
    : impl_(std::make_unique<detail::EngineImpl>(loop, provider, std::move(config))) {}

Engine::~Engine() = default;

Result<std::uint32_t> Engine::initialize(AppParams params) {
  return impl_->initialize(std::move(params));
}

Result<void> Engine::shutdown(std::uint32_t hLineApp) {
  return impl_->shutdown(hLineApp);
}

Result<std::uint32_t> Engine::negotiateApiVersion(std::uint32_t hLineApp, std::uint32_t deviceId,
                                                  std::uint32_t low, std::uint32_t high) const {
  return impl_->negotiateApiVersion(hLineApp, deviceId, low, high);
}

std::vector<spi::LineInfo> Engine::lines() const {
  return impl_->lines();
}

Result<std::uint32_t> Engine::open(std::uint32_t hLineApp, const LineOpenParams& params) {
  return impl_->open(hLineApp, params);
}

Result<void> Engine::close(std::uint32_t hLineApp, std::uint32_t hLine) {
  return impl_->close(hLineApp, hLine);
}

Result<MakeCallResult> Engine::makeCall(std::uint32_t hLineApp, std::uint32_t hLine,
                                        const std::string& destination, const CallParams& params) {
  return impl_->makeCall(hLineApp, hLine, destination, params);
}

Result<spi::RequestId> Engine::answer(std::uint32_t hLineApp, std::uint32_t hCall,
                                      const std::string& uui) {
  return impl_->answer(hLineApp, hCall, uui);
}

Result<spi::RequestId> Engine::accept(std::uint32_t hLineApp, std::uint32_t hCall,
                                      const std::string& uui) {
  return impl_->accept(hLineApp, hCall, uui);
}

Result<spi::RequestId> Engine::drop(std::uint32_t hLineApp, std::uint32_t hCall, std::uint32_t mode,
                                    const std::string& uui) {
  return impl_->drop(hLineApp, hCall, mode, uui);
}

Result<void> Engine::deallocate(std::uint32_t hLineApp, std::uint32_t hCall) {
  return impl_->deallocate(hLineApp, hCall);
}

Result<CallInfo> Engine::callInfo(std::uint32_t hLineApp, std::uint32_t hCall) const {
  return impl_->callInfo(hLineApp, hCall);
}

Result<CallStatus> Engine::callStatus(std::uint32_t hLineApp, std::uint32_t hCall) const {
  return impl_->callStatus(hLineApp, hCall);
}

Result<void> Engine::setAppSpecific(std::uint32_t hLineApp, std::uint32_t hCall,
                                    std::uint32_t value) {
  return impl_->setAppSpecific(hLineApp, hCall, value);
}

Result<void> Engine::setCallPrivilege(std::uint32_t hLineApp, std::uint32_t hCall,
                                      Privilege privilege) {
  return impl_->setCallPrivilege(hLineApp, hCall, privilege);
}

Result<void> Engine::handoff(std::uint32_t hLineApp, std::uint32_t hCall, const std::string& target,
                             std::uint32_t mediaMode) {
  return impl_->handoff(hLineApp, hCall, target, mediaMode);
}

Result<std::vector<std::uint32_t>> Engine::getNewCalls(std::uint32_t hLineApp, std::uint32_t hLine,
                                                       std::uint32_t addressId, CallSelect select) {
  return impl_->getNewCalls(hLineApp, hLine, addressId, select);
}

Result<std::optional<Message>> Engine::getMessage(std::uint32_t hLineApp) {
  return impl_->getMessage(hLineApp);
}

std::size_t Engine::queuedMessages(std::uint32_t hLineApp) const {
  return impl_->queuedMessages(hLineApp);
}

Result<std::uint32_t> Engine::appApiVersion(std::uint32_t hLineApp) const {
  return impl_->appApiVersion(hLineApp);
}

void Engine::shutdownAll() {
  impl_->shutdownAll();
}

EngineStats Engine::stats() const {
  return impl_->stats();
}

std::vector<CallRecord> Engine::callRecords() const {
  return impl_->callRecords();
}

std::vector<LeakEntry> Engine::leakReport() const {
  return impl_->leakReport();
}

}  // namespace tapi::engine
