// Changing a parsed message: adding, replacing and removing headers, the top Via's
// parameters, the request-URI and the body. Every change is validated by re-indexing, and
// a change that would leave the message invalid is undone.

#include <algorithm>
#include <cassert>

#include "sip/message/detail/chars.hpp"
#include "sip/message/detail/header_roles.hpp"
#include "sip/message/detail/message_impl.hpp"

namespace tapi::sip::message {

using detail::err;
using detail::HeaderEntry;
using detail::HeaderTable;
using detail::nameMatches;

namespace {

bool validHeaderName(std::string_view name) noexcept {
  if (name.empty())
    return false;
  for (char c : name) {
    if (!detail::isTokenChar(c))
      return false;
  }
  return true;
}

bool validNewValue(std::string_view v) noexcept {
  for (char c : v) {
    if (c == '\r' || c == '\n' || c == '\0')
      return false;
  }
  return true;
}

/** Limits for re-indexing after a change: the change itself is already validated. */
ParseLimits relaxedLimits() noexcept {
  ParseLimits l;
  l.maxMessageSize = static_cast<std::size_t>(-1) / 4;
  return l;
}

}  // namespace

namespace detail_impl {
/** Apply @p change to a copy of the header vector; keep it only if the message stays valid. */
template <typename Fn>
Result<void> applyChange(SipMessage::Impl& impl, HeaderTable& headers, Fn&& change) {
  std::vector<HeaderEntry>& vec = headers.mutableVector();
  std::vector<HeaderEntry> backup = vec;
  change(vec);
  headers.syncFromVector();
  if (auto r = impl.index(relaxedLimits()); !r) {
    vec = std::move(backup);
    headers.syncFromVector();
    auto again = impl.index(relaxedLimits());
    assert(again.ok());
    (void)again;
    impl.clearCaches();
    return r;
  }
  impl.clearCaches();
  impl.modified = true;
  return {};
}
}  // namespace detail_impl

namespace {
Result<HeaderEntry> makeEntry(SipMessage::Impl& impl, std::string_view name,
                              std::string_view value) {
  if (!validHeaderName(name))
    return err(ParseError::BadHeaderLine);
  const HeaderId id = lookupHeader(name);
  if (!validNewValue(value))
    return err(detail::badValueError(id));
  HeaderEntry e;
  e.id = id;
  e.name = id == HeaderId::Other ? impl.own(std::string(name)) : canonicalName(id);
  e.value = impl.own(std::string(detail::trimLws(value)));
  return e;
}

/** Make a new header field, then let @p place put it into the header vector (applyChange()). */
template <typename Fn>
Result<void> applyNewEntry(SipMessage::Impl& impl, std::string_view name, std::string_view value,
                           Fn&& place) {
  auto e = makeEntry(impl, name, value);
  if (!e)
    return fail(e.error());
  const HeaderEntry entry = *e;
  return detail_impl::applyChange(impl, impl.headers,
                                  [&](std::vector<HeaderEntry>& v) { place(v, entry); });
}
}  // namespace

Result<void> SipMessage::prependHeader(std::string_view name, std::string_view value) {
  return applyNewEntry(*impl_, name, value,
                       [](std::vector<HeaderEntry>& v, const HeaderEntry& entry) {
                         auto it = std::find_if(v.begin(), v.end(), [&](const HeaderEntry& h) {
                           return nameMatches(h, entry.id, entry.name);
                         });
                         v.insert(it == v.end() ? v.begin() : it, entry);
                       });
}

Result<void> SipMessage::addHeader(std::string_view name, std::string_view value) {
  return applyNewEntry(
      *impl_, name, value,
      [](std::vector<HeaderEntry>& v, const HeaderEntry& entry) { v.push_back(entry); });
}

Result<void> SipMessage::replaceHeader(std::string_view name, std::string_view value) {
  return applyNewEntry(
      *impl_, name, value, [&](std::vector<HeaderEntry>& v, const HeaderEntry& entry) {
        auto first = std::find_if(v.begin(), v.end(), [&](const HeaderEntry& h) {
          return nameMatches(h, entry.id, name);
        });
        if (first == v.end()) {
          v.push_back(entry);
          return;
        }
        *first = entry;
        v.erase(
            std::remove_if(first + 1, v.end(),
                           [&](const HeaderEntry& h) { return nameMatches(h, entry.id, name); }),
            v.end());
      });
}

std::size_t SipMessage::removeHeader(std::string_view name) {
  const HeaderId id = lookupHeader(name);
  if (detail::isMandatory(detail::roleOf(id)))
    return 0;
  std::size_t n = 0;
  for (const HeaderEntry& h : impl_->headers) {
    if (nameMatches(h, id, name))
      ++n;
  }
  if (n == 0)
    return 0;
  auto r = detail_impl::applyChange(*impl_, impl_->headers, [&](std::vector<HeaderEntry>& v) {
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&](const HeaderEntry& h) { return nameMatches(h, id, name); }),
            v.end());
  });
  return r ? n : 0;
}

