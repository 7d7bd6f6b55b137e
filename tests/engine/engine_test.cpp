#include "engine_fixture.hpp"

namespace tapi::testing {
namespace {

using providers::sim::Action;
using providers::sim::Script;
using Strings = std::vector<std::string>;

class EngineTest : public EngineFixture {};

TEST_F(EngineTest, OutboundCallOwnerAndMonitorSeeTheWholeLifecycle) {
  const auto dialer = initApp("dialer");
  const auto logger = initApp("logger");
  const auto hLine = openLine(dialer, Privilege::Owner);
  openLine(logger, Privilege::Monitor);
  sim_->scriptDestination("200", providers::sim::answerAfter(2s));

  auto mc = engine_->makeCall(dialer, hLine, "200");
  ASSERT_TRUE(mc.ok());
  // Not valid before its LINE_REPLY.
  EXPECT_EQ(engine_->callInfo(dialer, mc->hCall).lineErr(), LineErr::InvalCallHandle);
  settle();
  EXPECT_EQ(drainText(dialer), (Strings{"LINE_REPLY(ok)", "LINE_CALLSTATE(DIALING)",
                                        "LINE_CALLSTATE(PROCEEDING)", "LINE_CALLSTATE(RINGBACK)"}));
  const auto monitorMsgs = drain(logger);
  const auto hMon = newCallHandle(monitorMsgs);
  ASSERT_NE(hMon, 0u);
  advance(2s);
  EXPECT_EQ(drainText(dialer), (Strings{"LINE_CALLSTATE(CONNECTED)"}));
  auto drop = engine_->drop(dialer, mc->hCall, 0, "bye");
  ASSERT_TRUE(drop.ok());
  settle();
  EXPECT_EQ(drainText(dialer), (Strings{"LINE_CALLSTATE(IDLE)", "LINE_REPLY(ok)"}));
  EXPECT_EQ(drainText(logger), (Strings{"LINE_CALLSTATE(CONNECTED)", "LINE_CALLSTATE(IDLE)"}));

  // Post-connection data stays readable through both handles until deallocated.
  for (auto [app, h] : {std::pair{dialer, mc->hCall}, std::pair{logger, hMon}}) {
    auto info = engine_->callInfo(app, h);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->record.termination.origin, TerminationOrigin::Local);
    EXPECT_EQ(info->record.termination.app, "dialer");
    EXPECT_EQ(info->record.disconnectMode, disconnect::Normal);
    EXPECT_EQ(info->record.uuiSent, "bye");
    EXPECT_EQ(info->record.called.number, "200");
    EXPECT_TRUE(info->record.connectedAt.has_value());
    EXPECT_TRUE(info->record.idleAt.has_value());
    EXPECT_EQ(info->record.numOwners, 1u);
    EXPECT_EQ(info->record.numMonitors, 1u);
    EXPECT_NE(info->record.callId, 0u);
  }
  EXPECT_EQ(engine_->callInfo(dialer, mc->hCall)->record.callId,
            engine_->callInfo(logger, hMon)->record.callId);
  ASSERT_TRUE(engine_->deallocate(dialer, mc->hCall).ok());
  EXPECT_EQ(engine_->callInfo(dialer, mc->hCall).lineErr(), LineErr::InvalCallHandle);
  EXPECT_TRUE(engine_->callInfo(logger, hMon).ok());
  EXPECT_EQ(sim_->log().closeCalls, 0u);  // the monitor still holds it
  ASSERT_TRUE(engine_->deallocate(logger, hMon).ok());
  settle();
  EXPECT_EQ(sim_->log().closeCalls, 1u);
  ASSERT_EQ(released_.size(), 1u);
  EXPECT_TRUE(released_[0].releasedAt.has_value());
  ASSERT_TRUE(engine_->shutdown(dialer).ok());
  ASSERT_TRUE(engine_->shutdown(logger).ok());
  expectAllZero();
}

TEST_F(EngineTest, RemoteHangupLeavesCallDisconnectedUntilOwnerDrops) {
  const auto app = initApp("dialer");
  const auto hLine = openLine(app, Privilege::Owner);
  sim_->scriptDestination("300", providers::sim::answerAfter(1s, 5s, disconnect::Normal, "cu"));
  auto mc = engine_->makeCall(app, hLine, "300");
  ASSERT_TRUE(mc.ok());
  advance(6s);
  auto msgs = drainText(app);
  ASSERT_FALSE(msgs.empty());
  EXPECT_EQ(msgs.back(), "LINE_CALLSTATE(DISCONNECTED,NORMAL)");
  auto st = engine_->callStatus(app, mc->hCall);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->state, CallState::Disconnected);
  EXPECT_EQ(st->mode, disconnect::Normal);
  EXPECT_EQ(st->features, callfeature::Drop);
  auto info = engine_->callInfo(app, mc->hCall);
  EXPECT_EQ(info->record.uuiReceived, "cu");
  EXPECT_EQ(info->record.termination.origin, TerminationOrigin::Remote);
  ASSERT_TRUE(engine_->drop(app, mc->hCall).ok());
  settle();
  EXPECT_EQ(drainText(app), (Strings{"LINE_CALLSTATE(IDLE)", "LINE_REPLY(ok)"}));
  // The first end wins: still remote after the clearing drop.
  EXPECT_EQ(engine_->callInfo(app, mc->hCall)->record.termination.origin,
            TerminationOrigin::Remote);
  EXPECT_EQ(engine_->drop(app, mc->hCall).lineErr(), LineErr::InvalCallState);
  ASSERT_TRUE(engine_->deallocate(app, mc->hCall).ok());
  ASSERT_TRUE(engine_->shutdown(app).ok());
  expectAllZero();
}

