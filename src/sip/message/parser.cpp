// parse() (one whole message into a SipMessage) and frameMessage() (where a message ends
// in a stream).

#include <algorithm>
#include <cstring>
#include <new>

#include "sip/message/detail/chars.hpp"
#include "sip/message/detail/line_scan.hpp"
#include "sip/message/detail/message_impl.hpp"

namespace tapi::sip::message {

using detail::err;
using detail::HeaderEntry;
using detail::LineScan;

namespace {
constexpr std::size_t npos = std::string_view::npos;
}  // namespace

// ---- parse -----------------------------------------------------------------------------

Result<SipMessage> parse(std::string_view in, const ParseLimits& limits) {
  if (in.size() > limits.maxMessageSize)
    return err(ParseError::MessageTooLarge);
  std::size_t start = 0;
  while (start < in.size() && (in[start] == '\r' || in[start] == '\n'))
    ++start;
  if (start == in.size())
    return err(ParseError::Empty);

  // One allocation: Impl, then room for the first kInlineHeaders header fields, then the
  // bytes. Messages with more fields spill the index into a vector (a second allocation).
  const std::size_t maxEntries = std::min(detail::kInlineHeaders, limits.maxHeaders + 1);
  constexpr std::size_t kImplSize = (sizeof(SipMessage::Impl) + alignof(HeaderEntry) - 1) /
                                    alignof(HeaderEntry) * alignof(HeaderEntry);
  const std::size_t entriesSize = maxEntries * sizeof(HeaderEntry);
  void* block = ::operator new(kImplSize + entriesSize + in.size());
  auto* impl = new (block) SipMessage::Impl();
  SipMessage msg(impl);  // owns the block from here on, whatever happens below
  auto* entries = reinterpret_cast<HeaderEntry*>(static_cast<char*>(block) + kImplSize);
  // HeaderEntry is an implicit-lifetime aggregate: slots come alive when first assigned.
  char* data = static_cast<char*>(block) + kImplSize + entriesSize;
  std::memcpy(data, in.data(), in.size());
  const std::string_view s(data, in.size());
  impl->bytes = s;
  impl->start = start;
  impl->headers.init(entries, maxEntries);

  // Start line.
  LineScan ls = detail::scanLine(s, start);
  if (ls.text.size() > limits.maxLineLength)
    return err(ParseError::LineTooLong);
  if (ls.kind == LineScan::Kind::NoEnd)
    return err(ParseError::Incomplete);
  if (ls.kind == LineScan::Kind::Forbidden)
    return err(ParseError::BadStartLine);
  impl->startLineRaw = s.substr(start, ls.next - start);
  if (auto r = impl->parseStartLine(ls.text); !r)
    return fail(r.error());

  // Header lines, unfolding continuation lines into the previous field.
  std::size_t pos = ls.next;
  bool sawBlank = false;
  HeaderEntry* current = nullptr;
  std::size_t count = 0;
  while (pos < s.size()) {
    ls = detail::scanLine(s, pos);
    const std::string_view line = ls.text;
    if (line.size() > limits.maxLineLength)
      return err(ParseError::LineTooLong);
    if (ls.kind == LineScan::Kind::NoEnd)
      return err(ParseError::Incomplete);
    if (ls.kind == LineScan::Kind::Forbidden)
      return err(ParseError::BadHeaderValue);
    if (line.empty()) {
      pos = ls.next;
      sawBlank = true;
      break;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (current == nullptr)
        return err(ParseError::BadHeaderLine);
      const std::string_view trimmed = detail::trimLws(line);
      if (!trimmed.empty()) {
        const char* vbeg = current->value.empty() ? trimmed.data() : current->value.data();
        current->value = std::string_view(
            vbeg, static_cast<std::size_t>(trimmed.data() + trimmed.size() - vbeg));
      }
      current->raw = std::string_view(
          current->raw.data(), static_cast<std::size_t>(s.data() + ls.next - current->raw.data()));
      pos = ls.next;
      continue;
    }
    std::size_t n = 0;
    while (n < line.size() && detail::isTokenChar(line[n]))
      ++n;
    if (n == 0)
      return err(ParseError::BadHeaderLine);
    std::size_t c = n;
    while (c < line.size() && (line[c] == ' ' || line[c] == '\t'))
      ++c;
    if (c >= line.size() || line[c] != ':')
      return err(ParseError::BadHeaderLine);
    if (++count > limits.maxHeaders)
      return err(ParseError::TooManyHeaders);
    HeaderEntry e;
    e.name = line.substr(0, n);
    e.value = detail::trimLws(line.substr(c + 1));
    if (e.value.empty())
      e.value = line.substr(line.size());
    e.raw = s.substr(pos, ls.next - pos);
    e.id = lookupHeader(e.name);
    impl->headers.push(e);
    current = &impl->headers[impl->headers.size() - 1];
    pos = ls.next;
  }
  if (!sawBlank)
    return err(ParseError::Incomplete);
  impl->bodySource = s.substr(pos);
  if (auto r = impl->index(limits); !r)
    return fail(r.error());
  impl->end = pos + impl->body.size();
  return msg;
}

// ---- framing ---------------------------------------------------------------------------

FrameResult frameMessage(std::string_view stream, const ParseLimits& limits) {
  FrameResult r;
  std::size_t ka = 0;
  while (ka < stream.size() && (stream[ka] == '\r' || stream[ka] == '\n'))
    ++ka;
  if (ka > 0) {
    r.status = FrameStatus::KeepAlive;
    r.length = ka;
    return r;
  }
  // Scan the header section line by line, looking for Content-Length (any form).
  std::size_t pos = 0;
  std::optional<std::size_t> cl;
  std::size_t lineNo = 0;
  for (;;) {
    const std::size_t nl = detail::lineEnd(stream, pos);
    const std::size_t physEnd = nl == npos ? stream.size() : nl;
    if (physEnd - pos > limits.maxLineLength + 1) {
      r.status = FrameStatus::Invalid;
      r.error = ParseError::LineTooLong;
      return r;
    }
    if (nl == npos) {
      if (stream.size() > limits.maxMessageSize) {
        r.status = FrameStatus::Invalid;
        r.error = ParseError::MessageTooLarge;
      }
      return r;
    }
    const std::string_view line = detail::lineText(stream, pos, nl);
    pos = nl + 1;
    if (line.empty())
      break;
    if (++lineNo > limits.maxHeaders + 1) {
      r.status = FrameStatus::Invalid;
      r.error = ParseError::TooManyHeaders;
      return r;
    }
    if (lineNo == 1 || line[0] == ' ' || line[0] == '\t')
      continue;
    const std::size_t colon = line.find(':');
    if (colon == npos)
      continue;
    if (lookupHeader(detail::trimLws(line.substr(0, colon))) != HeaderId::ContentLength)
      continue;
    std::size_t v = 0;
    if (!detail::parseDecimal<std::size_t>(detail::trimLws(line.substr(colon + 1)),
                                           std::size_t{0xffffffffU}, &v)) {
      r.status = FrameStatus::Invalid;
      r.error = ParseError::BadContentLength;
      return r;
    }
    cl = v;
  }
  if (!cl) {
    r.status = FrameStatus::Invalid;
    r.error = ParseError::MissingContentLength;
    return r;
  }
  if (pos + *cl > limits.maxMessageSize) {
    r.status = FrameStatus::Invalid;
    r.error = ParseError::MessageTooLarge;
    return r;
  }
  if (stream.size() < pos + *cl)
    return r;
  r.status = FrameStatus::Complete;
  r.length = pos + *cl;
  return r;
}

}  // namespace tapi::sip::message
