#pragma once
// Scripts written as destinations: "sim:answer=2s;hangup=5s;mode=busy". They let any
// client (tapictl, a TAPI program, a test over the wire) choose how the simulated far end
// behaves without access to the provider object.

#include <string_view>

#include <tapi/result.hpp>

#include "providers/sim/sim_provider.hpp"

namespace tapi::providers::sim {

/** True if `destination` is a "sim:" script. */
bool isScript(std::string_view destination) noexcept;

/**
 * Parses "sim:<directive>[;<directive>...]". Directives: answer=D, ring, busy, reject,
 * unreachable, after=D, hangup=D, mode=NAME, uui=TEXT, cancel=D, fail. Durations are
 * "<n>ms", "<n>s" or "<n>m".
 * @param inbound build the script of an offered inbound call (wait for the local answer,
 *        or the caller cancels) instead of an outbound far end.
 * @return the script, or LINEERR_INVALADDRESS for anything it cannot read.
 */
Result<Script> parseScript(std::string_view destination, bool inbound = false);

/** Parses a duration like "250ms", "2s", "1m". */
Result<base::Duration> parseDuration(std::string_view text);

}  // namespace tapi::providers::sim
