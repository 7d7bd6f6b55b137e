#include "providers/sip/cause/cause_map.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace tapi::providers::sip {
namespace {

namespace dm = tapi::disconnect;
using tapi::sip::headers::Reason;

Reason q850(int cause, std::string location = {}) {
  return Reason{"Q.850", cause, {}, std::move(location)};
}
Reason sipReason(int cause, std::string text = {}) {
  return Reason{"SIP", cause, std::move(text), {}};
}

RemoteEnd response(int status, std::vector<Reason> reasons = {}) {
  RemoteEnd e;
  e.kind = RemoteEndKind::FinalResponse;
  e.status = status;
  e.reasons = std::move(reasons);
  return e;
}

RemoteEnd event(RemoteEndKind kind, std::vector<Reason> reasons = {}) {
  RemoteEnd e;
  e.kind = kind;
  e.reasons = std::move(reasons);
  return e;
}

// ---- wire -> app: one case per row of spec §2b --------------------------------------------

struct WireCase {
  const char* name;
  RemoteEnd end;
  std::uint32_t mode;
  int q850;
  MapOptions options = {};
};

// gtest prints a case by its name instead of its bytes.
void PrintTo(const WireCase& c, std::ostream* os) {
  *os << c.name;
}

class WireToAppTest : public ::testing::TestWithParam<WireCase> {};

TEST_P(WireToAppTest, MapsRow) {
  const WireCase& c = GetParam();
  const MappedEnd m = mapRemoteEnd(c.end, c.options);
  EXPECT_EQ(disconnectModeName(m.mode), disconnectModeName(c.mode));
  EXPECT_EQ(m.q850, c.q850);
  EXPECT_EQ(m.cause.q850, c.q850);
  EXPECT_EQ(m.cause.code, c.end.status);
  EXPECT_FALSE(m.cause.text.empty());
}

RemoteEnd with(RemoteEnd e, bool ringing, bool cancelled = false, bool retryAfter = false) {
  e.ringingSeen = ringing;
  e.weCancelled = cancelled;
  e.retryAfter = retryAfter;
  return e;
}

RemoteEnd phrase(RemoteEnd e, std::string p) {
  e.reasonPhrase = std::move(p);
  return e;
}

const WireCase kWireCases[] = {
    // BYE
    {"ByeNoReason", event(RemoteEndKind::Bye), dm::Normal, 16},
    {"ByeQ850_16", event(RemoteEndKind::Bye, {q850(16)}), dm::Normal, 16},
    {"ByeQ850_31IsStillNormal", event(RemoteEndKind::Bye, {q850(31)}), dm::Normal, 31},
    {"ByeQ850_41", event(RemoteEndKind::Bye, {q850(41)}), dm::TempFailure, 41},
    {"ByeQ850_102", event(RemoteEndKind::Bye, {q850(102)}), dm::TempFailure, 102},
    {"ByeQ850_17", event(RemoteEndKind::Bye, {q850(17)}), dm::Busy, 17},
    {"ByeSipReasonDoesNotOverride", event(RemoteEndKind::Bye, {sipReason(200)}), dm::Normal, 16},
    // CANCEL of an offered call
    {"CancelNoReason", event(RemoteEndKind::Cancel), dm::Cancelled, 0},
    {"CancelNoReasonAsNormal", event(RemoteEndKind::Cancel), dm::Normal, 0, MapOptions{true}},
    {"CancelQ850_16IsPlainCancel", event(RemoteEndKind::Cancel, {q850(16)}), dm::Cancelled, 16},
    {"CancelQ850_31IsPlainCancel", event(RemoteEndKind::Cancel, {q850(31)}), dm::Cancelled, 31},
    {"CancelSip200", event(RemoteEndKind::Cancel, {sipReason(200, "Call completed elsewhere")}),
     dm::Pickup, 26},
    {"CancelSip200AndQ850_16", event(RemoteEndKind::Cancel, {sipReason(200), q850(16)}),
     dm::Pickup, 16},
    {"CancelQ850_26", event(RemoteEndKind::Cancel, {q850(26)}), dm::Pickup, 26},
    {"CancelQ850_19", event(RemoteEndKind::Cancel, {q850(19)}), dm::NoAnswer, 19},
    {"CancelOtherSipCauseIgnored", event(RemoteEndKind::Cancel, {sipReason(600)}), dm::Cancelled,
     0},
    {"CancelQ850_41", event(RemoteEndKind::Cancel, {q850(41)}), dm::TempFailure, 41},
    // 3xx
    {"S301", response(301), dm::NumberChanged, 22},
    {"S302", response(302), dm::Forwarded, 23},
    {"S305", response(305), dm::Forwarded, 23},
    {"S380", response(380), dm::Forwarded, 23},
    {"S300ClassDefault", response(300), dm::Forwarded, 23},
    // 4xx
    {"S400", response(400), dm::TempFailure, 41},
    {"S401", response(401), dm::Blocked, 21},
    {"S402", response(402), dm::Blocked, 21},
    {"S403", response(403), dm::Blocked, 21},
    {"S403Q850_21NoLocation", response(403, {q850(21)}), dm::Blocked, 21},
    {"S403Q850_21LocationU", response(403, {q850(21, "U")}), dm::Reject, 21},
    {"S404", response(404), dm::BadAddress, 1},
    {"S405", response(405), dm::Incompatible, 63},
    {"S406", response(406), dm::Incompatible, 79},
    {"S407", response(407), dm::Blocked, 21},
    {"S408NoRinging", response(408), dm::Unreachable, 102},
    {"S408Ringing", with(response(408), true), dm::NoAnswer, 102},
    {"S410", response(410), dm::NumberChanged, 22},
    {"S415", response(415), dm::Incompatible, 79},
    {"S416", response(416), dm::BadAddress, 1},
    {"S433", response(433), dm::Blocked, 24},
    {"S480", response(480), dm::NoAnswer, 18},
    {"S480Q850_20", response(480, {q850(20)}), dm::Unreachable, 20},
    {"S480DndPhrase", phrase(response(480), "Do Not Disturb"), dm::DoNotDisturb, 18},
    {"S480DndWord", phrase(response(480), "Temporarily Unavailable (DND)"), dm::DoNotDisturb, 18},
    {"S480DndInReasonText",
     response(480, {Reason{"Q.850", 31, "user set do-not-disturb", {}}}), dm::DoNotDisturb, 31},
    {"S480NotDndInsideWord", phrase(response(480), "ADDNDX"), dm::NoAnswer, 18},
    {"S481", response(481), dm::TempFailure, 41},
    {"S482", response(482), dm::Unreachable, 25},
    {"S483", response(483), dm::Unreachable, 25},
    {"S484", response(484), dm::BadAddress, 28},
    {"S485", response(485), dm::BadAddress, 1},
    {"S486", response(486), dm::Busy, 17},
    {"S487NotAskedFor", response(487), dm::NoAnswer, 0},
    {"S487WeCancelled", with(response(487), true, true), dm::Cancelled, 0},
    {"S488", response(488), dm::Incompatible, 88},
    {"S4xxClassDefault", response(499), dm::Unavail, 127},
    {"S422ClassDefault", response(422), dm::Unavail, 127},
    // 5xx
    {"S500", response(500), dm::TempFailure, 41},
    {"S501", response(501), dm::Incompatible, 79},
    {"S502", response(502), dm::OutOfOrder, 38},
    {"S503", response(503), dm::TempFailure, 41},
    {"S503RetryAfter", with(response(503), false, false, true), dm::Congestion, 34},
    {"S504NoRinging", response(504), dm::Unreachable, 102},
    {"S504Ringing", with(response(504), true), dm::NoAnswer, 102},
    {"S580", response(580), dm::QosUnavail, 49},
    {"S5xxClassDefault", response(555), dm::TempFailure, 41},
    // 6xx
    {"S600", response(600), dm::Busy, 17},
    {"S603", response(603), dm::Reject, 21},
    {"S604", response(604), dm::BadAddress, 1},
    {"S606", response(606), dm::Incompatible, 88},
    {"S607", response(607), dm::Blocked, 21},
    {"S607Q850_21LocationU", response(607, {q850(21, "U")}), dm::Reject, 21},
    {"S608", response(608), dm::Blocked, 21},
    {"S6xxClassDefault", response(699), dm::Unavail, 127},
    // A "final" status that is not one
    {"S0", response(0), dm::Unknown, 31},
    {"S200", response(200), dm::Unknown, 31},
    {"S700", response(700), dm::Unknown, 31},
    // Decision order: an informative Q.850 beats the status; 16/31 do not (Kazoo sends 16
    // on every failure); a SIP Reason never does on a response.
    {"Q850BeatsStatus486", response(486, {q850(34)}), dm::Congestion, 34},
    {"Q850BeatsStatus404", response(404, {q850(17)}), dm::Busy, 17},
    {"Q850_47BeatsStatus480", response(480, {q850(47)}), dm::Congestion, 47},
    {"Q850_42", response(503, {q850(42)}), dm::Congestion, 42},
    {"FirstQ850Wins", response(500, {q850(17), q850(34)}), dm::Busy, 17},
    {"Q850_16DoesNotBeatBusy", response(486, {q850(16)}), dm::Busy, 16},
    {"Q850_31DoesNotBeatReject", response(603, {q850(31)}), dm::Reject, 31},
    {"Q850_16ThenInformative", response(500, {q850(16), q850(17)}), dm::Busy, 16},
    {"SipReasonDoesNotBeatStatus", response(486, {sipReason(603)}), dm::Busy, 17},
    {"SipReasonThenQ850", response(500, {sipReason(486), q850(17)}), dm::Busy, 17},
    {"UnknownProtocolIgnored", response(486, {Reason{"X-Foo", 21, {}, {}}}), dm::Busy, 17},
    {"UnmappedQ850IsUnknown", response(486, {q850(99)}), dm::Unknown, 99},
    // Local events
    {"TimerBNoRinging", event(RemoteEndKind::Timeout), dm::Unreachable, 102},
    {"TimerBRinging", with(event(RemoteEndKind::Timeout), true), dm::NoAnswer, 102},
    {"TransportError", event(RemoteEndKind::TransportError), dm::Unreachable, 0},
    {"TransportErrorLineUnusable",
     [] {
       RemoteEnd e = event(RemoteEndKind::TransportError);
       e.lineUnusable = true;
       return e;
     }(),
     dm::NoDialTone, 0},
    {"SessionExpired", event(RemoteEndKind::SessionExpired), dm::TempFailure, 102},
    {"RefreshFailed", event(RemoteEndKind::RefreshFailed), dm::TempFailure, 102},
    {"NoAck", event(RemoteEndKind::NoAck), dm::TempFailure, 102},
    {"DialogGone", event(RemoteEndKind::DialogGone), dm::TempFailure, 41},
};

INSTANTIATE_TEST_SUITE_P(Rows, WireToAppTest, ::testing::ValuesIn(kWireCases),
                         [](const auto& p) { return std::string(p.param.name); });

// ---- reverse Q.850 table ----------------------------------------------------------------

struct Q850Case {
  int cause;
  std::uint32_t mode;
};

class ModeForQ850Test : public ::testing::TestWithParam<Q850Case> {};

TEST_P(ModeForQ850Test, MapsCause) {
  EXPECT_EQ(disconnectModeName(modeForQ850(GetParam().cause)), disconnectModeName(GetParam().mode));
}

INSTANTIATE_TEST_SUITE_P(
    Rows, ModeForQ850Test,
    ::testing::Values(
        Q850Case{1, dm::BadAddress}, Q850Case{2, dm::Unreachable}, Q850Case{3, dm::Unreachable},
        Q850Case{16, dm::Normal}, Q850Case{17, dm::Busy}, Q850Case{18, dm::NoAnswer},
        Q850Case{19, dm::NoAnswer}, Q850Case{20, dm::Unreachable}, Q850Case{21, dm::Reject},
        Q850Case{22, dm::NumberChanged}, Q850Case{23, dm::Forwarded}, Q850Case{24, dm::Blocked},
        Q850Case{25, dm::Unreachable}, Q850Case{26, dm::Pickup}, Q850Case{27, dm::OutOfOrder},
        Q850Case{28, dm::BadAddress}, Q850Case{31, dm::Unknown}, Q850Case{34, dm::Congestion},
        Q850Case{38, dm::OutOfOrder}, Q850Case{41, dm::TempFailure}, Q850Case{42, dm::Congestion},
        Q850Case{44, dm::Congestion}, Q850Case{47, dm::Congestion}, Q850Case{49, dm::QosUnavail},
        Q850Case{53, dm::FdnRestrict}, Q850Case{55, dm::DestinationBarred},
        Q850Case{57, dm::Blocked}, Q850Case{58, dm::Incompatible}, Q850Case{63, dm::Incompatible},
        Q850Case{65, dm::Incompatible}, Q850Case{69, dm::Incompatible},
        Q850Case{79, dm::Incompatible}, Q850Case{88, dm::Incompatible},
        Q850Case{102, dm::TempFailure}, Q850Case{111, dm::TempFailure}, Q850Case{127, dm::Unavail},
        Q850Case{0, dm::Unknown}, Q850Case{99, dm::Unknown}, Q850Case{-1, dm::Unknown},
        Q850Case{1000, dm::Unknown}),
    [](const auto& p) {
      return "Cause" + std::to_string(p.param.cause < 0 ? 9999 : p.param.cause);
    });

// ---- ProviderCause.text -----------------------------------------------------------------

TEST(ProviderCauseTextTest, StatusPhraseAndEveryReason) {
  RemoteEnd e = response(486, {Reason{"Q.850", 17, "User busy", {}}});
  e.reasonPhrase = "Busy Here";
  EXPECT_EQ(mapRemoteEnd(e).cause.text, R"(486 Busy Here; Q.850;cause=17;text="User busy")");

  e.reasons.push_back(Reason{"SIP", 486, "Busy \"here\"", {}});
  e.reasons.push_back(Reason{"Q.850", 21, {}, "U"});
  EXPECT_EQ(
      mapRemoteEnd(e).cause.text,
      R"(486 Busy Here; Q.850;cause=17;text="User busy"; SIP;cause=486;text="Busy \"here\""; )"
      R"(Q.850;cause=21;location=U)");
}

