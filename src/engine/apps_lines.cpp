// Applications (lineInitializeEx, lineShutdown) and line opens (lineOpen, lineClose).

#include <algorithm>
#include <utility>

#include "engine/detail/engine_impl.hpp"

namespace tapi::engine::detail {

Result<std::uint32_t> EngineImpl::initialize(AppParams params) {
  if (shutDown_) {
    return LineErr::OperationFailed;
  }
  if (params.apiVersion < kApiVersionLowest || params.apiVersion > kApiVersionHighest) {
    return LineErr::IncompatibleApiVersion;
  }
  auto [h, app] = apps_.emplace();
  app->name = params.name.empty() ? "app" : std::move(params.name);
  app->apiVersion = params.apiVersion;
  app->callbackInstance = params.callbackInstance;
  app->notify = std::move(params.notify);
  app->created = loop_.now();
  app->hLineApp = appValues_.insert(h);
  return app->hLineApp;
}

Result<void> EngineImpl::shutdown(std::uint32_t hLineApp) {
  AppH ah;
  App* app = findApp(hLineApp, &ah);
  if (app == nullptr) {
    return LineErr::InvalAppHandle;
  }
  suppressRequests(ah, std::nullopt, std::nullopt);
  for (std::uint32_t hLine : app->lines.values()) {
    if (const OpenH* oh = app->lines.find(hLine)) {
      closeLineOpen(*oh, ReleaseCause::AppShutdown);
    }
  }
  appValues_.erase(hLineApp);
  apps_.erase(ah);
  return {};
}

Result<std::uint32_t> EngineImpl::negotiateApiVersion(std::uint32_t hLineApp,
                                                      std::uint32_t deviceId, std::uint32_t low,
                                                      std::uint32_t high) const {
  if (findApp(hLineApp) == nullptr) {
    return LineErr::InvalAppHandle;
  }
  if (device(deviceId) == nullptr) {
    return LineErr::BadDeviceId;
  }
  if (low > high || high < kApiVersionLowest || low > kApiVersionHighest) {
    return LineErr::IncompatibleApiVersion;
  }
  return std::min(high, kApiVersionHighest);
}

std::vector<spi::LineInfo> EngineImpl::lines() const {
  return devices_;
}

Result<std::uint32_t> EngineImpl::open(std::uint32_t hLineApp, const LineOpenParams& params) {
  AppH ah;
  App* app = findApp(hLineApp, &ah);
  if (app == nullptr) {
    return LineErr::InvalAppHandle;
  }
  if (shutDown_) {
    return LineErr::OperationFailed;
  }
  if (device(params.deviceId) == nullptr) {
    return LineErr::BadDeviceId;
  }
  const std::uint32_t none = static_cast<std::uint32_t>(Privilege::None);
  const std::uint32_t known = none | static_cast<std::uint32_t>(Privilege::Monitor) |
                              static_cast<std::uint32_t>(Privilege::Owner);
  const std::uint32_t priv = params.privileges & 0x00FFFFFFu;  // high bits: LINEOPENOPTION_
  if (priv == 0 || (priv & ~known) != 0 || ((priv & none) != 0 && priv != none)) {
    return LineErr::InvalPrivSelect;
  }
  const std::uint32_t version = params.apiVersion != 0 ? params.apiVersion : app->apiVersion;
  if (version < kApiVersionLowest || version > kApiVersionHighest) {
    return LineErr::IncompatibleApiVersion;
  }
  auto& list = opensByDevice_[params.deviceId];
  if (list.empty()) {
    if (auto r = provider_.openLine(params.deviceId); !r) {
      opensByDevice_.erase(params.deviceId);
      return r.error() ? fail(r.error()) : fail(LineErr::OperationFailed);
    }
  }
  auto [oh, o] = opens_.emplace();
  o->app = ah;
  o->deviceId = params.deviceId;
  o->privileges = priv;
  o->mediaModes = params.mediaModes;
  o->apiVersion = version;
  o->callbackInstance = params.callbackInstance;
  o->order = nextOpenOrder_++;
  o->noAnswerTimeout = params.noAnswerTimeout;
  o->maxDuration = params.maxDuration;
  o->hLine = app->lines.insert(oh);
  list.push_back(oh);
  return o->hLine;
}

Result<void> EngineImpl::close(std::uint32_t hLineApp, std::uint32_t hLine) {
  App* app = findApp(hLineApp);
  if (app == nullptr) {
    return LineErr::Uninitialized;
  }
  const OpenH* oh = app->lines.find(hLine);
  if (oh == nullptr) {
    return LineErr::InvalLineHandle;
  }
  closeLineOpen(*oh, ReleaseCause::LineClose);
  return {};
}

void EngineImpl::closeLineOpen(OpenH openH, ReleaseCause cause) {
  LineOpen* o = opens_.get(openH);
  if (o == nullptr) {
    return;
  }
  const AppH ah = o->app;
  const std::uint32_t deviceId = o->deviceId;
  suppressRequests(ah, openH, std::nullopt);
  for (CallH ch : calls_.handles()) {
    CallEntry* c = calls_.get(ch);
    if (c == nullptr || c->released()) {
      continue;
    }
    for (std::size_t i = 0; i < c->holders.size(); ++i) {
      if (c->holders[i].line == openH) {
        releaseHolder(*c, i, cause);
        break;
      }
    }
  }
  if (App* app = apps_.get(ah)) {
    app->lines.erase(o->hLine);
  }
  auto& list = opensByDevice_[deviceId];
  std::erase(list, openH);
  opens_.erase(openH);
  if (list.empty()) {
    opensByDevice_.erase(deviceId);
    provider_.closeLine(deviceId);
  }
}

void EngineImpl::suppressRequests(AppH app, std::optional<OpenH> line, std::optional<CallH> call) {
  for (auto& [id, r] : requests_) {
    if (r.app == app && (!line || r.line == *line) && (!call || r.call == *call)) {
      r.suppressed = true;
    }
  }
}

}  // namespace tapi::engine::detail
