// TAPI session-semantics conformance, written against the C API only (tapi.h), section by
// section of shared/spec/tapi-session-semantics.md. Each test's name says the rule it checks:
// Spec<section>_<topic>.<rule>. The far ends are simulated lines scripted by destination
// ("sim:answer=100ms;hangup=300ms", docs/api.md); inbound calls come from
// opentapi_sim_place_inbound. With TAPI_SERVER set the same tests run against a tapid.

#include <tapi/tapi.h>

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness.hpp"

using namespace conformance;
using namespace std::chrono_literals;

namespace {

constexpr const char* kAnswer = "sim:answer=100ms";
constexpr const char* kRing = "sim:ring";

/** An owner app with line 0 open and a connected outbound call. */
struct Connected {
  explicit Connected(DWORD version = TAPI_VERSION2_2, const char* dest = kAnswer)
      : app("owner", version) {
    line = app.open(0, LINECALLPRIVILEGE_OWNER, version);
    made = makeCall(app, line, dest);
    if (made.replyResult == 0) {
      connected = app.state(made.call, LINECALLSTATE_CONNECTED).has_value();
    }
  }
  EventApp app;
  HLINE line = 0;
  Made made;
  bool connected = false;
};

/** A monitor app on line 0 that saw `owner`'s call appear; returns its handle. */
HCALL monitorHandle(EventApp& monitor, HLINE monitorLine) {
  return monitor.newCall(monitorLine);
}

bool readable(HANDLE event) {
  pollfd p{OPENTAPI_HANDLE_TO_FD(event), POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

}  // namespace

// =============================================================================== §1

TEST(Spec1_Handles, MakeCallHandleIsValidOnceItsReplyReportsSuccess) {
  EventApp app("dialer");
  ASSERT_OK(app.result);
  HLINE line = app.open(0, LINECALLPRIVILEGE_NONE);
  ASSERT_NE(line, 0u) << name(app.lastError);
  Made m = makeCall(app, line, kAnswer);
  ASSERT_GT(m.requestId, 0);
  EXPECT_NE(m.call, 0u);
  EXPECT_EQ(m.replyResult, 0);
  EXPECT_TRUE(app.state(m.call, LINECALLSTATE_CONNECTED));
  EXPECT_EQ(callStatus(m.call).dwCallPrivilege, static_cast<DWORD>(LINECALLPRIVILEGE_OWNER));
}

TEST(Spec1_Handles, NoEventForANewCallBeforeItsReply) {
  EventApp app("dialer");
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER);
  HCALL call = 0;
  const LONG req = lineMakeCall(line, &call, kAnswer, 0, nullptr);
  ASSERT_GT(req, 0);
  bool replied = false;
  for (int i = 0; i < 20 && !replied; ++i) {
    auto m = app.next();
    ASSERT_TRUE(m);
    if (m->dwMessageID == LINE_REPLY && m->dwParam1 == static_cast<DWORD_PTR>(req)) {
      replied = true;
    } else {
      EXPECT_NE(m->hDevice, call) << "message " << m->dwMessageID << " before LINE_REPLY";
    }
  }
  EXPECT_TRUE(replied);
}

TEST(Spec1_Handles, ValuesAreNonZeroAndNeverRepeatPromptly) {
  EventApp app("dialer");
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER);
  std::vector<HCALL> seen;
  for (int i = 0; i < 4; ++i) {
    Made m = makeCall(app, line, kRing);
    ASSERT_EQ(m.replyResult, 0);
    ASSERT_NE(m.call, 0u);
    for (HCALL h : seen) {
      EXPECT_NE(h, m.call);
    }
    seen.push_back(m.call);
    const LONG d = lineDrop(m.call, nullptr, 0);
    ASSERT_GT(d, 0);
    EXPECT_EQ(app.reply(d), 0);
    ASSERT_OK(lineDeallocateCall(m.call));
  }
}

TEST(Spec1_Handles, UnknownValueIsInvalCallHandle) {
  EventApp app("app");
  for (HCALL h : {0u, 1u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
    LINECALLSTATUS s{};
    s.dwTotalSize = sizeof s;
    EXPECT_LINEERR(lineGetCallStatus(h, &s), LINEERR_INVALCALLHANDLE);
    EXPECT_LINEERR(lineDrop(h, nullptr, 0), LINEERR_INVALCALLHANDLE);
    EXPECT_LINEERR(lineDeallocateCall(h), LINEERR_INVALCALLHANDLE);
    EXPECT_LINEERR(lineAnswer(h, nullptr, 0), LINEERR_INVALCALLHANDLE);
    EXPECT_LINEERR(lineAccept(h, nullptr, 0), LINEERR_INVALCALLHANDLE);
    EXPECT_LINEERR(lineSetAppSpecific(h, 1), LINEERR_INVALCALLHANDLE);
    EXPECT_LINEERR(lineSetCallPrivilege(h, LINECALLPRIVILEGE_OWNER), LINEERR_INVALCALLHANDLE);
    EXPECT_LINEERR(lineHandoff(h, "x", 0), LINEERR_INVALCALLHANDLE);
    EXPECT_LINEERR(lineDial(h, "1", 0), LINEERR_INVALCALLHANDLE);
  }
}

TEST(Spec1_Handles, DeallocatedHandleIsInvalCallHandleEverywhere) {
  Connected c;
  ASSERT_TRUE(c.connected);
  const LONG d = lineDrop(c.made.call, nullptr, 0);
  ASSERT_GT(d, 0);
  ASSERT_TRUE(c.app.state(c.made.call, LINECALLSTATE_IDLE));
  ASSERT_OK(lineDeallocateCall(c.made.call));
  LONG r = 0;
  (void)callInfo(c.made.call, &r);
  EXPECT_LINEERR(r, LINEERR_INVALCALLHANDLE);
  (void)callStatus(c.made.call, &r);
  EXPECT_LINEERR(r, LINEERR_INVALCALLHANDLE);
  EXPECT_LINEERR(lineDrop(c.made.call, nullptr, 0), LINEERR_INVALCALLHANDLE);
  EXPECT_LINEERR(lineDeallocateCall(c.made.call), LINEERR_INVALCALLHANDLE);
}

TEST(Spec1_Handles, LineCloseVoidsEveryCallHandleOnTheLine) {
  Connected c;
  ASSERT_TRUE(c.connected);
  ASSERT_OK(lineClose(c.line));
  LONG r = 0;
  (void)callStatus(c.made.call, &r);
  EXPECT_LINEERR(r, LINEERR_INVALCALLHANDLE);
  EXPECT_LINEERR(lineClose(c.line), LINEERR_INVALLINEHANDLE);
}

TEST(Spec1_Handles, ShutdownVoidsEveryHandleOfTheApp) {
  EventApp other("other");  // keeps the process initialised
  Connected c;
  ASSERT_TRUE(c.connected);
  const HCALL call = c.made.call;
  const HLINE line = c.line;
  const HLINEAPP app = c.app.h;
  ASSERT_OK(c.app.shutdown());
  LONG r = 0;
  (void)callStatus(call, &r);
  EXPECT_LINEERR(r, LINEERR_INVALCALLHANDLE);
  EXPECT_LINEERR(lineClose(line), LINEERR_INVALLINEHANDLE);
  EXPECT_LINEERR(lineShutdown(app), LINEERR_INVALAPPHANDLE);
}

TEST(Spec1_Handles, IdleCallHandleStaysValidForQueries) {
  Connected c;
  ASSERT_TRUE(c.connected);
  ASSERT_GT(lineDrop(c.made.call, nullptr, 0), 0);
  ASSERT_TRUE(c.app.state(c.made.call, LINECALLSTATE_IDLE));
  LONG r = 1;
  auto info = callInfo(c.made.call, &r);
  EXPECT_EQ(r, 0);
  EXPECT_EQ(callStatus(c.made.call, &r).dwCallState, static_cast<DWORD>(LINECALLSTATE_IDLE));
  EXPECT_EQ(r, 0);
  EXPECT_EQ(lineDeallocateCall(c.made.call), 0);
}

TEST(Spec1_Handles, MonitorGetsAppNewCallAndUnknownWhenTheRequesterGetsItsReply) {
  EventApp monitor("monitor");
  HLINE ml = monitor.open(0, LINECALLPRIVILEGE_MONITOR);
  ASSERT_NE(ml, 0u);
  Connected c;
  ASSERT_EQ(c.made.replyResult, 0);
  auto m = monitor.waitFor([&](const LINEMESSAGE& x) { return x.dwMessageID == LINE_APPNEWCALL; });
  ASSERT_TRUE(m);
  EXPECT_EQ(m->hDevice, ml);
  EXPECT_EQ(m->dwParam1, 0u);  // address id
  EXPECT_EQ(m->dwParam3, static_cast<DWORD_PTR>(LINECALLPRIVILEGE_MONITOR));
  const HCALL h = static_cast<HCALL>(m->dwParam2);
  auto first = monitor.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->dwMessageID, static_cast<DWORD>(LINE_CALLSTATE));
  EXPECT_EQ(first->hDevice, h);
  EXPECT_EQ(first->dwParam1, static_cast<DWORD_PTR>(LINECALLSTATE_UNKNOWN));
  EXPECT_EQ(first->dwParam3, static_cast<DWORD_PTR>(LINECALLPRIVILEGE_MONITOR));
  EXPECT_NE(h, c.made.call);  // each app has its own handle for the call
}

