// OpenTAPI's extensions to the C API (opentapi_<object>_<verb>, docs/capi.md): callback
// dispatch, the event descriptor, the post-connection record, simulated inbound calls and
// LINEERR names.

#include <tapi/tapi.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "capi/messages.hpp"
#include "capi/registry.hpp"
#include "capi/var_struct.hpp"
#include "client/embedded_backend.hpp"
#include "client/runtime_access.hpp"
#include "client/simulation.hpp"
#include "providers/sim/sim_script.hpp"

namespace tapi::capi {
namespace {

std::int64_t unixMs(const std::optional<WallTime>& t) {
  return t ? std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count()
           : 0;
}

/** Runs `f` on the embedded engine's loop; false when the runtime is remote. */
template <typename F>
bool onEmbeddedLoop(const std::shared_ptr<Runtime>& rt, F&& f) {
  if (!rt || rt->isRemote()) {
    return false;
  }
  auto& be = static_cast<detail::EmbeddedBackend&>(detail::RuntimeAccess::backend(*rt));
  be.invoke(std::forward<F>(f));
  return true;
}

}  // namespace
}  // namespace tapi::capi

using namespace tapi;
using namespace tapi::capi;

extern "C" {

LONG opentapi_lineapp_dispatch(HLINEAPP hLineApp, DWORD dwTimeout) {
  return withApp(hLineApp, [&](const CAppSharedPtr& app) -> LONG {
    if (app->eventMode) {
      return LINEERR_INVALAPPHANDLE;
    }
    std::vector<LINEMESSAGE> got;
    const LONG r = waitMessages(app, dwTimeout, static_cast<std::size_t>(-1), got);
    if (r != 0) {
      return r;
    }
    for (const LINEMESSAGE& m : got) {
      app->callback(m.hDevice, m.dwMessageID, m.dwCallbackInstance, m.dwParam1, m.dwParam2,
                    m.dwParam3);
    }
    return static_cast<LONG>(got.size());
  });
}

LONG opentapi_lineapp_get_fd(HLINEAPP hLineApp, int* out_fd) {
  return withApp(hLineApp, [&](const CAppSharedPtr& app) -> LONG {
    if (out_fd == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    *out_fd = app->event->fd;
    return 0;
  });
}

LONG opentapi_call_get_record(HCALL hCall, LPOPENTAPICALLRECORD lpRecord) {
  return withCall(hCall, [&](const CCallSharedPtr& c) -> LONG {
    if (lpRecord == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    if (lpRecord->dwTotalSize < sizeof(OPENTAPICALLRECORD)) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    const Result<CallRecord> r = c->record();
    if (!r) {
      return err(r.error());
    }
    const CallRecord& rec = *r;
    VarStruct<OPENTAPICALLRECORD> v(sizeof(OPENTAPICALLRECORD));
    OPENTAPICALLRECORD& o = v.local();
    o.dwCallID = rec.callId;
    o.dwTerminationOrigin = static_cast<DWORD>(rec.termination.origin);
    o.dwTerminationPolicy = static_cast<DWORD>(rec.termination.policy);
    o.dwDisconnectMode = rec.disconnectMode;
    o.lProviderCode = rec.cause.code;
    o.lQ850Cause = rec.cause.q850;
    o.tCreatedMs = unixMs(rec.created);
    o.tOfferingOrDialingMs = unixMs(rec.offeringOrDialing);
    o.tConnectedMs = unixMs(rec.connectedAt);
    o.tDisconnectedMs = unixMs(rec.disconnectedAt);
    o.tIdleMs = unixMs(rec.idleAt);
    std::vector<OPENTAPISTATEVISIT> states;
    for (const StateVisit& s : rec.states) {
      states.push_back(OPENTAPISTATEVISIT{static_cast<DWORD>(s.state), s.mode, unixMs(s.at)});
    }
    o.dwStatesNumEntries = static_cast<DWORD>(states.size());
    v.bytes(&OPENTAPICALLRECORD::dwStatesSize, &OPENTAPICALLRECORD::dwStatesOffset, states.data(),
            states.size() * sizeof(OPENTAPISTATEVISIT), alignof(OPENTAPISTATEVISIT));
    v.string(&OPENTAPICALLRECORD::dwTerminationAppSize, &OPENTAPICALLRECORD::dwTerminationAppOffset,
             rec.termination.app);
    v.string(&OPENTAPICALLRECORD::dwTerminationDetailSize,
             &OPENTAPICALLRECORD::dwTerminationDetailOffset, rec.termination.detail);
    v.string(&OPENTAPICALLRECORD::dwProviderTextSize, &OPENTAPICALLRECORD::dwProviderTextOffset,
             rec.cause.text);
    v.string(&OPENTAPICALLRECORD::dwProviderCallRefSize,
             &OPENTAPICALLRECORD::dwProviderCallRefOffset, rec.cause.callRef);
    v.bytes(&OPENTAPICALLRECORD::dwUserUserInfoSentSize,
            &OPENTAPICALLRECORD::dwUserUserInfoSentOffset, rec.uuiSent.data(), rec.uuiSent.size());
    v.write(lpRecord);
    if (lpRecord->dwStatesSize == 0) {
      lpRecord->dwStatesNumEntries = 0;
    }
    return 0;
  });
}

LONG opentapi_sim_place_inbound(DWORD dwDeviceID, LPCSTR lpszCaller, LPCSTR lpszCallerName,
                                LPCSTR lpszScript, LPDWORD out_callId) {
  return guarded([&]() -> LONG {
    auto rt = runtime();
    if (!rt) {
      return LINEERR_UNINITIALIZED;
    }
    const std::string caller = lpszCaller != nullptr ? lpszCaller : "";
    const std::string name = lpszCallerName != nullptr ? lpszCallerName : "";
    const std::string script = lpszScript != nullptr ? lpszScript : "";
    LONG e = 0;
    if (deviceOf(devices(e), dwDeviceID) == nullptr) {
      return LINEERR_BADDEVICEID;
    }
    if (rt->isRemote()) {
      auto r = rt->placeInbound(InboundCall{dwDeviceID, caller, name, script});
      if (!r) {
        return err(r.error());
      }
      if (out_callId != nullptr) {
        *out_callId = *r;
      }
      return 0;
    }
    providers::sim::SimProvider::Inbound in;
    in.caller = {caller, name};
    if (!script.empty()) {
      auto sc = providers::sim::parseScript(script, true);
      if (!sc) {
        return LINEERR_INVALADDRESS;
      }
      in.script = std::move(*sc);
    } else {
      in.script.steps = {{base::Duration{0}, providers::sim::Action::AwaitAnswer}};
    }
    {
      std::lock_guard lock(reg().mu);
      in.callId = ++reg().nextInboundCallId;
    }
    const DWORD callId = in.callId;
    Result<spi::ProviderCallId> r = LineErr::OperationFailed;
    (void)onEmbeddedLoop(
        rt, [&] { r = rt->simulation()->provider().placeInbound(dwDeviceID, std::move(in)); });
    if (!r) {
      return err(r.error());
    }
    if (out_callId != nullptr) {
      *out_callId = callId;
    }
    return 0;
  });
}

const char* opentapi_lineerr_name(LONG lResult) {
  if (lResult == 0) {
    return "0";
  }
  if (lResult > 0) {
    return "?";
  }
  return lineErrName(static_cast<LineErr>(static_cast<std::uint32_t>(lResult)));
}

}  // extern "C"
