// The termination matrix (issue 2 acceptance): every state in which a call can end ×
// every origin of the end, with one owner app and one monitor app on the same line.
//
// Each cell is a row in a table (`allCells()`): the state, the origin and the expected
// outcome — the exact messages each app receives after the state was reached, the
// post-connection data, and what reached the provider. One runner (`runCell`) drives
// every cell on the simulated clock and also checks, for every cell alike: info readable
// until deallocation and refused after it, exactly one LINE_REPLY per request id (none
// once the app shut down or closed the line), exactly one provider closeCall, and
// engine stats all zero at the end.
//
// Combinations that cannot happen are named with the reason in `impossibleReason()`;
// a completeness test checks that every (state, origin) pair is either a cell or named,
// and the suite prints the counts when it ends.

#include <cstdio>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine_fixture.hpp"

namespace tapi::testing {
namespace {

using providers::sim::Action;
using providers::sim::Script;
using providers::sim::Step;
using Strings = std::vector<std::string>;

constexpr base::Duration kOwnerlessGrace = 2s;
constexpr base::Duration kNoAnswer = 5s;
constexpr base::Duration kMaxDuration = 5s;
constexpr base::Duration kRun = 10s;  // longer than any timer a cell starts
constexpr std::uint32_t kConnectedActive = 1;  // LINECONNECTEDMODE_ACTIVE

// ---------------------------------------------------------------------------------------
// The axes

/** The state the call is in when the origin strikes. */
enum class At : std::uint8_t {
  OutPending,       // outbound, make-call accepted but not yet completed (handle not valid)
  OutDialing,
  OutProceeding,
  OutRingback,
  OutConnected,
  OutDisconnected,  // the far end already hung up
  InOffering,
  InAccepted,
  InConnected,
  InDisconnected,  // the far end already hung up
};
constexpr At kAllStates[] = {At::OutPending,    At::OutDialing,     At::OutProceeding,
                             At::OutRingback,   At::OutConnected,   At::OutDisconnected,
                             At::InOffering,    At::InAccepted,     At::InConnected,
                             At::InDisconnected};

const char* name(At a) {
  switch (a) {
    case At::OutPending: return "OutPending";
    case At::OutDialing: return "OutDialing";
    case At::OutProceeding: return "OutProceeding";
    case At::OutRingback: return "OutRingback";
    case At::OutConnected: return "OutConnected";
    case At::OutDisconnected: return "OutDisconnected";
    case At::InOffering: return "InOffering";
    case At::InAccepted: return "InAccepted";
    case At::InConnected: return "InConnected";
    case At::InDisconnected: return "InDisconnected";
  }
  return "?";
}

bool isOutbound(At a) {
  switch (a) {
    case At::OutPending:
    case At::OutDialing:
    case At::OutProceeding:
    case At::OutRingback:
    case At::OutConnected:
    case At::OutDisconnected:
      return true;
    case At::InOffering:
    case At::InAccepted:
    case At::InConnected:
    case At::InDisconnected:
      return false;
  }
  return false;
}
bool isOffer(At a) { return a == At::InOffering || a == At::InAccepted; }
bool isRemotelyEnded(At a) { return a == At::OutDisconnected || a == At::InDisconnected; }
bool isConnected(At a) { return a == At::OutConnected || a == At::InConnected; }
bool isBeforeAnswer(At a) {
  return a == At::OutDialing || a == At::OutProceeding || a == At::OutRingback;
}

/** What ends the call. */
enum class Origin : std::uint8_t {
  LocalDrop,         // the owner drops it (default mode)
  RemoteDisconnect,  // the far end or network ends it (busy, reject, unreachable, hang-up)
  RemoteCancel,      // the caller abandons an offer
  RejectByDrop,      // the owner drops an offered call with REJECT / BUSY / UNAVAIL
  NoAnswer,          // engine policy: outbound not answered in time
  MaxDuration,       // engine policy: connected too long
  Ownerless,         // the owner (API 2.2) deallocates a live call while the monitor holds
  ProviderFailure,   // the provider loses the call (Action::ProviderFailure)
  FailMakeCall,      // a failing request: the make-call completes with an error
  FailDrop,          // a failing request: the provider cannot drop the call
  FailAnswer,        // a failing request: the provider cannot answer the offer
  LineCloseForced,   // the provider takes the line away (LINE_CLOSE)
  LineCloseByOwner,  // the owner app closes its line while the monitor holds
  AppShutdown,       // the owner app shuts down while the monitor holds
  EngineShutdown,    // the server shuts down
};
constexpr Origin kAllOrigins[] = {
    Origin::LocalDrop,      Origin::RemoteDisconnect, Origin::RemoteCancel,
    Origin::RejectByDrop,   Origin::NoAnswer,         Origin::MaxDuration,
    Origin::Ownerless,      Origin::ProviderFailure,  Origin::FailMakeCall,
    Origin::FailDrop,       Origin::FailAnswer,       Origin::LineCloseForced,
    Origin::LineCloseByOwner, Origin::AppShutdown,    Origin::EngineShutdown};

const char* name(Origin o) {
  switch (o) {
    case Origin::LocalDrop: return "LocalDrop";
    case Origin::RemoteDisconnect: return "RemoteDisconnect";
    case Origin::RemoteCancel: return "RemoteCancel";
    case Origin::RejectByDrop: return "RejectByDrop";
    case Origin::NoAnswer: return "NoAnswerPolicy";
    case Origin::MaxDuration: return "MaxDurationPolicy";
    case Origin::Ownerless: return "OwnerlessPolicy";
    case Origin::ProviderFailure: return "ProviderFailure";
    case Origin::FailMakeCall: return "FailingMakeCall";
    case Origin::FailDrop: return "FailingDrop";
    case Origin::FailAnswer: return "FailingAnswer";
    case Origin::LineCloseForced: return "ProviderLineClose";
    case Origin::LineCloseByOwner: return "OwnerLineClose";
    case Origin::AppShutdown: return "OwnerAppShutdown";
    case Origin::EngineShutdown: return "EngineShutdown";
  }
  return "?";
}

/**
 * Why a (state, origin) pair cannot happen, or "" if it is a cell. The reasons cite the
 * behaviour spec (tapi-session-semantics.md) and the SIP mapping (sip-mapping.md).
 */
std::string impossibleReason(At at, Origin o) {
  const bool pending = at == At::OutPending;
  switch (o) {
    case Origin::LocalDrop:
      return pending ? "the app's handle is not valid until the make-call's LINE_REPLY reports "
                       "success, so it cannot drop it (spec §1)"
                     : "";
    case Origin::RemoteDisconnect:
      if (pending) {
        return "the provider reports no event for a call before its make-call completes "
               "(spec §9, TSPI_lineMakeCall); a failed set-up is the failing make-call cell";
      }
      if (isRemotelyEnded(at)) {
        return "the far end already ended it: DISCONNECTED is that remote end, and only a "
               "drop moves it on to IDLE (spec §2)";
      }
      if (isOffer(at)) {
        return "before the answer a caller ends an offer only by cancelling it (remote "
               "cancel column); a BYE cannot end an unanswered INVITE (sip-mapping §1 rows "
               "1, 3)";
      }
      return "";
    case Origin::RemoteCancel:
      if (pending) {
        return "the provider reports no event for a call before its make-call completes "
               "(spec §9)";
      }
      if (isOutbound(at)) {
        return "a CANCEL ends an offer this side received; the far end of our own outbound "
               "call ends it with a final response instead (remote disconnect column; "
               "sip-mapping §1 rows 1, 2)";
      }
      if (!isOffer(at)) {
        return "a CANCEL only applies to an offer not yet answered (spec §2; sip-mapping §1 "
               "row 1b: a CANCEL crossing the 200 has no effect)";
      }
      return "";
    case Origin::RejectByDrop:
      if (pending) {
        return "the app's handle is not valid until the make-call's LINE_REPLY reports "
               "success (spec §1)";
      }
      if (isOutbound(at)) {
        return "reject is a lineDrop on an OFFERING call (spec §4); an outbound call is "
               "never offered to us, a drop clears it (local drop column)";
      }
      if (!isOffer(at)) {
        return "once answered, a drop clears the call instead of rejecting it (spec §4; "
               "local drop column)";
      }
      return "";
    case Origin::NoAnswer:
      if (!isOutbound(at)) {
        return "the no-answer policy applies to outbound calls (issue 2 item 5; TAPI "
               "dwNoAnswerTimeout)";
      }
      if (pending) {
        return "the no-answer timer starts when the make-call succeeds; until then the "
               "provider bounds the set-up itself (sip-mapping §1 row 9, Timer B)";
      }
      if (!isBeforeAnswer(at)) {
        return "the no-answer timer stops when the call is answered or has ended";
      }
      return "";
    case Origin::MaxDuration:
      if (isRemotelyEnded(at)) {
        return "the max-duration timer stops when the call ends (already DISCONNECTED)";
      }
      if (!isConnected(at)) {
        return "max-duration counts connected time: a call before CONNECTED cannot exceed it";
      }
      return "";
    case Origin::Ownerless:
      return pending ? "the owner cannot deallocate a handle that is not valid yet (the "
                       "make-call has not completed, spec §1)"
                     : "";
    case Origin::ProviderFailure:
      if (pending) {
        return "the provider reports no event for a call before its make-call completes "
               "(spec §9); a set-up failure is the failing make-call cell";
      }
      if (isRemotelyEnded(at)) {
        return "nothing is left on the network to fail: a remotely ended call only waits for "
               "the owner's drop (the failing drop cell covers that drop failing)";
      }
      return "";
    case Origin::FailMakeCall:
      return pending ? ""
                     : (isOutbound(at) ? "the make-call already completed successfully when "
                                         "the call reached this state"
                                       : "an inbound call has no make-call request");
    case Origin::FailDrop:
      return pending ? "the app's handle is not valid until the make-call's LINE_REPLY "
                       "reports success, so it cannot drop it (spec §1)"
                     : "";
    case Origin::FailAnswer:
      return isOffer(at) ? ""
                         : "lineAnswer applies only to OFFERING/ACCEPTED calls (the engine "
                           "refuses it with INVALCALLSTATE before the provider sees it)";
    case Origin::LineCloseForced:
    case Origin::LineCloseByOwner:
    case Origin::AppShutdown:
    case Origin::EngineShutdown:
      return "";
  }
  return "unknown origin";
}

// ---------------------------------------------------------------------------------------
// Expected outcomes

struct Expected {
  Strings owner;    // messages to the owner after the state was reached, to the very end
  Strings monitor;  // the same for the monitor
  bool ownerClears = false;  // the call sits DISCONNECTED until the owner drops it
  TerminationOrigin origin = TerminationOrigin::None;
  Policy policy = Policy::None;
  std::string app;
  std::uint32_t mode = 0;          // CallRecord::disconnectMode
  Strings states;                  // CallRecord::states after the state was reached
  std::uint32_t owners = 1;        // CallRecord::numOwners at the end
  std::uint32_t monitors = 1;      // CallRecord::numMonitors at the end
  std::string uuiSent;
  std::string uuiReceived;
  std::vector<std::uint32_t> providerDrops;  // modes of every provider drop
};

struct Cell {
  At at = At::OutDialing;
  Origin origin = Origin::LocalDrop;
  std::uint32_t dropMode = 0;  // RejectByDrop: the mode passed to lineDrop
  // The owner's drop is still in flight (its reply is due in 1 s) when the origin strikes:
  // the reply rules of spec decision 4 (kept after deallocate, none after close/shutdown).
  bool dropInFlight = false;
  Expected e;
};

std::string cellName(const Cell& c) {
  std::string n = std::string(name(c.at)) + "_" + name(c.origin);
  if (c.dropMode != 0) {
    n += disconnectModeName(c.dropMode);
  }
  if (c.dropInFlight) {
    n += "_DropInFlight";
  }
  return n;
}
// Readable test parameters in gtest output.
[[maybe_unused]] void PrintTo(const Cell& c, std::ostream* os) { *os << cellName(c); }

/** What both apps have seen when the call reaches the state, and the states it visited. */
struct Prefix {
  Strings owner;
  Strings monitor;
  Strings states;
  CallState state = CallState::Unknown;
  std::uint32_t mode = 0;
};

Prefix prefixFor(At at) {
  Prefix p;
  auto add = [&](const std::string& state) {
    p.owner.push_back("LINE_CALLSTATE(" + state + ")");
    p.monitor.push_back("LINE_CALLSTATE(" + state + ")");
    p.states.push_back(state);
  };
  if (isOutbound(at)) {
    if (at == At::OutPending) {
      return p;  // nothing yet: no event before the LINE_REPLY (spec §1)
    }
    p.owner = {"LINE_REPLY(make,ok)"};
    // Monitors learn of the call as UNKNOWN when the requester gets its reply (spec §2).
    p.monitor = {"LINE_APPNEWCALL(MONITOR)", "LINE_CALLSTATE(UNKNOWN,MONITOR)"};
    add("DIALING");
    p.state = CallState::Dialing;
    if (at == At::OutDialing) {
      return p;
    }
    add("PROCEEDING");
    p.state = CallState::Proceeding;
    if (at == At::OutProceeding) {
      return p;
    }
    add("RINGBACK");
    p.state = CallState::Ringback;
    if (at == At::OutRingback) {
      return p;
    }
    add("CONNECTED,ACTIVE");
    p.state = CallState::Connected;
    p.mode = kConnectedActive;
    if (at == At::OutConnected) {
      return p;
    }
  } else {
    p.owner = {"LINE_APPNEWCALL(OWNER)", "LINE_CALLSTATE(OFFERING,OWNER)"};
    p.monitor = {"LINE_APPNEWCALL(MONITOR)", "LINE_CALLSTATE(OFFERING,MONITOR)"};
    p.states = {"OFFERING"};
    p.state = CallState::Offering;
    if (at == At::InOffering) {
      return p;
    }
    if (at == At::InAccepted) {
      add("ACCEPTED");
      p.owner.push_back("LINE_REPLY(accept,ok)");
      p.state = CallState::Accepted;
      return p;
    }
    add("CONNECTED,ACTIVE");
    p.owner.push_back("LINE_REPLY(answer,ok)");
    p.state = CallState::Connected;
    p.mode = kConnectedActive;
    if (at == At::InConnected) {
      return p;
    }
  }
  // Remotely ended (the far end hangs up with user-user info "cu").
  p.owner.push_back("LINE_CALLINFO(USERUSERINFO)");
  p.monitor.push_back("LINE_CALLINFO(USERUSERINFO)");
  add("DISCONNECTED,NORMAL");
  p.state = CallState::Disconnected;
  p.mode = disconnect::Normal;
  return p;
}

/** User-user info the call carries when the state is reached. */
std::pair<std::string, std::string> uuiAt(At at) {
  switch (at) {
    case At::OutPending:
    case At::OutDialing:
    case At::OutProceeding:
    case At::OutRingback:
    case At::OutConnected:
      return {"hello", ""};
    case At::OutDisconnected: return {"hello", "cu"};
    case At::InOffering:
    case At::InAccepted:
      return {"", "hello-in"};
    case At::InConnected: return {"hi", "hello-in"};
    case At::InDisconnected: return {"hi", "cu"};
  }
  return {};
}

/** The mode the far end's remote disconnect carries in each state. */
std::uint32_t remoteModeFor(At at) {
  switch (at) {
    case At::OutDialing: return disconnect::Unreachable;
    case At::OutProceeding: return disconnect::Busy;
    case At::OutRingback: return disconnect::Reject;
    case At::OutPending:
    case At::OutConnected:
    case At::OutDisconnected:
    case At::InOffering:
    case At::InAccepted:
    case At::InConnected:
    case At::InDisconnected:
      return disconnect::Normal;
  }
  return disconnect::Normal;
}

std::string disc(std::uint32_t mode) { return "DISCONNECTED," + disconnectModeName(mode); }
std::string cs(const std::string& s) { return "LINE_CALLSTATE(" + s + ")"; }

/**
 * The expected outcome of one cell, written per origin the way the spec states it; the
 * state only selects the variant (reject mode on offers, an already-remote end, ...).
 */
Cell makeCell(At at, Origin o, std::uint32_t dropMode = 0) {
  Cell c;
  c.at = at;
  c.origin = o;
  c.dropMode = dropMode;
  Expected& e = c.e;
  std::tie(e.uuiSent, e.uuiReceived) = uuiAt(at);
  const bool ended = isRemotelyEnded(at);
  // A call the far end already ended keeps that end: the first end wins.
  auto keepRemoteEnd = [&] {
    e.origin = TerminationOrigin::Remote;
    e.policy = Policy::None;
    e.app.clear();
    e.mode = disconnect::Normal;
  };
  // The owner clears a DISCONNECTED call: IDLE, then the reply to its drop.
  auto ownerClearsIt = [&](const std::string& discState) {
    e.ownerClears = true;
    e.owner.insert(e.owner.end(), {cs(discState), cs("IDLE"), "LINE_REPLY(clear,ok)"});
    e.monitor.insert(e.monitor.end(), {cs(discState), cs("IDLE")});
    e.states.insert(e.states.end(), {discState, "IDLE"});
  };
  switch (o) {
    case Origin::LocalDrop:
      // lineDrop → IDLE (no DISCONNECTED), then the reply (spec §2, §4).
      e.owner = {cs("IDLE"), "LINE_REPLY(drop,ok)"};
      e.monitor = {cs("IDLE")};
      e.states = {"IDLE"};
      if (ended) {
        keepRemoteEnd();  // the clearing drop sends nothing: uuiSent is unchanged
        e.providerDrops = {disconnect::Normal};
      } else {
        e.origin = TerminationOrigin::Local;
        e.app = "owner";
        e.mode = isOffer(at) ? disconnect::Reject : disconnect::Normal;  // drop on an offer rejects
        e.uuiSent = "bye";
        e.providerDrops = {e.mode};
      }
      break;
    case Origin::RemoteDisconnect: {
      const std::uint32_t mode = remoteModeFor(at);
      e.owner = {"LINE_CALLINFO(USERUSERINFO)"};
      e.monitor = {"LINE_CALLINFO(USERUSERINFO)"};
      ownerClearsIt(disc(mode));
      e.origin = TerminationOrigin::Remote;
      e.mode = mode;
      e.uuiReceived = "cu";
      e.providerDrops = {disconnect::Normal};
      break;
    }
    case Origin::RemoteCancel:
      // DISCONNECTED(CANCELLED) and IDLE at once: nothing is left to clear (sip-mapping 4).
      e.owner = {cs(disc(disconnect::Cancelled)), cs("IDLE")};
      e.monitor = e.owner;
      e.states = {disc(disconnect::Cancelled), "IDLE"};
      e.origin = TerminationOrigin::Remote;
      e.mode = disconnect::Cancelled;
      break;
    case Origin::RejectByDrop:
      e.owner = {cs("IDLE"), "LINE_REPLY(drop,ok)"};
      e.monitor = {cs("IDLE")};
      e.states = {"IDLE"};
      e.origin = TerminationOrigin::Local;
      e.app = "owner";
      e.mode = dropMode;
      e.uuiSent = "bye";
      e.providerDrops = {dropMode};
      break;
    case Origin::NoAnswer:
      // Owners and monitors see DISCONNECTED(NOANSWER); the owner still drops it, and the
      // engine completes that drop itself (the network side is already gone).
      ownerClearsIt(disc(disconnect::NoAnswer));
      e.origin = TerminationOrigin::Policy;
      e.policy = Policy::NoAnswer;
      e.mode = disconnect::NoAnswer;
      e.providerDrops = {disconnect::NoAnswer};
      break;
    case Origin::MaxDuration:
      ownerClearsIt(disc(disconnect::Normal));
      e.origin = TerminationOrigin::Policy;
      e.policy = Policy::MaxDuration;
      e.mode = disconnect::Normal;
      e.providerDrops = {disconnect::Normal};
      break;
    case Origin::Ownerless:
    case Origin::LineCloseByOwner:
    case Origin::AppShutdown:
      // The last owner goes while the monitor holds: the monitor is told the owner count
      // fell, and when the grace period ends the engine drops the call (spec decision 6).
      e.monitor = {"LINE_CALLINFO(NUMOWNERDECR)", cs("IDLE")};
      e.states = {"IDLE"};
      e.owners = 0;
      e.providerDrops = {disconnect::Normal};
      if (at == At::OutPending) {
        // Nobody else knew the call yet: the owner's handle was the last one.
        e.monitor.clear();
        e.owners = 1;
        e.monitors = 0;
        e.providerDrops.clear();
        e.origin = o == Origin::AppShutdown ? TerminationOrigin::AppShutdown
                                            : TerminationOrigin::LineClose;
        e.app = "owner";
        e.mode = disconnect::Normal;
      } else if (ended) {
        keepRemoteEnd();
      } else {
        e.origin = o == Origin::Ownerless     ? TerminationOrigin::Policy
                   : o == Origin::AppShutdown ? TerminationOrigin::AppShutdown
                                              : TerminationOrigin::LineClose;
        e.policy = Policy::Ownerless;  // the root cause is recorded, the policy beside it
        e.app = "owner";
        e.mode = disconnect::Normal;
      }
      break;
    case Origin::ProviderFailure:
      ownerClearsIt(disc(disconnect::Unavail));
      e.origin = TerminationOrigin::ProviderFailure;
      e.mode = disconnect::Unavail;
      e.providerDrops = {disconnect::Normal};
      break;
    case Origin::FailMakeCall:
      e.owner = {"LINE_REPLY(make,LINEERR_OPERATIONFAILED)"};
      e.states = {"IDLE"};
      e.origin = TerminationOrigin::ProviderFailure;
      e.mode = disconnect::Unavail;
      e.monitors = 0;
      break;
    case Origin::FailDrop:
      // The drop fails and the call goes on; it ends when its last handle goes (owner,
      // then monitor deallocate): the provider's closeCall drops it at once. The failed
      // drop's user-user info was never sent.
      e.owner = {"LINE_REPLY(drop,LINEERR_OPERATIONFAILED)"};
      e.monitor = {"LINE_CALLINFO(NUMOWNERDECR)"};
      e.states = {"IDLE"};
      e.owners = 0;
      e.providerDrops = {ended ? disconnect::Normal
                               : (isOffer(at) ? disconnect::Reject : disconnect::Normal)};
      if (ended) {
        keepRemoteEnd();
      } else {
        // It became ownerless when the owner let go: that is the root cause, not the
        // monitor's release of the last handle.
        e.origin = TerminationOrigin::Policy;
        e.policy = Policy::Ownerless;
        e.app = "owner";
        e.mode = disconnect::Normal;
      }
      break;
    case Origin::FailAnswer:
      // The answer fails and the offer stays; the owner then rejects it. The failed
      // answer's user-user info was never sent.
      e.owner = {"LINE_REPLY(answer,LINEERR_OPERATIONFAILED)", cs("IDLE"), "LINE_REPLY(drop,ok)"};
      e.monitor = {cs("IDLE")};
      e.states = {"IDLE"};
      e.origin = TerminationOrigin::Local;
      e.app = "owner";
      e.mode = disconnect::Reject;
      e.providerDrops = {disconnect::Reject};
      break;
    case Origin::LineCloseForced:
    case Origin::EngineShutdown:
      // LINE_CLOSE to every app with the line open; their handles are void at once and
      // the call is released (closeCall drops it on the network).
      e.owner = {"LINE_CLOSE"};
      e.monitor = {"LINE_CLOSE"};
      e.states = {"IDLE"};
      e.origin = o == Origin::EngineShutdown ? TerminationOrigin::ServerShutdown
                                             : TerminationOrigin::LineClose;
      e.mode = disconnect::Normal;
      if (at == At::OutPending) {
        e.monitors = 0;
      }
      if (ended) {
        keepRemoteEnd();
      }
      break;
  }
  return c;
}

/**
 * The owner dropped the call and, before the drop's reply (due 1 s later), the origin
 * strikes. The drop's IDLE comes first, so the drop is the end (a remotely ended call
 * keeps its remote end); what differs is who still gets the reply.
 */
Cell makeInFlightCell(At at, Origin o) {
  Cell c;
  c.at = at;
  c.origin = o;
  c.dropInFlight = true;
  Expected& e = c.e;
  std::tie(e.uuiSent, e.uuiReceived) = uuiAt(at);
  const bool ended = isRemotelyEnded(at);
  const std::uint32_t mode =
      ended ? disconnect::Normal : (isOffer(at) ? disconnect::Reject : disconnect::Normal);
  e.states = {"IDLE"};
  e.providerDrops = {mode};
  e.mode = mode;
  if (ended) {
    e.origin = TerminationOrigin::Remote;
  } else {
    e.origin = TerminationOrigin::Local;
    e.app = "owner";
    e.uuiSent = "bye";
  }
  switch (o) {
    case Origin::Ownerless:
      // API >= 2.0: the reply comes although the handle is gone (spec decision 4).
      e.owner = {"LINE_REPLY(drop,ok)"};
      e.monitor = {"LINE_CALLINFO(NUMOWNERDECR)", cs("IDLE")};
      e.owners = 0;
      break;
    case Origin::LineCloseByOwner:
    case Origin::AppShutdown:
      // lineClose / lineShutdown suppress the pending reply (spec decision 4).
      e.monitor = {"LINE_CALLINFO(NUMOWNERDECR)", cs("IDLE")};
      e.owners = 0;
      break;
    case Origin::LineCloseForced:
      // The IDLE was on its way before the LINE_CLOSE; the reply is suppressed.
      e.owner = {cs("IDLE"), "LINE_CLOSE"};
      e.monitor = {cs("IDLE"), "LINE_CLOSE"};
      break;
    case Origin::EngineShutdown:
      // Synchronous: the engine ends the call before the drop's IDLE is delivered, so
      // the server shutdown is the recorded end; the provider completes the pending drop
      // with OPERATIONFAILED at closeCall and nobody gets that reply.
      e.owner = {"LINE_CLOSE"};
      e.monitor = {"LINE_CLOSE"};
      if (!ended) {
        e.origin = TerminationOrigin::ServerShutdown;
        e.app.clear();
        e.mode = disconnect::Normal;
      }
      break;
    case Origin::LocalDrop:
    case Origin::RemoteDisconnect:
    case Origin::RemoteCancel:
    case Origin::RejectByDrop:
    case Origin::NoAnswer:
    case Origin::MaxDuration:
    case Origin::ProviderFailure:
    case Origin::FailMakeCall:
    case Origin::FailDrop:
    case Origin::FailAnswer:
      ADD_FAILURE() << "no in-flight variant for " << name(o);
      break;
  }
  return c;
}

std::vector<Cell> allCells() {
  std::vector<Cell> cells;
  for (At at : kAllStates) {
    for (Origin o : kAllOrigins) {
      if (!impossibleReason(at, o).empty()) {
        continue;
      }
      if (o == Origin::RejectByDrop) {
        for (std::uint32_t m : {disconnect::Reject, disconnect::Busy, disconnect::Unavail}) {
          cells.push_back(makeCell(at, o, m));
        }
      } else {
        cells.push_back(makeCell(at, o));
      }
    }
  }
  for (At at : {At::OutConnected, At::OutDisconnected, At::InOffering}) {
    for (Origin o : {Origin::Ownerless, Origin::LineCloseByOwner, Origin::AppShutdown,
                     Origin::LineCloseForced, Origin::EngineShutdown}) {
      cells.push_back(makeInFlightCell(at, o));
    }
  }
  return cells;
}

// ---------------------------------------------------------------------------------------
// Counting, printed when the suite ends

struct Tally {
  std::set<std::string> covered;
  std::set<std::string> failed;
};
Tally& tally() {
  static Tally t;
  return t;
}

class MatrixReport : public ::testing::Environment {
 public:
  void TearDown() override {
    std::size_t impossible = 0;
    std::string names;
    for (At at : kAllStates) {
      for (Origin o : kAllOrigins) {
        const std::string why = impossibleReason(at, o);
        if (!why.empty()) {
          ++impossible;
          names += std::string("  impossible: ") + name(at) + " x " + name(o) + ": " + why + "\n";
        }
      }
    }
    std::printf("termination matrix: %zu cells covered (%zu failed) of %zu defined, %zu "
                "impossible\n%s",
                tally().covered.size(), tally().failed.size(), allCells().size(), impossible,
                names.c_str());
  }
};
[[maybe_unused]] ::testing::Environment* const kReport =
    ::testing::AddGlobalTestEnvironment(new MatrixReport);

// ---------------------------------------------------------------------------------------
// The runner

std::string callInfoBits(std::uint32_t bits) {
  std::string s;
  const std::pair<std::uint32_t, const char*> known[] = {
      {callinfostate::Other, "OTHER"},           {callinfostate::AppSpecific, "APPSPECIFIC"},
      {callinfostate::CallId, "CALLID"},         {callinfostate::NumOwnerIncr, "NUMOWNERINCR"},
      {callinfostate::NumOwnerDecr, "NUMOWNERDECR"}, {callinfostate::NumMonitors, "NUMMONITORS"},
      {callinfostate::CallerId, "CALLERID"},     {callinfostate::CalledId, "CALLEDID"},
      {callinfostate::ConnectedId, "CONNECTEDID"}, {callinfostate::UserUserInfo, "USERUSERINFO"}};
  for (const auto& [bit, text] : known) {
    if ((bits & bit) != 0) {
      s += (s.empty() ? "" : "|") + std::string(text);
      bits &= ~bit;
    }
  }
  if (bits != 0) {
    s += (s.empty() ? "" : "|") + std::to_string(bits);
  }
  return s;
}

std::string stateText(CallState state, std::uint32_t mode) {
  std::string s = toString(state);
  if (state == CallState::Disconnected) {
    s += "," + disconnectModeName(mode);
  } else if (state == CallState::Connected && mode == kConnectedActive) {
    s += ",ACTIVE";
  } else if (mode != 0) {
    s += ",mode=" + std::to_string(mode);
  }
  return s;
}

/** One app as the test sees it: its handles, its messages and its requests. */
struct Probe {
  std::string name;
  std::uint32_t app = 0;
  std::uint32_t line = 0;
  std::uint32_t call = 0;
  bool initialised = true;
  bool callValid = false;  // the test expects its call handle to be valid
  Strings log;
  std::map<spi::RequestId, std::string> labels;
  std::map<spi::RequestId, int> replies;
  std::set<spi::RequestId> suppressed;  // pending when the app or its line went away