TEST_F(EngineTest, StaleForeignAndRandomHandlesAreRefused) {
  const auto a = initApp("a");
  const auto b = initApp("b");
  const auto la = openLine(a, Privilege::Owner);
  openLine(b, Privilege::Monitor);
  auto mc = engine_->makeCall(a, la, "200");
  ASSERT_TRUE(mc.ok());
  settle();
  const auto hB = newCallHandle(drain(b));
  ASSERT_NE(hB, 0u);
  // Foreign: b's handle value presented by a, and a's by b.
  if (hB != mc->hCall) {
    EXPECT_EQ(engine_->callInfo(a, hB).lineErr(), LineErr::InvalCallHandle);
    EXPECT_EQ(engine_->callInfo(b, mc->hCall).lineErr(), LineErr::InvalCallHandle);
  }
  // Random values.
  for (std::uint32_t v : {0u, 0xFFFFFFFFu, 0x12345678u, mc->hCall + 1000}) {
    EXPECT_EQ(engine_->drop(a, v).lineErr(), LineErr::InvalCallHandle);
    EXPECT_EQ(engine_->deallocate(a, v).lineErr(), LineErr::InvalCallHandle);
    EXPECT_EQ(engine_->callStatus(a, v).lineErr(), LineErr::InvalCallHandle);
    EXPECT_EQ(engine_->setAppSpecific(a, v, 1).lineErr(), LineErr::InvalCallHandle);
  }
  ASSERT_TRUE(engine_->drop(a, mc->hCall).ok());
  settle();
  ASSERT_TRUE(engine_->deallocate(a, mc->hCall).ok());
  // Stale: the same value after deallocation, and after a new call exists.
  EXPECT_EQ(engine_->callInfo(a, mc->hCall).lineErr(), LineErr::InvalCallHandle);
  auto mc2 = engine_->makeCall(a, la, "200");
  ASSERT_TRUE(mc2.ok());
  EXPECT_NE(mc2->hCall, mc->hCall);
  settle();
  EXPECT_EQ(engine_->callInfo(a, mc->hCall).lineErr(), LineErr::InvalCallHandle);
  EXPECT_EQ(engine_->drop(a, mc->hCall).lineErr(), LineErr::InvalCallHandle);
  ASSERT_TRUE(engine_->shutdown(a).ok());
  ASSERT_TRUE(engine_->shutdown(b).ok());
  expectAllZero();
  // Uninitialised app handles.
  EXPECT_EQ(engine_->drop(a, mc2->hCall).lineErr(), LineErr::Uninitialized);
  EXPECT_EQ(engine_->shutdown(a).lineErr(), LineErr::InvalAppHandle);
}

