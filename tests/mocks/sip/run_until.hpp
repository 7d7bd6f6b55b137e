#pragma once
// Drives an io_context until a condition holds, with a bound: tests wait on events, never
// on sleeps, and a hang becomes a failure instead of a stuck test.

#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>

namespace tapi::sip::testing {

/** Runs handlers until `done()` is true or `limit` passed. @return done(). */
inline bool runUntil(boost::asio::io_context& io, const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::seconds{5}) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return false;
    }
    io.run_one_for(deadline - now);
  }
  return true;
}

}  // namespace tapi::sip::testing
