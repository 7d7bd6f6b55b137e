// Call handles and queries: lineGetCallInfo, lineGetCallStatus, lineSetAppSpecific,
// lineSetCallPrivilege, lineHandoff, lineGetNewCalls, and the app's message queue.

#include <optional>
#include <string>
#include <vector>

#include "engine/detail/engine_impl.hpp"
#include "engine/detail/helpers.hpp"

namespace tapi::engine::detail {

Result<CallInfo> EngineImpl::callInfo(std::uint32_t hLineApp, std::uint32_t hCall) const {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  CallInfo info;
  const LineOpen* o = opens_.get(h->line);
  info.hLine = o != nullptr ? o->hLine : 0;
  info.record = c->record;
  info.record.disconnectMode = downMapDisconnectMode(c->record.disconnectMode, versionOf(*h));
  return info;
}

Result<CallStatus> EngineImpl::callStatus(std::uint32_t hLineApp, std::uint32_t hCall) const {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  CallStatus s;
  s.state = c->state;
  s.mode = modeForApp(c->state, c->mode, versionOf(*h));
  s.privilege = h->privilege;
  s.stateEntryTime = c->stateEntry;
  if (h->owner()) {
    switch (c->state) {
      case CallState::Offering:
        s.features = callfeature::Accept | callfeature::Answer | callfeature::Drop;
        break;
      case CallState::Accepted:
        s.features = callfeature::Answer | callfeature::Drop;
        break;
      case CallState::Idle:
        s.features = 0;
        break;
      case CallState::DialTone:
      case CallState::Dialing:
      case CallState::Ringback:
      case CallState::Busy:
      case CallState::SpecialInfo:
      case CallState::Connected:
      case CallState::Proceeding:
      case CallState::OnHold:
      case CallState::Conferenced:
      case CallState::OnHoldPendConf:
      case CallState::OnHoldPendTransfer:
      case CallState::Disconnected:
      case CallState::Unknown:
        s.features = callfeature::Drop;
        break;
    }
  }
  return s;
}

Result<void> EngineImpl::setAppSpecific(std::uint32_t hLineApp, std::uint32_t hCall,
                                        std::uint32_t value) {
  auto r = resolveOwned(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  c->record.appSpecific = value;
  sendCallInfoToOthers(*c, h->app, callinfostate::AppSpecific);
  return {};
}

Result<void> EngineImpl::setCallPrivilege(std::uint32_t hLineApp, std::uint32_t hCall,
                                          Privilege privilege) {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  if (privilege != Privilege::Monitor && privilege != Privilege::Owner) {
    return LineErr::InvalCallPrivilege;
  }
  if (privilege == h->privilege) {
    return {};
  }
  if (privilege == Privilege::Monitor && c->record.numOwners == 1 && c->state != CallState::Idle) {
    return LineErr::InvalCallState;
  }
  h->privilege = privilege;
  const AppH causer = h->app;
  c->countHolders();
  if (c->state != CallState::Idle) {
    sendCallInfoToOthers(*c, causer,
                         (privilege == Privilege::Owner ? callinfostate::NumOwnerIncr
                                                        : callinfostate::NumOwnerDecr) |
                             callinfostate::NumMonitors);
  }
  if (privilege == Privilege::Owner) {
    cancelTimer(loop_, c->timers.ownerless);
    c->ownerlessWhy.reset();  // owned again: no longer a reason to end it
  }
  return {};
}

Result<void> EngineImpl::handoff(std::uint32_t hLineApp, std::uint32_t hCall,
                                 const std::string& target, std::uint32_t mediaMode) {
  auto r = resolveOwned(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  const AppH self = h->app;
  auto dit = opensByDevice_.find(c->deviceId);
  if (dit == opensByDevice_.end()) {
    return LineErr::TargetNotFound;
  }
  const LineOpen* chosen = nullptr;
  OpenH chosenH;
  bool onlySelf = false;
  for (OpenH oh : dit->second) {  // in open order: the first match has the highest priority
    const LineOpen* o = opens_.get(oh);
    if (o == nullptr || !o->allows(Privilege::Owner)) {
      continue;
    }
    const App* app = apps_.get(o->app);
    if (app == nullptr) {
      continue;
    }
    if (!target.empty()) {
      if (app->name == target) {
        chosen = o;
        chosenH = oh;
        break;
      }
      continue;
    }
    if ((o->mediaModes & mediaMode) == 0) {
      continue;
    }
    if (o->app == self) {
      onlySelf = true;
      continue;
    }
    chosen = o;
    chosenH = oh;
    break;
  }
  if (chosen == nullptr) {
    return onlySelf ? LineErr::TargetSelf : LineErr::TargetNotFound;
  }
  if (chosen->app == self) {
    return {};  // a handoff to oneself by name is allowed and changes nothing
  }
  const AppH targetApp = chosen->app;
  std::uint32_t bits = callinfostate::NumOwnerIncr;
  if (Holder* existing = c->holderOf(targetApp)) {
    if (existing->privilege == Privilege::Monitor) {
      bits |= callinfostate::NumMonitors;
    }
    existing->privilege = Privilege::Owner;
    c->countHolders();
    sendCallState(*c, *existing, static_cast<std::uint32_t>(Privilege::Owner));
  } else {
    const Holder& nh =
        c->addHolder(targetApp, *apps_.get(targetApp), chosenH, Privilege::Owner, true);
    c->countHolders();
    announceNewHandle(*c, nh);
  }
  cancelTimer(loop_, c->timers.ownerless);
  c->ownerlessWhy.reset();  // owned again: no longer a reason to end it
  if (c->state != CallState::Idle) {
    // Tell everyone else (not the handing-off app, not the target) about the new owner.
    for (const Holder& x : c->holders) {
      if (x.valid && x.app != self && x.app != targetApp) {
        sendCallInfo(x, bits);
      }
    }
  }
  return {};
}

Result<std::vector<std::uint32_t>> EngineImpl::getNewCalls(std::uint32_t hLineApp,
                                                           std::uint32_t hLine,
                                                           std::uint32_t addressId,
                                                           CallSelect select) {
  AppH ah;
  App* app = findApp(hLineApp, &ah);
  if (app == nullptr) {
    return LineErr::Uninitialized;
  }
  const OpenH* oh = app->lines.find(hLine);
  if (oh == nullptr) {
    return LineErr::InvalLineHandle;
  }
  const LineOpen* o = opens_.get(*oh);
  if (select != CallSelect::Line && select != CallSelect::Address) {
    return LineErr::InvalCallSelect;
  }
  if (select == CallSelect::Address && addressId >= device(o->deviceId)->numAddresses) {
    return LineErr::InvalAddressId;
  }
  std::vector<std::uint32_t> out;
  for (CallH ch : calls_.handles()) {
    CallEntry* c = calls_.get(ch);
    if (c == nullptr || c->released() || !c->announced || c->deviceId != o->deviceId) {
      continue;
    }
    if (select == CallSelect::Address && c->record.addressId != addressId) {
      continue;
    }
    if (c->heldBy(ah)) {
      continue;
    }
    const std::uint32_t newHandle = c->addHolder(ah, *app, *oh, Privilege::Monitor, true).hCall;
    c->countHolders();
    if (c->state != CallState::Idle) {
      sendCallInfoToOthers(*c, ah, callinfostate::NumMonitors);
    }
    out.push_back(newHandle);
  }
  return out;
}

Result<std::optional<Message>> EngineImpl::getMessage(std::uint32_t hLineApp) {
  App* app = findApp(hLineApp);
  if (app == nullptr) {
    return LineErr::InvalAppHandle;
  }
  if (app->queue.empty()) {
    return std::optional<Message>{};
  }
  Message m = app->queue.front();
  app->queue.pop_front();
  return std::optional<Message>{m};
}

std::size_t EngineImpl::queuedMessages(std::uint32_t hLineApp) const {
  const App* app = findApp(hLineApp);
  return app != nullptr ? app->queue.size() : 0;
}

Result<std::uint32_t> EngineImpl::appApiVersion(std::uint32_t hLineApp) const {
  const App* app = findApp(hLineApp);
  if (app == nullptr) {
    return LineErr::InvalAppHandle;
  }
  return app->apiVersion;
}

}  // namespace tapi::engine::detail
