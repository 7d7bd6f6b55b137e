#include "providers/sip/cause/cause_map.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "sip/message/message.hpp"

namespace tapi::providers::sip {

namespace {

namespace dm = tapi::disconnect;
using tapi::sip::headers::formatReason;
using tapi::sip::headers::q850Text;
using tapi::sip::headers::Reason;

// ---- wire -> app ------------------------------------------------------------------------

/** Statuses whose row needs local context (spec §2b) besides mode and Q.850. */
enum class Rule : std::uint8_t {
  Plain,       ///< mode and q850 as written
  Timeout,     ///< 408/504: NOANSWER if ringing was seen, else UNREACHABLE
  RetryAfter,  ///< 503: CONGESTION/34 when Retry-After is present
  Cancelled,   ///< 487: CANCELLED/0 when we sent CANCEL
  Dnd,         ///< 480: DONOTDISTURB when the text says so
};

struct StatusRow {
  int status;
  std::uint32_t mode;
  int q850;  ///< 0 where §2b has "-"
  Rule rule;
};

// Spec §2b, one row per status. Q.850 values follow RFC 3398 §8.2.6.1 where §2b lists one.
constexpr std::array kStatusTable{
    StatusRow{301, dm::NumberChanged, 22, Rule::Plain},
    StatusRow{302, dm::Forwarded, 23, Rule::Plain},
    StatusRow{305, dm::Forwarded, 23, Rule::Plain},
    StatusRow{380, dm::Forwarded, 23, Rule::Plain},
    StatusRow{400, dm::TempFailure, 41, Rule::Plain},
    StatusRow{401, dm::Blocked, 21, Rule::Plain},
    StatusRow{402, dm::Blocked, 21, Rule::Plain},
    StatusRow{403, dm::Blocked, 21, Rule::Plain},
    StatusRow{404, dm::BadAddress, 1, Rule::Plain},
    StatusRow{405, dm::Incompatible, 63, Rule::Plain},
    StatusRow{406, dm::Incompatible, 79, Rule::Plain},
    StatusRow{407, dm::Blocked, 21, Rule::Plain},
    StatusRow{408, dm::NoAnswer, 102, Rule::Timeout},
    StatusRow{410, dm::NumberChanged, 22, Rule::Plain},
    StatusRow{415, dm::Incompatible, 79, Rule::Plain},
    StatusRow{416, dm::BadAddress, 1, Rule::Plain},
    StatusRow{433, dm::Blocked, 24, Rule::Plain},
    StatusRow{480, dm::NoAnswer, 18, Rule::Dnd},
    StatusRow{481, dm::TempFailure, 41, Rule::Plain},
    StatusRow{482, dm::Unreachable, 25, Rule::Plain},
    StatusRow{483, dm::Unreachable, 25, Rule::Plain},
    StatusRow{484, dm::BadAddress, 28, Rule::Plain},
    StatusRow{485, dm::BadAddress, 1, Rule::Plain},
    StatusRow{486, dm::Busy, 17, Rule::Plain},
    StatusRow{487, dm::NoAnswer, 0, Rule::Cancelled},
    StatusRow{488, dm::Incompatible, 88, Rule::Plain},
    StatusRow{500, dm::TempFailure, 41, Rule::Plain},
    StatusRow{501, dm::Incompatible, 79, Rule::Plain},
    StatusRow{502, dm::OutOfOrder, 38, Rule::Plain},
    StatusRow{503, dm::TempFailure, 41, Rule::RetryAfter},
    StatusRow{504, dm::NoAnswer, 102, Rule::Timeout},
    StatusRow{580, dm::QosUnavail, 49, Rule::Plain},
    StatusRow{600, dm::Busy, 17, Rule::Plain},
    StatusRow{603, dm::Reject, 21, Rule::Plain},
    StatusRow{604, dm::BadAddress, 1, Rule::Plain},
    StatusRow{606, dm::Incompatible, 88, Rule::Plain},
    StatusRow{607, dm::Blocked, 21, Rule::Plain},
    StatusRow{608, dm::Blocked, 21, Rule::Plain},
};

struct Q850Row {
  int cause;
  std::uint32_t mode;
};

// The reverse of §2a's Q.850 column, plus the neighbours of each cause in Q.850.
constexpr std::array kQ850Table{
    Q850Row{1, dm::BadAddress},    Q850Row{2, dm::Unreachable},
    Q850Row{3, dm::Unreachable},   Q850Row{16, dm::Normal},
    Q850Row{17, dm::Busy},         Q850Row{18, dm::NoAnswer},
    Q850Row{19, dm::NoAnswer},     Q850Row{20, dm::Unreachable},
    Q850Row{21, dm::Reject},       Q850Row{22, dm::NumberChanged},
    Q850Row{23, dm::Forwarded},    Q850Row{24, dm::Blocked},
    Q850Row{25, dm::Unreachable},  Q850Row{26, dm::Pickup},
    Q850Row{27, dm::OutOfOrder},   Q850Row{28, dm::BadAddress},
    Q850Row{31, dm::Unknown},      Q850Row{34, dm::Congestion},
    Q850Row{38, dm::OutOfOrder},   Q850Row{41, dm::TempFailure},
    Q850Row{42, dm::Congestion},   Q850Row{44, dm::Congestion},
    Q850Row{47, dm::Congestion},   Q850Row{49, dm::QosUnavail},
    Q850Row{53, dm::FdnRestrict},  Q850Row{55, dm::DestinationBarred},
    Q850Row{57, dm::Blocked},      Q850Row{58, dm::Incompatible},
    Q850Row{63, dm::Incompatible}, Q850Row{65, dm::Incompatible},
    Q850Row{69, dm::Incompatible}, Q850Row{79, dm::Incompatible},
    Q850Row{88, dm::Incompatible}, Q850Row{102, dm::TempFailure},
    Q850Row{111, dm::TempFailure}, Q850Row{127, dm::Unavail},
};

const StatusRow* findStatus(int status) noexcept {
  for (const StatusRow& row : kStatusTable) {
    if (row.status == status)
      return &row;
  }
  return nullptr;
}

/** The row for a status, with the class defaults for statuses not in the table. */
StatusRow statusRow(int status) noexcept {
  if (const StatusRow* row = findStatus(status))
    return *row;
  if (status >= 300 && status <= 399)
    return {status, dm::Forwarded, 23, Rule::Plain};
  if (status >= 400 && status <= 499)
    return {status, dm::Unavail, 127, Rule::Plain};
  if (status >= 500 && status <= 599)
    return {status, dm::TempFailure, 41, Rule::Plain};
  if (status >= 600 && status <= 699)
    return {status, dm::Unavail, 127, Rule::Plain};
  return {status, dm::Unknown, 31, Rule::Plain};
}

bool isPolicyRefusal(int status) noexcept {
  switch (status) {
    case 401:
    case 402:
    case 403:
    case 407:
    case 433:
    case 607:
    case 608:
      return true;
    default:
      return false;
  }
}

/** Q.850 causes that say a call ended without saying why it failed (header comment). */
bool isUninformative(int q850) noexcept {
  return q850 == 16 || q850 == 31;
}

constexpr char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool isAlnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/** Whether @p hay holds @p needle (lower case) at @p pos, ignoring case. */
bool matchesAt(std::string_view hay, std::size_t pos, std::string_view needle) noexcept {
  if (pos + needle.size() > hay.size())
    return false;
  for (std::size_t j = 0; j < needle.size(); ++j) {
    if (lower(hay[pos + j]) != needle[j])
      return false;
  }
  return true;
}

/** Vendor text for DND: "Do Not Disturb", "do-not-disturb", or "DND" as a word. */
bool saysDoNotDisturb(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (matchesAt(text, i, "do not disturb") || matchesAt(text, i, "do-not-disturb")) {
      return true;
    }
    if (matchesAt(text, i, "dnd") && (i == 0 || !isAlnum(text[i - 1])) &&
        (i + 3 == text.size() || !isAlnum(text[i + 3]))) {
      return true;
    }
  }
  return false;
}

std::string_view kindLabel(RemoteEndKind kind) noexcept {
  switch (kind) {
    case RemoteEndKind::Bye:
      return "BYE";
    case RemoteEndKind::Cancel:
      return "CANCEL";
    case RemoteEndKind::FinalResponse:
      return "final response";
    case RemoteEndKind::Timeout:
      return "timeout";
    case RemoteEndKind::TransportError:
      return "transport error";
    case RemoteEndKind::SessionExpired:
      return "session expired";
    case RemoteEndKind::RefreshFailed:
      return "session refresh failed";
    case RemoteEndKind::NoAck:
      return "2xx not acknowledged";
    case RemoteEndKind::DialogGone:
      return "dialog gone";
  }
  return "unknown";
}

/** ProviderCause.text: the status line (or the event) followed by every Reason. */
std::string describe(const RemoteEnd& end) {
  std::string text;
  if (end.status != 0) {
    text = std::to_string(end.status);
    if (!end.reasonPhrase.empty()) {
      text.push_back(' ');
      // The phrase came off the wire: keep it printable for logs and CDRs.
      for (const char c : end.reasonPhrase) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u != 0x7f)
          text.push_back(c);
      }
    }
  } else {
    text.assign(kindLabel(end.kind));
  }
  for (const Reason& r : end.reasons) {
    text += "; ";
    text += formatReason(r);
  }
  return text;
}