  /** Formats a message, flagging any handle that is not this app's line or call. */
  std::string format(const Message& m) {
    std::string s = toString(m.type);
    switch (m.type) {
      case MessageType::AppNewCall:
        s += std::string("(") + toString(static_cast<Privilege>(m.param3)) + ")";
        if (m.hDevice != line) {
          s += "[not this app's line]";
        }
        if (call != 0 && m.param2 != call) {
          s += "[a second call handle]";
        }
        call = m.param2;
        callValid = true;
        break;
      case MessageType::CallState:
        s += "(" + stateText(static_cast<CallState>(m.param1), m.param2);
        if (m.param3 != 0) {
          s += std::string(",") + toString(static_cast<Privilege>(m.param3));
        }
        s += ")";
        if (m.hDevice != call) {
          s += "[not this app's call]";
        }
        break;
      case MessageType::Reply: {
        ++replies[m.param1];
        auto it = labels.find(m.param1);
        s += "(" + (it != labels.end() ? it->second : "#" + std::to_string(m.param1)) + "," +
             (m.param2 == 0 ? std::string("ok") : lineErrName(static_cast<LineErr>(m.param2))) +
             ")";
        break;
      }
      case MessageType::CallInfo:
        s += "(" + callInfoBits(m.param1) + ")";
        if (m.hDevice != call) {
          s += "[not this app's call]";
        }
        break;
      case MessageType::Close:
        if (m.hDevice != line) {
          s += "[not this app's line]";
        }
        break;
    }
    return s;
  }

