// The call functions of the C API: lineAnswer, lineAccept, lineDrop, lineDial,
// lineDeallocateCall, lineGetCallInfo, lineGetCallStatus, lineSetAppSpecific,
// lineSetCallPrivilege and lineHandoff. Operations on one call are serialised by CCall::mu.

#include <tapi/tapi.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <string>

#include "capi/registry.hpp"
#include "capi/var_struct.hpp"

namespace tapi::capi {
namespace {

SYSTEMTIME toSystemTime(WallTime t) {
  SYSTEMTIME st{};
  if (t.time_since_epoch().count() == 0) {
    return st;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  st.wYear = static_cast<WORD>(tm.tm_year + 1900);
  st.wMonth = static_cast<WORD>(tm.tm_mon + 1);
  st.wDayOfWeek = static_cast<WORD>(tm.tm_wday);
  st.wDay = static_cast<WORD>(tm.tm_mday);
  st.wHour = static_cast<WORD>(tm.tm_hour);
  st.wMinute = static_cast<WORD>(tm.tm_min);
  st.wSecond = static_cast<WORD>(tm.tm_sec);
  st.wMilliseconds = static_cast<WORD>(ms.count() % 1000);
  return st;
}

DWORD partyFlags(const Party& p) {
  DWORD f = 0;
  if (!p.number.empty()) {
    f |= LINECALLPARTYID_ADDRESS;
  }
  if (!p.name.empty()) {
    f |= LINECALLPARTYID_NAME;
  }
  return f != 0 ? f : static_cast<DWORD>(LINECALLPARTYID_UNKNOWN);
}

std::string uuiArg(LPCSTR data, DWORD size) {
  return data != nullptr ? std::string(data, size) : std::string();
}

/** Fails with USERUSERINFOTOOBIG when the line's limit is known and exceeded. */
LONG checkUui(const CCall& c, DWORD size, LPCSTR data) {
  if (data == nullptr || size == 0) {
    return 0;
  }
  std::lock_guard lock(reg().mu);
  auto it = reg().lines.find(c.hLine);
  if (it != reg().lines.end() && it->second->maxUui != 0 && size > it->second->maxUui) {
    return LINEERR_USERUSERINFOTOOBIG;
  }
  return 0;
}

enum class Async { Answer, Accept, Drop };

/** lineAnswer, lineAccept or lineDrop (guarded): @return the request id, or a LINEERR. */
LONG asyncCall(HCALL hCall, LPCSTR uui, DWORD size, Async what) noexcept {
  return withCall(hCall, [&](const CCallSharedPtr& c) -> LONG {
    if (const LONG big = checkUui(*c, size, uui); big != 0) {
      return big;
    }
    Result<std::uint32_t> r = LineErr::OperationFailed;
    {
      std::lock_guard lock(c->mu);
      switch (what) {
        case Async::Answer:
          r = c->call.answer(uuiArg(uui, size));
          break;
        case Async::Accept:
          r = c->call.accept(uuiArg(uui, size));
          break;
        case Async::Drop:
          r = c->call.drop(0, uuiArg(uui, size));
          break;
      }
    }
    if (!r) {
      return err(r.error());
    }
    {
      std::lock_guard lock(reg().mu);
      c->app->requestLine[*r] = c->hLine;
    }
    return static_cast<LONG>(*r);
  });
}

/**
 * Runs a synchronous operation on a found call under its lock. A handle the engine voided
 * on its own (idle-handle reclamation) stays mapped until lineDeallocateCall, lineClose or
 * lineShutdown.
 */
template <typename F>
LONG syncOn(CCall& c, F&& f) {
  Result<void> r;
  {
    std::lock_guard lock(c.mu);
    r = f(c.call);
  }
  return r.ok() ? 0 : err(r.error());
}

}  // namespace
}  // namespace tapi::capi

using namespace tapi;
using namespace tapi::capi;

extern "C" {

LONG WINAPI lineDial(HCALL hCall, LPCSTR, DWORD) {
  return withCall(hCall, [](const CCallSharedPtr&) -> LONG { return LINEERR_OPERATIONUNAVAIL; });
}

LONG WINAPI lineAnswer(HCALL hCall, LPCSTR lpsUserUserInfo, DWORD dwSize) {
  return asyncCall(hCall, lpsUserUserInfo, dwSize, Async::Answer);
}

LONG WINAPI lineAccept(HCALL hCall, LPCSTR lpsUserUserInfo, DWORD dwSize) {
  return asyncCall(hCall, lpsUserUserInfo, dwSize, Async::Accept);
}

LONG WINAPI lineDrop(HCALL hCall, LPCSTR lpsUserUserInfo, DWORD dwSize) {
  return asyncCall(hCall, lpsUserUserInfo, dwSize, Async::Drop);
}

LONG WINAPI lineDeallocateCall(HCALL hCall) {
  return withCall(hCall, [&](const CCallSharedPtr& c) -> LONG {
    Result<void> r;
    {
      std::lock_guard lock(c->mu);
      r = c->call.deallocate();
    }
    if (r.ok() || r.lineErr() == LineErr::InvalCallHandle) {
      std::lock_guard lock(reg().mu);
      forgetCallLocked(hCall);
    }
    return r.ok() ? 0 : err(r.error());
  });
}

LONG WINAPI lineGetCallInfo(HCALL hCall, LPLINECALLINFO lpCallInfo) {
  return withCall(hCall, [&](const CCallSharedPtr& c) -> LONG {
    if (lpCallInfo == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    const DWORD version = lineVersion(*c);
    const DWORD fixed = version < kApiVersion20   ? offsetof(LINECALLINFO, dwCallTreatment)
                        : version < kApiVersion30 ? offsetof(LINECALLINFO, dwCallerIDAddressType)
                                                  : sizeof(LINECALLINFO);
    if (lpCallInfo->dwTotalSize < fixed) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    const Result<CallRecord> r = c->record();
    if (!r) {
      return err(r.error());
    }
    const CallRecord& rec = *r;
    VarStruct<LINECALLINFO> v(fixed);
    LINECALLINFO& i = v.local();
    i.hLine = c->hLine;
    i.dwLineDeviceID = rec.lineDeviceId;
    i.dwAddressID = rec.addressId;
    i.dwBearerMode = LINEBEARERMODE_VOICE;
    i.dwMediaMode = LINEMEDIAMODE_INTERACTIVEVOICE;
    i.dwAppSpecific = rec.appSpecific;
    i.dwCallID = rec.callId;
    i.dwCallStates = kCallStates;
    i.dwOrigin = rec.origin;
    if (version < kApiVersion14 && i.dwOrigin == LINECALLORIGIN_INBOUND) {
      i.dwOrigin = LINECALLORIGIN_UNAVAIL;  // INBOUND came with 1.4
    }
    i.dwReason = LINECALLREASON_DIRECT;
    i.dwNumOwners = rec.numOwners;
    i.dwNumMonitors = rec.numMonitors;
    i.dwTrunk = 0xFFFFFFFFu;
    i.dwCallerIDFlags = partyFlags(rec.caller);
    v.string(&LINECALLINFO::dwCallerIDSize, &LINECALLINFO::dwCallerIDOffset, rec.caller.number);
    v.string(&LINECALLINFO::dwCallerIDNameSize, &LINECALLINFO::dwCallerIDNameOffset,
             rec.caller.name);
    i.dwCalledIDFlags = partyFlags(rec.called);
    v.string(&LINECALLINFO::dwCalledIDSize, &LINECALLINFO::dwCalledIDOffset, rec.called.number);
    v.string(&LINECALLINFO::dwCalledIDNameSize, &LINECALLINFO::dwCalledIDNameOffset,
             rec.called.name);
    i.dwConnectedIDFlags = partyFlags(rec.connected);
    v.string(&LINECALLINFO::dwConnectedIDSize, &LINECALLINFO::dwConnectedIDOffset,
             rec.connected.number);
    v.string(&LINECALLINFO::dwConnectedIDNameSize, &LINECALLINFO::dwConnectedIDNameOffset,
             rec.connected.name);
    i.dwRedirectionIDFlags = LINECALLPARTYID_UNAVAIL;
    i.dwRedirectingIDFlags = LINECALLPARTYID_UNAVAIL;
    v.string(&LINECALLINFO::dwAppNameSize, &LINECALLINFO::dwAppNameOffset, rec.appName);
    v.bytes(&LINECALLINFO::dwUserUserInfoSize, &LINECALLINFO::dwUserUserInfoOffset,
            rec.uuiReceived.data(), rec.uuiReceived.size());
    if (version >= kApiVersion30) {
      i.dwCallerIDAddressType = rec.caller.number.empty() ? 0 : LINEADDRESSTYPE_PHONENUMBER;
      i.dwCalledIDAddressType = rec.called.number.empty() ? 0 : LINEADDRESSTYPE_PHONENUMBER;
      i.dwConnectedIDAddressType = rec.connected.number.empty() ? 0 : LINEADDRESSTYPE_PHONENUMBER;
    }
    v.write(lpCallInfo);
    return 0;
  });
}

LONG WINAPI lineGetCallStatus(HCALL hCall, LPLINECALLSTATUS lpCallStatus) {
  return withCall(hCall, [&](const CCallSharedPtr& c) -> LONG {
    if (lpCallStatus == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    const DWORD version = lineVersion(*c);
    const DWORD fixed = version < kApiVersion20 ? offsetof(LINECALLSTATUS, dwCallFeatures2)
                                                : sizeof(LINECALLSTATUS);
    if (lpCallStatus->dwTotalSize < fixed) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    Result<CallStatus> r = LineErr::OperationFailed;
    {
      std::lock_guard lock(c->mu);
      r = c->call.status();
    }
    if (!r) {
      return err(r.error());
    }
    VarStruct<LINECALLSTATUS> v(fixed);
    LINECALLSTATUS& s = v.local();
    s.dwCallState = static_cast<DWORD>(r->state);
    s.dwCallStateMode = r->mode;
    s.dwCallPrivilege = static_cast<DWORD>(r->privilege);
    s.dwCallFeatures = r->features;
    if (version >= kApiVersion20) {
      s.tStateEntryTime = toSystemTime(r->stateEntryTime);
    }
    v.write(lpCallStatus);
    return 0;
  });
}

LONG WINAPI lineSetAppSpecific(HCALL hCall, DWORD dwAppSpecific) {
  return withCall(hCall, [&](const CCallSharedPtr& c) {
    return syncOn(*c, [&](Call& call) { return call.setAppSpecific(dwAppSpecific); });
  });
}

LONG WINAPI lineSetCallPrivilege(HCALL hCall, DWORD dwCallPrivilege) {
  return withCall(hCall, [&](const CCallSharedPtr& c) -> LONG {
    if (dwCallPrivilege != LINECALLPRIVILEGE_MONITOR &&
        dwCallPrivilege != LINECALLPRIVILEGE_OWNER) {
      return LINEERR_INVALCALLPRIVILEGE;
    }
    return syncOn(
        *c, [&](Call& call) { return call.setPrivilege(static_cast<Privilege>(dwCallPrivilege)); });
  });
}

LONG WINAPI lineHandoff(HCALL hCall, LPCSTR lpszFileName, DWORD dwMediaMode) {
  return withCall(hCall, [&](const CCallSharedPtr& c) -> LONG {
    std::string target;
    if (lpszFileName != nullptr) {
      target = lpszFileName;
      // A module file name may come with a path; the application's name is its last part.
      if (auto slash = target.find_last_of("/\\"); slash != std::string::npos) {
        target.erase(0, slash + 1);
      }
    } else if (dwMediaMode == 0 || (dwMediaMode & (dwMediaMode - 1)) != 0 ||
               dwMediaMode > LAST_LINEMEDIAMODE) {
      return LINEERR_INVALMEDIAMODE;
    }
    return syncOn(*c, [&](Call& call) {
      return call.handoff(target, lpszFileName != nullptr ? 0 : dwMediaMode);
    });
  });
}

}  // extern "C"