struct ModeAndCause {
  std::uint32_t mode;
  int q850;
};

/** Steps (2) and (3) of the decision order: the status table and local context. */
ModeAndCause fromStatusAndContext(const RemoteEnd& end, const MapOptions& options) {
  const std::uint32_t cancelMode = options.cancelAsNormal ? dm::Normal : dm::Cancelled;
  const ModeAndCause timeout{end.ringingSeen ? dm::NoAnswer : dm::Unreachable, 102};
  switch (end.kind) {
    case RemoteEndKind::Bye:
      return {dm::Normal, 16};
    case RemoteEndKind::Cancel:
      return {cancelMode, 0};
    case RemoteEndKind::Timeout:
      return timeout;
    case RemoteEndKind::TransportError:
      return {end.lineUnusable ? dm::NoDialTone : dm::Unreachable, 0};
    case RemoteEndKind::SessionExpired:
    case RemoteEndKind::RefreshFailed:
    case RemoteEndKind::NoAck:
      return {dm::TempFailure, 102};
    case RemoteEndKind::DialogGone:
      return {dm::TempFailure, 41};
    case RemoteEndKind::FinalResponse:
      break;
  }
  const StatusRow row = statusRow(end.status);
  switch (row.rule) {
    case Rule::Plain:
      break;
    case Rule::Timeout:
      return timeout;
    case Rule::RetryAfter:
      if (end.retryAfter)
        return {dm::Congestion, 34};
      break;
    case Rule::Cancelled:
      if (end.weCancelled)
        return {dm::Cancelled, 0};
      break;
    case Rule::Dnd: {
      bool dnd = saysDoNotDisturb(end.reasonPhrase);
      for (const Reason& r : end.reasons)
        dnd = dnd || saysDoNotDisturb(r.text);
      if (dnd)
        return {dm::DoNotDisturb, row.q850};
      break;
    }
  }
  return {row.mode, row.q850};
}