  /** Every request still unanswered will never be answered (spec decision 4). */
  void suppressPending() {
    for (const auto& [id, label] : labels) {
      if (replies[id] == 0) {
        suppressed.insert(id);
      }
    }
  }
};

class TerminationMatrix : public EngineFixture, public ::testing::WithParamInterface<Cell> {
 protected:
  void TearDown() override {
    const std::string n = cellName(GetParam());
    tally().covered.insert(n);
    if (HasFailure()) {
      tally().failed.insert(n);
    }
  }

  /** Moves every queued message into the probes' logs. */
  void pump() {
    for (Probe* p : {&owner_, &monitor_}) {
      if (!p->initialised) {
        continue;
      }
      for (const Message& m : drain(p->app)) {
        p->log.push_back(p->format(m));
      }
    }
  }

  template <typename R>
  void request(Probe& p, const std::string& label, const R& r) {
    ASSERT_TRUE(r.ok()) << label << ": " << r.error().message();
    p.labels[static_cast<spi::RequestId>(*r)] = label;
  }

  Script scriptFor(const Cell& c) const {
    Script s;
    switch (c.at) {
      case At::OutPending:
        s.steps = {{0s, Action::Dialing}};
        s.requestLatency = 1s;  // the make-call is still pending when the origin strikes
        break;
      case At::OutDialing: s.steps = {{0s, Action::Dialing}}; break;
      case At::OutProceeding: s.steps = {{0s, Action::Dialing}, {0s, Action::Proceeding}}; break;
      case At::OutRingback: s = providers::sim::ringForever(); break;
      case At::OutConnected: s = providers::sim::answerAfter(1s); break;
      case At::OutDisconnected: s = providers::sim::answerAfter(1s, 1s, 0, "cu"); break;
      case At::InOffering:
      case At::InAccepted:
        break;  // the offer stays until someone acts
      case At::InConnected: s.steps = {{0s, Action::AwaitAnswer}}; break;
      case At::InDisconnected:
        s.steps = {{0s, Action::AwaitAnswer}, {1s, Action::RemoteHangup, 0, "cu"}};
        break;
    }
    // The scripted origins strike one second after the state was reached.
    switch (c.origin) {
      case Origin::RemoteDisconnect: {
        Step st{1s, Action::RemoteHangup, 0, "cu"};
        switch (c.at) {
          case At::OutDialing: st.action = Action::Unreachable; break;
          case At::OutProceeding: st.action = Action::Busy; break;
          case At::OutRingback: st.action = Action::Reject; break;
          case At::OutPending:
          case At::OutConnected:
          case At::OutDisconnected:
          case At::InOffering:
          case At::InAccepted:
          case At::InConnected:
          case At::InDisconnected:
            break;
        }
        s.steps.push_back(st);
        break;
      }
      case Origin::RemoteCancel: s.steps.push_back({1s, Action::RemoteCancel}); break;
      case Origin::ProviderFailure: {
        Step st{1s, Action::ProviderFailure};
        st.cause = ProviderCause{503, 41, "503 Service Unavailable", ""};
        s.steps.push_back(st);
        break;
      }
      case Origin::FailMakeCall: s.failMakeCall = true; break;
      case Origin::FailDrop: s.failDrop = true; break;
      case Origin::FailAnswer: s.failAnswer = true; break;
      case Origin::LocalDrop:
      case Origin::RejectByDrop:
      case Origin::NoAnswer:
      case Origin::MaxDuration:
      case Origin::Ownerless:
      case Origin::LineCloseForced:
      case Origin::LineCloseByOwner:
      case Origin::AppShutdown:
      case Origin::EngineShutdown:
        break;
    }
    if (c.dropInFlight) {
      s.dropLatency = 1s;
    }
    return s;
  }

