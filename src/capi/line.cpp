// The line functions of the C API: device and address capabilities, lineOpen, lineClose,
// lineMakeCall, lineGetNewCalls and lineGetLineDevStatus.

#include <tapi/tapi.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "capi/registry.hpp"
#include "capi/var_struct.hpp"

using namespace tapi;
using namespace tapi::capi;

extern "C" {

LONG WINAPI lineGetDevCaps(HLINEAPP hLineApp, DWORD dwDeviceID, DWORD dwAPIVersion,
                           DWORD dwExtVersion, LPLINEDEVCAPS lpLineDevCaps) {
  return withApp(hLineApp, [&](const CAppSharedPtr&) -> LONG {
    LONG e = 0;
    auto lines = devices(e);
    const LineDevice* d = deviceOf(lines, dwDeviceID);
    if (d == nullptr) {
      return LINEERR_BADDEVICEID;
    }
    if (const LONG v = versionsError(dwAPIVersion, dwExtVersion); v != 0) {
      return v;
    }
    if (lpLineDevCaps == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    const DWORD fixed = dwAPIVersion < kApiVersion14   ? offsetof(LINEDEVCAPS, dwLineFeatures)
                        : dwAPIVersion < kApiVersion20 ? offsetof(LINEDEVCAPS, dwSettableDevStatus)
                        : dwAPIVersion < kApiVersion22 ? offsetof(LINEDEVCAPS, PermanentLineGuid)
                        : dwAPIVersion < kApiVersion30 ? offsetof(LINEDEVCAPS, dwAddressTypes)
                                                       : sizeof(LINEDEVCAPS);
    if (lpLineDevCaps->dwTotalSize < fixed) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    VarStruct<LINEDEVCAPS> v(fixed);
    LINEDEVCAPS& c = v.local();
    auto rt = runtime();
    v.string(&LINEDEVCAPS::dwProviderInfoSize, &LINEDEVCAPS::dwProviderInfoOffset,
             rt && rt->isRemote() ? "OpenTAPI (tapid)" : "OpenTAPI (embedded engine)");
    v.string(&LINEDEVCAPS::dwSwitchInfoSize, &LINEDEVCAPS::dwSwitchInfoOffset, d->address);
    c.dwPermanentLineID = d->deviceId;
    v.string(&LINEDEVCAPS::dwLineNameSize, &LINEDEVCAPS::dwLineNameOffset, d->name);
    c.dwStringFormat = STRINGFORMAT_ASCII;
    c.dwAddressModes = LINEADDRESSMODE_ADDRESSID;
    c.dwNumAddresses = 1;
    c.dwBearerModes = LINEBEARERMODE_VOICE;
    c.dwMediaModes = kMediaModes;
    c.dwDevCapFlags = d->devCapFlags;
    c.dwMaxNumActiveCalls = 0xFFFF;
    c.dwAnswerMode = LINEANSWERMODE_NONE;
    c.dwUUIAcceptSize = d->maxUserUserInfo;
    c.dwUUIAnswerSize = d->maxUserUserInfo;
    c.dwUUIMakeCallSize = d->maxUserUserInfo;
    c.dwUUIDropSize = d->maxUserUserInfo;
    c.dwUUICallInfoSize = d->maxUserUserInfo;
    if (dwAPIVersion >= kApiVersion14) {
      c.dwLineFeatures = LINEFEATURE_MAKECALL;
    }
    if (dwAPIVersion >= kApiVersion20) {
      static const char kClasses[] = "tapi/line\0";  // a list of strings ending with "\0\0"
      v.bytes(&LINEDEVCAPS::dwDeviceClassesSize, &LINEDEVCAPS::dwDeviceClassesOffset, kClasses,
              sizeof kClasses);
    }
    if (dwAPIVersion >= kApiVersion22) {
      c.PermanentLineGuid.Data1 = 0x4f54a000u + d->deviceId;  // "OT", stable per device
    }
    if (dwAPIVersion >= kApiVersion30) {
      c.dwAddressTypes = LINEADDRESSTYPE_PHONENUMBER;
    }
    v.write(lpLineDevCaps);
    return 0;
  });
}

LONG WINAPI lineGetAddressCaps(HLINEAPP hLineApp, DWORD dwDeviceID, DWORD dwAddressID,
                               DWORD dwAPIVersion, DWORD dwExtVersion,
                               LPLINEADDRESSCAPS lpAddressCaps) {
  return withApp(hLineApp, [&](const CAppSharedPtr&) -> LONG {
    LONG e = 0;
    auto lines = devices(e);
    const LineDevice* d = deviceOf(lines, dwDeviceID);
    if (d == nullptr) {
      return LINEERR_BADDEVICEID;
    }
    if (dwAddressID != 0) {
      return LINEERR_INVALADDRESSID;
    }
    if (const LONG v = versionsError(dwAPIVersion, dwExtVersion); v != 0) {
      return v;
    }
    if (lpAddressCaps == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    const DWORD fixed = dwAPIVersion < kApiVersion14 ? offsetof(LINEADDRESSCAPS, dwAddressFeatures)
                        : dwAPIVersion < kApiVersion20
                            ? offsetof(LINEADDRESSCAPS, dwPredictiveAutoTransferStates)
                            : sizeof(LINEADDRESSCAPS);
    if (lpAddressCaps->dwTotalSize < fixed) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    VarStruct<LINEADDRESSCAPS> v(fixed);
    LINEADDRESSCAPS& c = v.local();
    c.dwLineDeviceID = dwDeviceID;
    v.string(&LINEADDRESSCAPS::dwAddressSize, &LINEADDRESSCAPS::dwAddressOffset, d->address);
    c.dwAddressSharing = LINEADDRESSSHARING_PRIVATE;
    c.dwCallInfoStates = LINECALLINFOSTATE_OTHER | LINECALLINFOSTATE_APPSPECIFIC |
                         LINECALLINFOSTATE_CALLID | LINECALLINFOSTATE_NUMOWNERINCR |
                         LINECALLINFOSTATE_NUMOWNERDECR | LINECALLINFOSTATE_NUMMONITORS |
                         LINECALLINFOSTATE_CALLERID | LINECALLINFOSTATE_CALLEDID |
                         LINECALLINFOSTATE_CONNECTEDID | LINECALLINFOSTATE_USERUSERINFO;
    const DWORD partyFlagsAll =
        LINECALLPARTYID_ADDRESS | LINECALLPARTYID_NAME | LINECALLPARTYID_UNKNOWN;
    c.dwCallerIDFlags = partyFlagsAll;
    c.dwCalledIDFlags = partyFlagsAll;
    c.dwConnectedIDFlags = partyFlagsAll;
    c.dwRedirectionIDFlags = LINECALLPARTYID_UNAVAIL;
    c.dwRedirectingIDFlags = LINECALLPARTYID_UNAVAIL;
    c.dwCallStates = kCallStates;
    c.dwBusyModes = LINEBUSYMODE_UNKNOWN;
    DWORD modes = 0x00000FFF;  // NORMAL .. UNAVAIL (1.0)
    if (dwAPIVersion >= kApiVersion14) {
      modes |= LINEDISCONNECTMODE_NODIALTONE;
    }
    if (dwAPIVersion >= kApiVersion20) {
      modes |= 0x000FE000;  // NUMBERCHANGED .. CANCELLED
    }
    c.dwDisconnectModes = modes;
    c.dwMaxNumActiveCalls = 0xFFFF;
    c.dwCallFeatures = LINECALLFEATURE_ACCEPT | LINECALLFEATURE_ANSWER | LINECALLFEATURE_DROP;
    if (dwAPIVersion >= kApiVersion14) {
      c.dwAddressFeatures = LINEADDRFEATURE_MAKECALL;
    }
    if (dwAPIVersion >= kApiVersion20) {
      c.dwMaxNoAnswerTimeout = 0xFFFFFFFFu / 1000;
      c.dwConnectedModes = LINECONNECTEDMODE_ACTIVE;
      c.dwOfferingModes = LINEOFFERINGMODE_ACTIVE;
      c.dwAvailableMediaModes = kMediaModes;
    }
    v.write(lpAddressCaps);
    return 0;
  });
}

LONG WINAPI lineOpen(HLINEAPP hLineApp, DWORD dwDeviceID, LPHLINE lphLine, DWORD dwAPIVersion,
                     DWORD dwExtVersion, DWORD_PTR dwCallbackInstance, DWORD dwPrivileges,
                     DWORD dwMediaModes, LPLINECALLPARAMS const lpCallParams) {
  return withApp(hLineApp, [&](const CAppSharedPtr& app) -> LONG {
    if (lphLine == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    LONG e = 0;
    auto lines = devices(e);
    const LineDevice* d = deviceOf(lines, dwDeviceID);
    if (d == nullptr) {
      // A lost tapid offers no lines; TAPI answers REINIT until the app starts again.
      return serverLost() ? LINEERR_REINIT : LINEERR_BADDEVICEID;
    }
    if (const LONG v = versionsError(dwAPIVersion, dwExtVersion); v != 0) {
      return v;
    }
    const DWORD options = dwPrivileges & (LINEOPENOPTION_SINGLEADDRESS | LINEOPENOPTION_PROXY);
    const DWORD privs = dwPrivileges & ~options;
    const bool privsOk = privs == LINECALLPRIVILEGE_NONE || privs == LINECALLPRIVILEGE_MONITOR ||
                         privs == LINECALLPRIVILEGE_OWNER ||
                         privs == (LINECALLPRIVILEGE_OWNER | LINECALLPRIVILEGE_MONITOR);
    if (!privsOk || (options & LINEOPENOPTION_PROXY) != 0 ||
        (options != 0 && dwAPIVersion < kApiVersion20)) {
      return LINEERR_INVALPRIVSELECT;
    }
    if ((options & LINEOPENOPTION_SINGLEADDRESS) != 0) {
      if (lpCallParams == nullptr || lpCallParams->dwAddressMode != LINEADDRESSMODE_ADDRESSID) {
        return LINEERR_INVALPRIVSELECT;
      }
      if (lpCallParams->dwAddressID != 0) {
        return LINEERR_INVALADDRESSID;
      }
    }
    OpenOptions o;
    o.mediaModes = dwMediaModes;
    o.apiVersion = dwAPIVersion;
    auto r = app->app.open(dwDeviceID, privs, o);
    if (!r) {
      return err(r.error());
    }
    auto l = std::make_shared<CLine>();
    l->app = app;
    l->deviceId = dwDeviceID;
    l->apiVersion = dwAPIVersion;
    l->instance = dwCallbackInstance;
    l->mediaModes = dwMediaModes;
    l->maxUui = d->maxUserUserInfo;
    const std::uint32_t engineLine = r->handle();
    l->line = std::move(*r);
    {
      std::lock_guard lock(reg().mu);
      l->h = Registry::allocate(reg().nextLine, reg().lines);
      reg().lines[l->h] = l;
      app->lineByEngine[engineLine] = l->h;
    }
    *lphLine = l->h;
    return 0;
  });
}

LONG WINAPI lineClose(HLINE hLine) {
  return withLine(hLine, [&](const CLineSharedPtr& l) -> LONG {
    auto r = l->line.close();
    {
      std::lock_guard lock(reg().mu);
      forgetLineLocked(hLine);
    }
    if (!r && r.lineErr() != LineErr::InvalLineHandle) {
      return err(r.error());
    }
    return r.ok() ? 0 : LINEERR_INVALLINEHANDLE;
  });
}

LONG WINAPI lineMakeCall(HLINE hLine, LPHCALL lphCall, LPCSTR lpszDestAddress, DWORD,
                         LPLINECALLPARAMS const lpCallParams) {
  return withLine(hLine, [&](const CLineSharedPtr& l) -> LONG {
    if (lphCall == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    if (lpszDestAddress == nullptr) {
      return LINEERR_OPERATIONUNAVAIL;  // no line offers a call waiting in dial tone
    }
    MakeCallOptions mo;
    if (lpCallParams != nullptr) {
      const DWORD total = lpCallParams->dwTotalSize;
      if (total < offsetof(LINECALLPARAMS, dwPredictiveAutoTransferStates)) {
        return LINEERR_STRUCTURETOOSMALL;
      }
      if (lpCallParams->dwAddressMode == LINEADDRESSMODE_ADDRESSID) {
        if (lpCallParams->dwAddressID != 0) {
          return LINEERR_INVALADDRESSID;
        }
        mo.addressId = lpCallParams->dwAddressID;
      }
      const DWORD size = lpCallParams->dwUserUserInfoSize;
      const DWORD offset = lpCallParams->dwUserUserInfoOffset;
      if (size != 0) {
        if (offset < offsetof(LINECALLPARAMS, dwPredictiveAutoTransferStates) ||
            static_cast<std::uint64_t>(offset) + size > total) {
          return LINEERR_INVALCALLPARAMS;
        }
        if (l->maxUui != 0 && size > l->maxUui) {
          return LINEERR_USERUSERINFOTOOBIG;
        }
        mo.userUserInfo.assign(reinterpret_cast<const char*>(lpCallParams) + offset, size);
      }
      if (l->apiVersion >= kApiVersion20 &&
          total >= offsetof(LINECALLPARAMS, dwCallingPartyIDSize) &&
          lpCallParams->dwNoAnswerTimeout != 0) {
        mo.noAnswerTimeout = std::chrono::seconds(lpCallParams->dwNoAnswerTimeout);
      }
    }
    // "sim:" far-end scripts are read by the simulated provider itself (docs/api.md).
    const std::string dest = lpszDestAddress;
    auto r = l->line.makeCall(dest, mo);
    if (!r) {
      return err(r.error());
    }
    const std::uint32_t requestId = r->requestId;
    const std::uint32_t engineCall = r->call.handle();
    const HCALL h = mapCall(l->app, engineCall, std::move(r->call), hLine);
    {
      std::lock_guard lock(reg().mu);
      l->app->requestLine[requestId] = hLine;
      l->app->makeCallRequest[requestId] = h;
    }
    *lphCall = h;
    return static_cast<LONG>(requestId);
  });
}

LONG WINAPI lineGetNewCalls(HLINE hLine, DWORD dwAddressID, DWORD dwSelect,
                            LPLINECALLLIST lpCallList) {
  return withLine(hLine, [&](const CLineSharedPtr& l) -> LONG {
    if (lpCallList == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    if (dwSelect != LINECALLSELECT_LINE && dwSelect != LINECALLSELECT_ADDRESS) {
      return LINEERR_INVALCALLSELECT;
    }
    if (dwSelect == LINECALLSELECT_ADDRESS && dwAddressID != 0) {
      return LINEERR_INVALADDRESSID;
    }
    if (lpCallList->dwTotalSize < sizeof(LINECALLLIST)) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    auto r = l->line.getNewCalls();
    if (!r) {
      return err(r.error());
    }
    std::vector<HCALL> handles;
    {
      std::lock_guard lock(reg().mu);
      handles.swap(l->undelivered);
    }
    for (Call& call : *r) {
      const std::uint32_t engine = call.handle();
      handles.push_back(mapCall(l->app, engine, std::move(call), hLine));
    }
    {
      // Handles already forgotten (deallocated meanwhile) are not listed.
      std::lock_guard lock(reg().mu);
      handles.erase(std::remove_if(handles.begin(), handles.end(),
                                   [](HCALL h) { return reg().calls.count(h) == 0; }),
                    handles.end());
    }
    VarStruct<LINECALLLIST> v(sizeof(LINECALLLIST));
    v.local().dwCallsNumEntries = static_cast<DWORD>(handles.size());
    v.bytes(&LINECALLLIST::dwCallsSize, &LINECALLLIST::dwCallsOffset, handles.data(),
            handles.size() * sizeof(HCALL), alignof(HCALL));
    v.write(lpCallList);
    if (lpCallList->dwCallsSize == 0 && !handles.empty()) {
      // Too small: the handles exist now, so keep them for the caller's next, larger try.
      lpCallList->dwCallsNumEntries = 0;
      std::lock_guard lock(reg().mu);
      l->undelivered = std::move(handles);
    }
    return 0;
  });
}

LONG WINAPI lineGetLineDevStatus(HLINE hLine, LPLINEDEVSTATUS lpLineDevStatus) {
  return withLine(hLine, [&](const CLineSharedPtr& l) -> LONG {
    if (lpLineDevStatus == nullptr) {
      return LINEERR_INVALPOINTER;
    }
    const DWORD fixed = l->apiVersion < kApiVersion20
                            ? offsetof(LINEDEVSTATUS, dwAvailableMediaModes)
                            : sizeof(LINEDEVSTATUS);
    if (lpLineDevStatus->dwTotalSize < fixed) {
      return LINEERR_STRUCTURETOOSMALL;
    }
    VarStruct<LINEDEVSTATUS> v(fixed);
    LINEDEVSTATUS& s = v.local();
    {
      std::lock_guard lock(reg().mu);
      for (auto& [h, other] : reg().lines) {
        if (other->deviceId == l->deviceId) {
          ++s.dwNumOpens;
          s.dwOpenMediaModes |= other->mediaModes;
        }
      }
    }
    if (auto rt = runtime()) {
      if (auto calls = rt->calls()) {
        for (const CallRecord& rec : *calls) {
          const bool idle = !rec.states.empty() && rec.states.back().state == CallState::Idle;
          if (rec.lineDeviceId == l->deviceId && !idle) {
            ++s.dwNumActiveCalls;
          }
        }
      }
    }
    s.dwLineFeatures = LINEFEATURE_MAKECALL;
    s.dwDevStatusFlags = LINEDEVSTATUSFLAGS_CONNECTED | LINEDEVSTATUSFLAGS_INSERVICE;
    if (l->apiVersion >= kApiVersion20) {
      s.dwAvailableMediaModes = kMediaModes;
    }
    v.write(lpLineDevStatus);
    return 0;
  });
}

}  // extern "C"