TEST(ProviderCauseTextTest, StatusWithoutPhrase) {
  EXPECT_EQ(mapRemoteEnd(response(603)).cause.text, "603");
}

TEST(ProviderCauseTextTest, EventWhenThereIsNoStatus) {
  EXPECT_EQ(
      mapRemoteEnd(event(RemoteEndKind::Bye, {Reason{"Q.850", 16, "Normal call clearing", {}}}))
          .cause.text,
      R"(BYE; Q.850;cause=16;text="Normal call clearing")");
  EXPECT_EQ(mapRemoteEnd(event(RemoteEndKind::Cancel)).cause.text, "CANCEL");
  EXPECT_EQ(mapRemoteEnd(event(RemoteEndKind::Timeout)).cause.text, "timeout");
  EXPECT_EQ(mapRemoteEnd(event(RemoteEndKind::TransportError)).cause.text, "transport error");
  EXPECT_EQ(mapRemoteEnd(event(RemoteEndKind::SessionExpired)).cause.text, "session expired");
  EXPECT_EQ(mapRemoteEnd(event(RemoteEndKind::RefreshFailed)).cause.text, "session refresh failed");
  EXPECT_EQ(mapRemoteEnd(event(RemoteEndKind::NoAck)).cause.text, "2xx not acknowledged");
  EXPECT_EQ(mapRemoteEnd(event(RemoteEndKind::DialogGone)).cause.text, "dialog gone");
  EXPECT_EQ(mapRemoteEnd(response(0)).cause.text, "final response");
}