  /** Places the call and drives it into the cell's state. */
  void reach(const Cell& c) {
    t0_ = loop_.wallNow();
    if (isOutbound(c.at)) {
      engine::CallParams params;
      params.userUserInfo = "hello";
      auto mc = engine_->makeCall(owner_.app, owner_.line, "far", params);
      ASSERT_TRUE(mc.ok()) << mc.error().message();
      owner_.call = mc->hCall;
      owner_.labels[mc->requestId] = "make";
      if (c.at == At::OutPending) {
        // Not valid before its LINE_REPLY (spec §1).
        EXPECT_EQ(engine_->drop(owner_.app, owner_.call).lineErr(), LineErr::InvalCallHandle);
        EXPECT_EQ(engine_->deallocate(owner_.app, owner_.call).lineErr(),
                  LineErr::InvalCallHandle);
        EXPECT_EQ(engine_->callInfo(owner_.app, owner_.call).lineErr(),
                  LineErr::InvalCallHandle);
        return;
      }
      owner_.callValid = true;
      settle();
      if (c.at == At::OutConnected) {
        advance(1s);
      } else if (c.at == At::OutDisconnected) {
        advance(2s);
      }
      pump();
      return;
    }
    providers::sim::SimProvider::Inbound in;
    in.caller = {"555", "Alice"};
    in.called = {"100", ""};
    in.uui = "hello-in";
    in.script = scriptFor(c);
    ASSERT_TRUE(sim_->placeInbound(0, in).ok());
    settle();
    pump();
    ASSERT_NE(owner_.call, 0u);
    ASSERT_NE(monitor_.call, 0u);
    if (c.at == At::InAccepted) {
      request(owner_, "accept", engine_->accept(owner_.app, owner_.call));
      settle();
    } else if (c.at == At::InConnected || c.at == At::InDisconnected) {
      request(owner_, "answer", engine_->answer(owner_.app, owner_.call, "hi"));
      settle();
      if (c.at == At::InDisconnected) {
        advance(1s);
      }
    }
    pump();
  }

