#include "sip/message/message.hpp"

#include <algorithm>
#include <cstring>
#include <forward_list>
#include <new>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sip/message/detail/chars.hpp"

namespace tapi::sip::message {

using detail::isLws;
using detail::isTokenChar;

namespace {
constexpr std::size_t npos = std::string_view::npos;
/** Header fields indexed inside the message's single allocation; typical messages have 10-20. */
constexpr std::size_t kInlineHeaders = 32;

/** One header field of the index. raw is the whole line(s) with terminator; empty once rewritten.
 */
struct HeaderEntry {
  std::string_view name;
  std::string_view value;
  std::string_view raw;
  HeaderId id = HeaderId::Other;
};

/**
 * The header index. Parsing fills a fixed array carved out of the message's single
 * allocation; the first change moves it to a vector (changes allocate anyway).
 */
class HeaderTable {
 public:
  /** Append; spills into the vector once the inline storage is full. */
  void push(const HeaderEntry& e) {
    if (!onHeap_ && size_ < cap_) {
      data_[size_++] = e;
      return;
    }
    mutableVector().push_back(e);
    syncFromVector();
  }

  void init(HeaderEntry* storage, std::size_t capacity) noexcept {
    data_ = storage;
    cap_ = capacity;
    size_ = 0;
  }
  std::size_t size() const noexcept { return size_; }
  HeaderEntry& operator[](std::size_t i) noexcept { return data_[i]; }
  const HeaderEntry& operator[](std::size_t i) const noexcept { return data_[i]; }
  const HeaderEntry* begin() const noexcept { return data_; }
  const HeaderEntry* end() const noexcept { return data_ + size_; }

  std::vector<HeaderEntry>& mutableVector() {
    if (!onHeap_) {
      heap_.assign(data_, data_ + size_);
      onHeap_ = true;
    }
    return heap_;
  }
  void syncFromVector() noexcept {
    data_ = heap_.data();
    size_ = heap_.size();
    cap_ = heap_.size();
  }

 private:
  HeaderEntry* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t cap_ = 0;
  bool onHeap_ = false;
  std::vector<HeaderEntry> heap_;
};

/** Find the end of the line starting at @p pos: index of '\n' (or npos). */
std::size_t lineEnd(std::string_view s, std::size_t pos) noexcept {
  const void* p = std::memchr(s.data() + pos, '\n', s.size() - pos);
  return p == nullptr ? npos : static_cast<std::size_t>(static_cast<const char*>(p) - s.data());
}

/** The line [pos, nl) without a trailing CR. */
std::string_view lineText(std::string_view s, std::size_t pos, std::size_t nl) noexcept {
  std::size_t e = nl;
  if (e > pos && s[e - 1] == '\r')
    --e;
  return s.substr(pos, e - pos);
}

/** First '\n', '\r' or NUL in [p, end), or end. Sixteen bytes at a time where SSE2 exists. */
const char* findLineSpecial(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i nul = _mm_setzero_si128();
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)),
                                     _mm_cmpeq_epi8(v, nul));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0)
      return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  while (p < end && *p != '\n' && *p != '\r' && *p != '\0')
    ++p;
  return p;
}

/** One physical line of the header section. */
struct LineScan {
  enum class Kind : std::uint8_t { Line, NoEnd, Forbidden } kind = Kind::NoEnd;
  std::string_view text;  // without its terminator
  std::size_t next = 0;   // index after the terminator
};

/**
 * Quote state of a header line read left to right, so that an escaped NUL inside a
 * quoted-string (RFC 3261 §25.1 quoted-pair, RFC 4475 intmeth) can be told from a bare one
 * in one pass, however many of them the line holds.
 */
struct QuoteTracker {
  const char* seen;  // everything before this has been classified
  bool quoted = false;
  bool escaped = false;  // the previous byte was the "\\" of a quoted-pair

  /** Reads up to @p q (a NUL) and @return true if that NUL is escaped inside quotes. */
  bool escapedNulAt(const char* q) noexcept {
    for (; seen < q; ++seen) {
      if (escaped) {
        escaped = false;
      } else if (quoted && *seen == '\\') {
        escaped = true;
      } else if (*seen == '"') {
        quoted = !quoted;
      }
    }
    const bool ok = escaped;
    escaped = false;
    seen = q + 1;
    return ok;
  }
};