// ---- app -> wire ------------------------------------------------------------------------

struct OfferedRow {
  std::uint32_t mode;
  int status;
  int q850;
  std::string_view phrase;  ///< empty: the RFC 3261 default
};

// Spec §2a for an offered (incoming, unanswered) call. REJECT, 0, NORMAL, UNKNOWN and
// CANCELLED use the line's reject status instead; NODIALTONE sends nothing.
constexpr std::array kOfferedTable{
    OfferedRow{dm::Busy, 486, 17, {}},
    OfferedRow{dm::NoAnswer, 480, 19, {}},
    OfferedRow{dm::Unavail, 480, 31, {}},
    OfferedRow{dm::BadAddress, 404, 1, {}},
    OfferedRow{dm::Unreachable, 404, 3, {}},
    OfferedRow{dm::NumberChanged, 410, 22, {}},
    OfferedRow{dm::Congestion, 503, 34, {}},
    OfferedRow{dm::TempFailure, 503, 41, {}},
    OfferedRow{dm::OutOfOrder, 502, 27, {}},
    OfferedRow{dm::Incompatible, 488, 88, {}},
    OfferedRow{dm::QosUnavail, 580, 49, {}},
    OfferedRow{dm::Blocked, 403, 21, {}},
    OfferedRow{dm::DestinationBarred, 403, 55, {}},
    OfferedRow{dm::FdnRestrict, 403, 53, {}},
    OfferedRow{dm::DoNotDisturb, 480, 31, "Do Not Disturb"},
    OfferedRow{dm::Forwarded, 480, 23, {}},
    OfferedRow{dm::Pickup, 480, 26, {}},
};

Reason q850Reason(int cause) {
  return Reason{"Q.850", cause, std::string(q850Text(cause)), {}};
}

DropPlan respond(int status, int q850, std::string_view phrase = {}) {
  DropPlan plan;
  plan.action = WireAction::Respond;
  plan.status = status;
  plan.reasonPhrase.assign(phrase.empty() ? tapi::sip::message::defaultReasonPhrase(status)
                                          : phrase);
  plan.reason = q850Reason(q850);
  return plan;
}

/** The plain reject of an offered call with the line's configured status. */
DropPlan rejectOffered(int configured) {
  int status = configured;
  int q850 = 0;
  switch (status) {
    case 603:
      q850 = 21;
      break;
    case 486:
      q850 = 17;
      break;
    case 480:
      q850 = 19;  // the NOANSWER row of §2a: "did not answer" rather than RFC 3398's 18
      break;
    default:
      if (status < 400 || status > 699) {
        status = 603;
        q850 = 21;
      } else {
        q850 = statusRow(status).q850;
        if (q850 == 0)
          q850 = 21;
      }
      break;
  }
  return respond(status, q850);
}

}  // namespace

// ---- public -----------------------------------------------------------------------------

std::uint32_t modeForQ850(int cause) noexcept {
  for (const Q850Row& row : kQ850Table) {
    if (row.cause == cause)
      return row.mode;
  }
  return dm::Unknown;
}