  /** Checks post-connection data against the cell. */
  void checkRecord(const CallRecord& r, const Cell& c, bool released, const char* via) {
    SCOPED_TRACE(std::string("record read ") + via);
    const Expected& e = c.e;
    const Prefix pre = prefixFor(c.at);
    EXPECT_EQ(toString(r.termination.origin), std::string(toString(e.origin)));
    EXPECT_EQ(toString(r.termination.policy), std::string(toString(e.policy)));
    EXPECT_EQ(r.termination.app, e.app);
    EXPECT_EQ(disconnectModeName(r.disconnectMode), disconnectModeName(e.mode));
    Strings states;
    for (const StateVisit& v : r.states) {
      states.push_back(stateText(v.state, v.mode));
    }
    Strings want = pre.states;
    want.insert(want.end(), e.states.begin(), e.states.end());
    EXPECT_EQ(states, want);
    // Each timestamp is the time the call first entered its state(s), and only then set.
    auto firstVisit = [&](std::initializer_list<CallState> which) -> std::optional<WallTime> {
      for (const StateVisit& v : r.states) {
        for (CallState s : which) {
          if (v.state == s) {
            return v.at;
          }
        }
      }
      return std::nullopt;
    };
    EXPECT_EQ(r.created, t0_);
    EXPECT_EQ(r.offeringOrDialing,
              firstVisit({CallState::Offering, CallState::Accepted, CallState::DialTone,
                          CallState::Dialing, CallState::Proceeding, CallState::Ringback}));
    EXPECT_EQ(r.connectedAt, firstVisit({CallState::Connected}));
    EXPECT_EQ(r.disconnectedAt, firstVisit({CallState::Disconnected}));
    EXPECT_EQ(r.idleAt, firstVisit({CallState::Idle}));
    WallTime last = r.created;
    for (const StateVisit& v : r.states) {
      EXPECT_GE(v.at, last) << "states out of time order";
      last = v.at;
    }
    if (released) {
      ASSERT_TRUE(r.releasedAt.has_value());
      EXPECT_GE(*r.releasedAt, last);
    } else {
      EXPECT_FALSE(r.releasedAt.has_value());
    }
    if (c.origin == Origin::NoAnswer && r.disconnectedAt) {
      EXPECT_EQ(*r.disconnectedAt - r.created, kNoAnswer);
    }
    if (c.origin == Origin::MaxDuration && r.disconnectedAt && r.connectedAt) {
      EXPECT_EQ(*r.disconnectedAt - *r.connectedAt, kMaxDuration);
    }
    if (ownerlessTrigger_ && r.idleAt && e.policy == Policy::Ownerless &&
        c.origin != Origin::FailDrop) {
      EXPECT_EQ(*r.idleAt - *ownerlessTrigger_, kOwnerlessGrace) << "grace period";
    }
    EXPECT_EQ(r.uuiSent, e.uuiSent);
    EXPECT_EQ(r.uuiReceived, e.uuiReceived);
    EXPECT_EQ(r.numOwners, e.owners);
    EXPECT_EQ(r.numMonitors, e.monitors);
    EXPECT_EQ(r.appName, "owner");
    EXPECT_EQ(r.origin, isOutbound(c.at) ? callorigin::Outbound : callorigin::Inbound);
    EXPECT_EQ(r.lineDeviceId, 0u);
    if (c.at == At::OutPending) {
      EXPECT_EQ(r.callId, 0u);  // the network never assigned one
    } else {
      EXPECT_NE(r.callId, 0u);
      EXPECT_EQ(r.callId, callId_);
    }
    if (c.origin == Origin::ProviderFailure) {
      EXPECT_EQ(r.cause.code, 503);
      EXPECT_EQ(r.cause.text, "503 Service Unavailable");
    }
    if (!isOutbound(c.at)) {
      EXPECT_EQ(r.cause.callRef.rfind("sim-", 0), 0u) << "provider reference kept";
      EXPECT_EQ(r.caller, (Party{"555", "Alice"}));
    } else {
      EXPECT_EQ(r.called.number, "far");
    }
  }

