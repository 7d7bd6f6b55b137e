/* Compiles a TAPI program that uses only names from Microsoft's documentation (plus
 * <tapi/tapi.h> as the include): proves the header is self-contained and valid C11 and
 * C++20. Built with -Wall -Wextra -Werror by the tapi_h_* CTests; never run. */
#include <tapi/tapi.h>

#include <string.h>

static void CALLBACK lineCallbackFunc(DWORD hDevice, DWORD dwMsg, DWORD_PTR dwCallbackInstance,
                                      DWORD_PTR dwParam1, DWORD_PTR dwParam2,
                                      DWORD_PTR dwParam3) {
  (void)hDevice;
  (void)dwCallbackInstance;
  (void)dwParam2;
  (void)dwParam3;
  switch (dwMsg) {
    case LINE_CALLSTATE:
      if (dwParam1 == LINECALLSTATE_IDLE) {
        (void)lineDeallocateCall((HCALL)hDevice);
      }
      break;
    case LINE_REPLY:
    case LINE_CALLINFO:
    case LINE_CLOSE:
    case LINE_APPNEWCALL:
    default:
      break;
  }
}

LONG example(void);
LONG example(void) {
  HLINEAPP hLineApp = 0;
  HLINE hLine = 0;
  HCALL hCall = 0;
  DWORD dwNumDevs = 0;
  DWORD dwAPIVersion = TAPI_CURRENT_VERSION;
  LINEINITIALIZEEXPARAMS params;
  LINEEXTENSIONID extensionId;
  LINEDEVCAPS devCaps;
  LINEADDRESSCAPS addressCaps;
  LINECALLPARAMS callParams;
  LINECALLINFO callInfo;
  LINECALLSTATUS callStatus;
  LINECALLLIST callList;
  LINEDEVSTATUS devStatus;
  LINEMESSAGE message;
  SYSTEMTIME started;
  HANDLE hEvent;
  LONG lResult;
  LPLINECALLINFO lpCallInfo = &callInfo;

  memset(&params, 0, sizeof params);
  params.dwTotalSize = sizeof params;
  params.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  lResult = lineInitializeEx(&hLineApp, NULL, lineCallbackFunc, "names", &dwNumDevs,
                             &dwAPIVersion, &params);
  if (lResult != 0) {
    (void)lineInitialize(&hLineApp, NULL, lineCallbackFunc, "names", &dwNumDevs);
  }
  hEvent = params.Handles.hEvent;
  (void)hEvent;
  (void)lineNegotiateAPIVersion(hLineApp, 0, TAPI_VERSION1_4, TAPI_VERSION2_2, &dwAPIVersion,
                                &extensionId);
  devCaps.dwTotalSize = sizeof devCaps;
  (void)lineGetDevCaps(hLineApp, 0, dwAPIVersion, 0, &devCaps);
  if ((devCaps.dwDevCapFlags & LINEDEVCAPFLAGS_CLOSEDROP) != 0 && devCaps.dwLineNameSize > 0) {
    (void)devCaps.dwLineNameOffset;
  }
  addressCaps.dwTotalSize = sizeof addressCaps;
  (void)lineGetAddressCapsA(hLineApp, 0, 0, dwAPIVersion, 0, &addressCaps);
  (void)lineOpen(hLineApp, 0, &hLine, dwAPIVersion, 0, (DWORD_PTR)0,
                 LINECALLPRIVILEGE_OWNER | LINECALLPRIVILEGE_MONITOR,
                 LINEMEDIAMODE_INTERACTIVEVOICE, NULL);
  memset(&callParams, 0, sizeof callParams);
  callParams.dwTotalSize = sizeof callParams;
  callParams.dwBearerMode = LINEBEARERMODE_VOICE;
  callParams.dwMediaMode = LINEMEDIAMODE_INTERACTIVEVOICE;
  callParams.dwAddressMode = LINEADDRESSMODE_ADDRESSID;
  callParams.dwNoAnswerTimeout = 30;
  lResult = lineMakeCall(hLine, &hCall, "200", 0, &callParams);
  if (lResult > 0) {
    while (lineGetMessage(hLineApp, &message, INFINITE) == 0) {
      if (message.dwMessageID == LINE_REPLY && (LONG)message.dwParam2 < 0) {
        break;
      }
      if (message.dwMessageID == LINE_CALLSTATE &&
          message.dwParam1 == LINECALLSTATE_DISCONNECTED &&
          message.dwParam2 == LINEDISCONNECTMODE_BUSY) {
        break;
      }
    }
  }
  (void)lineDial(hCall, "1", 0);
  (void)lineAnswer(hCall, NULL, 0);
  (void)lineAccept(hCall, NULL, 0);
  (void)lineDrop(hCall, "bye", 3);
  lpCallInfo->dwTotalSize = sizeof callInfo;
  if (lineGetCallInfo(hCall, lpCallInfo) == LINEERR_STRUCTURETOOSMALL ||
      callInfo.dwNeededSize > callInfo.dwTotalSize) {
    (void)callInfo.dwUserUserInfoOffset;
  }
  (void)(callInfo.dwCallID + callInfo.dwOrigin + callInfo.dwNumOwners + callInfo.dwNumMonitors +
         callInfo.dwCallTreatment + callInfo.dwCallDataSize + callInfo.dwReceivingFlowspecSize +
         callInfo.dwCallerIDAddressType + callInfo.dwAppNameSize + (DWORD)callInfo.hLine);
  callStatus.dwTotalSize = sizeof callStatus;
  (void)lineGetCallStatus(hCall, &callStatus);
  started = callStatus.tStateEntryTime;
  (void)started.wMilliseconds;
  (void)lineSetAppSpecific(hCall, 42);
  (void)lineSetCallPrivilege(hCall, LINECALLPRIVILEGE_MONITOR);
  (void)lineHandoff(hCall, "crm.exe", LINEMEDIAMODE_INTERACTIVEVOICE);
  callList.dwTotalSize = sizeof callList;
  (void)lineGetNewCalls(hLine, 0, LINECALLSELECT_LINE, &callList);
  devStatus.dwTotalSize = sizeof devStatus;
  (void)lineGetLineDevStatus(hLine, &devStatus);
  (void)lineDeallocateCall(hCall);
  (void)lineClose(hLine);
  if (lineShutdown(hLineApp) == LINEERR_INVALAPPHANDLE || lResult == LINEERR_OPERATIONFAILED ||
      lResult == LINEERR_INVALCALLHANDLE || lResult == LINEERR_NOTOWNER) {
    return LINEERR_UNINITIALIZED;
  }
  return (LONG)(LINEDISCONNECTMODE_CANCELLED + LINECALLORIGIN_INBOUND +
                LINECALLINFOSTATE_APPSPECIFIC + LINECALLFEATURE_DROP + STRINGFORMAT_ASCII +
                LINEOPENOPTION_PROXY + LINECALLSELECT_ADDRESS + LINEMEDIAMODE_UNKNOWN +
                LINECALLSTATE_UNKNOWN);
}
