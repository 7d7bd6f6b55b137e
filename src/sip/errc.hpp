#pragma once
// The SIP stack's errors as values (CONVENTIONS.md rule 7): sip::Errc for what the
// transport, transaction, dialog and session layers refuse or fail at, and sip::SipStatus,
// an error code that is a SIP status code itself (pjsip's PJSIP_ERRNO_FROM_SIP_STATUS
// idea), for a request that a peer answered with a failing final response.
//
// The message layer keeps its own category (sip.message, ParseError); these sit just above
// it, so every layer from the transport up can use them.

#include <string>
#include <system_error>
#include <type_traits>

namespace tapi::sip {

/**
 * Why an operation of the SIP stack failed. Each value is equivalent to the std::errc
 * condition named beside it (the generic code these replaced), so `ec == std::errc::timed_out`
 * still holds for a Timeout.
 */
enum class Errc : int {
  /** The handle names a transaction or session that no longer exists (no_such_process). */
  StaleHandle = 1,
  /** The state of the transaction or session forbids the operation (operation_not_permitted). */
  WrongState,
  /** The message is the wrong kind for the call: a response where a request belongs, an ACK
   *  given to a transaction, a request given as a response (invalid_argument). */
  WrongMessage,
  /** The handle names the wrong kind of transaction: a response given to a client
   *  transaction to send (invalid_argument). */
  WrongKind,
  /** A transaction with the same key already exists (file_exists). */
  Duplicate,
  /** The transaction table is full; try again once some end (resource_unavailable_try_again). */
  OverLimit,
  /** The request and response cannot make a dialog: no To tag, no Contact, or a wildcard
   *  Contact (invalid_argument). */
  NoDialog,
  /** Not a SIP or SIPS URI with a host (invalid_argument). */
  BadUri,
  /** The URI's transport parameter names a protocol this stack does not have
   *  (protocol_not_supported). */
  UnsupportedTransport,
  /** The host is a name other than "localhost": this stack does no DNS (RFC 3263)
   *  (address_not_available). */
  NeedsDns,
  /** No transport of the wanted protocol and address family (address_family_not_supported). */
  NoTransport,
  /** The transport listens on an unspecified address and no host is advertised, so a Via
   *  could not name us (destination_address_required). */
  NoViaAddress,
  /** A response's Via names no address we can reach (host_unreachable). */
  NoRoute,
  /** The connection table is full and no idle connection could be closed (no_buffer_space). */
  TooManyConnections,
  /** The connection's send queue is full (no_buffer_space). */
  QueueFull,
  /** The operation was cancelled: its transport was closed before it ran (operation_canceled). */
  Cancelled,
  /** The request could not be sent, or its connection failed before any final response
   *  (host_unreachable). */
  TransportError,
  /** No final response came in time (Timer B or F) (timed_out). */
  Timeout,
  /** The configuration cannot work: a missing or malformed setting (invalid_argument). */
  InvalidConfig,
};

/** The category of sip::Errc, named "sip". */
const std::error_category& errcCategory() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), errcCategory()};
}

/** A short text for `e` ("stale handle"); message() of the category returns it. */
const char* toString(Errc e) noexcept;

/**
 * A SIP status code as an error (category "sip-status", value the code, message its
 * RFC 3261 reason phrase): `std::error_code ec = SipStatus{486};` gives "Busy Here". Used
 * for 3xx-6xx final responses that end a request as a failure.
 */
enum class SipStatus : int {};

/** The category of sip::SipStatus, named "sip-status". */
const std::error_category& sipStatusCategory() noexcept;

inline std::error_code make_error_code(SipStatus s) noexcept {
  return {static_cast<int>(s), sipStatusCategory()};
}

/** The SIP status `ec` carries, or 0 when it is not a sip-status error. */
int sipStatusOf(const std::error_code& ec) noexcept;

}  // namespace tapi::sip

template <>
struct std::is_error_code_enum<tapi::sip::Errc> : std::true_type {};
template <>
struct std::is_error_code_enum<tapi::sip::SipStatus> : std::true_type {};