  void expectHandleVoid(Probe& p, const char* when) {
    const LineErr want = p.initialised ? LineErr::InvalCallHandle : LineErr::Uninitialized;
    EXPECT_EQ(engine_->callInfo(p.app, p.call).lineErr(), want) << p.name << " " << when;
    EXPECT_EQ(engine_->callStatus(p.app, p.call).lineErr(), want) << p.name << " " << when;
    EXPECT_EQ(engine_->deallocate(p.app, p.call).lineErr(), want) << p.name << " " << when;
    EXPECT_EQ(engine_->drop(p.app, p.call).lineErr(), want) << p.name << " " << when;
  }

  void runCell(const Cell& c) {
    engine::Config config;
    config.ownerlessGrace = kOwnerlessGrace;
    rebuild(std::move(config));
    sim_->setDefaultScript(scriptFor(c));
    owner_.name = "owner";
    monitor_.name = "monitor";
    owner_.app = initApp("owner");
    monitor_.app = initApp("monitor");
    engine::LineOpenParams op;
    op.privileges = static_cast<std::uint32_t>(Privilege::Owner);
    op.mediaModes = 0x4;  // LINEMEDIAMODE_INTERACTIVEVOICE
    if (c.origin == Origin::NoAnswer) {
      op.noAnswerTimeout = kNoAnswer;
    }
    if (c.origin == Origin::MaxDuration) {
      op.maxDuration = kMaxDuration;
    }
    auto ol = engine_->open(owner_.app, op);
    ASSERT_TRUE(ol.ok());
    owner_.line = *ol;
    monitor_.line = openLine(monitor_.app, Privilege::Monitor);

    // 1. Reach the state: both apps saw exactly the way there.
    reach(c);
    if (HasFatalFailure()) {
      return;
    }
    const Prefix pre = prefixFor(c.at);
    EXPECT_EQ(owner_.log, pre.owner) << "owner, reaching " << name(c.at);
    EXPECT_EQ(monitor_.log, pre.monitor) << "monitor, reaching " << name(c.at);
    owner_.log.clear();
    monitor_.log.clear();
    for (Probe* p : {&owner_, &monitor_}) {
      if (!p->callValid) {
        continue;
      }
      auto st = engine_->callStatus(p->app, p->call);
      ASSERT_TRUE(st.ok()) << p->name;
      EXPECT_EQ(stateText(st->state, st->mode), stateText(pre.state, pre.mode)) << p->name;
      auto info = engine_->callInfo(p->app, p->call);
      ASSERT_TRUE(info.ok());
      EXPECT_EQ(info->record.termination.origin,
                isRemotelyEnded(c.at) ? TerminationOrigin::Remote : TerminationOrigin::None);
      EXPECT_EQ(info->record.numOwners, 1u);
      EXPECT_EQ(info->record.numMonitors, 1u);
      callId_ = info->record.callId;
    }

    // 2. The origin strikes (after the owner's drop, in the same turn, if one is in flight).
    bool handlesVoidAtOnce = false;
    bool ownerless = false;
    if (c.dropInFlight) {
      request(owner_, "drop", engine_->drop(owner_.app, owner_.call, 0, "bye"));
    }
    switch (c.origin) {
      case Origin::LocalDrop:
        request(owner_, "drop", engine_->drop(owner_.app, owner_.call, 0, "bye"));
        break;
      case Origin::RejectByDrop:
        request(owner_, "drop", engine_->drop(owner_.app, owner_.call, c.dropMode, "bye"));
        break;
      case Origin::FailDrop:
        request(owner_, "drop", engine_->drop(owner_.app, owner_.call, 0, "bye"));
        break;
      case Origin::FailAnswer:
        request(owner_, "answer", engine_->answer(owner_.app, owner_.call, "hi"));
        break;
      case Origin::Ownerless:
        ASSERT_TRUE(engine_->deallocate(owner_.app, owner_.call).ok());
        owner_.callValid = false;
        ownerless = true;
        break;
      case Origin::LineCloseByOwner:
        ASSERT_TRUE(engine_->close(owner_.app, owner_.line).ok());
        owner_.callValid = false;
        owner_.suppressPending();
        ownerless = true;
        break;
      case Origin::AppShutdown:
        pump();
        ASSERT_TRUE(engine_->shutdown(owner_.app).ok());
        owner_.initialised = false;
        owner_.callValid = false;
        owner_.suppressPending();
        ownerless = true;
        break;
      case Origin::LineCloseForced:
        sim_->forceCloseLine(0);
        handlesVoidAtOnce = true;
        break;
      case Origin::EngineShutdown:
        engine_->shutdownAll();
        handlesVoidAtOnce = true;
        break;
      case Origin::RemoteDisconnect:
      case Origin::RemoteCancel:
      case Origin::NoAnswer:
      case Origin::MaxDuration:
      case Origin::ProviderFailure:
      case Origin::FailMakeCall:
        break;  // scripted or timed
    }
    if (HasFatalFailure()) {
      return;
    }
    settle();
    if (handlesVoidAtOnce) {
      // LINE_CLOSE: the line and every call handle on it are void at once (spec §1, §7).
      for (Probe* p : {&owner_, &monitor_}) {
        p->suppressPending();
        p->callValid = false;
        expectHandleVoid(*p, "after LINE_CLOSE");
      }
    }
    if (ownerless && c.at != At::OutPending && !c.dropInFlight) {
      ownerlessTrigger_ = loop_.wallNow();
      expectHandleVoid(owner_, "after its owner let go");
      // The call lives on, ownerless, until the grace period ends.
      advance(kOwnerlessGrace - 1ms);
      auto st = engine_->callStatus(monitor_.app, monitor_.call);
      ASSERT_TRUE(st.ok());
      EXPECT_EQ(stateText(st->state, st->mode), stateText(pre.state, pre.mode))
          << "ended before the grace period";
    }
    advance(kRun);
    pump();

    // 3. A failing request leaves the call as it was.
    if (c.origin == Origin::FailDrop || c.origin == Origin::FailAnswer) {
      for (Probe* p : {&owner_, &monitor_}) {
        auto st = engine_->callStatus(p->app, p->call);
        ASSERT_TRUE(st.ok());
        EXPECT_EQ(stateText(st->state, st->mode), stateText(pre.state, pre.mode)) << p->name;
        EXPECT_EQ(engine_->callInfo(p->app, p->call)->record.termination.origin,
                  isRemotelyEnded(c.at) ? TerminationOrigin::Remote : TerminationOrigin::None);
      }
      if (c.origin == Origin::FailAnswer) {
        request(owner_, "drop", engine_->drop(owner_.app, owner_.call));
        settle();
        pump();
      }
    }

    // 4. A DISCONNECTED call waits for its owner's drop.
    if (c.e.ownerClears) {
      auto st = engine_->callStatus(owner_.app, owner_.call);
      ASSERT_TRUE(st.ok());
      EXPECT_EQ(st->state, CallState::Disconnected);
      EXPECT_EQ(st->features, callfeature::Drop);
      request(owner_, "clear", engine_->drop(owner_.app, owner_.call));
      settle();
      pump();
    }

    // 5. Ended: IDLE for every holder, data readable, a further drop refused.
    const bool endsOnRelease = c.origin == Origin::FailDrop;
    if (!endsOnRelease) {
      for (Probe* p : {&owner_, &monitor_}) {
        if (!p->callValid) {
          continue;
        }
        auto st = engine_->callStatus(p->app, p->call);
        ASSERT_TRUE(st.ok()) << p->name;
        EXPECT_EQ(st->state, CallState::Idle) << p->name;
        EXPECT_EQ(st->features, 0u) << p->name;
        auto info = engine_->callInfo(p->app, p->call);
        ASSERT_TRUE(info.ok()) << p->name;
        checkRecord(info->record, c, false, p->name.c_str());
        EXPECT_EQ(engine_->drop(p->app, p->call).lineErr(),
                  p == &owner_ ? LineErr::InvalCallState : LineErr::NotOwner)
            << p->name;
      }
    }

    // 6. Deallocation: readable until then, void after; the provider's closeCall comes
    //    with the last handle, exactly once.
    for (Probe* p : {&owner_, &monitor_}) {
      if (!p->callValid) {
        continue;
      }
      EXPECT_EQ(sim_->log().closeCalls, 0u) << "closed while " << p->name << " holds it";
      ASSERT_TRUE(engine_->callInfo(p->app, p->call).ok());
      ASSERT_TRUE(engine_->deallocate(p->app, p->call).ok()) << p->name;
      p->callValid = false;
      expectHandleVoid(*p, "after deallocate");
      settle();
      pump();
    }
    settle();
    pump();
    EXPECT_EQ(sim_->log().closeCalls, 1u);
    EXPECT_EQ(sim_->log().closeCallsUnknown, 0u);
    EXPECT_EQ(sim_->log().dropModes, c.e.providerDrops);

    // 7. The exact messages, from the state to the end.
    EXPECT_EQ(owner_.log, c.e.owner) << "owner";
    EXPECT_EQ(monitor_.log, c.e.monitor) << "monitor";

    // 8. The final record.
    ASSERT_EQ(released_.size(), 1u);
    checkRecord(released_[0], c, true, "when released");
    ASSERT_EQ(idled_.size(), 1u);
    EXPECT_EQ(idled_[0].termination.origin, released_[0].termination.origin);

    // 9. Shut down; nothing more arrives, every reply came exactly once (none if suppressed).
    for (Probe* p : {&owner_, &monitor_}) {
      if (p->initialised) {
        EXPECT_EQ(engine_->queuedMessages(p->app), 0u) << p->name;
        ASSERT_TRUE(engine_->shutdown(p->app).ok());
        p->initialised = false;
      }
      for (const auto& [id, label] : p->labels) {
        EXPECT_EQ(p->replies[id], p->suppressed.count(id) != 0 ? 0 : 1)
            << p->name << " request '" << label << "' replies";
      }
    }
    expectAllZero();
    EXPECT_EQ(logLines_, Strings{}) << "engine diagnostics";
  }