/**
 * Cut the line starting at @p pos. Lines end in CRLF or a lone LF. NUL (except escaped
 * inside a quoted-string), and CR other than in CRLF, are refused here so that no later
 * reader can mistake them for a line break (header smuggling); other control bytes are
 * passed to whoever reads the header.
 */
LineScan scanLine(std::string_view s, std::size_t pos) noexcept {
  LineScan r;
  const char* end = s.data() + s.size();
  const char* q = findLineSpecial(s.data() + pos, end);
  QuoteTracker quotes{s.data() + pos};
  while (q != end && *q == '\0' && quotes.escapedNulAt(q)) {
    q = findLineSpecial(q + 1, end);
  }
  r.text = s.substr(pos, static_cast<std::size_t>(q - (s.data() + pos)));
  if (q == end)
    return r;
  if (*q == '\n') {
    r.kind = LineScan::Kind::Line;
    r.next = static_cast<std::size_t>(q + 1 - s.data());
  } else if (*q == '\r' && q + 1 < end && q[1] == '\n') {
    r.kind = LineScan::Kind::Line;
    r.next = static_cast<std::size_t>(q + 2 - s.data());
  } else if (*q == '\r' && q + 1 == end) {
    r.kind = LineScan::Kind::NoEnd;
  } else {
    r.kind = LineScan::Kind::Forbidden;
  }
  return r;
}

bool isReasonPhraseOk(std::string_view r) noexcept {
  for (char c : r) {
    const auto uc = static_cast<unsigned char>(c);
    if (uc < 0x20 && c != '\t')
      return false;
    if (uc == 0x7f)
      return false;
  }
  return true;
}

Unexpected err(ParseError e) {
  return fail(make_error_code(e));
}

}  // namespace

// ---- Impl ------------------------------------------------------------------------------

struct SipMessage::Impl {
  // Storage: the bytes (copied once) live right after this struct in the same block.
  std::string_view bytes;         // everything received
  std::size_t start = 0;          // after leading CRLF keep-alives
  std::size_t end = 0;            // end of the message (body per Content-Length)
  std::string_view startLineRaw;  // with its terminator
  std::string_view bodySource;    // everything after the blank line, or the owned body
  HeaderTable headers;
  std::forward_list<std::string> owned;  // text of changed headers/start line/body
  bool modified = false;
  bool startLineDirty = false;

  // Start line.
  bool request = false;
  Method method = Method::Extension;
  std::string_view methodName;
  Uri requestUri;
  int status = 0;
  std::string_view reason;

  // Routing headers, parsed by index().
  Via topVia;
  NameAddr from;
  NameAddr to;
  std::string_view callId;
  CSeq cseq;
  std::optional<std::uint32_t> maxForwards;
  std::optional<std::size_t> contentLength;
  std::string_view body;
  bool contactWildcard = false;

  // Lists typed on first access.
  std::optional<std::vector<Via>> vias;
  std::optional<std::vector<NameAddr>> contacts;
  std::optional<std::vector<NameAddr>> routes;
  std::optional<std::vector<NameAddr>> recordRoutes;

  std::string_view own(std::string s) {
    owned.push_front(std::move(s));
    return owned.front();
  }

  /** Parse the start line text (without terminator). */
  Result<void> parseStartLine(std::string_view line);
  /** Validate the routing headers and fill the typed slots; also computes body/end. */
  Result<void> index(const ParseLimits& limits);
  void clearCaches() {
    vias.reset();
    contacts.reset();
    routes.reset();
    recordRoutes.reset();
  }
};

