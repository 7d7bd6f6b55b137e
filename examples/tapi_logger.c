/*
 * tapi_logger: a TAPI 2.x call logger in plain C. Opens every line with monitor
 * privilege, picks up calls that exist already (lineGetNewCalls), and when a call it
 * watches reaches IDLE prints its post-connection data (lineGetCallInfo and OpenTAPI's
 * record) as one line, then deallocates the handle.
 *
 *   tapi_logger [--calls N] [--seconds S] [--inbound N]
 *
 * --calls N    exit after logging N calls (default: run until --seconds pass)
 * --seconds S  exit after S seconds (default 3600)
 * --inbound N  have the simulated network offer N calls that the caller abandons after
 *              300 ms (a demo and test source of traffic on simulated lines)
 *
 * The backend comes from the environment (TAPI_SERVER, TAPI_CONFIG; docs/capi.md).
 * Exit status: 0 done, 1 fewer calls than --calls or every line closed, 2 usage, 3 the
 * connection to tapid was lost (LINE_LINEDEVSTATE with LINEDEVSTATE_REINIT).
 */
#include <tapi/tapi.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static HLINEAPP g_app;

static void jsonString(const char* key, const void* base, DWORD size, DWORD offset) {
  const char* s = (const char*)base + offset;
  printf(",\"%s\":\"", key);
  for (DWORD i = 0; i < size && s[i] != '\0'; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      printf("\\%c", c);
    } else if (c < 0x20) {
      printf("\\u%04x", c);
    } else {
      putchar(c);
    }
  }
  putchar('"');
}

static const char* originName(DWORD o) {
  static const char* names[] = {"none",   "local",       "remote",          "policy",
                                "line-close", "app-shutdown", "provider-failure",
                                "server-shutdown"};
  return o < sizeof names / sizeof names[0] ? names[o] : "?";
}

/* Prints one call's record; returns 0 on success. */
static int logCall(HCALL hCall) {
  DWORD size = sizeof(LINECALLINFO) + 256;
  LINECALLINFO* info;
  unsigned char recBuf[4096];
  OPENTAPICALLRECORD* rec = (OPENTAPICALLRECORD*)(void*)recBuf;
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
  memset(recBuf, 0, sizeof recBuf);
  rec->dwTotalSize = sizeof recBuf;
  r = opentapi_call_get_record(hCall, rec);

  printf("{\"call_id\":%lu,\"line\":%lu,\"origin\":%lu", (unsigned long)info->dwCallID,
         (unsigned long)info->dwLineDeviceID, (unsigned long)info->dwOrigin);
  jsonString("caller", info, info->dwCallerIDSize, info->dwCallerIDOffset);
  jsonString("caller_name", info, info->dwCallerIDNameSize, info->dwCallerIDNameOffset);
  jsonString("called", info, info->dwCalledIDSize, info->dwCalledIDOffset);
  jsonString("connected", info, info->dwConnectedIDSize, info->dwConnectedIDOffset);
  jsonString("app", info, info->dwAppNameSize, info->dwAppNameOffset);
  jsonString("uui_received", info, info->dwUserUserInfoSize, info->dwUserUserInfoOffset);
  printf(",\"app_specific\":%lu", (unsigned long)info->dwAppSpecific);
  if (r == 0) {
    printf(",\"termination\":\"%s\",\"policy\":%lu,\"disconnect_mode\":%lu,\"provider_code\":%ld",
           originName(rec->dwTerminationOrigin), (unsigned long)rec->dwTerminationPolicy,
           (unsigned long)rec->dwDisconnectMode, (long)rec->lProviderCode);
    jsonString("termination_app", rec, rec->dwTerminationAppSize, rec->dwTerminationAppOffset);
    jsonString("uui_sent", rec, rec->dwUserUserInfoSentSize, rec->dwUserUserInfoSentOffset);
    printf(",\"states\":%lu,\"duration_ms\":%lld", (unsigned long)rec->dwStatesNumEntries,
           (long long)(rec->tIdleMs != 0 ? rec->tIdleMs - rec->tCreatedMs : 0));
  }
  printf("}\n");
  fflush(stdout);
  free(info);
  return 0;
}

/* Takes monitor handles for calls that existed before the line was opened. */
static void adoptExisting(HLINE hLine) {
  unsigned char buf[sizeof(LINECALLLIST) + 64 * sizeof(HCALL)];
  LINECALLLIST* list = (LINECALLLIST*)(void*)buf;
  memset(buf, 0, sizeof buf);
  list->dwTotalSize = sizeof buf;
  if (lineGetNewCalls(hLine, 0, LINECALLSELECT_LINE, list) == 0 && list->dwCallsSize > 0) {
    fprintf(stderr, "watching %lu existing call(s)\n", (unsigned long)list->dwCallsNumEntries);
  }
}

