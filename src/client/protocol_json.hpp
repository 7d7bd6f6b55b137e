#pragma once
// The JSON side of the tapid API (docs/api.md) as the client sees it: request frames,
// responses, events and the post-connection record, mapped to and from tapi.hpp types.
// Pure functions, no I/O, so they are unit-tested without a server.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <tapi/tapi.hpp>

namespace tapi::detail::proto {

/** One request frame: {"id": id, "method": method, "params": params} (params omitted if empty). */
std::string encodeRequest(std::uint64_t id, std::string_view method,
                          const boost::json::object& params);

/** What one text frame from the server is. */
struct Frame {
  enum class Kind : std::uint8_t {
    Response,  // carries "id" and "result" or "error"
    Event,     // carries "event"
    Invalid,   // not JSON, not an object, or neither of the above
  };
  Kind kind = Kind::Invalid;
  std::optional<std::uint64_t> id;  // Response: the echoed id (absent for "id": null)
  boost::json::value body;          // Response: result or error object; Event: the frame
  bool isError = false;             // Response: body is the error object
};

/** Classifies and parses one text frame; never throws. */
Frame decodeFrame(std::string_view text);

/**
 * The LineErr for an error object {"code", "value", "message"}: LINEERR_* codes by their
 * value; protocol codes mapped (NOTINITIALIZED -> UNINITIALIZED, UNKNOWNMETHOD ->
 * OPERATIONUNAVAIL, BADREQUEST -> INVALPARAM, TOOMANYREQUESTS -> RESOURCEUNAVAIL, others
 * -> OPERATIONFAILED).
 */
LineErr lineErrFromJson(const boost::json::value& error);

/** An event frame as a LINEMESSAGE; nullopt for an unknown event name. */
std::optional<Message> messageFromEvent(const boost::json::value& event);

/** An integer member (accepts any JSON number with an integral value). */
std::optional<std::int64_t> getInt(const boost::json::object& o, std::string_view key);
/** A string member, or "" if absent or not a string. */
std::string getString(const boost::json::object& o, std::string_view key);

/** "2026-01-01T00:00:02.000Z" (RFC 3339, UTC, optional fraction) -> time. */
std::optional<WallTime> parseTime(std::string_view text);

std::optional<CallState> callStateFromName(std::string_view name);
/** "NORMAL" -> disconnect::Normal; also "0x00000400" and "" (0). */
std::optional<std::uint32_t> disconnectModeFromName(std::string_view name);
std::optional<Privilege> privilegeFromName(std::string_view name);
std::optional<TerminationOrigin> terminationOriginFromName(std::string_view name);
std::optional<Policy> policyFromName(std::string_view name);

/** lineOpen's privilege bits as names: 0x6 -> ["OWNER", "MONITOR"]. */
boost::json::array privilegeNames(std::uint32_t bits);

/** lineGetCallStatus result -> CallStatus. */
Result<CallStatus> callStatusFromJson(const boost::json::value& result);
/** A post-connection record (docs/api.md, calls.jsonl line) -> CallRecord. */
Result<CallRecord> callRecordFromJson(const boost::json::value& record);
/** lineGetLines result -> devices. */
Result<std::vector<LineDevice>> linesFromJson(const boost::json::value& result);
/** Every integer member of a tapidStats result, in the server's order. */
std::vector<std::pair<std::string, std::int64_t>> countersFromJson(
    const boost::json::value& result);
/** The engine's share of tapidStats. */
EngineStats engineStatsFromCounters(const std::vector<std::pair<std::string, std::int64_t>>& c);

}  // namespace tapi::detail::proto