TEST_F(EngineTest, SoleOwnerDeallocateDependsOnApiVersion) {
  const auto old = initApp("old", kApiVersion14);
  const auto lOld = openLine(old, Privilege::Owner);
  auto c1 = engine_->makeCall(old, lOld, "200");
  ASSERT_TRUE(c1.ok());
  settle();
  EXPECT_EQ(engine_->deallocate(old, c1->hCall).lineErr(), LineErr::InvalCallState);
  // Below 2.0, deallocation suppresses the call's pending replies.
  auto d = engine_->drop(old, c1->hCall);
  ASSERT_TRUE(d.ok());
  // Still not idle (the drop has not run yet), so still refused.
  EXPECT_EQ(engine_->deallocate(old, c1->hCall).lineErr(), LineErr::InvalCallState);
  settle();
  drain(old);
  ASSERT_TRUE(engine_->deallocate(old, c1->hCall).ok());

  const auto modern = initApp("modern", kApiVersion20);
  const auto lNew = openLine(modern, Privilege::Owner, 1);
  auto c2 = engine_->makeCall(modern, lNew, "200");
  ASSERT_TRUE(c2.ok());
  settle();
  drain(modern);
  auto d2 = engine_->drop(modern, c2->hCall);
  ASSERT_TRUE(d2.ok());
  // At 2.0 the sole owner may deallocate a live call, and the reply still arrives.
  ASSERT_TRUE(engine_->deallocate(modern, c2->hCall).ok());
  settle();
  auto msgs = drain(modern);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].type, MessageType::Reply);
  EXPECT_EQ(msgs[0].param1, *d2);
  EXPECT_TRUE(engine_->shutdown(old).ok());
  EXPECT_TRUE(engine_->shutdown(modern).ok());
  expectAllZero();
}

TEST_F(EngineTest, PreTwoZeroDeallocateSuppressesPendingReplies) {
  const auto old = initApp("old", kApiVersion13);
  const auto mon = initApp("mon", kApiVersion13);
  const auto lOld = openLine(old, Privilege::Owner);
  openLine(mon, Privilege::Monitor);
  Script slowDrop = providers::sim::answerAfter(1s);
  slowDrop.requestLatency = 1s;
  sim_->scriptDestination("slow", slowDrop);
  auto c = engine_->makeCall(old, lOld, "slow");
  ASSERT_TRUE(c.ok());
  advance(3s);
  drain(old);
  // A second owner lets the first deallocate while the call is live.
  const auto hMon = [&] {
    for (const auto& m : drain(mon)) {
      if (m.type == MessageType::CallState && m.param3 != 0) {
        return m.hDevice;
      }
    }
    return 0u;
  }();
  ASSERT_NE(hMon, 0u);
  ASSERT_TRUE(engine_->setCallPrivilege(mon, hMon, Privilege::Owner).ok());
  auto d = engine_->drop(old, c->hCall);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(engine_->deallocate(old, c->hCall).ok());
  advance(2s);
  for (const auto& m : drain(old)) {
    EXPECT_NE(m.type, MessageType::Reply) << "reply after deallocation at API 1.3";
  }
  ASSERT_TRUE(engine_->deallocate(mon, hMon).ok());
  EXPECT_TRUE(engine_->shutdown(old).ok());
  EXPECT_TRUE(engine_->shutdown(mon).ok());
  expectAllZero();
}