int main(int argc, char** argv) {
  DWORD numDevs = 0, apiVersion = TAPI_CURRENT_VERSION, inbound = 0, opened = 0, closed = 0;
  long maxCalls = -1, seconds = 3600, logged = 0;
  LINEINITIALIZEEXPARAMS params;
  LINEMESSAGE m;
  LONG r;
  time_t end;

  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc) {
      maxCalls = strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--inbound") == 0 && i + 1 < argc) {
      inbound = (DWORD)strtoul(argv[++i], NULL, 10);
    } else {
      fprintf(stderr, "usage: tapi_logger [--calls N] [--seconds S] [--inbound N]\n");
      return 2;
    }
  }

  memset(&params, 0, sizeof params);
  params.dwTotalSize = sizeof params;
  params.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  r = lineInitializeEx(&g_app, NULL, NULL, "tapi_logger", &numDevs, &apiVersion, &params);
  if (r != 0) {
    fprintf(stderr, "lineInitializeEx: %s\n", opentapi_lineerr_name(r));
    return 1;
  }
  for (DWORD dev = 0; dev < numDevs; ++dev) {
    LINEEXTENSIONID ext;
    DWORD version = 0;
    HLINE hLine = 0;
    r = lineNegotiateAPIVersion(g_app, dev, TAPI_VERSION1_4, TAPI_VERSION2_2, &version, &ext);
    if (r == 0) {
      r = lineOpen(g_app, dev, &hLine, version, 0, (DWORD_PTR)dev, LINECALLPRIVILEGE_MONITOR, 0,
                   NULL);
    }
    if (r != 0) {
      fprintf(stderr, "line %lu: %s\n", (unsigned long)dev, opentapi_lineerr_name(r));
      continue;
    }
    ++opened;
    adoptExisting(hLine);
  }
  fprintf(stderr, "monitoring %lu line(s)\n", (unsigned long)numDevs);

  for (DWORD i = 0; i < inbound; ++i) {
    char caller[32];
    snprintf(caller, sizeof caller, "55501%02lu", (unsigned long)i);
    r = opentapi_sim_place_inbound(i % (numDevs > 0 ? numDevs : 1), caller, "Demo Caller",
                                   "sim:cancel=300ms", NULL);
    if (r != 0) {
      fprintf(stderr, "opentapi_sim_place_inbound: %s\n", opentapi_lineerr_name(r));
    }
  }

  end = time(NULL) + seconds;
  while ((maxCalls < 0 || logged < maxCalls) && time(NULL) < end) {
    /* The event handle is an eventfd: wait on it like any descriptor. */
    struct pollfd p;
    p.fd = OPENTAPI_HANDLE_TO_FD(params.Handles.hEvent);
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, 1000) <= 0) {
      continue;
    }
    while (lineGetMessage(g_app, &m, 0) == 0) {
      if (m.dwMessageID == LINE_CALLSTATE && m.dwParam1 == LINECALLSTATE_IDLE) {
        if (logCall((HCALL)m.hDevice) == 0) {
          ++logged;
        }
        r = lineDeallocateCall((HCALL)m.hDevice);
        if (r != 0) {
          fprintf(stderr, "lineDeallocateCall: %s\n", opentapi_lineerr_name(r));
        }
      } else if (m.dwMessageID == LINE_CLOSE) {
        fprintf(stderr, "line %lu was closed\n", (unsigned long)m.dwCallbackInstance);
        ++closed;
      } else if (m.dwMessageID == LINE_LINEDEVSTATE && (m.dwParam1 & LINEDEVSTATE_REINIT) != 0) {
        /* The server is gone (its LINE_CLOSEs came first): nothing more will arrive. */
        fprintf(stderr, "lost the connection to tapid; logged %ld call(s)\n", logged);
        lineShutdown(g_app);
        return 3;
      }
    }
    if (opened > 0 && closed >= opened) {
      fprintf(stderr, "every line was closed; logged %ld call(s)\n", logged);
      lineShutdown(g_app);
      return 1;
    }
  }
  lineShutdown(g_app);
  fprintf(stderr, "logged %ld call(s)\n", logged);
  return (maxCalls < 0 || logged >= maxCalls) ? 0 : 1;
}
