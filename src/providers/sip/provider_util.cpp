#include "providers/sip/provider_util.hpp"

#include <algorithm>
#include <random>
#include <string>

namespace tapi::providers::sip {

namespace msg = tapi::sip::message;

Party partyOf(const msg::NameAddr& na) {
  Party p;
  p.name = na.unquotedDisplayName();
  p.number = na.uri.user.empty() ? std::string(na.uri.text) : std::string(na.uri.user);
  return p;
}

std::vector<std::string_view> headerLines(const msg::SipMessage& m, std::string_view name) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < m.headerCount(); ++i) {
    const msg::HeaderField f = m.headerAt(i);
    if (f.name.size() == name.size() &&
        std::equal(f.name.begin(), f.name.end(), name.begin(),
                   [](char a, char b) { return (a | 0x20) == (b | 0x20); })) {
      out.push_back(f.value);
    }
  }
  return out;
}

std::uint64_t randomSessionId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng() >> 16;
}

}  // namespace tapi::providers::sip
