#pragma once
/**
 * @file
 * SIP messages (RFC 3261 §7, §20, §25) for the transport and transaction layers.
 *
 * Receiving:
 *   auto r = message::parse(bytes);            // Result<SipMessage>; copies bytes once
 *   if (!r) {                                   // r.error() is a ParseError code
 *     auto d = message::decideOnBadInput(bytes, r.error());
 *     stats.countRejected(d.error);             // then send d.response or drop
 *   }
 *   const SipMessage& m = *r;
 *   m.isRequest(); m.method(); m.methodName(); m.requestUri(); m.statusCode();
 *   m.topVia().branch / .host / .port / .transport / .received / .rport; m.vias();
 *   m.from().tag(); m.to().uri; m.callId(); m.cseq().number / .method;
 *   m.maxForwards(); m.contentLength(); m.body(); m.contacts(); m.routes();
 *   m.recordRoutes(); m.header("Subject"); m.headerValues("Supported");
 *
 * Changing and sending:
 *   m.prependHeader("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1");
 *   m.setTopViaParam("received", "192.0.2.7"); m.setTopViaParam("rport", "5062");
 *   m.replaceHeader("Max-Forwards", "69"); m.removeHeader("Route");
 *   std::string wire = m.serialize();           // identical bytes if nothing changed
 *
 * Building:
 *   auto req = MessageBuilder::request(Method::Options, "sip:bob@example.com")
 *                  .header("Via", "...").header("From", "...").build();
 *   auto resp = makeResponse(*req, 200);        // RFC 3261 §8.2.6.
 *
 * Threading: a SipMessage is a plain value owned by one thread; const accessors fill
 * caches, so even const use from two threads at once is not allowed.
 *
 * Lifetime: every string_view and typed view a SipMessage returns points into storage
 * owned by that message. Moving the message keeps them valid; mutating a header
 * invalidates views of that header only; destroying the message invalidates all.
 */

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "sip/message/header_names.hpp"
#include "sip/message/header_types.hpp"
#include "sip/message/parse_error.hpp"

namespace tapi::sip::message {

/** Hard limits applied while parsing; exceeding any is a parse error, never a crash. */
struct ParseLimits {
  std::size_t maxMessageSize = 64 * 1024;  ///< bytes of the whole message
  std::size_t maxHeaders = 256;            ///< header fields (a folded field counts once)
  std::size_t maxLineLength = 8 * 1024;    ///< bytes of one physical line, without CRLF
  /** Stream transports (TCP) must frame by Content-Length, so it is mandatory there. */
  bool requireContentLength = false;
};

/** One header field as stored: name as written, value with folding left in place. */
struct HeaderField {
  std::string_view name;   ///< as written ("v", "VIA", "Via")
  std::string_view value;  ///< trimmed; may contain CRLF+WS folds
  HeaderId id = HeaderId::Other;
};

/**
 * A parsed (or built) SIP request or response. It owns one buffer holding the bytes it
 * was parsed from; start line, headers and body are views into it. Routing headers are
 * parsed and validated by parse(); Contact, Route and Record-Route are validated then and
 * turned into typed lists on first access; other headers are only located.
 *
 * Move-only; use clone() for a deep copy.
 */
class SipMessage {
 public:
  SipMessage(SipMessage&&) noexcept;
  SipMessage& operator=(SipMessage&&) noexcept;
  SipMessage(const SipMessage&) = delete;
  SipMessage& operator=(const SipMessage&) = delete;
  ~SipMessage();

  /** @return an independent copy (re-parses the serialised form). */
  SipMessage clone() const;

  // ---- start line -------------------------------------------------------------------

  /** @return true for a request, false for a response. */
  bool isRequest() const noexcept;
  bool isResponse() const noexcept { return !isRequest(); }
  /** @return the request method; for a response, the CSeq method (what it answers). */
  Method method() const noexcept;
  /** @return the method token as written (extension methods included). */
  std::string_view methodName() const noexcept;
  /** @return the request-URI. Precondition: isRequest(). */
  const Uri& requestUri() const noexcept;
  /** @return the status code (100..699) of a response; 0 for a request. */
  int statusCode() const noexcept;
  /** @return the reason phrase of a response; empty for a request. */
  std::string_view reasonPhrase() const noexcept;

  // ---- routing headers (always present in a parsed message) --------------------------