TEST_F(EngineTest, MonitorCannotControlAndOwnerChangesAreReported) {
  const auto owner = initApp("owner");
  const auto mon = initApp("mon");
  const auto l = openLine(owner, Privilege::Owner);
  openLine(mon, Privilege::Monitor);
  auto c = engine_->makeCall(owner, l, "200");
  ASSERT_TRUE(c.ok());
  settle();
  const auto hMon = newCallHandle(drain(mon));
  drain(owner);
  EXPECT_EQ(engine_->drop(mon, hMon).lineErr(), LineErr::NotOwner);
  EXPECT_EQ(engine_->setAppSpecific(mon, hMon, 5).lineErr(), LineErr::NotOwner);
  EXPECT_EQ(engine_->handoff(mon, hMon, "owner").lineErr(), LineErr::NotOwner);
  ASSERT_TRUE(engine_->setAppSpecific(owner, c->hCall, 42).ok());
  auto m = drain(mon);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].type, MessageType::CallInfo);
  EXPECT_EQ(m[0].param1, callinfostate::AppSpecific);
  EXPECT_TRUE(drain(owner).empty());  // not to the app that caused it
  EXPECT_EQ(engine_->callInfo(mon, hMon)->record.appSpecific, 42u);
  // Sole owner may not become monitor of a live call.
  EXPECT_EQ(engine_->setCallPrivilege(owner, c->hCall, Privilege::Monitor).lineErr(),
            LineErr::InvalCallState);
  EXPECT_EQ(engine_->setCallPrivilege(owner, c->hCall, static_cast<Privilege>(0x8)).lineErr(),
            LineErr::InvalCallPrivilege);
  ASSERT_TRUE(engine_->setCallPrivilege(mon, hMon, Privilege::Owner).ok());
  m = drain(owner);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].param1, callinfostate::NumOwnerIncr | callinfostate::NumMonitors);
  EXPECT_EQ(engine_->callInfo(owner, c->hCall)->record.numOwners, 2u);
  ASSERT_TRUE(engine_->setCallPrivilege(owner, c->hCall, Privilege::Monitor).ok());
  EXPECT_EQ(engine_->drop(owner, c->hCall).lineErr(), LineErr::NotOwner);
  ASSERT_TRUE(engine_->drop(mon, hMon).ok());
  settle();
  EXPECT_TRUE(engine_->shutdown(owner).ok());
  EXPECT_TRUE(engine_->shutdown(mon).ok());
  expectAllZero();
}

TEST_F(EngineTest, InboundOfferGoesToFirstOwnerAndEveryMonitor) {
  const auto first = initApp("first");
  const auto second = initApp("second");
  const auto mon = initApp("mon", kApiVersion14);
  openLine(first, Privilege::Owner);
  openLine(second, Privilege::Owner);
  openLine(mon, Privilege::Monitor);
  providers::sim::SimProvider::Inbound in;
  in.caller = {"555", "Alice"};
  in.called = {"100", ""};
  in.uui = "hello";
  in.script.steps = {{0s, Action::AwaitAnswer}, {3s, Action::RemoteHangup}};
  ASSERT_TRUE(sim_->placeInbound(0, in).ok());
  settle();
  const auto m1 = drain(first);
  EXPECT_EQ(drainText(second), Strings{});
  ASSERT_EQ(m1.size(), 2u);
  EXPECT_EQ(describe(m1[0]), "LINE_APPNEWCALL(OWNER)");
  EXPECT_EQ(describe(m1[1]), "LINE_CALLSTATE(OFFERING,OWNER)");
  // API 1.4 app: no LINE_APPNEWCALL, the handle comes with the first LINE_CALLSTATE.
  const auto m3 = drain(mon);
  ASSERT_EQ(m3.size(), 1u);
  EXPECT_EQ(describe(m3[0]), "LINE_CALLSTATE(OFFERING,MONITOR)");
  const auto h = m1[0].param2;
  auto info = engine_->callInfo(first, h);
  EXPECT_EQ(info->record.caller.name, "Alice");
  EXPECT_EQ(info->record.uuiReceived, "hello");
  EXPECT_EQ(info->record.origin, callorigin::Inbound);
  auto st = engine_->callStatus(first, h);
  EXPECT_EQ(st->features, callfeature::Accept | callfeature::Answer | callfeature::Drop);
  ASSERT_TRUE(engine_->accept(first, h).ok());
  ASSERT_TRUE(engine_->answer(first, h, "hi").ok());
  settle();
  EXPECT_EQ(drainText(first), (Strings{"LINE_CALLSTATE(ACCEPTED)", "LINE_REPLY(ok)",
                                       "LINE_CALLSTATE(CONNECTED)", "LINE_REPLY(ok)"}));
  advance(3s);
  EXPECT_EQ(drainText(first), (Strings{"LINE_CALLSTATE(DISCONNECTED,NORMAL)"}));
  EXPECT_TRUE(engine_->shutdown(first).ok());  // sole owner goes: ownerless → dropped
  settle();
  EXPECT_EQ(drainText(mon), (Strings{"LINE_CALLSTATE(ACCEPTED)", "LINE_CALLSTATE(CONNECTED)",
                                     "LINE_CALLSTATE(DISCONNECTED,NORMAL)",
                                     "LINE_CALLINFO", "LINE_CALLSTATE(IDLE)"}));
  EXPECT_TRUE(engine_->shutdown(second).ok());
  EXPECT_TRUE(engine_->shutdown(mon).ok());
  expectAllZero();
  ASSERT_EQ(released_.size(), 1u);
  EXPECT_EQ(released_[0].termination.origin, TerminationOrigin::Remote);
}