TEST(ProviderCauseTextTest, StatusOfLocalEventIsKept) {
  RemoteEnd e = event(RemoteEndKind::DialogGone);
  e.status = 481;
  e.reasonPhrase = "Call/Transaction Does Not Exist";
  const MappedEnd m = mapRemoteEnd(e);
  EXPECT_EQ(m.cause.code, 481);
  EXPECT_EQ(m.cause.text, "481 Call/Transaction Does Not Exist");
  EXPECT_EQ(m.mode, dm::TempFailure);
}

TEST(ProviderCauseTextTest, ControlCharactersInPhraseAreDropped) {
  RemoteEnd e = response(486);
  e.reasonPhrase = "Busy\r\nX-Evil: 1\x7f";
  EXPECT_EQ(mapRemoteEnd(e).cause.text, "486 BusyX-Evil: 1");
}

TEST(ProviderCauseTextTest, CallRefIsLeftToTheProvider) {
  EXPECT_TRUE(mapRemoteEnd(response(486)).cause.callRef.empty());
}

// ---- app -> wire: one case per row of spec §2a ------------------------------------------

struct DropCase {
  const char* name;
  DropPhase phase;
  std::uint32_t mode;
  DropOptions options;
  WireAction action;
  int status;            // Respond only
  const char* phrase;    // Respond only
  const char* protocol;  // Reason protocol
  int cause;             // Reason cause
  bool retryAfter = false;
};

