#pragma once
// Header names: a constexpr table of canonical names and compact forms, looked up
// case-insensitively. Methods: the RFC-defined ones as an enum, the rest by name.

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace tapi::sip::message {

/** Known header fields. Unknown names map to Other and are kept by name. */
enum class HeaderId : std::uint8_t {
  Via, From, To, CallId, CSeq, MaxForwards, ContentLength, ContentType, Contact, Route,
  RecordRoute, Accept, AcceptContact, AcceptEncoding, AcceptLanguage, AlertInfo, Allow,
  AllowEvents, AuthenticationInfo, Authorization, CallInfo, ContentDisposition,
  ContentEncoding, ContentLanguage, Date, ErrorInfo, Event, Expires, Identity, IdentityInfo,
  InReplyTo, MimeVersion, MinExpires, MinSe, Organization, PAssertedIdentity,
  PPreferredIdentity, Path, Priority, Privacy, ProxyAuthenticate, ProxyAuthorization,
  ProxyRequire, RAck, Reason, ReferTo, ReferredBy, RejectContact, ReplyTo, RequestDisposition,
  Require, RetryAfter, RSeq, Server, ServiceRoute, SessionExpires, Subject, Supported,
  Timestamp, Unsupported, UserAgent, UserToUser, Warning, WwwAuthenticate,
  Other,
};

namespace detail {
struct HeaderNameEntry {
  std::string_view name;  // canonical spelling, used when serialising new headers
  char compact;           // compact form (lower case) or '\0'
  HeaderId id;
};

inline constexpr std::array<HeaderNameEntry, 64> kHeaderNames{{
    {"Via", 'v', HeaderId::Via},
    {"From", 'f', HeaderId::From},
    {"To", 't', HeaderId::To},
    {"Call-ID", 'i', HeaderId::CallId},
    {"CSeq", '\0', HeaderId::CSeq},
    {"Max-Forwards", '\0', HeaderId::MaxForwards},
    {"Content-Length", 'l', HeaderId::ContentLength},
    {"Content-Type", 'c', HeaderId::ContentType},
    {"Contact", 'm', HeaderId::Contact},
    {"Route", '\0', HeaderId::Route},
    {"Record-Route", '\0', HeaderId::RecordRoute},
    {"Accept", '\0', HeaderId::Accept},
    {"Accept-Contact", 'a', HeaderId::AcceptContact},
    {"Accept-Encoding", '\0', HeaderId::AcceptEncoding},
    {"Accept-Language", '\0', HeaderId::AcceptLanguage},
    {"Alert-Info", '\0', HeaderId::AlertInfo},
    {"Allow", '\0', HeaderId::Allow},
    {"Allow-Events", 'u', HeaderId::AllowEvents},
    {"Authentication-Info", '\0', HeaderId::AuthenticationInfo},
    {"Authorization", '\0', HeaderId::Authorization},
    {"Call-Info", '\0', HeaderId::CallInfo},
    {"Content-Disposition", '\0', HeaderId::ContentDisposition},
    {"Content-Encoding", 'e', HeaderId::ContentEncoding},
    {"Content-Language", '\0', HeaderId::ContentLanguage},
    {"Date", '\0', HeaderId::Date},
    {"Error-Info", '\0', HeaderId::ErrorInfo},
    {"Event", 'o', HeaderId::Event},
    {"Expires", '\0', HeaderId::Expires},
    {"Identity", 'y', HeaderId::Identity},
    {"Identity-Info", 'n', HeaderId::IdentityInfo},
    {"In-Reply-To", '\0', HeaderId::InReplyTo},
    {"MIME-Version", '\0', HeaderId::MimeVersion},
    {"Min-Expires", '\0', HeaderId::MinExpires},
    {"Min-SE", '\0', HeaderId::MinSe},
    {"Organization", '\0', HeaderId::Organization},
    {"P-Asserted-Identity", '\0', HeaderId::PAssertedIdentity},
    {"P-Preferred-Identity", '\0', HeaderId::PPreferredIdentity},
    {"Path", '\0', HeaderId::Path},
    {"Priority", '\0', HeaderId::Priority},
    {"Privacy", '\0', HeaderId::Privacy},
    {"Proxy-Authenticate", '\0', HeaderId::ProxyAuthenticate},
    {"Proxy-Authorization", '\0', HeaderId::ProxyAuthorization},
    {"Proxy-Require", '\0', HeaderId::ProxyRequire},
    {"RAck", '\0', HeaderId::RAck},
    {"Reason", '\0', HeaderId::Reason},
    {"Refer-To", 'r', HeaderId::ReferTo},
    {"Referred-By", 'b', HeaderId::ReferredBy},
    {"Reject-Contact", 'j', HeaderId::RejectContact},
    {"Reply-To", '\0', HeaderId::ReplyTo},
    {"Request-Disposition", 'd', HeaderId::RequestDisposition},
    {"Require", '\0', HeaderId::Require},
    {"Retry-After", '\0', HeaderId::RetryAfter},
    {"RSeq", '\0', HeaderId::RSeq},
    {"Server", '\0', HeaderId::Server},
    {"Service-Route", '\0', HeaderId::ServiceRoute},
    {"Session-Expires", 'x', HeaderId::SessionExpires},
    {"Subject", 's', HeaderId::Subject},
    {"Supported", 'k', HeaderId::Supported},
    {"Timestamp", '\0', HeaderId::Timestamp},
    {"Unsupported", '\0', HeaderId::Unsupported},
    {"User-Agent", '\0', HeaderId::UserAgent},
    {"User-to-User", '\0', HeaderId::UserToUser},
    {"Warning", '\0', HeaderId::Warning},
    {"WWW-Authenticate", '\0', HeaderId::WwwAuthenticate},
}};

constexpr char asciiLower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  }
  return true;
}

