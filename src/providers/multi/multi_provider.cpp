#include "providers/multi/multi_provider.hpp"

namespace tapi::providers::multi {

namespace {
constexpr int kIndexShift = 56;
constexpr spi::ProviderCallId kInnerMask = (spi::ProviderCallId{1} << kIndexShift) - 1;

spi::ProviderCallId join(std::size_t index, spi::ProviderCallId inner) {
  return (static_cast<spi::ProviderCallId>(index + 1) << kIndexShift) | (inner & kInnerMask);
}
}  // namespace

/** Passes one provider's events up, with its call ids made global. */
class MultiProvider::Relay final : public spi::Events {
 public:
  Relay(std::size_t index, spi::Events* up) : index_(index), up_(up) {}
  spi::EngineCallId onNewCall(std::uint32_t deviceId, spi::ProviderCallId hdCall,
                              const spi::NewCallInfo& info) override {
    return up_->onNewCall(deviceId, join(index_, hdCall), info);
  }
  void onCallState(spi::EngineCallId call, CallState state, std::uint32_t mode) override {
    up_->onCallState(call, state, mode);
  }
  void onCallInfo(spi::EngineCallId call, const spi::CallInfoUpdate& update) override {
    up_->onCallInfo(call, update);
  }
  void onRequestComplete(spi::RequestId id, Result<void> result) override {
    up_->onRequestComplete(id, result);
  }
  void onLineClosed(std::uint32_t deviceId) override { up_->onLineClosed(deviceId); }

 private:
  std::size_t index_;
  spi::Events* up_;
};

MultiProvider::MultiProvider(std::vector<spi::Provider*> providers)
    : providers_(std::move(providers)) {}
MultiProvider::~MultiProvider() = default;

void MultiProvider::setEvents(spi::Events* events) {
  relays_.clear();
  for (std::size_t i = 0; i < providers_.size(); ++i) {
    relays_.push_back(std::make_unique<Relay>(i, events));
    providers_[i]->setEvents(relays_.back().get());
  }
}

std::vector<spi::LineInfo> MultiProvider::lines() const {
  std::vector<spi::LineInfo> out;
  for (const spi::Provider* p : providers_) {
    for (auto& l : p->lines()) {
      out.push_back(std::move(l));
    }
  }
  return out;
}

spi::Provider* MultiProvider::forDevice(std::uint32_t deviceId) const {
  for (spi::Provider* p : providers_) {
    for (const auto& l : p->lines()) {
      if (l.deviceId == deviceId) {
        return p;
      }
    }
  }
  return nullptr;
}

std::pair<spi::Provider*, spi::ProviderCallId> MultiProvider::split(
    spi::ProviderCallId call) const {
  const auto index = static_cast<std::size_t>(call >> kIndexShift);
  if (index == 0 || index > providers_.size()) {
    return {nullptr, 0};
  }
  return {providers_[index - 1], call & kInnerMask};
}

Result<void> MultiProvider::openLine(std::uint32_t deviceId) {
  spi::Provider* p = forDevice(deviceId);
  return p == nullptr ? Result<void>(LineErr::BadDeviceId) : p->openLine(deviceId);
}

void MultiProvider::closeLine(std::uint32_t deviceId) {
  if (spi::Provider* p = forDevice(deviceId)) {
    p->closeLine(deviceId);
  }
}

Result<spi::ProviderCallId> MultiProvider::makeCall(spi::RequestId id, std::uint32_t deviceId,
                                                    spi::EngineCallId htCall,
                                                    const spi::MakeCallParams& params) {
  for (std::size_t i = 0; i < providers_.size(); ++i) {
    for (const auto& l : providers_[i]->lines()) {
      if (l.deviceId == deviceId) {
        auto r = providers_[i]->makeCall(id, deviceId, htCall, params);
        if (!r) {
          return fail(r.error());
        }
        return join(i, *r);
      }
    }
  }
  return LineErr::BadDeviceId;
}

Result<void> MultiProvider::answer(spi::RequestId id, spi::ProviderCallId call,
                                   std::string_view uui) {
  auto [p, inner] = split(call);
  return p == nullptr ? Result<void>(LineErr::InvalCallHandle) : p->answer(id, inner, uui);
}

Result<void> MultiProvider::accept(spi::RequestId id, spi::ProviderCallId call,
                                   std::string_view uui) {
  auto [p, inner] = split(call);
  return p == nullptr ? Result<void>(LineErr::InvalCallHandle) : p->accept(id, inner, uui);
}

Result<void> MultiProvider::drop(spi::RequestId id, spi::ProviderCallId call, std::uint32_t mode,
                                 std::string_view uui) {
  auto [p, inner] = split(call);
  return p == nullptr ? Result<void>(LineErr::InvalCallHandle) : p->drop(id, inner, mode, uui);
}

void MultiProvider::closeCall(spi::ProviderCallId call) {
  auto [p, inner] = split(call);
  if (p != nullptr) {
    p->closeCall(inner);
  }
}

spi::ProviderStats MultiProvider::stats() const {
  spi::ProviderStats s;
  for (const spi::Provider* p : providers_) {
    const spi::ProviderStats ps = p->stats();
    s.calls += ps.calls;
    s.pendingRequests += ps.pendingRequests;
    s.timers += ps.timers;
    s.openLines += ps.openLines;
  }
  return s;
}

std::vector<spi::ProviderLeak> MultiProvider::leaks() const {
  std::vector<spi::ProviderLeak> out;
  for (const spi::Provider* p : providers_) {
    for (spi::ProviderLeak& l : p->leaks()) {
      out.push_back(std::move(l));
    }
  }
  return out;
}

}  // namespace tapi::providers::multi