  /** @return the first Via value. */
  const Via& topVia() const noexcept;
  /** @return all Via values, top first (typed on first call, then cached). */
  const std::vector<Via>& vias() const;
  /** @return the From header. */
  const NameAddr& from() const noexcept;
  /** @return the To header. */
  const NameAddr& to() const noexcept;
  /** @return the Call-ID value. */
  std::string_view callId() const noexcept;
  /** @return the CSeq header. */
  const CSeq& cseq() const noexcept;
  /** @return Max-Forwards if present. */
  std::optional<std::uint32_t> maxForwards() const noexcept;
  /** @return Content-Length if present. */
  std::optional<std::size_t> contentLength() const noexcept;
  /** @return the body (Content-Length bytes, or all after the blank line without it). */
  std::string_view body() const noexcept;
  /** @return Contact values in order; empty for "Contact: *" (see contactIsWildcard()). */
  const std::vector<NameAddr>& contacts() const;
  /** @return true for "Contact: *" (REGISTER remove-all). */
  bool contactIsWildcard() const noexcept;
  /** @return Route values in order. */
  const std::vector<NameAddr>& routes() const;
  /** @return Record-Route values in order. */
  const std::vector<NameAddr>& recordRoutes() const;

  // ---- generic access ---------------------------------------------------------------

  /** @return the value of the first header named @p name (any case, compact ok). */
  std::optional<std::string_view> header(std::string_view name) const;
  /** @return the value of the first header with id @p id (not Other). */
  std::optional<std::string_view> header(HeaderId id) const;
  /** @return every value of @p name, header lines and comma lists flattened, in order. */
  std::vector<std::string_view> headerValues(std::string_view name) const;
  /** @return how many header fields (lines, after unfolding) the message has. */
  std::size_t headerCount() const noexcept;
  /** @return header field @p i (0-based, in wire order). Precondition: i < headerCount(). */
  HeaderField headerAt(std::size_t i) const noexcept;

  // ---- changes (each marks the message modified) -------------------------------------

  /**
   * Add a header before all others of the same name (or at the top if none), e.g. a new
   * Via. Routing headers are validated first. @return BadHeaderValue/BadVia/... on failure,
   * leaving the message unchanged.
   */
  tapi::Result<void> prependHeader(std::string_view name, std::string_view value);
  /** Add a header after all others (before the body). Validated like prependHeader(). */
  tapi::Result<void> addHeader(std::string_view name, std::string_view value);
  /**
   * Replace every header named @p name with one carrying @p value, at the position of
   * the first (or at the end if none). Validated like prependHeader().
   */
  tapi::Result<void> replaceHeader(std::string_view name, std::string_view value);
  /**
   * Remove every header named @p name. Removing Via/From/To/Call-ID/CSeq is refused
   * (the message would be invalid): use replaceHeader or removeTopVia. @return count removed.
   */
  std::size_t removeHeader(std::string_view name);
  /** Remove the top Via value (a proxy or a UAC receiving a response). @return false if it is the only one. */
  bool removeTopVia();
  /**
   * Set or add a parameter of the top Via, e.g. ("received", "192.0.2.7") or
   * ("rport", "5060") per RFC 3581; @p value nullopt writes a flag parameter (";rport").
   * @return BadVia if name/value are not tokens.
   */
  tapi::Result<void> setTopViaParam(std::string_view name,
                                    std::optional<std::string_view> value);
  /** Replace the request-URI. Precondition: isRequest(). @return BadRequestUri. */
  tapi::Result<void> setRequestUri(std::string_view uri);
  /** Replace the body and its Content-Length (and Content-Type if non-empty). */
  void setBody(std::string_view body, std::string_view contentType = {});

  /** @return true once any change was made since parsing. */
  bool modified() const noexcept;

  /**
   * @return the wire form. Unmodified: exactly the parsed bytes (raw()). Modified: the
   * start line and untouched headers copied byte for byte, changed ones rewritten.
   */
  std::string serialize() const;
  /** @return the bytes this message was parsed from (up to the end of its body). */
  std::string_view raw() const noexcept;

  struct Impl;  // public only so the parser in the .cpp can reach it

