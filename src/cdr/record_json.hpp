#pragma once
// Post-connection data as one JSON object (one line): the format of calls.jsonl, of
// `tapictl info`, and of the demo's output.

#include <string>
#include <string_view>

#include <tapi/types.hpp>

namespace tapi::cdr {

/** Escapes `s` as the contents of a JSON string (quotes not included). */
std::string jsonEscape(std::string_view s);

/** RFC 3339 UTC time with milliseconds, e.g. "2026-01-01T00:00:02.000Z". */
std::string formatTime(WallTime t);

/** One JSON object, no newline. Absent timestamps are null. */
std::string toJson(const CallRecord& r);

}  // namespace tapi::cdr