TEST(Spec1_Handles, InboundCallGoesToOwnerAsAppNewCallThenOffering) {
  EventApp owner("owner");
  HLINE line = owner.open(0, LINECALLPRIVILEGE_OWNER);
  ASSERT_NE(line, 0u);
  DWORD callId = 0;
  ASSERT_OK(opentapi_sim_place_inbound(0, "555", "Alice", nullptr, &callId));
  auto m = owner.waitFor([](const LINEMESSAGE& x) { return x.dwMessageID == LINE_APPNEWCALL; });
  ASSERT_TRUE(m);
  EXPECT_EQ(m->dwParam3, static_cast<DWORD_PTR>(LINECALLPRIVILEGE_OWNER));
  const HCALL h = static_cast<HCALL>(m->dwParam2);
  auto next = owner.next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->dwMessageID, static_cast<DWORD>(LINE_CALLSTATE));
  EXPECT_EQ(next->hDevice, h);
  EXPECT_EQ(next->dwParam1, static_cast<DWORD_PTR>(LINECALLSTATE_OFFERING));
  EXPECT_EQ(next->dwParam3, static_cast<DWORD_PTR>(LINECALLPRIVILEGE_OWNER));
  auto info = callInfo(h);
  ASSERT_FALSE(info.empty());
  EXPECT_EQ(asInfo(info).dwCallID, callId);
  EXPECT_EQ(asInfo(info).dwOrigin, static_cast<DWORD>(LINECALLORIGIN_INBOUND));
  EXPECT_EQ(field(asInfo(info), asInfo(info).dwCallerIDSize, asInfo(info).dwCallerIDOffset), "555");
  EXPECT_EQ(field(asInfo(info), asInfo(info).dwCallerIDNameSize,
                  asInfo(info).dwCallerIDNameOffset),
            "Alice");
}

TEST(Spec1_Handles, Below20NewCallArrivesAsCallStateWithPrivilege) {
  EventApp owner("old-owner", TAPI_VERSION1_4);
  HLINE line = owner.open(0, LINECALLPRIVILEGE_OWNER, TAPI_VERSION1_4);
  ASSERT_NE(line, 0u);
  ASSERT_OK(opentapi_sim_place_inbound(0, "555", "", nullptr, nullptr));
  auto m = owner.waitFor([](const LINEMESSAGE& x) {
    return x.dwMessageID == LINE_CALLSTATE || x.dwMessageID == LINE_APPNEWCALL;
  });
  ASSERT_TRUE(m);
  EXPECT_EQ(m->dwMessageID, static_cast<DWORD>(LINE_CALLSTATE)) << "no LINE_APPNEWCALL below 2.0";
  EXPECT_EQ(m->dwParam1, static_cast<DWORD_PTR>(LINECALLSTATE_OFFERING));
  EXPECT_EQ(m->dwParam3, static_cast<DWORD_PTR>(LINECALLPRIVILEGE_OWNER));
  EXPECT_EQ(callStatus(static_cast<HCALL>(m->hDevice)).dwCallState,
            static_cast<DWORD>(LINECALLSTATE_OFFERING));
}

TEST(Spec1_Handles, LateOpenerGetsNoEventsButLineGetNewCallsGivesMonitorHandles) {
  Connected c(TAPI_VERSION2_2, kAnswer);
  ASSERT_TRUE(c.connected);
  EventApp late("late");
  HLINE ll = late.open(0, LINECALLPRIVILEGE_MONITOR);
  ASSERT_NE(ll, 0u);
  EXPECT_TRUE(late.drain(200).empty());
  std::vector<unsigned char> buf(sizeof(LINECALLLIST) + 16 * sizeof(HCALL));
  auto* list = reinterpret_cast<LINECALLLIST*>(buf.data());
  list->dwTotalSize = static_cast<DWORD>(buf.size());
  ASSERT_OK(lineGetNewCalls(ll, 0, LINECALLSELECT_LINE, list));
  ASSERT_EQ(list->dwCallsNumEntries, 1u);
  ASSERT_EQ(list->dwCallsSize, sizeof(HCALL));
  HCALL h = 0;
  std::memcpy(&h, buf.data() + list->dwCallsOffset, sizeof h);
  EXPECT_EQ(callStatus(h).dwCallPrivilege, static_cast<DWORD>(LINECALLPRIVILEGE_MONITOR));
  EXPECT_EQ(asInfo(callInfo(h)).dwCallID, asInfo(callInfo(c.made.call)).dwCallID);
  // Asked again: nothing new.
  list->dwTotalSize = static_cast<DWORD>(buf.size());
  ASSERT_OK(lineGetNewCalls(ll, 0, LINECALLSELECT_LINE, list));
  EXPECT_EQ(list->dwCallsNumEntries, 0u);
}

TEST(Spec1_Handles, FailedMakeCallVoidsTheHandle) {
  EventApp app("dialer");
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER);
  Made m = makeCall(app, line, "sim:fail");
  ASSERT_GT(m.requestId, 0);
  EXPECT_LT(m.replyResult, 0) << "LINE_REPLY reports the failure";
  app.drain(100);
  EXPECT_LINEERR(lineDeallocateCall(m.call), LINEERR_INVALCALLHANDLE);
}

TEST(Spec1_CallId, IsTheSameForEveryAppAndDiffersBetweenCalls) {
  EventApp monitor("monitor");
  HLINE ml = monitor.open(0, LINECALLPRIVILEGE_MONITOR);
  Connected c;
  ASSERT_TRUE(c.connected);
  HCALL mh = monitorHandle(monitor, ml);
  ASSERT_NE(mh, 0u);
  const DWORD id = asInfo(callInfo(c.made.call)).dwCallID;
  EXPECT_NE(id, 0u);
  EXPECT_EQ(asInfo(callInfo(mh)).dwCallID, id);
  Made second = makeCall(c.app, c.line, kRing);
  ASSERT_EQ(second.replyResult, 0);
  EXPECT_NE(asInfo(callInfo(second.call)).dwCallID, id);
}

TEST(Spec1_Handles, AppsInOneProcessGetDistinctHandlesFromConcurrentThreads) {
  constexpr int kThreads = 4;
  constexpr int kCalls = 5;
  std::vector<std::vector<HCALL>> handles(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &handles, &failures] {
      EventApp app(("worker" + std::to_string(t)).c_str());
      HLINE line = app.open(static_cast<DWORD>(t % 2), LINECALLPRIVILEGE_NONE);
      for (int i = 0; i < kCalls; ++i) {
        Made m = makeCall(app, line, kRing);
        if (m.replyResult != 0 || lineDrop(m.call, nullptr, 0) <= 0 ||
            !app.state(m.call, LINECALLSTATE_IDLE) || lineDeallocateCall(m.call) != 0) {
          ++failures;
        }
        handles[static_cast<std::size_t>(t)].push_back(m.call);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures.load(), 0);
  std::vector<HCALL> all;
  for (const auto& v : handles) {
    all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a value handed out twice";
}

// =============================================================================== §2

TEST(Spec2_States, OutboundCallProgressesToConnected) {
  EventApp app("dialer");
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER);
  Made m = makeCall(app, line, kAnswer);
  ASSERT_EQ(m.replyResult, 0);
  std::vector<DWORD> states;
  while (auto x = app.next()) {
    if (x->dwMessageID == LINE_CALLSTATE && x->hDevice == m.call) {
      states.push_back(static_cast<DWORD>(x->dwParam1));
      if (x->dwParam1 == LINECALLSTATE_CONNECTED) {
        break;
      }
    }
  }
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), static_cast<DWORD>(LINECALLSTATE_CONNECTED));
  for (DWORD s : states) {
    EXPECT_EQ(s & (s - 1), 0u) << "LINE_CALLSTATE carries exactly one state";
  }
}

TEST(Spec2_States, LocalDropGoesIdle) {
  Connected c;
  ASSERT_TRUE(c.connected);
  ASSERT_GT(lineDrop(c.made.call, nullptr, 0), 0);
  EXPECT_TRUE(c.app.state(c.made.call, LINECALLSTATE_IDLE));
}

TEST(Spec2_States, RemoteHangupIsDisconnectedAndLineDropClearsItToIdle) {
  Connected c(TAPI_VERSION2_2, "sim:answer=50ms;hangup=150ms");
  ASSERT_TRUE(c.connected);
  auto d = c.app.state(c.made.call, LINECALLSTATE_DISCONNECTED);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->dwParam2, static_cast<DWORD_PTR>(LINEDISCONNECTMODE_NORMAL));
  for (const LINEMESSAGE& m : c.app.drain(200)) {
    EXPECT_FALSE(m.dwMessageID == LINE_CALLSTATE && m.dwParam1 == LINECALLSTATE_IDLE)
        << "no IDLE without lineDrop";
  }
  EXPECT_EQ(callStatus(c.made.call).dwCallState, static_cast<DWORD>(LINECALLSTATE_DISCONNECTED));
  const LONG req = lineDrop(c.made.call, nullptr, 0);
  ASSERT_GT(req, 0);
  EXPECT_TRUE(c.app.state(c.made.call, LINECALLSTATE_IDLE));
}

TEST(Spec2_States, IdleIsTerminal) {
  Connected c;
  ASSERT_TRUE(c.connected);
  ASSERT_GT(lineDrop(c.made.call, nullptr, 0), 0);
  ASSERT_TRUE(c.app.state(c.made.call, LINECALLSTATE_IDLE));
  c.app.backlog.clear();  // what came before IDLE
  for (const LINEMESSAGE& m : c.app.drain(300)) {
    EXPECT_FALSE(m.dwMessageID == LINE_CALLSTATE && m.hDevice == c.made.call)
        << "state " << m.dwParam1 << " after IDLE";
  }
  EXPECT_EQ(callStatus(c.made.call).dwCallState, static_cast<DWORD>(LINECALLSTATE_IDLE));
}

TEST(Spec2_States, CallerAbandoningAnOfferedCallEndsItWithoutLineDrop) {
  EventApp owner("owner");
  HLINE line = owner.open(0, LINECALLPRIVILEGE_OWNER);
  ASSERT_OK(opentapi_sim_place_inbound(0, "555", "", "sim:cancel=150ms", nullptr));
  HCALL h = owner.newCall(line);
  ASSERT_NE(h, 0u);
  auto d = owner.state(h, LINECALLSTATE_DISCONNECTED);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->dwParam2, static_cast<DWORD_PTR>(LINEDISCONNECTMODE_CANCELLED));
  EXPECT_TRUE(owner.state(h, LINECALLSTATE_IDLE));
}

TEST(Spec2_States, BusyFarEndEndsInDisconnectedBusy) {
  EventApp app("dialer");
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER);
  Made m = makeCall(app, line, "sim:busy");
  ASSERT_EQ(m.replyResult, 0);
  auto d = app.state(m.call, LINECALLSTATE_DISCONNECTED);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->dwParam2, static_cast<DWORD_PTR>(LINEDISCONNECTMODE_BUSY));
}