TEST_F(EngineTest, HandoffAndGetNewCalls) {
  const auto a = initApp("dialer");
  const auto b = initApp("crm");
  const auto la = openLine(a, Privilege::Owner);
  const auto lb = openLine(b, Privilege::Owner);
  auto c = engine_->makeCall(a, la, "200");
  ASSERT_TRUE(c.ok());
  settle();
  drain(a);
  EXPECT_TRUE(drain(b).empty());  // owner-only opens do not see others' calls
  EXPECT_EQ(engine_->handoff(a, c->hCall, "nobody").lineErr(), LineErr::TargetNotFound);
  EXPECT_TRUE(engine_->handoff(a, c->hCall, "dialer").ok());  // to oneself: allowed
  ASSERT_TRUE(engine_->handoff(a, c->hCall, "crm").ok());
  auto mb = drain(b);
  ASSERT_EQ(mb.size(), 2u);
  EXPECT_EQ(describe(mb[1]), "LINE_CALLSTATE(RINGBACK,OWNER)");
  EXPECT_EQ(engine_->callInfo(a, c->hCall)->record.numOwners, 2u);
  // getNewCalls gives monitor handles only for calls the app does not know.
  auto got = engine_->getNewCalls(b, lb, 0, CallSelect::Line);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  const auto late = initApp("late");
  const auto ll = openLine(late, Privilege::Monitor);
  EXPECT_TRUE(drain(late).empty());  // a late opener is not told of existing calls
  auto got2 = engine_->getNewCalls(late, ll, 0, CallSelect::Line);
  ASSERT_TRUE(got2.ok());
  ASSERT_EQ(got2->size(), 1u);
  EXPECT_EQ(engine_->callStatus(late, got2->at(0))->privilege, Privilege::Monitor);
  EXPECT_EQ(engine_->getNewCalls(late, ll, 0, CallSelect::Call).lineErr(),
            LineErr::InvalCallSelect);
  EXPECT_EQ(engine_->getNewCalls(late, ll, 7, CallSelect::Address).lineErr(),
            LineErr::InvalAddressId);
  EXPECT_EQ(engine_->getNewCalls(late, 999, 0, CallSelect::Line).lineErr(),
            LineErr::InvalLineHandle);
  // Handoff by media mode: the other owner is found, oneself only is TARGETSELF.
  EXPECT_TRUE(engine_->handoff(b, mb[0].param2, "", 0x4).ok());
  EXPECT_TRUE(engine_->shutdown(a).ok());
  EXPECT_TRUE(engine_->shutdown(b).ok());
  EXPECT_TRUE(engine_->shutdown(late).ok());
  expectAllZero();
}

