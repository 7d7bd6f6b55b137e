#include "sip/message/message.hpp"

#include "sip/message/detail/chars.hpp"
#include "sip/message/detail/header_roles.hpp"
#include "sip/message/detail/message_impl.hpp"

namespace tapi::sip::message {

using detail::HeaderEntry;
using detail::HeaderTable;
using detail::nameMatches;

// ---- SipMessage ------------------------------------------------------------------------

SipMessage::SipMessage(Impl* impl) noexcept : impl_(impl) {}
SipMessage::SipMessage(SipMessage&&) noexcept = default;
SipMessage& SipMessage::operator=(SipMessage&&) noexcept = default;
SipMessage::~SipMessage() = default;

void SipMessage::ImplDeleter::operator()(Impl* p) const noexcept {
  p->~Impl();  // HeaderEntry is trivially destructible; the block is freed as one
  ::operator delete(static_cast<void*>(p));
}

bool SipMessage::isRequest() const noexcept {
  return impl_->request;
}
Method SipMessage::method() const noexcept {
  return impl_->method;
}
std::string_view SipMessage::methodName() const noexcept {
  return impl_->methodName;
}
const Uri& SipMessage::requestUri() const noexcept {
  return impl_->requestUri;
}
int SipMessage::statusCode() const noexcept {
  return impl_->status;
}
std::string_view SipMessage::reasonPhrase() const noexcept {
  return impl_->reason;
}
const Via& SipMessage::topVia() const noexcept {
  return impl_->topVia;
}
const NameAddr& SipMessage::from() const noexcept {
  return impl_->from;
}
const NameAddr& SipMessage::to() const noexcept {
  return impl_->to;
}
std::string_view SipMessage::callId() const noexcept {
  return impl_->callId;
}
const CSeq& SipMessage::cseq() const noexcept {
  return impl_->cseq;
}
std::optional<std::uint32_t> SipMessage::maxForwards() const noexcept {
  return impl_->maxForwards;
}
std::optional<std::size_t> SipMessage::contentLength() const noexcept {
  return impl_->contentLength;
}
std::string_view SipMessage::body() const noexcept {
  return impl_->body;
}
bool SipMessage::contactIsWildcard() const noexcept {
  return impl_->contactWildcard;
}
bool SipMessage::modified() const noexcept {
  return impl_->modified;
}

const std::vector<Via>& SipMessage::vias() const {
  if (!impl_->vias) {
    std::vector<Via> out;
    for (const HeaderEntry& h : impl_->headers) {
      if (h.id != HeaderId::Via)
        continue;
      splitValues(h.value, [&](std::string_view elem) {
        auto v = parseVia(elem);
        if (v)
          out.push_back(*v);  // validated by index(); cannot fail here
        return true;
      });
    }
    impl_->vias = std::move(out);
  }
  return *impl_->vias;
}

namespace {
std::vector<NameAddr> collectNameAddrs(const HeaderTable& headers, HeaderId id) {
  const ParseError e = detail::badValueError(id);
  std::vector<NameAddr> out;
  for (const HeaderEntry& h : headers) {
    if (h.id != id)
      continue;
    if (id == HeaderId::Contact && h.value == "*")
      continue;
    splitValues(h.value, [&](std::string_view elem) {
      auto na = parseNameAddr(elem, e);
      if (na)
        out.push_back(*na);
      return true;
    });
  }
  return out;
}
}  // namespace

const std::vector<NameAddr>& SipMessage::contacts() const {
  if (!impl_->contacts) {
    impl_->contacts = collectNameAddrs(impl_->headers, HeaderId::Contact);
  }
  return *impl_->contacts;
}

const std::vector<NameAddr>& SipMessage::routes() const {
  if (!impl_->routes) {
    impl_->routes = collectNameAddrs(impl_->headers, HeaderId::Route);
  }
  return *impl_->routes;
}

const std::vector<NameAddr>& SipMessage::recordRoutes() const {
  if (!impl_->recordRoutes) {
    impl_->recordRoutes = collectNameAddrs(impl_->headers, HeaderId::RecordRoute);
  }
  return *impl_->recordRoutes;
}

std::optional<std::string_view> SipMessage::header(std::string_view name) const {
  const HeaderId id = lookupHeader(name);
  for (const HeaderEntry& h : impl_->headers) {
    if (nameMatches(h, id, name))
      return h.value;
  }
  return std::nullopt;
}

std::optional<std::string_view> SipMessage::header(HeaderId id) const {
  if (id == HeaderId::Other)
    return std::nullopt;
  for (const HeaderEntry& h : impl_->headers) {
    if (h.id == id)
      return h.value;
  }
  return std::nullopt;
}

std::vector<std::string_view> SipMessage::headerValues(std::string_view name) const {
  const HeaderId id = lookupHeader(name);
  std::vector<std::string_view> out;
  for (const HeaderEntry& h : impl_->headers) {
    if (!nameMatches(h, id, name))
      continue;
    const bool ok = splitValues(h.value, [&](std::string_view elem) {
      out.push_back(elem);
      return true;
    });
    if (!ok && !h.value.empty())
      out.push_back(h.value);  // unsplittable: keep whole
  }
  return out;
}

std::size_t SipMessage::headerCount() const noexcept {
  return impl_->headers.size();
}

HeaderField SipMessage::headerAt(std::size_t i) const noexcept {
  const HeaderEntry& h = impl_->headers[i];
  return HeaderField{h.name, h.value, h.id};
}

}  // namespace tapi::sip::message