TEST(Spec2_States, AnswerConnectsAnOfferedCall) {
  EventApp owner("owner");
  HLINE line = owner.open(0, LINECALLPRIVILEGE_OWNER);
  ASSERT_OK(opentapi_sim_place_inbound(0, "555", "", nullptr, nullptr));
  HCALL h = owner.newCall(line);
  ASSERT_NE(h, 0u);
  const LONG acc = lineAccept(h, nullptr, 0);
  ASSERT_GT(acc, 0);
  EXPECT_EQ(owner.reply(acc), 0);
  const LONG ans = lineAnswer(h, "hi", 2);
  ASSERT_GT(ans, 0);
  EXPECT_EQ(owner.reply(ans), 0);
  EXPECT_TRUE(owner.state(h, LINECALLSTATE_CONNECTED));
}

TEST(Spec2_States, AnswerAndAcceptNeedOwnerAndAnOfferedCall) {
  EventApp monitor("monitor");
  HLINE ml = monitor.open(0, LINECALLPRIVILEGE_MONITOR);
  EventApp owner("owner");
  HLINE line = owner.open(0, LINECALLPRIVILEGE_OWNER);
  ASSERT_OK(opentapi_sim_place_inbound(0, "555", "", nullptr, nullptr));
  HCALL mh = monitor.newCall(ml);
  HCALL h = owner.newCall(line);
  ASSERT_NE(mh, 0u);
  ASSERT_NE(h, 0u);
  EXPECT_LINEERR(lineAnswer(mh, nullptr, 0), LINEERR_NOTOWNER);
  EXPECT_LINEERR(lineAccept(mh, nullptr, 0), LINEERR_NOTOWNER);
  const LONG ans = lineAnswer(h, nullptr, 0);
  ASSERT_GT(ans, 0);
  ASSERT_TRUE(owner.state(h, LINECALLSTATE_CONNECTED));
  EXPECT_LINEERR(lineAnswer(h, nullptr, 0), LINEERR_INVALCALLSTATE) << "already connected";
  std::string big(1000, 'u');
  EXPECT_LINEERR(lineAccept(h, big.data(), static_cast<DWORD>(big.size())),
                 LINEERR_USERUSERINFOTOOBIG);
}

// =============================================================================== §3

TEST(Spec3_Modes, ConstantsHaveTheirDocumentedValues) {
  static_assert(LINECALLSTATE_IDLE == 0x1 && LINECALLSTATE_OFFERING == 0x2 &&
                LINECALLSTATE_ACCEPTED == 0x4 && LINECALLSTATE_DIALTONE == 0x8 &&
                LINECALLSTATE_DIALING == 0x10 && LINECALLSTATE_RINGBACK == 0x20 &&
                LINECALLSTATE_BUSY == 0x40 && LINECALLSTATE_SPECIALINFO == 0x80 &&
                LINECALLSTATE_CONNECTED == 0x100 && LINECALLSTATE_PROCEEDING == 0x200 &&
                LINECALLSTATE_ONHOLD == 0x400 && LINECALLSTATE_CONFERENCED == 0x800 &&
                LINECALLSTATE_ONHOLDPENDCONF == 0x1000 &&
                LINECALLSTATE_ONHOLDPENDTRANSFER == 0x2000 &&
                LINECALLSTATE_DISCONNECTED == 0x4000 && LINECALLSTATE_UNKNOWN == 0x8000);
  static_assert(LINEDISCONNECTMODE_NORMAL == 0x1 && LINEDISCONNECTMODE_UNKNOWN == 0x2 &&
                LINEDISCONNECTMODE_REJECT == 0x4 && LINEDISCONNECTMODE_PICKUP == 0x8 &&
                LINEDISCONNECTMODE_FORWARDED == 0x10 && LINEDISCONNECTMODE_BUSY == 0x20 &&
                LINEDISCONNECTMODE_NOANSWER == 0x40 && LINEDISCONNECTMODE_BADADDRESS == 0x80 &&
                LINEDISCONNECTMODE_UNREACHABLE == 0x100 &&
                LINEDISCONNECTMODE_CONGESTION == 0x200 &&
                LINEDISCONNECTMODE_INCOMPATIBLE == 0x400 && LINEDISCONNECTMODE_UNAVAIL == 0x800 &&
                LINEDISCONNECTMODE_NODIALTONE == 0x1000 &&
                LINEDISCONNECTMODE_NUMBERCHANGED == 0x2000 &&
                LINEDISCONNECTMODE_OUTOFORDER == 0x4000 &&
                LINEDISCONNECTMODE_TEMPFAILURE == 0x8000 &&
                LINEDISCONNECTMODE_QOSUNAVAIL == 0x10000 &&
                LINEDISCONNECTMODE_BLOCKED == 0x20000 &&
                LINEDISCONNECTMODE_DONOTDISTURB == 0x40000 &&
                LINEDISCONNECTMODE_CANCELLED == 0x80000 &&
                LINEDISCONNECTMODE_DESTINATIONBARRED == 0x100000 &&
                LINEDISCONNECTMODE_FDNRESTRICT == 0x200000);
  static_assert(LINECALLPRIVILEGE_NONE == 1 && LINECALLPRIVILEGE_MONITOR == 2 &&
                LINECALLPRIVILEGE_OWNER == 4);
  static_assert(LINE_CALLINFO == 1 && LINE_CALLSTATE == 2 && LINE_CLOSE == 3 &&
                LINE_REPLY == 12 && LINE_APPNEWCALL == 23);
  static_assert(LINEERR_INVALCALLHANDLE == (LONG)0x80000018 &&
                LINEERR_INVALCALLSTATE == (LONG)0x8000001C &&
                LINEERR_NOTOWNER == (LONG)0x80000046 &&
                LINEERR_OPERATIONUNAVAIL == (LONG)0x80000049 &&
                LINEERR_OPERATIONFAILED == (LONG)0x80000048 &&
                LINEERR_UNINITIALIZED == (LONG)0x80000050 &&
                LINEERR_RESOURCEUNAVAIL == (LONG)0x8000004B && LINEERR_NOMEM == (LONG)0x80000044 &&
                LINEERR_INVALPOINTER == (LONG)0x80000035 &&
                LINEERR_STRUCTURETOOSMALL == (LONG)0x8000004D &&
                LINEERR_USERUSERINFOTOOBIG == (LONG)0x80000051 &&
                LINEERR_INVALCALLPRIVILEGE == (LONG)0x8000001A &&
                LINEERR_INVALPRIVSELECT == (LONG)0x80000036 &&
                LINEERR_TARGETNOTFOUND == (LONG)0x8000004E &&
                LINEERR_TARGETSELF == (LONG)0x8000004F &&
                LINEERR_INVALLINEHANDLE == (LONG)0x8000002B &&
                LINEERR_INVALAPPHANDLE == (LONG)0x80000014 &&
                LINEERR_INVALCALLSELECT == (LONG)0x8000001B &&
                LINEERR_INVALADDRESSID == (LONG)0x80000011 &&
                LINEERR_DISCONNECTED == (LONG)0x80000060);
  static_assert(LINECALLORIGIN_OUTBOUND == 0x1 && LINECALLORIGIN_INTERNAL == 0x2 &&
                LINECALLORIGIN_EXTERNAL == 0x4 && LINECALLORIGIN_UNKNOWN == 0x10 &&
                LINECALLORIGIN_UNAVAIL == 0x20 && LINECALLORIGIN_CONFERENCE == 0x40 &&
                LINECALLORIGIN_INBOUND == 0x80);
  static_assert(LINEDEVCAPFLAGS_CLOSEDROP == 0x20 && LINEOPENOPTION_SINGLEADDRESS == 0x80000000u &&
                LINEOPENOPTION_PROXY == 0x40000000 && LINECALLSELECT_LINE == 1 &&
                LINECALLSELECT_ADDRESS == 2);
  static_assert(sizeof(DWORD) == 4 && sizeof(HCALL) == 4 && sizeof(HLINE) == 4 &&
                sizeof(LONG) == 4 && sizeof(DWORD_PTR) == sizeof(void*));
  SUCCEED();
}

namespace {
/** The disconnect mode an owner at `version` sees for a call to `dest`, or ~0 if none. */
DWORD disconnectModeSeen(DWORD version, const char* dest, DWORD* statusMode = nullptr) {
  EventApp app("owner", version);
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER, version);
  Made m = makeCall(app, line, dest);
  if (m.replyResult != 0) {
    return ~0u;
  }
  auto d = app.state(m.call, LINECALLSTATE_DISCONNECTED);
  if (statusMode != nullptr) {
    *statusMode = callStatus(m.call).dwCallStateMode;
  }
  return d ? static_cast<DWORD>(d->dwParam2) : ~0u;
}
}  // namespace

TEST(Spec3_Modes, TwoPointZeroModesAreUnknownBelow20) {
  EXPECT_EQ(disconnectModeSeen(TAPI_VERSION2_0, "sim:reject;mode=blocked"),
            static_cast<DWORD>(LINEDISCONNECTMODE_BLOCKED));
  DWORD statusMode = 0;
  EXPECT_EQ(disconnectModeSeen(TAPI_VERSION1_4, "sim:reject;mode=blocked", &statusMode),
            static_cast<DWORD>(LINEDISCONNECTMODE_UNKNOWN));
  EXPECT_EQ(statusMode, static_cast<DWORD>(LINEDISCONNECTMODE_UNKNOWN)) << "LINECALLSTATUS too";
}

TEST(Spec3_Modes, NoDialToneIsUnknownBelow14) {
  EXPECT_EQ(disconnectModeSeen(TAPI_VERSION1_0, "sim:reject;mode=nodialtone"),
            static_cast<DWORD>(LINEDISCONNECTMODE_UNKNOWN));
  EXPECT_EQ(disconnectModeSeen(TAPI_VERSION1_4, "sim:reject;mode=nodialtone"),
            static_cast<DWORD>(LINEDISCONNECTMODE_NODIALTONE));
}

// =============================================================================== §4

