// Writing a message out: the parsed bytes as they came, or, once changed, the start line
// and untouched headers copied byte for byte and the changed ones rewritten.

#include <cassert>

#include "sip/message/detail/message_impl.hpp"

namespace tapi::sip::message {

using detail::HeaderEntry;

SipMessage SipMessage::clone() const {
  ParseLimits unlimited;
  unlimited.maxMessageSize = static_cast<std::size_t>(-1) / 4;
  unlimited.maxHeaders = static_cast<std::size_t>(-1) / 4;
  unlimited.maxLineLength = static_cast<std::size_t>(-1) / 4;
  auto r = parse(serialize(), unlimited);
  assert(r.ok());  // a message we hold always re-parses
  return std::move(r).value();
}

std::string_view SipMessage::raw() const noexcept {
  return impl_->bytes.substr(impl_->start, impl_->end - impl_->start);
}

std::string SipMessage::serialize() const {
  if (!impl_->modified)
    return std::string(raw());
  std::size_t size = impl_->startLineRaw.size() + 2 + impl_->body.size() + 2;
  for (const HeaderEntry& h : impl_->headers) {
    size += h.raw.empty() ? h.name.size() + h.value.size() + 4 : h.raw.size();
  }
  std::string out;
  out.reserve(size);
  out.append(impl_->startLineRaw);
  if (impl_->startLineDirty)
    out.append("\r\n");
  for (const HeaderEntry& h : impl_->headers) {
    if (!h.raw.empty()) {
      out.append(h.raw);
    } else {
      out.append(h.name).append(": ").append(h.value).append("\r\n");
    }
  }
  out.append("\r\n");
  out.append(impl_->body);
  return out;
}

}  // namespace tapi::sip::message