Result<void> SipMessage::Impl::parseStartLine(std::string_view line) {
  if (line.size() >= 4 && line.substr(0, 4) == "SIP/") {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const std::size_t sp = line.find(' ');
    if (sp == npos)
      return err(ParseError::BadStartLine);
    if (line.substr(0, sp) != "SIP/2.0")
      return err(ParseError::BadVersion);
    const std::string_view code = line.substr(sp + 1, 3);
    if (code.size() != 3 || !detail::isDigit(code[0]) || !detail::isDigit(code[1]) ||
        !detail::isDigit(code[2])) {
      return err(ParseError::BadStatusCode);
    }
    const int st = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (st < 100 || st > 699)
      return err(ParseError::BadStatusCode);
    std::string_view rest = line.substr(sp + 4);
    if (!rest.empty()) {
      if (rest[0] != ' ')
        return err(ParseError::BadStatusCode);
      rest.remove_prefix(1);
    }
    if (!isReasonPhraseOk(rest))
      return err(ParseError::BadReasonPhrase);
    request = false;
    status = st;
    reason = rest;
    methodName = {};
    method = Method::Extension;
    return {};
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (exactly single spaces).
  const std::size_t sp1 = line.find(' ');
  if (sp1 == npos)
    return err(ParseError::BadStartLine);
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == npos)
    return err(ParseError::BadStartLine);
  const std::string_view m = line.substr(0, sp1);
  if (m.empty())
    return err(ParseError::BadStartLine);
  for (char c : m) {
    if (!isTokenChar(c))
      return err(ParseError::BadMethod);
  }
  const std::string_view version = line.substr(sp2 + 1);
  if (version.find(' ') != npos)
    return err(ParseError::BadRequestUri);
  if (version.size() < 4 || version.substr(0, 4) != "SIP/")
    return err(ParseError::BadStartLine);
  if (version != "SIP/2.0")
    return err(ParseError::BadVersion);
  if (!detail::parseUriInto(line.substr(sp1 + 1, sp2 - sp1 - 1), requestUri)) {
    return err(ParseError::BadRequestUri);
  }
  request = true;
  methodName = m;
  method = methodFromString(m);
  status = 0;
  reason = {};
  return {};
}

namespace {

/** Validate every comma-separated name-addr of a Contact/Route/Record-Route value. */
bool validNameAddrList(std::string_view value) {
  bool ok = true;
  NameAddr scratch;
  const bool balanced = splitValues(value, [&](std::string_view elem) {
    ok = detail::parseNameAddrInto(elem, scratch);
    return ok;
  });
  return balanced && ok;
}

}  // namespace