TEST(Spec4_Drop, IsAsynchronousWithExactlyOneReply) {
  Connected c;
  ASSERT_TRUE(c.connected);
  const LONG req = lineDrop(c.made.call, nullptr, 0);
  ASSERT_GT(req, 0);
  (void)c.app.drain(500);
  int replies = 0;
  for (const LINEMESSAGE& m : c.app.seen) {
    if (m.dwMessageID == LINE_REPLY && m.dwParam1 == static_cast<DWORD_PTR>(req)) {
      ++replies;
      EXPECT_EQ(m.dwParam2, 0u);
    }
  }
  EXPECT_EQ(replies, 1);
}

TEST(Spec4_Drop, MonitorIsNotOwner) {
  EventApp monitor("monitor");
  HLINE ml = monitor.open(0, LINECALLPRIVILEGE_MONITOR);
  Connected c;
  ASSERT_TRUE(c.connected);
  HCALL mh = monitorHandle(monitor, ml);
  ASSERT_NE(mh, 0u);
  EXPECT_LINEERR(lineDrop(mh, nullptr, 0), LINEERR_NOTOWNER);
}

TEST(Spec4_Drop, OnIdleIsInvalCallState) {
  Connected c;
  ASSERT_TRUE(c.connected);
  ASSERT_GT(lineDrop(c.made.call, nullptr, 0), 0);
  ASSERT_TRUE(c.app.state(c.made.call, LINECALLSTATE_IDLE));
  EXPECT_LINEERR(lineDrop(c.made.call, nullptr, 0), LINEERR_INVALCALLSTATE);
}

TEST(Spec4_Drop, UserUserInfoLongerThanTheLineAllowsIsTooBig) {
  Connected c;
  ASSERT_TRUE(c.connected);
  LINEDEVCAPS caps{};
  caps.dwTotalSize = sizeof caps;
  ASSERT_OK(lineGetDevCaps(c.app.h, 0, TAPI_VERSION2_2, 0, &caps));
  ASSERT_GT(caps.dwUUIDropSize, 0u);
  std::string big(caps.dwUUIDropSize + 1, 'x');
  EXPECT_LINEERR(lineDrop(c.made.call, big.data(), static_cast<DWORD>(big.size())),
                 LINEERR_USERUSERINFOTOOBIG);
  EXPECT_EQ(callStatus(c.made.call).dwCallState, static_cast<DWORD>(LINECALLSTATE_CONNECTED));
}

TEST(Spec4_Drop, NullUserUserInfoIgnoresItsSize) {
  Connected c;
  ASSERT_TRUE(c.connected);
  const LONG req = lineDrop(c.made.call, nullptr, 100000);
  ASSERT_GT(req, 0);
  EXPECT_EQ(c.app.reply(req), 0);
}

TEST(Spec4_Drop, UserUserInfoIsSentAndRecorded) {
  Connected c;
  ASSERT_TRUE(c.connected);
  const char uui[] = {'\x04', 'b', 'y', 'e'};  // protocol discriminator first
  const LONG req = lineDrop(c.made.call, uui, sizeof uui);
  ASSERT_GT(req, 0);
  EXPECT_EQ(c.app.reply(req), 0);
  auto rec = record(c.made.call);
  ASSERT_FALSE(rec.empty());
  const auto& r = *reinterpret_cast<const OPENTAPICALLRECORD*>(rec.data());
  ASSERT_EQ(r.dwUserUserInfoSentSize, sizeof uui);
  EXPECT_EQ(std::memcmp(rec.data() + r.dwUserUserInfoSentOffset, uui, sizeof uui), 0);
}

TEST(Spec4_Drop, OnAnOfferedCallRejectsIt) {
  EventApp owner("owner");
  HLINE line = owner.open(0, LINECALLPRIVILEGE_OWNER);
  ASSERT_OK(opentapi_sim_place_inbound(0, "555", "", nullptr, nullptr));
  HCALL h = owner.newCall(line);
  ASSERT_NE(h, 0u);
  ASSERT_TRUE(owner.state(h, LINECALLSTATE_OFFERING));
  const LONG req = lineDrop(h, nullptr, 0);
  ASSERT_GT(req, 0);
  EXPECT_TRUE(owner.state(h, LINECALLSTATE_IDLE));
  auto rec = record(h);
  ASSERT_FALSE(rec.empty());
  const auto& r = *reinterpret_cast<const OPENTAPICALLRECORD*>(rec.data());
  EXPECT_EQ(r.dwDisconnectMode, static_cast<DWORD>(LINEDISCONNECTMODE_REJECT));
  EXPECT_EQ(r.dwTerminationOrigin, static_cast<DWORD>(OPENTAPI_TERMINATION_LOCAL));
}

TEST(Spec4_Drop, IsValidInEveryPreEstablishmentState) {
  EventApp app("dialer");
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER);
  Made m = makeCall(app, line, kRing);
  ASSERT_EQ(m.replyResult, 0);
  ASSERT_TRUE(app.state(m.call, LINECALLSTATE_RINGBACK));
  const LONG req = lineDrop(m.call, nullptr, 0);
  ASSERT_GT(req, 0);
  EXPECT_EQ(app.reply(req), 0);
  EXPECT_EQ(callStatus(m.call).dwCallState, static_cast<DWORD>(LINECALLSTATE_IDLE));
}

// =============================================================================== §5

TEST(Spec5_Deallocate, MonitorHandleMayAlwaysBeDeallocated) {
  EventApp monitor("monitor");
  HLINE ml = monitor.open(0, LINECALLPRIVILEGE_MONITOR, TAPI_VERSION1_4);
  Connected c;
  ASSERT_TRUE(c.connected);
  auto m = monitor.waitFor([](const LINEMESSAGE& x) {
    return x.dwMessageID == LINE_CALLSTATE && x.dwParam3 == LINECALLPRIVILEGE_MONITOR;
  });
  ASSERT_TRUE(m);
  (void)ml;
  EXPECT_EQ(lineDeallocateCall(static_cast<HCALL>(m->hDevice)), 0);
  EXPECT_EQ(callStatus(c.made.call).dwCallState, static_cast<DWORD>(LINECALLSTATE_CONNECTED));
}

TEST(Spec5_Deallocate, SoleOwnerBelow20IsInvalCallState) {
  Connected c(TAPI_VERSION1_4);
  ASSERT_TRUE(c.connected);
  EXPECT_LINEERR(lineDeallocateCall(c.made.call), LINEERR_INVALCALLSTATE);
  ASSERT_GT(lineDrop(c.made.call, nullptr, 0), 0);
  ASSERT_TRUE(c.app.state(c.made.call, LINECALLSTATE_IDLE));
  EXPECT_EQ(lineDeallocateCall(c.made.call), 0) << "allowed once IDLE";
}

TEST(Spec5_Deallocate, SoleOwnerFrom20IsAllowedAndTheOwnerlessCallIsDropped) {
  EventApp monitor("monitor");
  HLINE ml = monitor.open(0, LINECALLPRIVILEGE_MONITOR);
  Connected c(TAPI_VERSION2_0);
  ASSERT_TRUE(c.connected);
  HCALL mh = monitorHandle(monitor, ml);
  ASSERT_NE(mh, 0u);
  EXPECT_EQ(lineDeallocateCall(c.made.call), 0);
  EXPECT_TRUE(monitor.state(mh, LINECALLSTATE_IDLE)) << "ownerless grace 0: dropped at once";
  auto rec = record(mh);
  ASSERT_FALSE(rec.empty());
  EXPECT_EQ(reinterpret_cast<const OPENTAPICALLRECORD*>(rec.data())->dwTerminationPolicy,
            static_cast<DWORD>(OPENTAPI_POLICY_OWNERLESS));
}

TEST(Spec5_Deallocate, OwnerWithOtherOwnersMayDeallocateBelow20) {
  EventApp second("second", TAPI_VERSION1_4);
  HLINE sl = second.open(0, LINECALLPRIVILEGE_MONITOR, TAPI_VERSION1_4);
  Connected c(TAPI_VERSION1_4);
  ASSERT_TRUE(c.connected);
  auto m = second.waitFor([](const LINEMESSAGE& x) {
    return x.dwMessageID == LINE_CALLSTATE && x.dwParam3 == LINECALLPRIVILEGE_MONITOR;
  });
  ASSERT_TRUE(m);
  (void)sl;
  const HCALL sh = static_cast<HCALL>(m->hDevice);
  ASSERT_OK(lineSetCallPrivilege(sh, LINECALLPRIVILEGE_OWNER));
  EXPECT_EQ(lineDeallocateCall(c.made.call), 0);
  EXPECT_EQ(callStatus(sh).dwCallState, static_cast<DWORD>(LINECALLSTATE_CONNECTED));
}

TEST(Spec5_Deallocate, ReplyStillArrivesAfterDeallocationFrom20) {
  Connected c(TAPI_VERSION2_0);
  ASSERT_TRUE(c.connected);
  const LONG req = lineDrop(c.made.call, nullptr, 0);
  ASSERT_GT(req, 0);
  ASSERT_OK(lineDeallocateCall(c.made.call));
  EXPECT_EQ(c.app.reply(req), 0);
}

TEST(Spec5_Deallocate, Below20NoReplyIsEverDuplicated) {
  Connected c(TAPI_VERSION1_4);
  ASSERT_TRUE(c.connected);
  const LONG req = lineDrop(c.made.call, nullptr, 0);
  ASSERT_GT(req, 0);
  ASSERT_TRUE(c.app.state(c.made.call, LINECALLSTATE_IDLE));
  ASSERT_OK(lineDeallocateCall(c.made.call));
  (void)c.app.drain(300);
  int replies = 0;
  for (const LINEMESSAGE& m : c.app.seen) {
    replies += (m.dwMessageID == LINE_REPLY && m.dwParam1 == static_cast<DWORD_PTR>(req)) ? 1 : 0;
  }
  EXPECT_LE(replies, 1) << "suppressed or delivered once";
}

TEST(Spec5_Deallocate, TwiceIsInvalCallHandle) {
  Connected c;
  ASSERT_TRUE(c.connected);
  ASSERT_OK(lineDeallocateCall(c.made.call));
  EXPECT_LINEERR(lineDeallocateCall(c.made.call), LINEERR_INVALCALLHANDLE);
}