/**
 * Case-insensitive compare of a canonical name (letters and '-' only) with input: eight
 * bytes at a time with the ASCII case bit forced on both sides. Forcing that bit maps
 * only upper-case letters onto lower-case ones, and CR onto '-', so CR is checked apart.
 */
constexpr bool nameEquals(std::string_view canonical, std::string_view in) noexcept {
  if (canonical.size() != in.size()) return false;
  if (std::is_constant_evaluated()) return iequals(canonical, in);
  constexpr std::uint64_t kCaseBits = 0x2020202020202020ULL;
  constexpr std::uint64_t kCr = 0x0d0d0d0d0d0d0d0dULL;
  constexpr std::uint64_t kLow = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::size_t n = in.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, canonical.data() + i, 8);
    std::memcpy(&b, in.data() + i, 8);
    if ((a | kCaseBits) != (b | kCaseBits)) return false;
    const std::uint64_t x = b ^ kCr;  // a zero byte here is a CR in the input
    if (((x - kLow) & ~x & kHigh) != 0) return false;
  }
  for (; i < n; ++i) {
    if ((canonical[i] | 0x20) != (in[i] | 0x20) || in[i] == '\r') return false;
  }
  return true;
}

/** Table entries grouped by lower-case first letter, so a lookup compares a handful. */
struct NameBuckets {
  static constexpr std::size_t kPerBucket = 12;
  std::array<std::array<std::uint8_t, kPerBucket>, 26> index{};
  std::array<std::uint8_t, 26> count{};
};

constexpr NameBuckets makeNameBuckets() {
  NameBuckets b;
  for (std::size_t i = 0; i < kHeaderNames.size(); ++i) {
    const char c = asciiLower(kHeaderNames[i].name[0]);
    const auto k = static_cast<std::size_t>(c - 'a');
    b.index[k][b.count[k]++] = static_cast<std::uint8_t>(i);  // overflow fails to compile
  }
  return b;
}

inline constexpr NameBuckets kNameBuckets = makeNameBuckets();
}  // namespace detail

/**
 * Map a header name (any case, full or compact form) to its id; unknown names give
 * HeaderId::Other. constexpr so tests can check the table at compile time.
 */
constexpr HeaderId lookupHeader(std::string_view name) noexcept {
  if (name.size() == 1) {
    const char c = detail::asciiLower(name[0]);
    for (const auto& e : detail::kHeaderNames) {
      if (e.compact == c) return e.id;
    }
    return HeaderId::Other;
  }
  if (name.empty()) return HeaderId::Other;
  const char first = detail::asciiLower(name[0]);
  if (first < 'a' || first > 'z') return HeaderId::Other;
  const auto k = static_cast<std::size_t>(first - 'a');
  for (std::size_t i = 0; i < detail::kNameBuckets.count[k]; ++i) {
    const auto& e = detail::kHeaderNames[detail::kNameBuckets.index[k][i]];
    if (detail::nameEquals(e.name, name)) return e.id;
  }
  return HeaderId::Other;
}

/** Canonical spelling of a known header ("Call-ID"); empty for Other. */
constexpr std::string_view canonicalName(HeaderId id) noexcept {
  for (const auto& e : detail::kHeaderNames) {
    if (e.id == id) return e.name;
  }
  return {};
}

/** SIP methods known to the stack; anything else is Extension and is kept by name. */
enum class Method : std::uint8_t {
  Invite, Ack, Bye, Cancel, Options, Register, Prack, Subscribe, Notify, Publish, Info,
  Refer, Message, Update, Extension,
};

/** The method token ("INVITE"); "" for Extension (use the message's methodName()). */
std::string_view toString(Method m) noexcept;

/** Case-sensitive (RFC 3261 §7.1) lookup of a method token; unknown gives Extension. */
Method methodFromString(std::string_view token) noexcept;

}  // namespace tapi::sip::message