Result<void> SipMessage::Impl::index(const ParseLimits& limits) {
  bool haveVia = false;
  bool haveFrom = false;
  bool haveTo = false;
  bool haveCallId = false;
  bool haveCSeq = false;
  maxForwards.reset();
  contentLength.reset();
  contactWildcard = false;
  for (const HeaderEntry& h : headers) {
    switch (h.id) {
      case HeaderId::Via: {
        bool ok = true;
        Via scratch;
        const bool balanced = splitValues(h.value, [&](std::string_view elem) {
          ok = detail::parseViaInto(elem, haveVia ? scratch : topVia);
          haveVia = true;
          return ok;
        });
        if (!balanced || !ok)
          return err(ParseError::BadVia);
        break;
      }
      case HeaderId::From:
      case HeaderId::To: {
        const bool isFrom = h.id == HeaderId::From;
        const ParseError e = isFrom ? ParseError::BadFrom : ParseError::BadTo;
        if (isFrom ? haveFrom : haveTo)
          return err(e);
        if (!detail::parseNameAddrInto(h.value, isFrom ? from : to))
          return err(e);
        (isFrom ? haveFrom : haveTo) = true;
        break;
      }
      case HeaderId::CallId: {
        if (haveCallId || h.value.empty())
          return err(ParseError::BadCallId);
        for (char c : h.value) {
          const auto uc = static_cast<unsigned char>(c);
          if (uc <= 0x20 || uc == 0x7f)
            return err(ParseError::BadCallId);
        }
        callId = h.value;
        haveCallId = true;
        break;
      }
      case HeaderId::CSeq: {
        if (haveCSeq)
          return err(ParseError::BadCSeq);
        if (!detail::parseCSeqInto(h.value, cseq))
          return err(ParseError::BadCSeq);
        haveCSeq = true;
        break;
      }
      case HeaderId::MaxForwards: {
        std::uint32_t mf = 0;
        if (maxForwards || !detail::parseDecimal<std::uint32_t>(h.value, 255, &mf)) {
          return err(ParseError::BadMaxForwards);
        }
        maxForwards = mf;
        break;
      }
      case HeaderId::ContentLength: {
        std::size_t cl = 0;
        if (!detail::parseDecimal<std::size_t>(h.value, std::size_t{0xffffffffU}, &cl)) {
          return err(ParseError::BadContentLength);
        }
        // RFC 7230-style tolerance would accept equal duplicates; SIP has no such rule,
        // but differing values can only be an attack on framing.
        if (contentLength && *contentLength != cl)
          return err(ParseError::BadContentLength);
        contentLength = cl;
        break;
      }
      case HeaderId::Contact: {
        if (h.value == "*") {
          contactWildcard = true;
          break;
        }
        if (!validNameAddrList(h.value))
          return err(ParseError::BadContact);
        break;
      }
      case HeaderId::Route:
        if (!validNameAddrList(h.value))
          return err(ParseError::BadRoute);
        break;
      case HeaderId::RecordRoute:
        if (!validNameAddrList(h.value)) {
          return err(ParseError::BadRecordRoute);
        }
        break;
      case HeaderId::ContentType:
      case HeaderId::Accept:
      case HeaderId::AcceptContact:
      case HeaderId::AcceptEncoding:
      case HeaderId::AcceptLanguage:
      case HeaderId::AlertInfo:
      case HeaderId::Allow:
      case HeaderId::AllowEvents:
      case HeaderId::AuthenticationInfo:
      case HeaderId::Authorization:
      case HeaderId::CallInfo:
      case HeaderId::ContentDisposition:
      case HeaderId::ContentEncoding:
      case HeaderId::ContentLanguage:
      case HeaderId::Date:
      case HeaderId::ErrorInfo:
      case HeaderId::Event:
      case HeaderId::Expires:
      case HeaderId::Identity:
      case HeaderId::IdentityInfo:
      case HeaderId::InReplyTo:
      case HeaderId::MimeVersion:
      case HeaderId::MinExpires:
      case HeaderId::MinSe:
      case HeaderId::Organization:
      case HeaderId::PAssertedIdentity:
      case HeaderId::PPreferredIdentity:
      case HeaderId::Path:
      case HeaderId::Priority:
      case HeaderId::Privacy:
      case HeaderId::ProxyAuthenticate:
      case HeaderId::ProxyAuthorization:
      case HeaderId::ProxyRequire:
      case HeaderId::RAck:
      case HeaderId::Reason:
      case HeaderId::ReferTo:
      case HeaderId::ReferredBy:
      case HeaderId::RejectContact:
      case HeaderId::ReplyTo:
      case HeaderId::RequestDisposition:
      case HeaderId::Require:
      case HeaderId::RetryAfter:
      case HeaderId::RSeq:
      case HeaderId::Server:
      case HeaderId::ServiceRoute:
      case HeaderId::SessionExpires:
      case HeaderId::Subject:
      case HeaderId::Supported:
      case HeaderId::Timestamp:
      case HeaderId::Unsupported:
      case HeaderId::UserAgent:
      case HeaderId::UserToUser:
      case HeaderId::Warning:
      case HeaderId::WwwAuthenticate:
      case HeaderId::Other:
        // Not needed for routing: located only, typed by whoever asks.
        break;
    }
  }
  if (!haveVia)
    return err(ParseError::MissingVia);
  if (!haveFrom)
    return err(ParseError::MissingFrom);
  if (!haveTo)
    return err(ParseError::MissingTo);
  if (!haveCallId)
    return err(ParseError::MissingCallId);
  if (!haveCSeq)
    return err(ParseError::MissingCSeq);
  if (request) {
    if (cseq.methodName != methodName)
      return err(ParseError::CSeqMethodMismatch);
  } else {
    method = cseq.method;
    methodName = cseq.methodName;
  }
  if (contentLength) {
    if (*contentLength > bodySource.size())
      return err(ParseError::ContentLengthExceedsBody);
    body = bodySource.substr(0, *contentLength);
  } else {
    if (limits.requireContentLength)
      return err(ParseError::MissingContentLength);
    body = bodySource;
  }
  return {};
}

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
  const std::size_t maxEntries = std::min(kInlineHeaders, limits.maxHeaders + 1);
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
  LineScan ls = scanLine(s, start);
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
    ls = scanLine(s, pos);
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
    while (n < line.size() && isTokenChar(line[n]))
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
    const std::size_t nl = lineEnd(stream, pos);
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
    const std::string_view line = lineText(stream, pos, nl);
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