// =============================================================================== §6

TEST(Spec6_CallInfo, ReadableInDisconnectedAndIdleUntilDeallocated) {
  Connected c(TAPI_VERSION2_2, "sim:answer=50ms;hangup=100ms;uui=see you");
  ASSERT_TRUE(c.connected);
  ASSERT_TRUE(c.app.state(c.made.call, LINECALLSTATE_DISCONNECTED));
  LONG r = 1;
  auto info = callInfo(c.made.call, &r);
  ASSERT_EQ(r, 0);
  const LINECALLINFO& i = asInfo(info);
  EXPECT_EQ(field(i, i.dwUserUserInfoSize, i.dwUserUserInfoOffset), "see you")
      << "UUI received with the remote disconnect";
  ASSERT_GT(lineDrop(c.made.call, nullptr, 0), 0);
  ASSERT_TRUE(c.app.state(c.made.call, LINECALLSTATE_IDLE));
  info = callInfo(c.made.call, &r);
  EXPECT_EQ(r, 0);
}

TEST(Spec6_CallInfo, MapsPostConnectionData) {
  EventApp monitor("monitor");
  HLINE ml = monitor.open(0, LINECALLPRIVILEGE_MONITOR);
  Connected c;
  ASSERT_TRUE(c.connected);
  HCALL mh = monitorHandle(monitor, ml);
  ASSERT_NE(mh, 0u);
  auto buf = callInfo(c.made.call);
  ASSERT_FALSE(buf.empty());
  const LINECALLINFO& i = asInfo(buf);
  EXPECT_EQ(i.hLine, c.line);
  EXPECT_EQ(i.dwLineDeviceID, 0u);
  EXPECT_EQ(i.dwOrigin, static_cast<DWORD>(LINECALLORIGIN_OUTBOUND));
  EXPECT_EQ(field(i, i.dwCalledIDSize, i.dwCalledIDOffset), kAnswer);
  EXPECT_EQ(field(i, i.dwAppNameSize, i.dwAppNameOffset), "owner");
  EXPECT_EQ(i.dwNumOwners, 1u);
  EXPECT_EQ(i.dwNumMonitors, 1u);
  EXPECT_NE(i.dwCallStates & LINECALLSTATE_CONNECTED, 0u);
  auto mbuf = callInfo(mh);
  ASSERT_FALSE(mbuf.empty()) << "monitors may query";
  EXPECT_EQ(asInfo(mbuf).hLine, ml);
}

TEST(Spec6_CallInfo, StructureTooSmallBelowTheFixedPartOfTheVersion) {
  Connected c;
  ASSERT_TRUE(c.connected);
  LINECALLINFO i{};
  i.dwTotalSize = offsetof(LINECALLINFO, dwCallTreatment);  // the 1.x size
  EXPECT_LINEERR(lineGetCallInfo(c.made.call, &i), LINEERR_STRUCTURETOOSMALL);
  i.dwTotalSize = 12;
  EXPECT_LINEERR(lineGetCallInfo(c.made.call, &i), LINEERR_STRUCTURETOOSMALL);
  EXPECT_LINEERR(lineGetCallInfo(c.made.call, nullptr), LINEERR_INVALPOINTER);
}

TEST(Spec6_CallInfo, FixedPartBelow20EndsBeforeCallTreatment) {
  Connected c(TAPI_VERSION1_4);
  ASSERT_TRUE(c.connected);
  std::vector<unsigned char> buf(offsetof(LINECALLINFO, dwCallTreatment), 0);
  auto* i = reinterpret_cast<LINECALLINFO*>(buf.data());
  i->dwTotalSize = static_cast<DWORD>(buf.size());
  ASSERT_OK(lineGetCallInfo(c.made.call, i));
  EXPECT_EQ(i->dwUsedSize, buf.size());
  EXPECT_GT(i->dwNeededSize, buf.size());
}

/** LINECALLINFO's fixed part for API 2.x: up to the 3.0 address types. */
constexpr std::size_t kFixed22 = offsetof(LINECALLINFO, dwCallerIDAddressType);

TEST(Spec6_CallInfo, PartialFillWhenOnlyTheVariablePartDoesNotFit) {
  Connected c;
  ASSERT_TRUE(c.connected);
  LINECALLINFO i{};
  i.dwTotalSize = sizeof i;
  ASSERT_OK(lineGetCallInfo(c.made.call, &i));
  EXPECT_EQ(i.dwTotalSize, sizeof i);
  EXPECT_GT(i.dwNeededSize, sizeof i);
  EXPECT_EQ(i.dwUsedSize, kFixed22) << "the fixed part of the line's version (2.2)";
  EXPECT_NE(i.dwCallID, 0u) << "fixed part filled";
  EXPECT_EQ(i.dwCalledIDSize, 0u);
  EXPECT_EQ(i.dwCalledIDOffset, 0u);
  EXPECT_EQ(i.dwAppNameSize, 0u);
  EXPECT_EQ(i.dwAppNameOffset, 0u);
}

TEST(Spec6_CallInfo, VariablePartsFollowTheFixedPartAndAreNeverTruncated) {
  Connected c;
  ASSERT_TRUE(c.connected);
  auto buf = callInfo(c.made.call);
  ASSERT_FALSE(buf.empty());
  const LINECALLINFO& i = asInfo(buf);
  EXPECT_EQ(i.dwNeededSize, i.dwUsedSize);
  const std::pair<DWORD, DWORD> parts[] = {{i.dwCallerIDSize, i.dwCallerIDOffset},
                                           {i.dwCalledIDSize, i.dwCalledIDOffset},
                                           {i.dwAppNameSize, i.dwAppNameOffset}};
  for (auto [size, offset] : parts) {
    if (size == 0) {
      continue;
    }
    EXPECT_GE(offset, kFixed22);
    EXPECT_LE(offset + size, i.dwUsedSize);
    EXPECT_EQ(buf[offset + size - 1], '\0') << "strings count their NUL";
  }
  // One byte short: nothing variable at all.
  std::vector<unsigned char> small(i.dwNeededSize - 1);
  auto* s = reinterpret_cast<LINECALLINFO*>(small.data());
  s->dwTotalSize = static_cast<DWORD>(small.size());
  ASSERT_OK(lineGetCallInfo(c.made.call, s));
  EXPECT_EQ(s->dwCalledIDSize, 0u);
  EXPECT_EQ(s->dwUsedSize, kFixed22);
}

TEST(Spec6_CallStatus, ReportsStatePrivilegeFeaturesAndEntryTime) {
  Connected c;
  ASSERT_TRUE(c.connected);
  LONG r = 1;
  LINECALLSTATUS s = callStatus(c.made.call, &r);
  ASSERT_EQ(r, 0);
  EXPECT_EQ(s.dwCallState, static_cast<DWORD>(LINECALLSTATE_CONNECTED));
  EXPECT_EQ(s.dwCallPrivilege, static_cast<DWORD>(LINECALLPRIVILEGE_OWNER));
  EXPECT_NE(s.dwCallFeatures & LINECALLFEATURE_DROP, 0u);
  EXPECT_GE(s.tStateEntryTime.wYear, 2024);
  EXPECT_GE(s.tStateEntryTime.wMonth, 1);
  EXPECT_EQ(s.dwUsedSize, sizeof s);
}

TEST(Spec6_CallStatus, StructureTooSmallAndInvalPointer) {
  Connected c;
  ASSERT_TRUE(c.connected);
  LINECALLSTATUS s{};
  s.dwTotalSize = offsetof(LINECALLSTATUS, dwCallFeatures2);  // 1.x size, line is 2.2
  EXPECT_LINEERR(lineGetCallStatus(c.made.call, &s), LINEERR_STRUCTURETOOSMALL);
  EXPECT_LINEERR(lineGetCallStatus(c.made.call, nullptr), LINEERR_INVALPOINTER);
  Connected old(TAPI_VERSION1_4);
  ASSERT_TRUE(old.connected);
  EXPECT_EQ(lineGetCallStatus(old.made.call, &s), 0) << "1.x fixed part is enough below 2.0";
}

TEST(Spec6_AppSpecific, OwnerSetsItAndOtherHoldersGetCallInfo) {
  EventApp monitor("monitor");
  HLINE ml = monitor.open(0, LINECALLPRIVILEGE_MONITOR);
  Connected c;
  ASSERT_TRUE(c.connected);
  HCALL mh = monitorHandle(monitor, ml);
  ASSERT_NE(mh, 0u);
  monitor.drain(100);
  c.app.drain(100);
  ASSERT_OK(lineSetAppSpecific(c.made.call, 42));
  auto m = monitor.waitFor([&](const LINEMESSAGE& x) {
    return x.dwMessageID == LINE_CALLINFO && x.hDevice == mh &&
           (x.dwParam1 & LINECALLINFOSTATE_APPSPECIFIC) != 0;
  });
  EXPECT_TRUE(m);
  EXPECT_EQ(asInfo(callInfo(mh)).dwAppSpecific, 42u);
  for (const LINEMESSAGE& x : c.app.drain(200)) {
    EXPECT_FALSE(x.dwMessageID == LINE_CALLINFO && (x.dwParam1 & LINECALLINFOSTATE_APPSPECIFIC))
        << "not to the app that set it";
  }
  EXPECT_LINEERR(lineSetAppSpecific(mh, 7), LINEERR_NOTOWNER);
}