 private:
  friend tapi::Result<SipMessage> parse(std::string_view, const ParseLimits&);
  explicit SipMessage(Impl* impl) noexcept;
  struct ImplDeleter {
    void operator()(Impl* p) const noexcept;
  };
  std::unique_ptr<Impl, ImplDeleter> impl_;
};

/**
 * Parse one complete message (a UDP datagram, or one frame cut by frameMessage()).
 * The bytes are copied once into the message's own buffer (one allocation for buffer
 * and index together in the common case). Bytes after Content-Length are ignored.
 * @return the message, or a ParseError code (message() is the human-readable reason).
 */
tapi::Result<SipMessage> parse(std::string_view bytes, const ParseLimits& limits = {});

/** What a stream transport should do with the bytes it has buffered. */
enum class FrameStatus : std::uint8_t {
  NeedMore,   ///< no complete message yet; read more (limits are already checked)
  Complete,   ///< a message of FrameResult::length bytes starts at offset 0
  KeepAlive,  ///< FrameResult::length bytes of CRLF keep-alive (RFC 5626) to discard
  Invalid,    ///< framing impossible (FrameResult::error); close the connection
};

struct FrameResult {
  FrameStatus status = FrameStatus::NeedMore;
  std::size_t length = 0;
  ParseError error = ParseError::Incomplete;
};

/**
 * Find the first message in a TCP receive buffer by its blank line and Content-Length
 * (mandatory on streams). Does not parse the message; pass the frame to parse().
 */
FrameResult frameMessage(std::string_view stream, const ParseLimits& limits = {});

/** What to do with bytes that failed to parse. */
enum class BadInputAction : std::uint8_t {
  Respond400,  ///< a request readable enough to answer: send `response` statelessly
  Drop,        ///< a response, an ACK, or too broken to answer: drop and count
};

struct BadInputDecision {
  BadInputAction action = BadInputAction::Drop;
  ParseError error = ParseError::BadStartLine;
  int status = 0;        ///< status of `response`: 400, or 505/513 for version/size (Respond400 only)
  std::string response;  ///< the answer on the wire (Respond400 only)
};

/**
 * Decide how to answer bytes parse() rejected with @p error (RFC 3261 §8.2 / §16.3).
 * A request whose start line, top Via, From, To, Call-ID and CSeq are readable gets a
 * stateless "400 <reason>" built from them (To tag added); anything else is dropped.
 * ACK is never answered.
 */
BadInputDecision decideOnBadInput(std::string_view bytes, std::error_code error,
                                  const ParseLimits& limits = {});

/**
 * Builds a request or response text header by header, then parses it into a SipMessage
 * (so a built message obeys the same rules as a received one). Content-Length is added
 * at build time when not given.
 */
class MessageBuilder {
 public:
  /** Start a request: "<method> <uri> SIP/2.0". */
  static MessageBuilder request(Method method, std::string_view requestUri);
  /** Start a request with an extension method token. */
  static MessageBuilder request(std::string_view methodToken, std::string_view requestUri);
  /** Start a response: "SIP/2.0 <status> <reason>"; empty reason uses the RFC phrase. */
  static MessageBuilder response(int status, std::string_view reason = {});

  /** Append a header. CR/LF in name or value make build() fail with BadHeaderValue. */
  MessageBuilder& header(std::string_view name, std::string_view value);
  /** Set the body; @p contentType is added as Content-Type when non-empty. */
  MessageBuilder& body(std::string_view body, std::string_view contentType = {});

  /** @return the wire text built so far (with Content-Length). */
  std::string toString() const;
  /** @return the parsed message, or the ParseError that parsing the text produced. */
  tapi::Result<SipMessage> build(const ParseLimits& limits = {}) const;

 private:
  MessageBuilder() = default;
  std::string text_;
  std::string body_;
  bool hasContentLength_ = false;
  bool bad_ = false;
};

/**
 * Build a response to @p request per RFC 3261 §8.2.6: Via(s), From, Call-ID, CSeq copied,
 * To copied and given a tag when it has none and status > 100.
 * @param toTag the tag to add; empty means generate a random one.
 * @param reason empty uses defaultReasonPhrase(status).
 * Precondition: request.isRequest(), 100 <= status <= 699.
 */
tapi::Result<SipMessage> makeResponse(const SipMessage& request, int status,
                                      std::string_view reason = {},
                                      std::string_view toTag = {});

/** The RFC 3261 §21 reason phrase for @p status ("Not Found"), or a class default. */
std::string_view defaultReasonPhrase(int status) noexcept;

/** @return a fresh random token (hex, 16 chars) for tags; not for branches' cookie part. */
std::string randomToken();

}  // namespace tapi::sip::message