// ---- SipMessage ------------------------------------------------------------------------

SipMessage::SipMessage(Impl* impl) noexcept : impl_(impl) {}
SipMessage::SipMessage(SipMessage&&) noexcept = default;
SipMessage& SipMessage::operator=(SipMessage&&) noexcept = default;
SipMessage::~SipMessage() = default;

void SipMessage::ImplDeleter::operator()(Impl* p) const noexcept {
  p->~Impl();  // HeaderEntry is trivially destructible; the block is freed as one
  ::operator delete(static_cast<void*>(p));
}

SipMessage SipMessage::clone() const {
  ParseLimits unlimited;
  unlimited.maxMessageSize = static_cast<std::size_t>(-1) / 4;
  unlimited.maxHeaders = static_cast<std::size_t>(-1) / 4;
  unlimited.maxLineLength = static_cast<std::size_t>(-1) / 4;
  auto r = parse(serialize(), unlimited);
  assert(r.ok());  // a message we hold always re-parses
  return std::move(r).value();
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
std::vector<NameAddr> collectNameAddrs(const HeaderTable& headers, HeaderId id, ParseError e) {
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
    impl_->contacts = collectNameAddrs(impl_->headers, HeaderId::Contact, ParseError::BadContact);
  }
  return *impl_->contacts;
}

const std::vector<NameAddr>& SipMessage::routes() const {
  if (!impl_->routes) {
    impl_->routes = collectNameAddrs(impl_->headers, HeaderId::Route, ParseError::BadRoute);
  }
  return *impl_->routes;
}

const std::vector<NameAddr>& SipMessage::recordRoutes() const {
  if (!impl_->recordRoutes) {
    impl_->recordRoutes =
        collectNameAddrs(impl_->headers, HeaderId::RecordRoute, ParseError::BadRecordRoute);
  }
  return *impl_->recordRoutes;
}

namespace {
bool nameMatches(const HeaderEntry& h, HeaderId id, std::string_view name) noexcept {
  if (id != HeaderId::Other)
    return h.id == id;
  return h.id == HeaderId::Other && detail::iequals(h.name, name);
}
}  // namespace

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

// ---- changes ---------------------------------------------------------------------------