void PrintTo(const DropCase& c, std::ostream* os) {
  *os << c.name;
}

class AppToWireTest : public ::testing::TestWithParam<DropCase> {};

TEST_P(AppToWireTest, PlansRow) {
  const DropCase& c = GetParam();
  const DropPlan p = planDrop(c.phase, c.mode, c.options);
  ASSERT_EQ(p.action, c.action);
  EXPECT_EQ(p.status, c.status);
  EXPECT_EQ(p.reasonPhrase, c.phrase);
  EXPECT_EQ(p.retryAfter, c.retryAfter);
  if (c.action == WireAction::None)
    return;
  EXPECT_EQ(p.reason.protocol, c.protocol);
  EXPECT_EQ(p.reason.cause, c.cause);
  if (p.reason.protocol == "Q.850") {
    EXPECT_EQ(p.reason.text, tapi::sip::headers::q850Text(c.cause));
  } else {
    EXPECT_EQ(p.reason.text, "Call completed elsewhere");
  }
  EXPECT_TRUE(p.reason.location.empty());
}

constexpr DropOptions kDefault{};
constexpr DropOptions kShutdown{603, true};
constexpr DropOptions kReject486{486, false};
constexpr DropOptions kReject480{480, false};
constexpr DropOptions kReject404{404, false};
constexpr DropOptions kReject487{487, false};
constexpr DropOptions kRejectBogus{200, false};
constexpr DropOptions kQ850_102{603, false, 102};

