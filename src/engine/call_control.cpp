// Call control: lineMakeCall, lineAnswer, lineAccept, lineDrop, lineDeallocateCall.

#include <optional>
#include <string>

#include "engine/detail/engine_impl.hpp"
#include "engine/detail/helpers.hpp"

namespace tapi::engine::detail {

Result<MakeCallResult> EngineImpl::makeCall(std::uint32_t hLineApp, std::uint32_t hLine,
                                            const std::string& destination,
                                            const CallParams& params) {
  AppH ah;
  App* app = findApp(hLineApp, &ah);
  if (app == nullptr) {
    return LineErr::Uninitialized;
  }
  const OpenH* ohp = app->lines.find(hLine);
  if (ohp == nullptr) {
    return LineErr::InvalLineHandle;
  }
  const OpenH oh = *ohp;
  const LineOpen* o = opens_.get(oh);
  const spi::LineInfo* dev = device(o->deviceId);
  if (destination.empty()) {
    return LineErr::InvalAddress;
  }
  if (params.addressId >= dev->numAddresses) {
    return LineErr::InvalAddressId;
  }
  if (params.userUserInfo.size() > dev->maxUserUserInfo) {
    return LineErr::UserUserInfoTooBig;
  }
  auto [ch, c] = calls_.emplace();
  c->self = ch;
  c->deviceId = o->deviceId;
  c->createdMono = loop_.now();
  c->stateEntry = loop_.wallNow();
  c->record.created = loop_.wallNow();
  c->record.lineDeviceId = o->deviceId;
  c->record.addressId = params.addressId;
  c->record.origin = callorigin::Outbound;
  c->record.caller = Party{dev->address, app->name};
  c->record.called = Party{destination, ""};
  c->record.appName = app->name;
  c->record.uuiSent = params.userUserInfo;
  c->record.states.reserve(kTypicalStates);
  c->noAnswerTimeout = params.noAnswerTimeout
                           ? params.noAnswerTimeout
                           : (o->noAnswerTimeout ? o->noAnswerTimeout : config_.noAnswerTimeout);
  c->maxDuration = params.maxDuration ? params.maxDuration
                                      : (o->maxDuration ? o->maxDuration : config_.maxDuration);
  // The handle is valid once the make-call succeeds.
  const std::uint32_t hCall = c->addHolder(ah, *app, oh, Privilege::Owner, false).hCall;
  c->countHolders();
  const spi::RequestId rid = newRequest(RequestKind::MakeCall, ah, ch, oh, hCall);
  spi::MakeCallParams mp{destination, params.userUserInfo, params.addressId};
  auto r = provider_.makeCall(rid, o->deviceId, ch.packed(), mp);
  if (!r) {
    // A synchronous failure: the call never existed for anyone, and needs no closeCall.
    requests_.erase(rid);
    app->calls.erase(hCall);
    calls_.erase(ch);
    return fail(r.error());
  }
  c->hd = *r;
  return MakeCallResult{rid, hCall};
}

Result<spi::RequestId> EngineImpl::answer(std::uint32_t hLineApp, std::uint32_t hCall,
                                          const std::string& uui) {
  auto r = resolveOwned(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  if (c->state != CallState::Offering && c->state != CallState::Accepted) {
    return LineErr::InvalCallState;
  }
  if (const spi::LineInfo* dev = device(c->deviceId); uui.size() > dev->maxUserUserInfo) {
    return LineErr::UserUserInfoTooBig;
  }
  const spi::RequestId rid = newRequest(RequestKind::Answer, h->app, c->self, h->line, hCall);
  if (auto pr = provider_.answer(rid, c->hd, uui); !pr) {
    requests_.erase(rid);
    return fail(pr.error());
  }
  if (!uui.empty()) {
    requests_[rid].uuiBefore = c->record.uuiSent;
    c->record.uuiSent = uui;
  }
  if (const App* app = apps_.get(h->app)) {
    c->record.appName = app->name;
  }
  return rid;
}

Result<spi::RequestId> EngineImpl::accept(std::uint32_t hLineApp, std::uint32_t hCall,
                                          const std::string& uui) {
  auto r = resolveOwned(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  if (c->state != CallState::Offering) {
    return LineErr::InvalCallState;
  }
  if (const spi::LineInfo* dev = device(c->deviceId); uui.size() > dev->maxUserUserInfo) {
    return LineErr::UserUserInfoTooBig;
  }
  const spi::RequestId rid = newRequest(RequestKind::Accept, h->app, c->self, h->line, hCall);
  if (auto pr = provider_.accept(rid, c->hd, uui); !pr) {
    requests_.erase(rid);
    return fail(pr.error());
  }
  return rid;
}

Result<spi::RequestId> EngineImpl::drop(std::uint32_t hLineApp, std::uint32_t hCall,
                                        std::uint32_t mode, const std::string& uui) {
  auto r = resolveOwned(hLineApp, hCall);
  if (!r) {
    return fail(r.error());
  }
  auto [c, h] = *r;
  if (c->state == CallState::Idle) {
    return LineErr::InvalCallState;
  }
  if (const spi::LineInfo* dev = device(c->deviceId); uui.size() > dev->maxUserUserInfo) {
    return LineErr::UserUserInfoTooBig;
  }
  if (mode == 0) {
    mode = (c->state == CallState::Offering || c->state == CallState::Accepted)
               ? disconnect::Reject
               : disconnect::Normal;
  }
  const App* app = apps_.get(h->app);
  const std::string appName = app != nullptr ? app->name : std::string{};
  if (c->networkCleared) {
    // The network side already ended (an engine policy cleared it): only the engine's
    // DISCONNECTED remains, so the drop completes here.
    const spi::RequestId rid = newRequest(RequestKind::LocalDrop, h->app, c->self, h->line, hCall);
    const CallH ch = c->self;
    loop_.post([this, rid, ch] {
      if (CallEntry* call = calls_.get(ch);
          call != nullptr && !call->released() && call->state != CallState::Idle) {
        transition(*call, CallState::Idle, 0);
      }
      onRequestComplete(rid, Result<void>{});
    });
    return rid;
  }
  const spi::RequestId rid = newRequest(RequestKind::Drop, h->app, c->self, h->line, hCall);
  std::optional<PendingEnd> previous = c->pendingEnd.toOptional();
  if (c->state != CallState::Disconnected) {
    c->pendingEnd =
        PendingEnd{Termination{TerminationOrigin::Local, Policy::None, appName, ""}, mode, false};
  }
  if (auto pr = provider_.drop(rid, c->hd, mode, uui); !pr) {
    requests_.erase(rid);
    c->pendingEnd = previous;
    return fail(pr.error());
  }
  if (!uui.empty() && c->state != CallState::Disconnected) {
    // Clearing a call the far end already ended sends nothing (no BYE follows a BYE).
    requests_[rid].uuiBefore = c->record.uuiSent;
    c->record.uuiSent = uui;
  }
  return rid;
}

Result<void> EngineImpl::deallocate(std::uint32_t hLineApp, std::uint32_t hCall) {
  auto r = resolve(hLineApp, hCall);
  if (!r) {
    return r.lineErr() == LineErr::Uninitialized ? fail(LineErr::Uninitialized)
                                                 : fail(LineErr::InvalCallHandle);
  }
  auto [c, h] = *r;
  const std::uint32_t version = versionOf(*h);
  if (h->owner() && c->state != CallState::Idle && version < kApiVersion20 &&
      c->record.numOwners == 1) {
    return LineErr::InvalCallState;
  }
  if (version < kApiVersion20) {
    suppressRequests(h->app, std::nullopt, c->self);
  }
  releaseHolder(*c, c->indexOf(*h), ReleaseCause::Deallocate);
  return {};
}

}  // namespace tapi::engine::detail
