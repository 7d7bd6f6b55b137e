#include <tapi/types.hpp>

#include <cstdio>

namespace tapi {

const char* toString(CallState s) noexcept {
  switch (s) {
    case CallState::Idle: return "IDLE";
    case CallState::Offering: return "OFFERING";
    case CallState::Accepted: return "ACCEPTED";
    case CallState::DialTone: return "DIALTONE";
    case CallState::Dialing: return "DIALING";
    case CallState::Ringback: return "RINGBACK";
    case CallState::Busy: return "BUSY";
    case CallState::SpecialInfo: return "SPECIALINFO";
    case CallState::Connected: return "CONNECTED";
    case CallState::Proceeding: return "PROCEEDING";
    case CallState::OnHold: return "ONHOLD";
    case CallState::Conferenced: return "CONFERENCED";
    case CallState::OnHoldPendConf: return "ONHOLDPENDCONF";
    case CallState::OnHoldPendTransfer: return "ONHOLDPENDTRANSFER";
    case CallState::Disconnected: return "DISCONNECTED";
    case CallState::Unknown: return "UNKNOWN";
  }
  return "?";
}

std::string disconnectModeName(std::uint32_t mode) {
  switch (mode) {
    case disconnect::Normal: return "NORMAL";
    case disconnect::Unknown: return "UNKNOWN";
    case disconnect::Reject: return "REJECT";
    case disconnect::Pickup: return "PICKUP";
    case disconnect::Forwarded: return "FORWARDED";
    case disconnect::Busy: return "BUSY";
    case disconnect::NoAnswer: return "NOANSWER";
    case disconnect::BadAddress: return "BADADDRESS";
    case disconnect::Unreachable: return "UNREACHABLE";
    case disconnect::Congestion: return "CONGESTION";
    case disconnect::Incompatible: return "INCOMPATIBLE";
    case disconnect::Unavail: return "UNAVAIL";
    case disconnect::NoDialTone: return "NODIALTONE";
    case disconnect::NumberChanged: return "NUMBERCHANGED";
    case disconnect::OutOfOrder: return "OUTOFORDER";
    case disconnect::TempFailure: return "TEMPFAILURE";
    case disconnect::QosUnavail: return "QOSUNAVAIL";
    case disconnect::Blocked: return "BLOCKED";
    case disconnect::DoNotDisturb: return "DONOTDISTURB";
    case disconnect::Cancelled: return "CANCELLED";
    case disconnect::DestinationBarred: return "DESTINATIONBARRED";
    case disconnect::FdnRestrict: return "FDNRESTRICT";
    case 0: return "";
    default: break;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", mode);
  return buf;
}

std::optional<std::uint32_t> disconnectModeFromName(std::string_view name) {
  std::string upper;
  for (char c : name) {
    upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  constexpr std::string_view kPrefix = "LINEDISCONNECTMODE_";
  if (upper.starts_with(kPrefix)) {
    upper.erase(0, kPrefix.size());
  }
  for (std::uint32_t bit = 1; bit != 0 && bit <= disconnect::FdnRestrict; bit <<= 1) {
    if (disconnectModeName(bit) == upper) {
      return bit;
    }
  }
  return std::nullopt;
}

std::uint32_t downMapDisconnectMode(std::uint32_t mode, std::uint32_t apiVersion) noexcept {
  // Modes from NUMBERCHANGED (0x2000) upward were added in TAPI 2.0; NODIALTONE in 1.4.
  constexpr std::uint32_t kModesSince20 = ~std::uint32_t{disconnect::NumberChanged - 1};
  if (apiVersion < kApiVersion20 && (mode & kModesSince20) != 0) {
    return disconnect::Unknown;
  }
  if (apiVersion < kApiVersion14 && (mode & disconnect::NoDialTone) != 0) {
    return disconnect::Unknown;
  }
  return mode;
}

const char* toString(Privilege p) noexcept {
  switch (p) {
    case Privilege::None: return "NONE";
    case Privilege::Monitor: return "MONITOR";
    case Privilege::Owner: return "OWNER";
  }
  return "?";
}

const char* toString(MessageType t) noexcept {
  switch (t) {
    case MessageType::CallInfo: return "LINE_CALLINFO";
    case MessageType::CallState: return "LINE_CALLSTATE";
    case MessageType::Close: return "LINE_CLOSE";
    case MessageType::Reply: return "LINE_REPLY";
    case MessageType::AppNewCall: return "LINE_APPNEWCALL";
  }
  return "?";
}

const char* toString(TerminationOrigin o) noexcept {
  switch (o) {
    case TerminationOrigin::None: return "none";
    case TerminationOrigin::Local: return "local";
    case TerminationOrigin::Remote: return "remote";
    case TerminationOrigin::Policy: return "policy";
    case TerminationOrigin::LineClose: return "line-close";
    case TerminationOrigin::AppShutdown: return "app-shutdown";
    case TerminationOrigin::ProviderFailure: return "provider-failure";
    case TerminationOrigin::ServerShutdown: return "server-shutdown";
  }
  return "?";
}

const char* toString(Policy p) noexcept {
  switch (p) {
    case Policy::None: return "none";
    case Policy::NoAnswer: return "no-answer";
    case Policy::MaxDuration: return "max-duration";
    case Policy::SessionTimer: return "session-timer";
    case Policy::Ownerless: return "ownerless";
    case Policy::IdleReclaim: return "idle-reclaim";
  }
  return "?";
}

}  // namespace tapi