TEST_F(EngineTest, DisconnectModesAreDownMappedPerApiVersion) {
  const auto old = initApp("old", kApiVersion13);
  const auto fresh = initApp("new", kApiVersion20);
  const auto l = openLine(fresh, Privilege::Owner);
  openLine(old, Privilege::Monitor);
  Script s = providers::sim::answerAfter(1s, 1s, disconnect::TempFailure);
  sim_->scriptDestination("x", s);
  auto c = engine_->makeCall(fresh, l, "x");
  ASSERT_TRUE(c.ok());
  advance(3s);
  EXPECT_EQ(drainText(fresh).back(), "LINE_CALLSTATE(DISCONNECTED,TEMPFAILURE)");
  EXPECT_EQ(drainText(old).back(), "LINE_CALLSTATE(DISCONNECTED,UNKNOWN)");
  EXPECT_TRUE(engine_->shutdown(fresh).ok());
  EXPECT_TRUE(engine_->shutdown(old).ok());
  expectAllZero();
  EXPECT_EQ(downMapDisconnectMode(disconnect::NoDialTone, kApiVersion13), disconnect::Unknown);
  EXPECT_EQ(downMapDisconnectMode(disconnect::NoDialTone, kApiVersion14), disconnect::NoDialTone);
  EXPECT_EQ(downMapDisconnectMode(disconnect::Busy, kApiVersion13), disconnect::Busy);
}

TEST_F(EngineTest, ConnectedModeIsShownFromApiOneFourOnly) {
  const auto old = initApp("old", kApiVersion13);
  const auto fresh = initApp("new", kApiVersion14);
  const auto l = openLine(fresh, Privilege::Owner);
  openLine(old, Privilege::Monitor);
  sim_->scriptDestination("x", providers::sim::answerAfter(1s));
  auto c = engine_->makeCall(fresh, l, "x");
  ASSERT_TRUE(c.ok());
  advance(1s);
  auto connectedMode = [&](std::uint32_t app) -> std::optional<std::uint32_t> {
    for (const auto& m : drain(app)) {
      if (m.type == MessageType::CallState &&
          m.param1 == static_cast<std::uint32_t>(CallState::Connected)) {
        return m.param2;
      }
    }
    return std::nullopt;
  };
  EXPECT_EQ(connectedMode(fresh), std::optional<std::uint32_t>{1u});  // ACTIVE
  EXPECT_EQ(connectedMode(old), std::optional<std::uint32_t>{0u});   // no such field at 1.3
  EXPECT_EQ(engine_->callStatus(fresh, c->hCall)->mode, 1u);
  EXPECT_TRUE(engine_->shutdown(fresh).ok());
  EXPECT_TRUE(engine_->shutdown(old).ok());
  expectAllZero();
}

TEST_F(EngineTest, MakeCallFailuresVoidTheHandle) {
  const auto app = initApp("a");
  const auto l = openLine(app, Privilege::Owner);
  Script syncFail;
  syncFail.failMakeCallSync = true;
  sim_->scriptDestination("sync", syncFail);
  Script asyncFail;
  asyncFail.failMakeCall = true;
  sim_->scriptDestination("async", asyncFail);
  EXPECT_EQ(engine_->makeCall(app, l, "sync").lineErr(), LineErr::ResourceUnavail);
  EXPECT_EQ(engine_->makeCall(app, l, "").lineErr(), LineErr::InvalAddress);
  EXPECT_EQ(engine_->makeCall(app, l, "x", engine::CallParams{std::string(129, 'u')}).lineErr(),
            LineErr::UserUserInfoTooBig);
  auto c = engine_->makeCall(app, l, "async");
  ASSERT_TRUE(c.ok());
  settle();
  EXPECT_EQ(drainText(app), (Strings{"LINE_REPLY(LINEERR_OPERATIONFAILED)"}));
  EXPECT_EQ(engine_->callInfo(app, c->hCall).lineErr(), LineErr::InvalCallHandle);
  EXPECT_EQ(sim_->log().closeCalls, 1u);  // the failed call is closed once, a no-op
  ASSERT_EQ(released_.size(), 1u);
  EXPECT_EQ(released_[0].termination.origin, TerminationOrigin::ProviderFailure);
  EXPECT_TRUE(engine_->shutdown(app).ok());
  expectAllZero();
}