TEST(Spec6_Record, OpenTapiDataNamesWhoEndedTheCall) {
  Connected c(TAPI_VERSION2_2, "sim:answer=50ms;hangup=100ms");
  ASSERT_TRUE(c.connected);
  ASSERT_TRUE(c.app.state(c.made.call, LINECALLSTATE_DISCONNECTED));
  auto buf = record(c.made.call);
  ASSERT_FALSE(buf.empty());
  const auto& r = *reinterpret_cast<const OPENTAPICALLRECORD*>(buf.data());
  EXPECT_EQ(r.dwTerminationOrigin, static_cast<DWORD>(OPENTAPI_TERMINATION_REMOTE));
  EXPECT_EQ(r.dwDisconnectMode, static_cast<DWORD>(LINEDISCONNECTMODE_NORMAL));
  EXPECT_GT(r.tCreatedMs, 0);
  EXPECT_GE(r.tConnectedMs, r.tCreatedMs);
  EXPECT_GE(r.tDisconnectedMs, r.tConnectedMs);
  EXPECT_GE(r.dwStatesNumEntries, 2u);
  ASSERT_GT(r.dwStatesSize, 0u);
  const auto* states = reinterpret_cast<const OPENTAPISTATEVISIT*>(buf.data() + r.dwStatesOffset);
  EXPECT_EQ(states[r.dwStatesNumEntries - 1].dwCallState,
            static_cast<DWORD>(LINECALLSTATE_DISCONNECTED));
  OPENTAPICALLRECORD small{};
  small.dwTotalSize = 8;
  EXPECT_LINEERR(opentapi_call_get_record(c.made.call, &small), LINEERR_STRUCTURETOOSMALL);
}

// =============================================================================== §7

TEST(Spec7_GetMessage, ZeroTimeoutPollsAndFailsWhenEmpty) {
  EventApp app("app");
  LINEMESSAGE m{};
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_LINEERR(lineGetMessage(app.h, &m, 0), LINEERR_OPERATIONFAILED);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << "does not wait (slack for loaded hosts)";
}

TEST(Spec7_GetMessage, TimeoutExpiresWithOperationFailed) {
  EventApp app("app");
  LINEMESSAGE m{};
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_LINEERR(lineGetMessage(app.h, &m, 150), LINEERR_OPERATIONFAILED);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 140ms);
}

TEST(Spec7_GetMessage, InfiniteBlocksUntilAMessageArrives) {
  EventApp app("app");
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER);
  std::thread later([line] {
    std::this_thread::sleep_for(100ms);
    HCALL h = 0;
    (void)lineMakeCall(line, &h, kRing, 0, nullptr);
  });
  LINEMESSAGE m{};
  EXPECT_EQ(lineGetMessage(app.h, &m, INFINITE), 0);
  later.join();
}

TEST(Spec7_GetMessage, ShutdownFromAnotherThreadReturnsInvalAppHandleAtOnce) {
  EventApp keep("keep");
  EventApp app("app");
  std::atomic<LONG> result{1};
  std::thread waiter([&] {
    LINEMESSAGE m{};
    result = lineGetMessage(app.h, &m, INFINITE);
  });
  std::this_thread::sleep_for(100ms);
  const auto t0 = std::chrono::steady_clock::now();
  const HLINEAPP h = app.h;
  app.h = 0;
  ASSERT_OK(lineShutdown(h));
  waiter.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "not after any timeout: there is none";
  EXPECT_LINEERR(result.load(), LINEERR_INVALAPPHANDLE);
}

TEST(Spec7_GetMessage, BadAppHandleAndPointer) {
  EventApp app("app");
  LINEMESSAGE m{};
  EXPECT_LINEERR(lineGetMessage(app.h + 1000, &m, 0), LINEERR_INVALAPPHANDLE);
  EXPECT_LINEERR(lineGetMessage(app.h, nullptr, 0), LINEERR_INVALPOINTER);
}

TEST(Spec7_Event, EventfdIsReadableWhileTheQueueIsNonEmpty) {
  EventApp app("app");
  ASSERT_NE(app.event, nullptr);
  EXPECT_FALSE(readable(app.event));
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER);
  HCALL h = 0;
  ASSERT_GT(lineMakeCall(line, &h, kRing, 0, nullptr), 0);
  pollfd p{OPENTAPI_HANDLE_TO_FD(app.event), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 3000), 1);
  std::this_thread::sleep_for(200ms);  // let the ringing states queue up
  LINEMESSAGE m{};
  ASSERT_OK(lineGetMessage(app.h, &m, 0));
  EXPECT_TRUE(readable(app.event)) << "more messages queued";
  while (lineGetMessage(app.h, &m, 0) == 0) {
  }
  EXPECT_FALSE(readable(app.event)) << "empty queue";
}

TEST(Spec7_Init, CompletionPortIsNotOffered) {
  LINEINITIALIZEEXPARAMS p{};
  p.dwTotalSize = sizeof p;
  p.dwOptions = LINEINITIALIZEEXOPTION_USECOMPLETIONPORT;
  HLINEAPP h = 0;
  DWORD n = 0, v = TAPI_VERSION2_2;
  EXPECT_LINEERR(lineInitializeEx(&h, nullptr, nullptr, "x", &n, &v, &p), LINEERR_INVALPARAM);
  p.dwTotalSize = 8;
  p.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  EXPECT_LINEERR(lineInitializeEx(&h, nullptr, nullptr, "x", &n, &v, &p),
                 LINEERR_STRUCTURETOOSMALL);
  p.dwTotalSize = sizeof p;
  EXPECT_LINEERR(lineInitializeEx(nullptr, nullptr, nullptr, "x", &n, &v, &p),
                 LINEERR_INVALPOINTER);
  v = 0x00010000;
  EXPECT_LINEERR(lineInitializeEx(&h, nullptr, nullptr, "x", &n, &v, &p),
                 LINEERR_INCOMPATIBLEAPIVERSION);
}

TEST(Spec7_Init, ReportsDevicesAndTheHighestVersion) {
  EventApp app("app");
  ASSERT_OK(app.result);
  EXPECT_GE(app.numDevs, 1u);
  DWORD v = TAPI_VERSION2_0;
  HLINEAPP h = 0;
  DWORD n = 0;
  LINEINITIALIZEEXPARAMS p{};
  p.dwTotalSize = sizeof p;
  p.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  ASSERT_OK(lineInitializeEx(&h, nullptr, nullptr, "second", &n, &v, &p));
  EXPECT_EQ(v, static_cast<DWORD>(TAPI_VERSION3_1));
  EXPECT_NE(h, app.h);
  ASSERT_OK(lineShutdown(h));
}

namespace {
std::atomic<int> gCallbacks{0};
std::thread::id gCallbackThread;
void CALLBACK onMessage(DWORD, DWORD, DWORD_PTR, DWORD_PTR, DWORD_PTR, DWORD_PTR) {
  ++gCallbacks;
  gCallbackThread = std::this_thread::get_id();
}
}  // namespace

TEST(Spec7_Init, HiddenWindowModeCallsBackFromTheDispatchThread) {
  LINEINITIALIZEEXPARAMS p{};
  p.dwTotalSize = sizeof p;
  p.dwOptions = LINEINITIALIZEEXOPTION_USEHIDDENWINDOW;
  HLINEAPP h = 0;
  DWORD n = 0, v = TAPI_VERSION2_2;
  ASSERT_OK(lineInitializeEx(&h, nullptr, onMessage, "cb", &n, &v, &p));
  HLINE line = 0;
  ASSERT_OK(lineOpen(h, 0, &line, TAPI_VERSION2_2, 0, 0, LINECALLPRIVILEGE_OWNER,
                     LINEMEDIAMODE_INTERACTIVEVOICE, nullptr));
  HCALL call = 0;
  ASSERT_GT(lineMakeCall(line, &call, kRing, 0, nullptr), 0);
  gCallbacks = 0;
  const LONG n1 = opentapi_lineapp_dispatch(h, 3000);
  EXPECT_GT(n1, 0);
  EXPECT_EQ(gCallbacks.load(), n1);
  EXPECT_EQ(gCallbackThread, std::this_thread::get_id());
  LINEMESSAGE m{};
  EXPECT_LINEERR(lineGetMessage(h, &m, 0), LINEERR_INVALAPPHANDLE) << "not an event app";
  int fd = -1;
  ASSERT_OK(opentapi_lineapp_get_fd(h, &fd));
  EXPECT_GE(fd, 0);
  ASSERT_OK(lineShutdown(h));
  EXPECT_LINEERR(lineInitializeEx(&h, nullptr, nullptr, "cb", &n, &v, &p), LINEERR_INVALPOINTER)
      << "callback mode needs a callback";
}

TEST(Spec7_Init, LineInitializeIsCallbackMode) {
  HLINEAPP h = 0;
  DWORD n = 0;
  ASSERT_OK(lineInitialize(&h, nullptr, onMessage, "old", &n));
  EXPECT_GE(n, 1u);
  EXPECT_EQ(opentapi_lineapp_dispatch(h, 0), 0);
  ASSERT_OK(lineShutdown(h));
}

TEST(Spec7_Reply, EveryRequestGetsExactlyOneReply) {
  EventApp app("app");
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER);
  std::vector<LONG> requests;
  HCALL h = 0;
  requests.push_back(lineMakeCall(line, &h, kAnswer, 0, nullptr));
  ASSERT_GT(requests.back(), 0);
  ASSERT_EQ(app.reply(requests.back()), 0);
  ASSERT_TRUE(app.state(h, LINECALLSTATE_CONNECTED));
  requests.push_back(lineDrop(h, nullptr, 0));
  ASSERT_GT(requests.back(), 0);
  (void)app.drain(400);
  for (LONG req : requests) {
    int n = 0;
    for (const LINEMESSAGE& m : app.seen) {
      n += (m.dwMessageID == LINE_REPLY && m.dwParam1 == static_cast<DWORD_PTR>(req)) ? 1 : 0;
    }
    EXPECT_EQ(n, 1) << "request " << req;
  }
}

TEST(Spec7_Reply, CallbackInstanceOfTheLineIsCarried) {
  EventApp app("app");
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER, TAPI_VERSION2_2,
                        LINEMEDIAMODE_INTERACTIVEVOICE, 0xC0FFEE);
  HCALL h = 0;
  const LONG req = lineMakeCall(line, &h, kAnswer, 0, nullptr);
  auto m = app.waitFor([&](const LINEMESSAGE& x) {
    return x.dwMessageID == LINE_CALLSTATE && x.hDevice == h;
  });
  ASSERT_GT(req, 0);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->dwCallbackInstance, 0xC0FFEEu);
}

// =============================================================================== §8

