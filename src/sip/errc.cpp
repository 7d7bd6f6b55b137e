#include "sip/errc.hpp"

#include "sip/message/message.hpp"

namespace tapi::sip {
namespace {

// The generic condition each value replaced: callers that compare with std::errc keep working.
std::errc genericOf(Errc e) noexcept {
  switch (e) {
    case Errc::StaleHandle:
      return std::errc::no_such_process;
    case Errc::WrongState:
      return std::errc::operation_not_permitted;
    case Errc::WrongMessage:
    case Errc::WrongKind:
    case Errc::NoDialog:
    case Errc::BadUri:
    case Errc::InvalidConfig:
      return std::errc::invalid_argument;
    case Errc::Duplicate:
      return std::errc::file_exists;
    case Errc::OverLimit:
      return std::errc::resource_unavailable_try_again;
    case Errc::UnsupportedTransport:
      return std::errc::protocol_not_supported;
    case Errc::NeedsDns:
      return std::errc::address_not_available;
    case Errc::NoTransport:
      return std::errc::address_family_not_supported;
    case Errc::NoViaAddress:
      return std::errc::destination_address_required;
    case Errc::NoRoute:
    case Errc::TransportError:
      return std::errc::host_unreachable;
    case Errc::TooManyConnections:
    case Errc::QueueFull:
      return std::errc::no_buffer_space;
    case Errc::Cancelled:
      return std::errc::operation_canceled;
    case Errc::Timeout:
      return std::errc::timed_out;
  }
  return std::errc::io_error;
}

bool known(int ev) noexcept {
  return ev >= static_cast<int>(Errc::StaleHandle) && ev <= static_cast<int>(Errc::InvalidConfig);
}

class ErrcCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sip"; }
  std::string message(int ev) const override {
    return known(ev) ? toString(static_cast<Errc>(ev)) : "unknown sip error";
  }
  std::error_condition default_error_condition(int ev) const noexcept override {
    if (!known(ev)) {
      return {ev, *this};
    }
    return std::make_error_condition(genericOf(static_cast<Errc>(ev)));
  }
};

class SipStatusCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sip-status"; }
  std::string message(int ev) const override {
    return std::string(sip::message::defaultReasonPhrase(ev));
  }
};

}  // namespace

const std::error_category& errcCategory() noexcept {
  static const ErrcCategory cat;
  return cat;
}

const char* toString(Errc e) noexcept {
  switch (e) {
    case Errc::StaleHandle:
      return "stale handle";
    case Errc::WrongState:
      return "not allowed in this state";
    case Errc::WrongMessage:
      return "wrong kind of message";
    case Errc::WrongKind:
      return "wrong kind of transaction";
    case Errc::Duplicate:
      return "duplicate transaction";
    case Errc::OverLimit:
      return "too many transactions";
    case Errc::NoDialog:
      return "no dialog can be made";
    case Errc::BadUri:
      return "not a SIP URI with a host";
    case Errc::UnsupportedTransport:
      return "unsupported transport";
    case Errc::NeedsDns:
      return "host name needs DNS";
    case Errc::NoTransport:
      return "no transport for the protocol and address family";
    case Errc::NoViaAddress:
      return "no address to put in Via";
    case Errc::NoRoute:
      return "no route for the response";
    case Errc::TooManyConnections:
      return "too many connections";
    case Errc::QueueFull:
      return "send queue full";
    case Errc::Cancelled:
      return "cancelled";
    case Errc::TransportError:
      return "transport error";
    case Errc::Timeout:
      return "timed out";
    case Errc::InvalidConfig:
      return "invalid configuration";
  }
  return "unknown sip error";
}

const std::error_category& sipStatusCategory() noexcept {
  static const SipStatusCategory cat;
  return cat;
}

int sipStatusOf(const std::error_code& ec) noexcept {
  return &ec.category() == &sipStatusCategory() ? ec.value() : 0;
}

}  // namespace tapi::sip