constexpr auto C = DropPhase::Confirmed;
constexpr auto E = DropPhase::OutgoingEarly;
constexpr auto K = DropPhase::OutgoingCalling;
constexpr auto O = DropPhase::IncomingOffered;

// The rows by what the plan must be: a BYE or CANCEL with a Reason (Q.850, or SIP), a final
// response with a Q.850 Reason (and maybe Retry-After), or nothing at all.
DropCase bye(const char* name, std::uint32_t mode, int cause, DropOptions options = kDefault) {
  return {name, DropPhase::Confirmed, mode, options, WireAction::Bye, 0, "", "Q.850", cause};
}
DropCase cancel(const char* name, DropPhase phase, std::uint32_t mode, int cause,
                DropOptions options = kDefault) {
  return {name, phase, mode, options, WireAction::Cancel, 0, "", "Q.850", cause};
}
DropCase cancelSip(const char* name, DropPhase phase, std::uint32_t mode, int cause) {
  return {name, phase, mode, kDefault, WireAction::Cancel, 0, "", "SIP", cause};
}
DropCase respond(const char* name, std::uint32_t mode, int status, const char* phrase, int cause,
                 DropOptions options = kDefault) {
  return {
      name, DropPhase::IncomingOffered, mode, options, WireAction::Respond, status, phrase, "Q.850",
      cause};
}
DropCase respondRetryAfter(const char* name, std::uint32_t mode, int status, const char* phrase,
                           int cause) {
  DropCase c = respond(name, mode, status, phrase, cause);
  c.retryAfter = true;
  return c;
}
DropCase nothing(const char* name, DropPhase phase, std::uint32_t mode,
                 DropOptions options = kDefault) {
  return {name, phase, mode, options, WireAction::None, 0, "", "", 0};
}

