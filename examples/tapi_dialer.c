/*
 * tapi_dialer: a TAPI 2.x dialer in plain C, as it would be written for Windows.
 * Makes a call, waits, drops it with user-user info, prints the call information
 * (lineGetCallInfo and OpenTAPI's record), deallocates the call and shuts down.
 *
 *   tapi_dialer [--line N] [--wait MS] [--uui TEXT] DESTINATION
 *
 * The backend comes from the environment (TAPI_SERVER, TAPI_CONFIG; docs/capi.md). On a
 * simulated line, "sim:answer=1s" style destinations script the far end.
 * Exit status: 0 when the call connected and ended cleanly, 3 when the connection to
 * tapid was lost (LINE_LINEDEVSTATE with LINEDEVSTATE_REINIT, or LINE_CLOSE of the line),
 * 1 otherwise.
 */
#include <tapi/tapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static HLINEAPP g_app;
static int g_lost; /* the server closed the line or the connection: nothing more will come */

static const char* stateName(DWORD s) {
  switch (s) {
    case LINECALLSTATE_IDLE: return "IDLE";
    case LINECALLSTATE_OFFERING: return "OFFERING";
    case LINECALLSTATE_ACCEPTED: return "ACCEPTED";
    case LINECALLSTATE_DIALTONE: return "DIALTONE";
    case LINECALLSTATE_DIALING: return "DIALING";
    case LINECALLSTATE_RINGBACK: return "RINGBACK";
    case LINECALLSTATE_BUSY: return "BUSY";
    case LINECALLSTATE_CONNECTED: return "CONNECTED";
    case LINECALLSTATE_PROCEEDING: return "PROCEEDING";
    case LINECALLSTATE_DISCONNECTED: return "DISCONNECTED";
    case LINECALLSTATE_UNKNOWN: return "UNKNOWN";
    default: return "OTHER";
  }
}

/* Notes a lost server: REINIT (the connection is gone), or LINE_CLOSE (the line is gone,
 * and with it the call; a REINIT queued right behind it says why). */
static int lost(const LINEMESSAGE* m) {
  LINEMESSAGE next;
  if (m->dwMessageID == LINE_LINEDEVSTATE && (m->dwParam1 & LINEDEVSTATE_REINIT) != 0) {
    fprintf(stderr, "lost the connection to tapid\n");
    g_lost = 1;
  } else if (m->dwMessageID == LINE_CLOSE) {
    while (lineGetMessage(g_app, &next, 0) == 0) {
      if (next.dwMessageID == LINE_LINEDEVSTATE && (next.dwParam1 & LINEDEVSTATE_REINIT) != 0) {
        return lost(&next);
      }
    }
    fprintf(stderr, "the server closed the line\n");
    g_lost = 1;
  }
  return g_lost;
}

/* Waits up to `ms` for a LINE_CALLSTATE on hCall in `states` (a mask); returns the state or 0.
 * A LINE_REPLY for `request` with an error, or a lost server, ends the wait too (returns 0). */
static DWORD waitState(HCALL hCall, DWORD states, DWORD ms, LONG request, LONG* replyResult) {
  LINEMESSAGE m;
  while (lineGetMessage(g_app, &m, ms) == 0) {
    if (lost(&m)) {
      return 0;
    }
    if (m.dwMessageID == LINE_REPLY && (LONG)m.dwParam1 == request) {
      *replyResult = (LONG)(DWORD)m.dwParam2;
      if (*replyResult < 0) {
        return 0;
      }
    } else if (m.dwMessageID == LINE_CALLSTATE && m.hDevice == hCall) {
      printf("state %s mode 0x%lx\n", stateName((DWORD)m.dwParam1), (unsigned long)m.dwParam2);
      fflush(stdout); /* progress is visible through a pipe too */
      if (((DWORD)m.dwParam1 & states) != 0) {
        return (DWORD)m.dwParam1;
      }
    }
  }
  return 0;
}

static void printString(const char* label, const void* base, DWORD size, DWORD offset) {
  if (size > 0) {
    printf("%s=%.*s\n", label, (int)size, (const char*)base + offset);
  }
}

