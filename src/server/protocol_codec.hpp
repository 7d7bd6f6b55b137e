#pragma once
// The JSON side of the tapid API protocol (docs/api.md): how a method's result or failure
// is carried, how request parameters are read (each bad one becomes one BADREQUEST with
// its name), and how modes, privileges, call records and engine messages are written.
// Used by protocol.cpp and protocol_methods.cpp only.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include <boost/json.hpp>
#include <tapi/types.hpp>

#include "server/protocol.hpp"

namespace tapi::server::detail {

/** A failed request: a protocol error or a TAPI error. */
struct Failure {
  std::variant<ProtoError, LineErr> code;
  std::string message;
};

/** What a method handler answers: the result object, or why it failed. */
using Reply = std::variant<boost::json::value, Failure>;

/** BADREQUEST naming the parameter: "params.<name>: <what>". */
Failure badParam(std::string_view name, std::string_view what);

/** The TAPI error the engine returned, with its message. */
Failure lineError(const std::error_code& ec);

/** The largest value a 32-bit TAPI parameter takes. */
inline constexpr std::uint64_t kU32 = std::numeric_limits<std::uint32_t>::max();

/** Reads an optional unsigned integer parameter that must fit in `max`. */
std::variant<std::optional<std::uint64_t>, Failure> optUint(const boost::json::object& p,
                                                            std::string_view name,
                                                            std::uint64_t max);

/** Reads an optional string parameter. */
std::variant<std::optional<std::string>, Failure> optString(const boost::json::object& p,
                                                            std::string_view name);

/** LINEDISCONNECTMODE_ bit from a number or a name ("BUSY"). */
std::optional<std::uint32_t> parseMode(const boost::json::value& v);

/** Privilege bits from a number, a name, or an array of names/numbers. */
std::optional<std::uint32_t> parsePrivileges(const boost::json::value& v);

/** A call record as the JSON object docs/api.md describes. */
boost::json::value recordValue(const CallRecord& r);

/** The event frame for one engine message (LINE_CALLSTATE, LINE_REPLY, ...). */
std::string eventJson(const Message& m);

}  // namespace tapi::server::detail