const DropCase kDropCases[] = {
    // Confirmed: BYE with the mode's Q.850 cause
    bye("ConfirmedPlainDrop", 0, 16),
    bye("ConfirmedNormal", dm::Normal, 16),
    bye("ConfirmedTempFailure", dm::TempFailure, 41),
    bye("ConfirmedUnknown", dm::Unknown, 31),
    bye("ConfirmedUnavail", dm::Unavail, 31),
    bye("ConfirmedBusy", dm::Busy, 17),
    bye("ConfirmedSessionTimer", dm::TempFailure, 102, kQ850_102),
    bye("ConfirmedShutdown", dm::TempFailure, 16, kShutdown),
    nothing("ConfirmedNoDialTone", C, dm::NoDialTone),
    // Outgoing, provisional seen: CANCEL
    cancel("EarlyPlainDrop", E, 0, 16),
    cancel("EarlyNormal", E, dm::Normal, 16),
    cancel("EarlyNoAnswerTimer", E, dm::NoAnswer, 19),
    cancelSip("EarlyPickup", E, dm::Pickup, 200),
    cancel("EarlyCancelled", E, dm::Cancelled, 16),
    cancel("EarlyTempFailure", E, dm::TempFailure, 16),
    cancel("EarlyExplicitQ850", E, dm::NoAnswer, 102, kQ850_102),
    cancel("EarlyShutdown", E, dm::NoAnswer, 16, kShutdown),
    nothing("EarlyNoDialTone", E, dm::NoDialTone),
    // Outgoing, no provisional yet: the same CANCEL, held by the caller until one arrives
    cancel("CallingPlainDrop", K, 0, 16),
    cancel("CallingNoAnswer", K, dm::NoAnswer, 19),
    cancelSip("CallingPickup", K, dm::Pickup, 200),
    cancel("CallingShutdown", K, 0, 16, kShutdown),
    // Offered: a final response
    respond("OfferedPlainDrop", 0, 603, "Decline", 21),
    respond("OfferedReject", dm::Reject, 603, "Decline", 21),
    respond("OfferedNormal", dm::Normal, 603, "Decline", 21),
    respond("OfferedUnknown", dm::Unknown, 603, "Decline", 21),
    respond("OfferedCancelled", dm::Cancelled, 603, "Decline", 21),
    respond("OfferedCombinedBits", dm::Busy | dm::Reject, 603, "Decline", 21),
    respond("OfferedRejectAs486", dm::Reject, 486, "Busy Here", 17, kReject486),
    respond("OfferedRejectAs480", 0, 480, "Temporarily Unavailable", 19, kReject480),
    respond("OfferedRejectAs404", 0, 404, "Not Found", 1, kReject404),
    respond("OfferedRejectAs487", 0, 487, "Request Terminated", 21, kReject487),
    respond("OfferedRejectBogusStatus", 0, 603, "Decline", 21, kRejectBogus),
    respond("OfferedBusy", dm::Busy, 486, "Busy Here", 17),
    respond("OfferedNoAnswer", dm::NoAnswer, 480, "Temporarily Unavailable", 19),
    respond("OfferedUnavail", dm::Unavail, 480, "Temporarily Unavailable", 31),
    respond("OfferedBadAddress", dm::BadAddress, 404, "Not Found", 1),
    respond("OfferedUnreachable", dm::Unreachable, 404, "Not Found", 3),
    respond("OfferedNumberChanged", dm::NumberChanged, 410, "Gone", 22),
    respondRetryAfter("OfferedCongestion", dm::Congestion, 503, "Service Unavailable", 34),
    respond("OfferedTempFailure", dm::TempFailure, 503, "Service Unavailable", 41),
    respond("OfferedOutOfOrder", dm::OutOfOrder, 502, "Bad Gateway", 27),
    respond("OfferedIncompatible", dm::Incompatible, 488, "Not Acceptable Here", 88),
    respond("OfferedQosUnavail", dm::QosUnavail, 580, "Precondition Failure", 49),
    respond("OfferedBlocked", dm::Blocked, 403, "Forbidden", 21),
    respond("OfferedDestinationBarred", dm::DestinationBarred, 403, "Forbidden", 55),
    respond("OfferedFdnRestrict", dm::FdnRestrict, 403, "Forbidden", 53),
    respond("OfferedDoNotDisturb", dm::DoNotDisturb, 480, "Do Not Disturb", 31),
    respond("OfferedForwarded", dm::Forwarded, 480, "Temporarily Unavailable", 23),
    respond("OfferedPickup", dm::Pickup, 480, "Temporarily Unavailable", 26),
    nothing("OfferedNoDialTone", O, dm::NoDialTone),
    respond("OfferedShutdown", dm::Busy, 503, "Service Unavailable", 41, kShutdown),
    respond("OfferedShutdownNoDialTone", dm::NoDialTone, 503, "Service Unavailable", 41, kShutdown),
    respond("OfferedExplicitQ850IgnoredForRespond", dm::Busy, 486, "Busy Here", 17, kQ850_102),
};