bool SipMessage::removeTopVia() {
  std::size_t viaCount = 0;
  for (const HeaderEntry& h : impl_->headers) {
    if (h.id != HeaderId::Via)
      continue;
    splitValues(h.value, [&](std::string_view) {
      ++viaCount;
      return viaCount < 2;
    });
    if (viaCount >= 2)
      break;
  }
  if (viaCount < 2)
    return false;
  auto r = detail_impl::applyChange(*impl_, impl_->headers, [&](std::vector<HeaderEntry>& v) {
    auto it = std::find_if(v.begin(), v.end(),
                           [](const HeaderEntry& h) { return h.id == HeaderId::Via; });
    const std::size_t comma = detail::nextElementEnd(it->value, 0);
    if (comma >= it->value.size()) {
      v.erase(it);
      return;
    }
    it->value = detail::trimLws(it->value.substr(comma + 1));
    it->raw = {};
  });
  return r.ok();
}

Result<void> SipMessage::setTopViaParam(std::string_view name,
                                        std::optional<std::string_view> value) {
  if (!validHeaderName(name))
    return err(ParseError::BadVia);
  if (value) {
    for (char c : *value) {
      if (!detail::isParamChar(c))
        return err(ParseError::BadVia);
    }
    if (value->empty())
      return err(ParseError::BadVia);
  }
  const Via& top = impl_->topVia;
  // Rebuild the first Via element: the first occurrence of the parameter is replaced in
  // place, later duplicates are cut out (one left behind would win on re-parse), and a
  // parameter not there yet goes last.
  const std::string_view elem = top.text;
  const std::string_view params = top.params.text();
  const auto paramsOff = static_cast<std::size_t>(params.data() - elem.data());
  const std::size_t paramsEnd = paramsOff + params.size();
  std::string newElem;
  newElem.reserve(elem.size() + name.size() + (value ? value->size() : 0) + 2);
  auto appendParam = [&] {
    newElem.push_back(';');
    newElem.append(name);
    if (value) {
      newElem.push_back('=');
      newElem.append(*value);
    }
  };
  std::size_t cursor = 0;
  bool written = false;
  for (const Param& prm : top.params) {
    if (!detail::iequals(prm.name, name))
      continue;
    auto b = static_cast<std::size_t>(prm.name.data() - elem.data());
    while (b > paramsOff && elem[b] != ';')
      --b;  // back to the ';' that opens it
    const std::string_view last = prm.hasValue ? prm.value : prm.name;
    newElem.append(elem.substr(cursor, b - cursor));
    if (!written) {
      appendParam();
      written = true;
    }
    cursor = static_cast<std::size_t>(last.data() + last.size() - elem.data());
  }
  newElem.append(elem.substr(cursor, paramsEnd - cursor));
  if (!written)
    appendParam();
  newElem.append(elem.substr(paramsEnd));

  auto vit = std::find_if(impl_->headers.begin(), impl_->headers.end(),
                          [](const HeaderEntry& h) { return h.id == HeaderId::Via; });
  const std::size_t idx = static_cast<std::size_t>(vit - impl_->headers.begin());
  const std::string_view oldValue = vit->value;
  const std::size_t elemOff = static_cast<std::size_t>(elem.data() - oldValue.data());
  std::string newValue;
  newValue.append(oldValue.substr(0, elemOff));
  newValue.append(newElem);
  newValue.append(oldValue.substr(elemOff + elem.size()));
  const std::string_view stored = impl_->own(std::move(newValue));
  return detail_impl::applyChange(*impl_, impl_->headers, [&](std::vector<HeaderEntry>& v) {
    v[idx].value = stored;
    v[idx].raw = {};
  });
}

Result<void> SipMessage::setRequestUri(std::string_view uri) {
  if (!impl_->request)
    return err(ParseError::BadStartLine);
  if (!validNewValue(uri))
    return err(ParseError::BadRequestUri);
  std::string line;
  line.append(impl_->methodName).append(" ").append(uri).append(" SIP/2.0");
  const std::string_view stored = impl_->own(std::move(line));
  auto u = parseUri(stored.substr(impl_->methodName.size() + 1, uri.size()));
  if (!u)
    return err(ParseError::BadRequestUri);
  impl_->methodName = stored.substr(0, impl_->methodName.size());
  impl_->requestUri = *u;
  impl_->startLineRaw = stored;
  impl_->startLineDirty = true;
  impl_->modified = true;
  return {};
}

void SipMessage::setBody(std::string_view body, std::string_view contentType) {
  impl_->bodySource = impl_->own(std::string(body));
  impl_->body = impl_->bodySource;
  const std::string len = std::to_string(body.size());
  auto r = replaceHeader("Content-Length", len);
  assert(r.ok());
  (void)r;
  if (!contentType.empty()) {
    auto t = replaceHeader("Content-Type", contentType);
    (void)t;  // a bad content type is the caller's bug; the body is already set
  }
  impl_->modified = true;
}

}  // namespace tapi::sip::message
