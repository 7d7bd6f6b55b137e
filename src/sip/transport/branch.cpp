#include "sip/transport/branch.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>

namespace tapi::sip::transport {

namespace {

void fillRandom(std::uint8_t* out, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::getrandom(out + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) {
        continue;
      }
      // getrandom cannot fail on Linux >= 3.17 once the pool is initialised; falling back to
      // random_device (also /dev/urandom backed) keeps branches unpredictable regardless.
      std::random_device rd;
      for (; got < n; ++got) {
        out[got] = static_cast<std::uint8_t>(rd());
      }
      return;
    }
    got += static_cast<std::size_t>(r);
  }
}

}  // namespace

std::string generateBranch() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<std::uint8_t, 16> bytes{};
  fillRandom(bytes.data(), bytes.size());
  std::string out;
  out.reserve(kMagicCookie.size() + 2 * bytes.size());
  out.append(kMagicCookie);
  for (std::uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0f]);
  }
  return out;
}

bool isRfc3261Branch(std::string_view branch) noexcept {
  return branch.size() > kMagicCookie.size() && branch.substr(0, kMagicCookie.size()) == kMagicCookie;
}

}  // namespace tapi::sip::transport