TEST(Spec8_Open, IllegalPrivilegeCombinationsAreInvalPrivSelect) {
  EventApp app("app");
  HLINE l = 0;
  for (DWORD p : {0u, 0x8u, static_cast<DWORD>(LINECALLPRIVILEGE_NONE | LINECALLPRIVILEGE_OWNER),
                  static_cast<DWORD>(LINECALLPRIVILEGE_OWNER | LINEOPENOPTION_PROXY)}) {
    EXPECT_LINEERR(lineOpen(app.h, 0, &l, TAPI_VERSION2_2, 0, 0, p,
                            LINEMEDIAMODE_INTERACTIVEVOICE, nullptr),
                   LINEERR_INVALPRIVSELECT)
        << std::hex << p;
  }
  EXPECT_LINEERR(lineOpen(app.h, 0, &l, TAPI_VERSION1_4, 0, 0,
                          LINECALLPRIVILEGE_OWNER | LINEOPENOPTION_SINGLEADDRESS,
                          LINEMEDIAMODE_INTERACTIVEVOICE, nullptr),
                 LINEERR_INVALPRIVSELECT)
      << "options need API 2.0";
}

TEST(Spec8_Open, BadDeviceVersionAndPointer) {
  EventApp app("app");
  HLINE l = 0;
  EXPECT_LINEERR(lineOpen(app.h, 999, &l, TAPI_VERSION2_2, 0, 0, LINECALLPRIVILEGE_NONE, 0,
                          nullptr),
                 LINEERR_BADDEVICEID);
  EXPECT_LINEERR(lineOpen(app.h, 0, &l, 0x00040000, 0, 0, LINECALLPRIVILEGE_NONE, 0, nullptr),
                 LINEERR_INCOMPATIBLEAPIVERSION);
  EXPECT_LINEERR(lineOpen(app.h, 0, nullptr, TAPI_VERSION2_2, 0, 0, LINECALLPRIVILEGE_NONE, 0,
                          nullptr),
                 LINEERR_INVALPOINTER);
  EXPECT_LINEERR(lineOpen(app.h + 1000, 0, &l, TAPI_VERSION2_2, 0, 0, LINECALLPRIVILEGE_NONE, 0,
                          nullptr),
                 LINEERR_INVALAPPHANDLE);
}

TEST(Spec8_Open, NoneLineMakesCallsButSeesNoOtherCalls) {
  EventApp none("none");
  HLINE nl = none.open(0, LINECALLPRIVILEGE_NONE);
  ASSERT_NE(nl, 0u);
  Connected c;
  ASSERT_TRUE(c.connected);
  for (const LINEMESSAGE& m : none.drain(200)) {
    EXPECT_NE(m.dwMessageID, static_cast<DWORD>(LINE_APPNEWCALL));
  }
  Made m = makeCall(none, nl, kRing);
  EXPECT_EQ(m.replyResult, 0);
}

TEST(Spec8_SetCallPrivilege, InvalidValueIsInvalCallPrivilege) {
  Connected c;
  ASSERT_TRUE(c.connected);
  for (DWORD p : {0u, static_cast<DWORD>(LINECALLPRIVILEGE_NONE), 3u, 8u}) {
    EXPECT_LINEERR(lineSetCallPrivilege(c.made.call, p), LINEERR_INVALCALLPRIVILEGE);
  }
}

TEST(Spec8_SetCallPrivilege, SoleOwnerOfALiveCallCannotBecomeMonitor) {
  Connected c;
  ASSERT_TRUE(c.connected);
  EXPECT_LINEERR(lineSetCallPrivilege(c.made.call, LINECALLPRIVILEGE_MONITOR),
                 LINEERR_INVALCALLSTATE);
  ASSERT_GT(lineDrop(c.made.call, nullptr, 0), 0);
  ASSERT_TRUE(c.app.state(c.made.call, LINECALLSTATE_IDLE));
  EXPECT_EQ(lineSetCallPrivilege(c.made.call, LINECALLPRIVILEGE_MONITOR), 0);
}

TEST(Spec8_SetCallPrivilege, MonitorBecomesOwnerAndCountsFollow) {
  EventApp monitor("monitor");
  HLINE ml = monitor.open(0, LINECALLPRIVILEGE_MONITOR);
  Connected c;
  ASSERT_TRUE(c.connected);
  HCALL mh = monitorHandle(monitor, ml);
  ASSERT_NE(mh, 0u);
  ASSERT_OK(lineSetCallPrivilege(mh, LINECALLPRIVILEGE_OWNER));
  EXPECT_EQ(callStatus(mh).dwCallPrivilege, static_cast<DWORD>(LINECALLPRIVILEGE_OWNER));
  EXPECT_EQ(asInfo(callInfo(mh)).dwNumOwners, 2u);
  EXPECT_EQ(asInfo(callInfo(mh)).dwNumMonitors, 0u);
  EXPECT_TRUE(c.app.waitFor([&](const LINEMESSAGE& x) {
    return x.dwMessageID == LINE_CALLINFO && x.hDevice == c.made.call &&
           (x.dwParam1 & LINECALLINFOSTATE_NUMOWNERINCR) != 0;
  }));
}

TEST(Spec8_Handoff, ToANamedAppMakesItOwner) {
  EventApp target("crm");
  HLINE tl = target.open(0, LINECALLPRIVILEGE_OWNER);
  ASSERT_NE(tl, 0u);
  EventApp app("dialer");
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER);
  Made m = makeCall(app, line, kAnswer);
  ASSERT_EQ(m.replyResult, 0);
  ASSERT_OK(lineHandoff(m.call, "crm", 0));
  auto s = target.waitFor([](const LINEMESSAGE& x) {
    return x.dwMessageID == LINE_CALLSTATE && x.dwParam3 == LINECALLPRIVILEGE_OWNER;
  });
  ASSERT_TRUE(s);
  EXPECT_EQ(callStatus(static_cast<HCALL>(s->hDevice)).dwCallPrivilege,
            static_cast<DWORD>(LINECALLPRIVILEGE_OWNER));
  EXPECT_EQ(callStatus(m.call).dwCallPrivilege, static_cast<DWORD>(LINECALLPRIVILEGE_OWNER))
      << "the caller's privilege is unchanged";
  EXPECT_EQ(lineHandoff(m.call, "dialer", 0), 0) << "to one's own name is allowed";
}

TEST(Spec8_Handoff, ErrorsTargetNotFoundTargetSelfNotOwner) {
  EventApp monitor("monitor");
  HLINE ml = monitor.open(0, LINECALLPRIVILEGE_MONITOR);
  Connected c;  // "owner" opened line 0 as OWNER for INTERACTIVEVOICE
  ASSERT_TRUE(c.connected);
  EXPECT_LINEERR(lineHandoff(c.made.call, "nobody", 0), LINEERR_TARGETNOTFOUND);
  EXPECT_LINEERR(lineHandoff(c.made.call, nullptr, LINEMEDIAMODE_INTERACTIVEVOICE),
                 LINEERR_TARGETSELF);
  EXPECT_LINEERR(lineHandoff(c.made.call, nullptr, LINEMEDIAMODE_G3FAX), LINEERR_TARGETNOTFOUND);
  EXPECT_LINEERR(lineHandoff(c.made.call, nullptr, 0), LINEERR_INVALMEDIAMODE);
  HCALL mh = monitorHandle(monitor, ml);
  ASSERT_NE(mh, 0u);
  EXPECT_LINEERR(lineHandoff(mh, "owner", 0), LINEERR_NOTOWNER);
}

TEST(Spec8_Close, SoleOwnerClosingTheLineDropsItsCalls) {
  EventApp monitor("monitor");
  HLINE ml = monitor.open(0, LINECALLPRIVILEGE_MONITOR);
  Connected c;
  ASSERT_TRUE(c.connected);
  HCALL mh = monitorHandle(monitor, ml);
  ASSERT_NE(mh, 0u);
  ASSERT_OK(lineClose(c.line));
  EXPECT_TRUE(monitor.state(mh, LINECALLSTATE_IDLE));
  auto rec = record(mh);
  ASSERT_FALSE(rec.empty());
  EXPECT_EQ(reinterpret_cast<const OPENTAPICALLRECORD*>(rec.data())->dwTerminationOrigin,
            static_cast<DWORD>(OPENTAPI_TERMINATION_LINECLOSE));
}

TEST(Spec8_Shutdown, ActsAsLineCloseForEveryLine) {
  EventApp monitor("monitor");
  HLINE ml = monitor.open(0, LINECALLPRIVILEGE_MONITOR);
  Connected c;
  ASSERT_TRUE(c.connected);
  HCALL mh = monitorHandle(monitor, ml);
  ASSERT_NE(mh, 0u);
  ASSERT_OK(c.app.shutdown());
  EXPECT_TRUE(monitor.state(mh, LINECALLSTATE_IDLE));
  auto rec = record(mh);
  ASSERT_FALSE(rec.empty());
  EXPECT_EQ(reinterpret_cast<const OPENTAPICALLRECORD*>(rec.data())->dwTerminationOrigin,
            static_cast<DWORD>(OPENTAPI_TERMINATION_APPSHUTDOWN));
}

TEST(Spec8_GetNewCalls, ErrorsAndTooSmallListsKeepTheirHandles) {
  Connected c;
  ASSERT_TRUE(c.connected);
  EventApp late("late");
  HLINE ll = late.open(0, LINECALLPRIVILEGE_MONITOR);
  LINECALLLIST list{};
  list.dwTotalSize = sizeof list;
  EXPECT_LINEERR(lineGetNewCalls(ll, 0, LINECALLSELECT_CALL, &list), LINEERR_INVALCALLSELECT);
  EXPECT_LINEERR(lineGetNewCalls(ll, 1, LINECALLSELECT_ADDRESS, &list), LINEERR_INVALADDRESSID);
  EXPECT_LINEERR(lineGetNewCalls(ll, 0, LINECALLSELECT_LINE, nullptr), LINEERR_INVALPOINTER);
  list.dwTotalSize = 8;
  EXPECT_LINEERR(lineGetNewCalls(ll, 0, LINECALLSELECT_LINE, &list), LINEERR_STRUCTURETOOSMALL);
  EXPECT_LINEERR(lineGetNewCalls(ll + 1000, 0, LINECALLSELECT_LINE, &list),
                 LINEERR_INVALLINEHANDLE);
  list.dwTotalSize = sizeof list;  // no room for a handle
  ASSERT_OK(lineGetNewCalls(ll, 0, LINECALLSELECT_ADDRESS, &list));
  EXPECT_EQ(list.dwNeededSize, sizeof list + sizeof(HCALL));
  EXPECT_EQ(list.dwCallsSize, 0u);
  std::vector<unsigned char> buf(list.dwNeededSize);
  auto* big = reinterpret_cast<LINECALLLIST*>(buf.data());
  big->dwTotalSize = static_cast<DWORD>(buf.size());
  ASSERT_OK(lineGetNewCalls(ll, 0, LINECALLSELECT_LINE, big));
  EXPECT_EQ(big->dwCallsNumEntries, 1u) << "the handle made by the first try is delivered";
}