INSTANTIATE_TEST_SUITE_P(Rows, AppToWireTest, ::testing::ValuesIn(kDropCases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(Q850ForModeTest, EveryModeHasACause) {
  EXPECT_EQ(q850ForMode(0), 16);
  EXPECT_EQ(q850ForMode(dm::Normal), 16);
  EXPECT_EQ(q850ForMode(dm::Cancelled), 16);
  EXPECT_EQ(q850ForMode(dm::Unknown), 31);
  EXPECT_EQ(q850ForMode(dm::Unavail), 31);
  EXPECT_EQ(q850ForMode(dm::DoNotDisturb), 31);
  EXPECT_EQ(q850ForMode(dm::NoDialTone), 31);
  EXPECT_EQ(q850ForMode(0x80000000u), 31);
  // Every mode whose cause is specific maps back to itself (except REJECT/BLOCKED sharing 21).
  for (const std::uint32_t m : {dm::Normal, dm::Busy, dm::NoAnswer, dm::Reject, dm::NumberChanged,
                                dm::Forwarded, dm::Pickup, dm::BadAddress, dm::Unreachable,
                                dm::OutOfOrder, dm::Congestion, dm::TempFailure, dm::QosUnavail,
                                dm::DestinationBarred, dm::FdnRestrict, dm::Incompatible}) {
    EXPECT_EQ(modeForQ850(q850ForMode(m)), m) << disconnectModeName(m);
  }
}

// A drop planned by one OpenTAPI and mapped by another gives back the mode (where the
// wire can carry it), which is what the spec's two tables promise together.
TEST(RoundTripTest, OfferedDropMapsBackToTheMode) {
  for (const std::uint32_t m :
       {dm::Busy, dm::NoAnswer, dm::BadAddress, dm::Unreachable, dm::NumberChanged, dm::Congestion,
        dm::TempFailure, dm::OutOfOrder, dm::Incompatible, dm::QosUnavail, dm::Reject,
        dm::DestinationBarred, dm::FdnRestrict, dm::DoNotDisturb, dm::Forwarded, dm::Pickup}) {
    const DropPlan p = planDrop(DropPhase::IncomingOffered, m);
    RemoteEnd e = response(p.status, {p.reason});
    e.reasonPhrase = p.reasonPhrase;
    e.retryAfter = p.retryAfter;
    EXPECT_EQ(disconnectModeName(mapRemoteEnd(e).mode), disconnectModeName(m));
  }
}

/** The mode our drop (in `phase`, with `mode`) maps back to as the far end's `kind` request. */
std::uint32_t backThrough(DropPhase phase, RemoteEndKind kind, std::uint32_t mode) {
  const DropPlan p = planDrop(phase, mode);
  return mapRemoteEnd(event(kind, {p.reason})).mode;
}

TEST(RoundTripTest, CancelMapsBackToTheMode) {
  const auto back = [](std::uint32_t mode) {
    return backThrough(DropPhase::OutgoingEarly, RemoteEndKind::Cancel, mode);
  };
  EXPECT_EQ(back(0), dm::Cancelled);
  EXPECT_EQ(back(dm::NoAnswer), dm::NoAnswer);
  EXPECT_EQ(back(dm::Pickup), dm::Pickup);
}

TEST(RoundTripTest, ByeMapsBackToTheMode) {
  const auto back = [](std::uint32_t mode) {
    return backThrough(DropPhase::Confirmed, RemoteEndKind::Bye, mode);
  };
  EXPECT_EQ(back(0), dm::Normal);
  EXPECT_EQ(back(dm::TempFailure), dm::TempFailure);
  EXPECT_EQ(back(dm::Unknown), dm::Normal);  // 31 is uninformative on a BYE
}

}  // namespace
}  // namespace tapi::providers::sip