TEST_F(EngineTest, OpenValidatesPrivilegesDevicesAndVersions) {
  const auto app = initApp("a");
  engine::LineOpenParams p;
  p.privileges = static_cast<std::uint32_t>(Privilege::None) |
                 static_cast<std::uint32_t>(Privilege::Owner);
  EXPECT_EQ(engine_->open(app, p).lineErr(), LineErr::InvalPrivSelect);
  p.privileges = 0;
  EXPECT_EQ(engine_->open(app, p).lineErr(), LineErr::InvalPrivSelect);
  p.privileges = static_cast<std::uint32_t>(Privilege::Owner);
  p.deviceId = 9;
  EXPECT_EQ(engine_->open(app, p).lineErr(), LineErr::BadDeviceId);
  p.deviceId = 0;
  p.apiVersion = 0x00040000;
  EXPECT_EQ(engine_->open(app, p).lineErr(), LineErr::IncompatibleApiVersion);
  EXPECT_EQ(engine_->initialize(engine::AppParams{"x", 0x00010000}).lineErr(),
            LineErr::IncompatibleApiVersion);
  EXPECT_EQ(*engine_->negotiateApiVersion(app, 0, kApiVersion13, 0x00050000), kApiVersionHighest);
  EXPECT_EQ(engine_->negotiateApiVersion(app, 0, 0x00040000, 0x00050000).lineErr(),
            LineErr::IncompatibleApiVersion);
  EXPECT_EQ(engine_->close(app, 12345).lineErr(), LineErr::InvalLineHandle);
  EXPECT_TRUE(engine_->shutdown(app).ok());
  expectAllZero();
}

TEST_F(EngineTest, ProviderForcedLineCloseInvalidatesEverything) {
  const auto a = initApp("a");
  const auto l = openLine(a, Privilege::Owner);
  auto c = engine_->makeCall(a, l, "200");
  ASSERT_TRUE(c.ok());
  advance(2s);
  drain(a);
  sim_->forceCloseLine(0);
  settle();
  EXPECT_EQ(drainText(a), (Strings{"LINE_CLOSE"}));
  EXPECT_EQ(engine_->callInfo(a, c->hCall).lineErr(), LineErr::InvalCallHandle);
  EXPECT_EQ(engine_->makeCall(a, l, "200").lineErr(), LineErr::InvalLineHandle);
  ASSERT_EQ(released_.size(), 1u);
  EXPECT_EQ(released_[0].termination.origin, TerminationOrigin::LineClose);
  EXPECT_TRUE(engine_->shutdown(a).ok());
  expectAllZero();
}

}  // namespace
}  // namespace tapi::testing

namespace tapi::testing {
namespace {

TEST_F(EngineTest, SimDestinationsScriptTheFarEnd) {
  const auto app = initApp("a");
  const auto l = openLine(app, Privilege::Owner);
  EXPECT_EQ(engine_->makeCall(app, l, "sim:nonsense").lineErr(), LineErr::InvalAddress);
  auto c = engine_->makeCall(app, l, "sim:busy;after=500ms");
  ASSERT_TRUE(c.ok());
  advance(1s);
  EXPECT_EQ(drainText(app),
            (std::vector<std::string>{"LINE_REPLY(ok)", "LINE_CALLSTATE(DIALING)",
                                      "LINE_CALLSTATE(DISCONNECTED,BUSY)"}));
  EXPECT_TRUE(engine_->shutdown(app).ok());
  expectAllZero();
}

}  // namespace
}  // namespace tapi::testing
