#include "providers/sim/sim_script.hpp"

#include <charconv>
#include <optional>
#include <string>

namespace tapi::providers::sim {

using namespace std::chrono_literals;

bool isScript(std::string_view destination) noexcept { return destination.starts_with("sim:"); }

Result<base::Duration> parseDuration(std::string_view text) {
  std::uint64_t n = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc{} || p == text.data() || n > 86'400'000) {
    return LineErr::InvalAddress;
  }
  const std::string_view unit(p, static_cast<std::size_t>(end - p));
  if (unit == "ms") {
    return base::Duration(std::chrono::milliseconds(n));
  }
  if (unit == "s" || (unit.empty() && n == 0)) {
    return base::Duration(std::chrono::seconds(n));
  }
  if (unit == "m") {
    return base::Duration(std::chrono::minutes(n));
  }
  return LineErr::InvalAddress;
}

Result<Script> parseScript(std::string_view destination, bool inbound) {
  if (!isScript(destination)) {
    return LineErr::InvalAddress;
  }
  std::string_view rest = destination.substr(4);
  enum class Outcome { Answer, Ring, Busy, Reject, Unreachable };
  Outcome outcome = Outcome::Answer;
  base::Duration answer = 1s;
  base::Duration after = 0s;
  std::optional<base::Duration> hangup;
  std::optional<base::Duration> cancel;
  std::uint32_t mode = 0;
  std::string uui;
  bool failMake = false;
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    std::string_view item = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    if (item.empty()) {
      continue;
    }
    const auto eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    auto duration = [&](base::Duration* out) -> bool {
      auto d = parseDuration(value);
      if (!d) {
        return false;
      }
      *out = *d;
      return true;
    };
    base::Duration d{};
    if (key == "answer" && duration(&d)) {
      outcome = Outcome::Answer;
      answer = d;
    } else if (key == "ring" && value.empty()) {
      outcome = Outcome::Ring;
    } else if (key == "busy" && value.empty()) {
      outcome = Outcome::Busy;
    } else if (key == "reject" && value.empty()) {
      outcome = Outcome::Reject;
    } else if (key == "unreachable" && value.empty()) {
      outcome = Outcome::Unreachable;
    } else if (key == "after" && duration(&d)) {
      after = d;
    } else if (key == "hangup" && duration(&d)) {
      hangup = d;
    } else if (key == "cancel" && duration(&d)) {
      cancel = d;
    } else if (key == "mode" && disconnectModeFromName(value)) {
      mode = *disconnectModeFromName(value);
    } else if (key == "uui" && value.size() <= 128) {
      uui = std::string(value);
    } else if (key == "fail" && value.empty()) {
      failMake = true;
    } else {
      return LineErr::InvalAddress;
    }
  }
  Script s;
  s.failMakeCall = failMake;
  if (inbound) {
    if (cancel) {
      s.steps.push_back({*cancel, Action::RemoteCancel});
      return s;
    }
    s.steps.push_back({0s, Action::AwaitAnswer});
    if (hangup) {
      s.steps.push_back({*hangup, Action::RemoteHangup, mode, uui});
    }
    return s;
  }
  s.steps.push_back({0s, Action::Dialing});
  switch (outcome) {
    case Outcome::Answer:
      s.steps.push_back({0s, Action::Proceeding});
      s.steps.push_back({0s, Action::Ringback});
      s.steps.push_back({answer, Action::Answer});
      if (hangup) {
        s.steps.push_back({*hangup, Action::RemoteHangup, mode, uui});
      }
      break;
    case Outcome::Ring:
      s.steps.push_back({0s, Action::Proceeding});
      s.steps.push_back({0s, Action::Ringback});
      break;
    case Outcome::Busy: s.steps.push_back({after, Action::Busy, mode}); break;
    case Outcome::Reject: s.steps.push_back({after, Action::Reject, mode}); break;
    case Outcome::Unreachable: s.steps.push_back({after, Action::Unreachable, mode}); break;
  }
  return s;
}

}  // namespace tapi::providers::sim