namespace {

bool validHeaderName(std::string_view name) noexcept {
  if (name.empty())
    return false;
  for (char c : name) {
    if (!isTokenChar(c))
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

/** The ParseError a bad value of a routing header should report. */
ParseError errorFor(HeaderId id) noexcept {
  switch (id) {
    case HeaderId::Via:
      return ParseError::BadVia;
    case HeaderId::From:
      return ParseError::BadFrom;
    case HeaderId::To:
      return ParseError::BadTo;
    case HeaderId::CallId:
      return ParseError::BadCallId;
    case HeaderId::CSeq:
      return ParseError::BadCSeq;
    case HeaderId::MaxForwards:
      return ParseError::BadMaxForwards;
    case HeaderId::ContentLength:
      return ParseError::BadContentLength;
    case HeaderId::Contact:
      return ParseError::BadContact;
    case HeaderId::Route:
      return ParseError::BadRoute;
    case HeaderId::RecordRoute:
      return ParseError::BadRecordRoute;
    case HeaderId::ContentType:
    case HeaderId::Accept:
    case HeaderId::AcceptContact:
    case HeaderId::AcceptEncoding:
    case HeaderId::AcceptLanguage:
    case HeaderId::AlertInfo:
    case HeaderId::Allow:
    case HeaderId::AllowEvents:
    case HeaderId::AuthenticationInfo:
    case HeaderId::Authorization:
    case HeaderId::CallInfo:
    case HeaderId::ContentDisposition:
    case HeaderId::ContentEncoding:
    case HeaderId::ContentLanguage:
    case HeaderId::Date:
    case HeaderId::ErrorInfo:
    case HeaderId::Event:
    case HeaderId::Expires:
    case HeaderId::Identity:
    case HeaderId::IdentityInfo:
    case HeaderId::InReplyTo:
    case HeaderId::MimeVersion:
    case HeaderId::MinExpires:
    case HeaderId::MinSe:
    case HeaderId::Organization:
    case HeaderId::PAssertedIdentity:
    case HeaderId::PPreferredIdentity:
    case HeaderId::Path:
    case HeaderId::Priority:
    case HeaderId::Privacy:
    case HeaderId::ProxyAuthenticate:
    case HeaderId::ProxyAuthorization:
    case HeaderId::ProxyRequire:
    case HeaderId::RAck:
    case HeaderId::Reason:
    case HeaderId::ReferTo:
    case HeaderId::ReferredBy:
    case HeaderId::RejectContact:
    case HeaderId::ReplyTo:
    case HeaderId::RequestDisposition:
    case HeaderId::Require:
    case HeaderId::RetryAfter:
    case HeaderId::RSeq:
    case HeaderId::Server:
    case HeaderId::ServiceRoute:
    case HeaderId::SessionExpires:
    case HeaderId::Subject:
    case HeaderId::Supported:
    case HeaderId::Timestamp:
    case HeaderId::Unsupported:
    case HeaderId::UserAgent:
    case HeaderId::UserToUser:
    case HeaderId::Warning:
    case HeaderId::WwwAuthenticate:
    case HeaderId::Other:
      return ParseError::BadHeaderValue;
  }
  return ParseError::BadHeaderValue;
}

bool isMandatory(HeaderId id) noexcept {
  return id == HeaderId::Via || id == HeaderId::From || id == HeaderId::To ||
         id == HeaderId::CallId || id == HeaderId::CSeq;
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
    return err(errorFor(id));
  HeaderEntry e;
  e.id = id;
  e.name = id == HeaderId::Other ? impl.own(std::string(name)) : canonicalName(id);
  e.value = impl.own(std::string(detail::trimLws(value)));
  return e;
}
}  // namespace

Result<void> SipMessage::prependHeader(std::string_view name, std::string_view value) {
  auto e = makeEntry(*impl_, name, value);
  if (!e)
    return fail(e.error());
  const HeaderEntry entry = *e;
  return detail_impl::applyChange(*impl_, impl_->headers, [&](std::vector<HeaderEntry>& v) {
    auto it = std::find_if(v.begin(), v.end(), [&](const HeaderEntry& h) {
      return nameMatches(h, entry.id, entry.name);
    });
    v.insert(it == v.end() ? v.begin() : it, entry);
  });
}

Result<void> SipMessage::addHeader(std::string_view name, std::string_view value) {
  auto e = makeEntry(*impl_, name, value);
  if (!e)
    return fail(e.error());
  const HeaderEntry entry = *e;
  return detail_impl::applyChange(*impl_, impl_->headers,
                                  [&](std::vector<HeaderEntry>& v) { v.push_back(entry); });
}

Result<void> SipMessage::replaceHeader(std::string_view name, std::string_view value) {
  auto e = makeEntry(*impl_, name, value);
  if (!e)
    return fail(e.error());
  const HeaderEntry entry = *e;
  return detail_impl::applyChange(*impl_, impl_->headers, [&](std::vector<HeaderEntry>& v) {
    auto first = std::find_if(v.begin(), v.end(),
                              [&](const HeaderEntry& h) { return nameMatches(h, entry.id, name); });
    if (first == v.end()) {
      v.push_back(entry);
      return;
    }
    *first = entry;
    v.erase(std::remove_if(first + 1, v.end(),
                           [&](const HeaderEntry& h) { return nameMatches(h, entry.id, name); }),
            v.end());
  });
}

std::size_t SipMessage::removeHeader(std::string_view name) {
  const HeaderId id = lookupHeader(name);
  if (isMandatory(id))
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
