#pragma once
// Typed views of SIP header values: URIs, name-addr/addr-spec, Via, CSeq and parameter
// lists. Every string_view points into text owned by someone else (normally the
// SipMessage the value came from) and is valid only while that text is.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "sip/message/header_names.hpp"
#include "sip/message/parse_error.hpp"

namespace tapi::sip::message {

/** One ";name=value" parameter. A flag parameter (";lr", ";rport") has hasValue false. */
struct Param {
  std::string_view name;
  std::string_view value;  ///< raw value; quotes kept if the value was a quoted-string
  bool hasValue = false;
};

/**
 * A parameter list kept as text (";a=1;b;c=\"x\"") and walked on demand, so building one
 * never allocates. Names compare case-insensitively.
 */
class ParamList {
 public:
  ParamList() = default;
  /** @param text the raw list starting at the first ';' (or empty). */
  explicit ParamList(std::string_view text) : text_(text) {}

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Param;
    using difference_type = std::ptrdiff_t;
    using pointer = const Param*;
    using reference = const Param&;
    Iterator() = default;
    Iterator(std::string_view rest, char sep) : rest_(rest), sep_(sep) { advance(); }
    const Param& operator*() const { return cur_; }
    const Param* operator->() const { return &cur_; }
    Iterator& operator++() {
      advance();
      return *this;
    }
    Iterator operator++(int) {
      Iterator t = *this;
      advance();
      return t;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) noexcept {
      return a.done_ == b.done_ && (a.done_ || a.rest_.data() == b.rest_.data());
    }

   private:
    void advance();
    std::string_view rest_;
    Param cur_;
    char sep_ = ';';
    bool done_ = true;
  };

  Iterator begin() const { return Iterator(text_, ';'); }
  Iterator end() const { return Iterator(); }
  bool empty() const noexcept { return begin() == end(); }
  /** @return the parameter named @p name (case-insensitive), if present. */
  std::optional<Param> find(std::string_view name) const;
  /** @return whether a parameter named @p name is present (with or without value). */
  bool has(std::string_view name) const { return find(name).has_value(); }
  /** @return the value of @p name, or empty when absent or a flag. */
  std::string_view value(std::string_view name) const {
    auto p = find(name);
    return p ? p->value : std::string_view{};
  }
  /** @return the raw text, starting at the first ';'. */
  std::string_view text() const noexcept { return text_; }

 private:
  std::string_view text_;
};

/** URI schemes the parser understands structurally; others are kept opaque. */
enum class UriScheme : std::uint8_t { Sip, Sips, Tel, Other };

/**
 * A parsed URI. For sip/sips: user, password, host (IPv6 references keep their brackets),
 * port, params and headers. For tel: user holds the number, host is empty. For other
 * schemes only scheme and opaque are set.
 */
struct Uri {
  UriScheme scheme = UriScheme::Other;
  std::string_view schemeName;  ///< as written ("sip", "SIP", "urn")
  std::string_view user;        ///< still %-escaped as written
  std::string_view password;
  std::string_view host;        ///< "example.com", "192.0.2.1", "[2001:db8::1]"
  std::optional<std::uint16_t> port;
  ParamList params;             ///< ";transport=tcp;lr"
  std::string_view headers;     ///< after '?', without it
  std::string_view opaque;      ///< everything after "scheme:" (all schemes)
  std::string_view text;        ///< the whole URI as written

  bool isSip() const noexcept { return scheme == UriScheme::Sip || scheme == UriScheme::Sips; }
  bool hostIsIpv6() const noexcept { return !host.empty() && host.front() == '['; }
};

/**
 * Parse a URI. sip/sips need a host, tel needs a number, any other "scheme:rest" is
 * accepted opaquely (RFC 3261 allows absoluteURI). @return BadRequestUri on failure.
 */
tapi::Result<Uri> parseUri(std::string_view text);