// =============================================================================== §11

TEST(Spec11_Errors, UninitializedWhenNoAppExists) {
  EXPECT_LINEERR(lineDrop(1, nullptr, 0), LINEERR_UNINITIALIZED);
  EXPECT_LINEERR(lineDeallocateCall(1), LINEERR_UNINITIALIZED);
  LINECALLSTATUS s{};
  s.dwTotalSize = sizeof s;
  EXPECT_LINEERR(lineGetCallStatus(1, &s), LINEERR_UNINITIALIZED);
  EXPECT_LINEERR(lineSetAppSpecific(1, 1), LINEERR_UNINITIALIZED);
  EXPECT_LINEERR(lineShutdown(1), LINEERR_UNINITIALIZED);
  EXPECT_LINEERR(opentapi_sim_place_inbound(0, "1", "", nullptr, nullptr),
                 LINEERR_UNINITIALIZED);
}

TEST(Spec11_Errors, ShutdownOfAnUnknownAppIsInvalAppHandle) {
  EventApp app("app");
  EXPECT_LINEERR(lineShutdown(app.h + 1000), LINEERR_INVALAPPHANDLE);
}

TEST(Spec11_Errors, DialIsNotOffered) {
  Connected c;
  ASSERT_TRUE(c.connected);
  EXPECT_LINEERR(lineDial(c.made.call, "123", 0), LINEERR_OPERATIONUNAVAIL);
}

TEST(Spec11_Errors, NamesOfCodes) {
  EXPECT_STREQ(opentapi_lineerr_name(LINEERR_INVALCALLHANDLE), "LINEERR_INVALCALLHANDLE");
  EXPECT_STREQ(opentapi_lineerr_name(0), "0");
}

TEST(Spec11_Negotiate, PicksTheHighestCommonVersion) {
  EventApp app("app");
  DWORD v = 0;
  LINEEXTENSIONID ext{};
  ASSERT_OK(lineNegotiateAPIVersion(app.h, 0, TAPI_VERSION1_4, TAPI_VERSION2_2, &v, &ext));
  EXPECT_EQ(v, static_cast<DWORD>(TAPI_VERSION2_2));
  ASSERT_OK(lineNegotiateAPIVersion(app.h, 0, TAPI_VERSION1_0, 0x00040000, &v, &ext));
  EXPECT_EQ(v, static_cast<DWORD>(TAPI_VERSION3_1));
  EXPECT_LINEERR(lineNegotiateAPIVersion(app.h, 0, 0x00040000, 0x00050000, &v, &ext),
                 LINEERR_INCOMPATIBLEAPIVERSION);
  EXPECT_LINEERR(lineNegotiateAPIVersion(app.h, 0, 0x00010000, 0x00010002, &v, &ext),
                 LINEERR_INCOMPATIBLEAPIVERSION);
  EXPECT_LINEERR(lineNegotiateAPIVersion(app.h, 999, TAPI_VERSION1_4, TAPI_VERSION2_2, &v, &ext),
                 LINEERR_BADDEVICEID);
  EXPECT_LINEERR(lineNegotiateAPIVersion(app.h, 0, TAPI_VERSION1_4, TAPI_VERSION2_2, nullptr, &ext),
                 LINEERR_INVALPOINTER);
}

TEST(Spec11_DevCaps, LineDevCapsReportCloseDropAndUuiLimits) {
  EventApp app("app");
  std::vector<unsigned char> buf(sizeof(LINEDEVCAPS));
  auto* caps = reinterpret_cast<LINEDEVCAPS*>(buf.data());
  caps->dwTotalSize = static_cast<DWORD>(buf.size());
  ASSERT_OK(lineGetDevCaps(app.h, 0, TAPI_VERSION2_2, 0, caps));
  EXPECT_NE(caps->dwDevCapFlags & LINEDEVCAPFLAGS_CLOSEDROP, 0u);
  EXPECT_EQ(caps->dwNumAddresses, 1u);
  EXPECT_GT(caps->dwNeededSize, sizeof(LINEDEVCAPS));
  buf.assign(caps->dwNeededSize, 0);
  caps = reinterpret_cast<LINEDEVCAPS*>(buf.data());
  caps->dwTotalSize = static_cast<DWORD>(buf.size());
  ASSERT_OK(lineGetDevCaps(app.h, 0, TAPI_VERSION2_2, 0, caps));
  EXPECT_FALSE(field(*caps, caps->dwLineNameSize, caps->dwLineNameOffset).empty());
  caps->dwTotalSize = 16;
  EXPECT_LINEERR(lineGetDevCaps(app.h, 0, TAPI_VERSION2_2, 0, caps), LINEERR_STRUCTURETOOSMALL);
  EXPECT_LINEERR(lineGetDevCaps(app.h, 999, TAPI_VERSION2_2, 0, caps), LINEERR_BADDEVICEID);
  EXPECT_LINEERR(lineGetDevCaps(app.h, 0, TAPI_VERSION2_2, 1, caps),
                 LINEERR_INCOMPATIBLEEXTVERSION);
  LINEDEVCAPS old{};
  old.dwTotalSize = offsetof(LINEDEVCAPS, dwLineFeatures);
  EXPECT_EQ(lineGetDevCaps(app.h, 0, TAPI_VERSION1_0, 0, &old), 0) << "1.3 fixed part";
}

TEST(Spec11_DevCaps, AddressCapsSubset) {
  EventApp app("app");
  std::vector<unsigned char> buf(sizeof(LINEADDRESSCAPS) + 64);
  auto* caps = reinterpret_cast<LINEADDRESSCAPS*>(buf.data());
  caps->dwTotalSize = static_cast<DWORD>(buf.size());
  ASSERT_OK(lineGetAddressCaps(app.h, 0, 0, TAPI_VERSION2_2, 0, caps));
  EXPECT_FALSE(field(*caps, caps->dwAddressSize, caps->dwAddressOffset).empty());
  EXPECT_NE(caps->dwCallFeatures & LINECALLFEATURE_DROP, 0u);
  EXPECT_NE(caps->dwDisconnectModes & LINEDISCONNECTMODE_CANCELLED, 0u);
  ASSERT_OK(lineGetAddressCaps(app.h, 0, 0, TAPI_VERSION1_4, 0, caps));
  EXPECT_EQ(caps->dwDisconnectModes & LINEDISCONNECTMODE_CANCELLED, 0u) << "2.0 mode hidden";
  EXPECT_LINEERR(lineGetAddressCaps(app.h, 0, 1, TAPI_VERSION2_2, 0, caps),
                 LINEERR_INVALADDRESSID);
}

TEST(Spec11_DevStatus, CountsOpensAndActiveCalls) {
  Connected c;
  ASSERT_TRUE(c.connected);
  LINEDEVSTATUS s{};
  s.dwTotalSize = sizeof s;
  ASSERT_OK(lineGetLineDevStatus(c.line, &s));
  EXPECT_GE(s.dwNumOpens, 1u);
  EXPECT_GE(s.dwNumActiveCalls, 1u);
  EXPECT_NE(s.dwDevStatusFlags & LINEDEVSTATUSFLAGS_INSERVICE, 0u);
  s.dwTotalSize = 8;
  EXPECT_LINEERR(lineGetLineDevStatus(c.line, &s), LINEERR_STRUCTURETOOSMALL);
  EXPECT_LINEERR(lineGetLineDevStatus(c.line, nullptr), LINEERR_INVALPOINTER);
  EXPECT_LINEERR(lineGetLineDevStatus(c.line + 1000, &s), LINEERR_INVALLINEHANDLE);
}

TEST(Spec11_MakeCall, CallParamsAreCheckedAndUserUserInfoIsSent) {
  EventApp app("app");
  HLINE line = app.open(0, LINECALLPRIVILEGE_OWNER);
  Made m = makeCall(app, line, kAnswer, "order 12");
  ASSERT_EQ(m.replyResult, 0);
  auto rec = record(m.call);
  ASSERT_FALSE(rec.empty());
  const auto& r = *reinterpret_cast<const OPENTAPICALLRECORD*>(rec.data());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(rec.data()) + r.dwUserUserInfoSentOffset,
                        r.dwUserUserInfoSentSize),
            "order 12");
  LINECALLPARAMS p{};
  p.dwTotalSize = sizeof p;
  p.dwUserUserInfoSize = 10;
  p.dwUserUserInfoOffset = sizeof p;  // points past dwTotalSize
  HCALL h = 0;
  EXPECT_LINEERR(lineMakeCall(line, &h, kAnswer, 0, &p), LINEERR_INVALCALLPARAMS);
  p.dwTotalSize = 8;
  EXPECT_LINEERR(lineMakeCall(line, &h, kAnswer, 0, &p), LINEERR_STRUCTURETOOSMALL);
  EXPECT_LINEERR(lineMakeCall(line, nullptr, kAnswer, 0, nullptr), LINEERR_INVALPOINTER);
  EXPECT_LINEERR(lineMakeCall(line + 1000, &h, kAnswer, 0, nullptr), LINEERR_INVALLINEHANDLE);
  const LONG bad = lineMakeCall(line, &h, "sim:no-such-directive", 0, nullptr);
  EXPECT_TRUE(bad == LINEERR_INVALADDRESS || (bad > 0 && app.reply(bad) == LINEERR_INVALADDRESS))
      << "an unreadable far-end script is a bad address: " << name(bad);
}