  Probe owner_;
  Probe monitor_;
  WallTime t0_{};
  std::optional<WallTime> ownerlessTrigger_;
  std::uint32_t callId_ = 0;
};

TEST_P(TerminationMatrix, Cell) { runCell(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Matrix, TerminationMatrix, ::testing::ValuesIn(allCells()),
                         [](const ::testing::TestParamInfo<Cell>& p) {
                           return cellName(p.param);
                         });

TEST(TerminationMatrixShape, EveryPairIsACellOrNamedImpossible) {
  const std::vector<Cell> cells = allCells();
  std::size_t pairs = 0;
  for (At at : kAllStates) {
    for (Origin o : kAllOrigins) {
      ++pairs;
      std::size_t n = 0;
      for (const Cell& c : cells) {
        n += (c.at == at && c.origin == o) ? 1 : 0;
      }
      const bool impossible = !impossibleReason(at, o).empty();
      EXPECT_NE(n != 0, impossible) << name(at) << " x " << name(o);
    }
  }
  EXPECT_EQ(pairs, std::size(kAllStates) * std::size(kAllOrigins));
  // Every origin the issue lists ends a call somewhere, and every state ends somehow.
  for (Origin o : kAllOrigins) {
    bool any = false;
    for (const Cell& c : cells) {
      any = any || c.origin == o;
    }
    EXPECT_TRUE(any) << name(o);
  }
  for (At at : kAllStates) {
    bool any = false;
    for (const Cell& c : cells) {
      any = any || c.at == at;
    }
    EXPECT_TRUE(any) << name(at);
  }
}

}  // namespace
}  // namespace tapi::testing