/**
 * A From/To/Contact/Route value: name-addr ("Bob" <sip:b@h>;tag=1) or addr-spec
 * (sip:b@h;tag=1; then everything after the first ';' belongs to the header, as
 * RFC 3261 §20 says).
 */
struct NameAddr {
  std::string_view displayName;  ///< token words or a quoted-string with its quotes
  Uri uri;
  ParamList params;              ///< header parameters (tag, expires, q, ...)
  bool angleBrackets = false;    ///< name-addr form
  std::string_view text;         ///< the whole value as written

  /** @return the tag parameter, empty if none. */
  std::string_view tag() const { return params.value("tag"); }
  /** @return the display name without quotes and with \-escapes removed. */
  std::string unquotedDisplayName() const;
};

/** Parse one name-addr or addr-spec. @param error the ParseError to return on failure. */
tapi::Result<NameAddr> parseNameAddr(std::string_view text, ParseError error);

/** One Via value: "SIP/2.0/UDP host:port;branch=z9hG4bK..;received=..;rport=..". */
struct Via {
  std::string_view protocolName;     ///< "SIP"
  std::string_view protocolVersion;  ///< "2.0"
  std::string_view transport;        ///< "UDP", "TCP", "TLS", "SCTP", "WS", ...
  std::string_view host;             ///< sent-by host; IPv6 keeps its brackets
  std::optional<std::uint16_t> port; ///< sent-by port if written
  ParamList params;
  std::string_view branch;           ///< branch param value, empty if absent
  std::string_view received;         ///< received param value, empty if absent
  std::string_view maddr;            ///< maddr param value, empty if absent
  bool hasRport = false;             ///< rport present (with or without value)
  std::optional<std::uint16_t> rport;///< rport value when it has one
  std::optional<std::uint8_t> ttl;   ///< ttl param (0..255)
  std::string_view text;             ///< the whole value as written

  /** RFC 3261 magic cookie check: branch starts with "z9hG4bK". */
  bool hasMagicCookie() const noexcept { return branch.substr(0, 7) == "z9hG4bK"; }
};

/** Parse one Via value. @return BadVia on failure. */
tapi::Result<Via> parseVia(std::string_view text);

/** CSeq: sequence number (32-bit, < 2^31 per RFC 3261 §8.1.1.5) and method. */
struct CSeq {
  std::uint32_t number = 0;
  Method method = Method::Extension;
  std::string_view methodName;  ///< as written
};

/** Parse a CSeq value. @return BadCSeq on failure. */
tapi::Result<CSeq> parseCSeq(std::string_view text);

/**
 * Split a header value on commas that are outside quoted strings and <>.
 * @param fn called with each trimmed element, in order; return false to stop.
 * @return false if the quoting is unbalanced or an element is empty.
 */
template <typename Fn>
bool splitValues(std::string_view value, Fn&& fn);

namespace detail {
// Allocation-free cores of the parse functions above: fill @p out, return false on error.
// The message parser uses them to write straight into its typed slots.
bool parseUriInto(std::string_view text, Uri& out);
bool parseNameAddrInto(std::string_view text, NameAddr& out);
bool parseViaInto(std::string_view text, Via& out);
bool parseCSeqInto(std::string_view text, CSeq& out);

/** The bounds of the next comma-separated element starting at @p pos; npos on bad quoting. */
std::size_t nextElementEnd(std::string_view value, std::size_t pos) noexcept;
std::string_view trimLws(std::string_view s) noexcept;
}  // namespace detail

template <typename Fn>
bool splitValues(std::string_view value, Fn&& fn) {
  std::size_t pos = 0;
  while (pos <= value.size()) {
    const std::size_t end = detail::nextElementEnd(value, pos);
    if (end == std::string_view::npos) return false;
    const std::string_view elem = detail::trimLws(value.substr(pos, end - pos));
    if (elem.empty()) return false;
    if (!fn(elem)) return true;
    if (end >= value.size()) break;
    pos = end + 1;
  }
  return true;
}

}  // namespace tapi::sip::message