int q850ForMode(std::uint32_t mode) noexcept {
  switch (mode) {
    case 0:
    case dm::Normal:
    case dm::Cancelled:
      return 16;
    case dm::Busy:
      return 17;
    case dm::NoAnswer:
      return 19;
    case dm::Reject:
    case dm::Blocked:
      return 21;
    case dm::NumberChanged:
      return 22;
    case dm::Forwarded:
      return 23;
    case dm::Pickup:
      return 26;
    case dm::BadAddress:
      return 1;
    case dm::Unreachable:
      return 3;
    case dm::OutOfOrder:
      return 27;
    case dm::Congestion:
      return 34;
    case dm::TempFailure:
      return 41;
    case dm::QosUnavail:
      return 49;
    case dm::DestinationBarred:
      return 55;
    case dm::FdnRestrict:
      return 53;
    case dm::Incompatible:
      return 88;
    default:
      return 31;  // UNKNOWN, UNAVAIL, DONOTDISTURB, NODIALTONE, combined or unknown bits
  }
}

MappedEnd mapRemoteEnd(const RemoteEnd& end, const MapOptions& options) {
  MappedEnd out;
  std::optional<int> firstQ850;
  std::optional<int> informativeQ850;
  bool sipCompletedElsewhere = false;
  for (const Reason& r : end.reasons) {
    if (r.protocol == "Q.850") {
      if (!firstQ850)
        firstQ850 = r.cause;
      if (!informativeQ850 && !isUninformative(r.cause))
        informativeQ850 = r.cause;
    } else if (r.protocol == "SIP" && r.cause == 200) {
      sipCompletedElsewhere = true;
    }
  }

  ModeAndCause mc{};
  if (informativeQ850) {
    // (1) A Q.850 Reason wins (decision 2).
    mc = {modeForQ850(*informativeQ850), *informativeQ850};
    if (*informativeQ850 == 21) {
      bool user = false;
      for (const Reason& r : end.reasons) {
        if (r.protocol == "Q.850" && r.cause == 21 && (r.location == "U" || r.location == "u"))
          user = true;
      }
      if (!user && end.kind == RemoteEndKind::FinalResponse && isPolicyRefusal(end.status)) {
        mc.mode = dm::Blocked;
      }
    }
  } else if (end.kind == RemoteEndKind::Cancel && sipCompletedElsewhere) {
    mc = {dm::Pickup, 26};  // RFC 3326: SIP;cause=200;text="Call completed elsewhere"
  } else {
    // (2) the status table, (3) local context.
    mc = fromStatusAndContext(end, options);
  }

  out.mode = mc.mode;
  out.q850 = firstQ850.value_or(mc.q850);
  out.cause.code = end.status;
  out.cause.q850 = out.q850;
  out.cause.text = describe(end);
  return out;
}

DropPlan planDrop(DropPhase phase, std::uint32_t mode, const DropOptions& options) {
  if (!options.serverShutdown && mode == dm::NoDialTone)
    return DropPlan{};
  switch (phase) {
    case DropPhase::Confirmed: {
      DropPlan plan;
      plan.action = WireAction::Bye;
      int q850 = options.q850 != 0 ? options.q850 : q850ForMode(mode);
      if (options.serverShutdown)
        q850 = 16;
      plan.reason = q850Reason(q850);
      return plan;
    }
    case DropPhase::OutgoingCalling:
    case DropPhase::OutgoingEarly: {
      // OutgoingCalling: the caller holds this CANCEL until a provisional arrives
      // (RFC 3261 §9.1), and drops it if a final response comes first.
      DropPlan plan;
      plan.action = WireAction::Cancel;
      if (options.serverShutdown) {
        plan.reason = q850Reason(16);
      } else if (options.q850 != 0) {
        plan.reason = q850Reason(options.q850);
      } else if (mode == dm::NoAnswer) {
        plan.reason = q850Reason(19);
      } else if (mode == dm::Pickup) {
        plan.reason = Reason{"SIP", 200, "Call completed elsewhere", {}};
      } else {
        plan.reason = q850Reason(16);
      }
      return plan;
    }
    case DropPhase::IncomingOffered: {
      if (options.serverShutdown)
        return respond(503, 41);
      for (const OfferedRow& row : kOfferedTable) {
        if (row.mode != mode)
          continue;
        DropPlan plan = respond(row.status, row.q850, row.phrase);
        plan.retryAfter = mode == dm::Congestion;
        return plan;
      }
      // REJECT, plain lineDrop (0), NORMAL, UNKNOWN, CANCELLED, and anything unknown.
      return rejectOffered(options.offeredRejectStatus);
    }
  }
  return DropPlan{};
}

}  // namespace tapi::providers::sip