static int printCallInfo(HCALL hCall) {
  DWORD size = sizeof(LINECALLINFO) + 512;
  LINECALLINFO* info = NULL;
  LONG r;
  for (;;) {
    info = (LINECALLINFO*)calloc(1, size);
    if (info == NULL) {
      return 1;
    }
    info->dwTotalSize = size;
    r = lineGetCallInfo(hCall, info);
    if (r != 0 || info->dwNeededSize <= info->dwTotalSize) {
      break;
    }
    size = info->dwNeededSize;
    free(info);
  }
  if (r != 0) {
    fprintf(stderr, "lineGetCallInfo: %s\n", opentapi_lineerr_name(r));
    free(info);
    return 1;
  }
  printf("call_id=%lu\n", (unsigned long)info->dwCallID);
  printf("origin=0x%lx owners=%lu monitors=%lu\n", (unsigned long)info->dwOrigin,
         (unsigned long)info->dwNumOwners, (unsigned long)info->dwNumMonitors);
  printString("caller", info, info->dwCallerIDSize, info->dwCallerIDOffset);
  printString("called", info, info->dwCalledIDSize, info->dwCalledIDOffset);
  printString("connected", info, info->dwConnectedIDSize, info->dwConnectedIDOffset);
  printString("app", info, info->dwAppNameSize, info->dwAppNameOffset);
  printString("uui_received", info, info->dwUserUserInfoSize, info->dwUserUserInfoOffset);
  free(info);

  {
    unsigned char buf[4096];
    OPENTAPICALLRECORD* rec = (OPENTAPICALLRECORD*)(void*)buf;
    memset(buf, 0, sizeof buf);
    rec->dwTotalSize = sizeof buf;
    r = opentapi_call_get_record(hCall, rec);
    if (r != 0) {
      fprintf(stderr, "opentapi_call_get_record: %s\n", opentapi_lineerr_name(r));
      return 1;
    }
    printf("termination_origin=%lu disconnect_mode=0x%lx states=%lu\n",
           (unsigned long)rec->dwTerminationOrigin, (unsigned long)rec->dwDisconnectMode,
           (unsigned long)rec->dwStatesNumEntries);
    printString("uui_sent", rec, rec->dwUserUserInfoSentSize, rec->dwUserUserInfoSentOffset);
    printString("termination_app", rec, rec->dwTerminationAppSize, rec->dwTerminationAppOffset);
    if (rec->tConnectedMs != 0 && rec->tIdleMs != 0) {
      printf("connected_ms=%lld\n", (long long)(rec->tIdleMs - rec->tConnectedMs));
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  DWORD device = 0, waitMs = 1000, numDevs = 0, apiVersion = TAPI_CURRENT_VERSION;
  const char* uui = "bye from tapi_dialer";
  const char* dest = NULL;
  LINEINITIALIZEEXPARAMS params;
  LINEEXTENSIONID ext;
  HLINE hLine = 0;
  HCALL hCall = 0;
  LONG r, request, replyResult = 1;
  DWORD state;
  int failed = 0;

  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--line") == 0 && i + 1 < argc) {
      device = (DWORD)strtoul(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
      waitMs = (DWORD)strtoul(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--uui") == 0 && i + 1 < argc) {
      uui = argv[++i];
    } else {
      dest = argv[i];
    }
  }
  if (dest == NULL) {
    fprintf(stderr, "usage: tapi_dialer [--line N] [--wait MS] [--uui TEXT] DESTINATION\n");
    return 2;
  }

  memset(&params, 0, sizeof params);
  params.dwTotalSize = sizeof params;
  params.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  r = lineInitializeEx(&g_app, NULL, NULL, "tapi_dialer", &numDevs, &apiVersion, &params);
  if (r != 0) {
    fprintf(stderr, "lineInitializeEx: %s\n", opentapi_lineerr_name(r));
    return 1;
  }
  r = lineNegotiateAPIVersion(g_app, device, TAPI_VERSION1_4, TAPI_VERSION2_2, &apiVersion, &ext);
  if (r == 0) {
    r = lineOpen(g_app, device, &hLine, apiVersion, 0, 0, LINECALLPRIVILEGE_NONE, 0, NULL);
  }
  if (r != 0) {
    fprintf(stderr, "lineOpen: %s\n", opentapi_lineerr_name(r));
    lineShutdown(g_app);
    return 1;
  }

  request = lineMakeCall(hLine, &hCall, dest, 0, NULL);
  if (request < 0) {
    fprintf(stderr, "lineMakeCall: %s\n", opentapi_lineerr_name(request));
    lineShutdown(g_app);
    return 1;
  }
  printf("dialing %s (request %ld)\n", dest, (long)request);
  state = waitState(hCall, LINECALLSTATE_CONNECTED | LINECALLSTATE_DISCONNECTED |
                               LINECALLSTATE_BUSY | LINECALLSTATE_IDLE,
                    15000, request, &replyResult);
  if (!g_lost && state == LINECALLSTATE_CONNECTED) {
    /* Talk for a while; a remote hang-up ends the wait early. */
    if (waitState(hCall, LINECALLSTATE_DISCONNECTED, waitMs, request, &replyResult) != 0) {
      printf("the far end hung up\n");
    }
  }
  if (g_lost) {
    /* The call and the line are gone with the server: shut down and say so. */
    lineShutdown(g_app);
    return 3;
  }
  if (state != LINECALLSTATE_CONNECTED) {
    fprintf(stderr, "the call did not connect (%s, reply %s)\n", stateName(state),
            opentapi_lineerr_name(replyResult));
    failed = 1;
  }

  if (replyResult >= 0) {
    r = lineDrop(hCall, uui, (DWORD)strlen(uui));
    if (r < 0 && r != LINEERR_INVALCALLSTATE) {
      fprintf(stderr, "lineDrop: %s\n", opentapi_lineerr_name(r));
      failed = 1;
    } else if (r > 0 && waitState(hCall, LINECALLSTATE_IDLE, 5000, r, &replyResult) == 0) {
      fprintf(stderr, "no IDLE after lineDrop\n");
      failed = 1;
    }
    failed |= printCallInfo(hCall);
    r = lineDeallocateCall(hCall);
    if (r != 0) {
      fprintf(stderr, "lineDeallocateCall: %s\n", opentapi_lineerr_name(r));
      failed = 1;
    }
  }
  lineClose(hLine);
  lineShutdown(g_app);
  return g_lost ? 3 : failed;
}
