#pragma once
/**
 * @file
 * SIP HTTP Digest authentication (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760), both sides.
 *
 * Client (UAC) on a 401/407:
 *   // One value per WWW-Authenticate (401) or Proxy-Authenticate (407) header *line*.
 *   auto c = auth::pickChallenge(values, status == 407);   // strongest supported
 *   auto v = clientAuth.answer(*c, creds, "REGISTER", "sip:example.com");
 *   if (v) retry.addHeader(c->proxy ? "Proxy-Authorization" : "Authorization", *v);
 *   // v.error() == AuthError::RetryRefused: the credentials were rejected; give up.
 *
 * Server (UAS / registrar):
 *   resp.addHeader("WWW-Authenticate",
 *                  auth::challengeHeader("example.com", auth::randomNonce(), Algorithm::Sha256));
 *   auto a = auth::parseAuthorization(*req.header("Authorization"));
 *   bool ok = a && knownNonce(a->nonce) && auth::verify(*a, req.methodName(), password);
 *
 * Everything here is a pure function of its arguments (plus a random cnonce/nonce when one
 * is not given), safe to call from any thread. ClientAuth is a plain value owned by one
 * thread (the loop). Nothing here checks nonce freshness or replay: that is server policy.
 *
 * Header values from the network are bounded (kMaxHeaderValue bytes) and parsed without
 * recursion; malformed input gives an AuthError, never a crash.
 */

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "base/result.hpp"

namespace tapi::sip::auth {

/** Longest WWW-Authenticate / Authorization value accepted; longer ones are rejected. */
inline constexpr std::size_t kMaxHeaderValue = 4096;

/** Why a digest operation failed, as a value of the "sip.auth" error category. */
enum class AuthError : std::uint8_t {
  ValueTooLong,          ///< header value longer than kMaxHeaderValue
  Empty,                 ///< empty header value
  NotDigest,             ///< the scheme is not Digest (Basic, Bearer, ...)
  Malformed,             ///< syntax error: unterminated quote, missing '=', bad nc, ...
  DuplicateParameter,    ///< a digest parameter appears twice
  MissingRealm,          ///< no realm parameter
  MissingNonce,          ///< no nonce parameter, or an empty one
  MissingParameter,      ///< Authorization lacks username, uri, response, cnonce or nc
  UnsupportedAlgorithm,  ///< algorithm is not one of the Algorithm values
  UnsupportedQop,        ///< qop offers nothing we support, or -sess without qop
  RealmMismatch,         ///< credentials are for another realm than the challenge
  BadCredentials,        ///< username or uri contains CR, LF or NUL (header injection)
  RetryRefused,          ///< ClientAuth: the last answer for this realm was rejected
  NonceCountExhausted,   ///< ClientAuth: nc would wrap around for this nonce
  HashUnavailable,       ///< the crypto library refused the digest (e.g. MD5 under FIPS)
};

/** A short human-readable reason, e.g. "missing nonce". Never null. */
const char* toString(AuthError e) noexcept;

/** The error category "sip.auth"; message() gives toString() of the AuthError. */
const std::error_category& authErrorCategory() noexcept;

inline std::error_code make_error_code(AuthError e) noexcept {
  return {static_cast<int>(e), authErrorCategory()};
}

/**
 * Digest hash algorithms (RFC 7616 §3.3 names, RFC 8760 for SIP). The -sess variants hash
 * the nonce and cnonce into HA1 and therefore need qop.
 */
enum class Algorithm : std::uint8_t {
  Md5,             ///< "MD5" (the default when algorithm is absent; RFC 2617)
  Md5Sess,         ///< "MD5-sess"
  Sha256,          ///< "SHA-256" (RFC 7616, RFC 8760)
  Sha256Sess,      ///< "SHA-256-sess"
  Sha512_256,      ///< "SHA-512-256", i.e. SHA-512/256 (RFC 7616, RFC 8760)
  Sha512_256Sess,  ///< "SHA-512-256-sess"
};

/** @return the wire name, e.g. "SHA-256-sess". Never null. */
const char* toString(Algorithm a) noexcept;

/**
 * @param name an algorithm parameter value, any case ("md5", "SHA-256-SESS").
 * @return the algorithm, or nullopt if unknown. An absent parameter means MD5: pass
 *         nothing here and use Algorithm::Md5.
 */
std::optional<Algorithm> algorithmFromName(std::string_view name) noexcept;

/** @return true for the -sess variants. */
bool isSession(Algorithm a) noexcept;

/**
 * @return a rank for choosing between challenges: 1 for MD5, 2 for the SHA-2 family.
 * SHA-256 and SHA-512/256 rank equal (same security level), so the server's order decides
 * between them, as RFC 8760 asks.
 */
int strength(Algorithm a) noexcept;

/** Quality of protection (RFC 2617 §3.2.2): none (RFC 2069 style), auth or auth-int. */
enum class Qop : std::uint8_t {
  None,     ///< no qop: response = H(HA1:nonce:HA2), no cnonce/nc
  Auth,     ///< "auth": authentication only
  AuthInt,  ///< "auth-int": also covers the message body
};

/** @return "", "auth" or "auth-int". Never null. */
const char* toString(Qop q) noexcept;

/** A parsed WWW-Authenticate (401) or Proxy-Authenticate (407) Digest challenge. */
struct Challenge {
  std::string realm;   ///< unquoted, escapes removed
  std::string nonce;   ///< unquoted, never empty
  std::string opaque;  ///< unquoted; echo it back when hasOpaque
  Algorithm algorithm = Algorithm::Md5;
  bool hasOpaque = false;   ///< opaque was present (possibly empty: still echoed)
  bool qopAuth = false;     ///< qop offered "auth"
  bool qopAuthInt = false;  ///< qop offered "auth-int"
  bool stale = false;       ///< stale=true: the nonce expired, the credentials were fine
  bool proxy = false;       ///< from Proxy-Authenticate (407): answer with Proxy-Authorization
};

/**
 * Parse one Digest challenge: `Digest realm="x", nonce="y", qop="auth,auth-int", ...`.
 * Parameter names are case-insensitive and may come in any order; values may be
 * quoted-strings (with \-escapes and folded whitespace) or tokens; unknown parameters
 * (domain, charset, userhash, ...) are ignored.
 *
 * @param headerValue one header field value (kMaxHeaderValue bytes at most).
 * @param proxy true if it came from Proxy-Authenticate; copied into Challenge::proxy.
 * @return the challenge, or ValueTooLong, Empty, NotDigest, Malformed,
 *         DuplicateParameter, MissingRealm, MissingNonce, UnsupportedAlgorithm,
 *         UnsupportedQop (qop lists only unknown values, or a -sess algorithm without
 *         qop, which cannot be answered). A value holding several challenges is Malformed
 *         here; pickChallenge() accepts it.
 */
tapi::Result<Challenge> parseChallenge(std::string_view headerValue, bool proxy = false);

/**
 * Choose the challenge to answer from all WWW-Authenticate (or Proxy-Authenticate) values
 * of one response: the strongest supported algorithm (SHA-2 over MD5, see strength()),
 * and among equals the first one listed. Values that are not Digest, do not parse or use
 * an unknown algorithm are skipped. A value may hold several comma-separated challenges
 * (HTTP style).
 *
 * Pass whole header field values (one per header line, e.g. from SipMessage::headerAt()),
 * not SipMessage::headerValues(): that one splits at every comma and so cuts a Digest
 * challenge into pieces.
 *
 * @return the chosen challenge, or nullopt if none is usable.
 */
std::optional<Challenge> pickChallenge(const std::vector<std::string_view>& headerValues,
                                       bool proxy = false);

/** What the client knows. The password never appears on the wire. */
struct Credentials {
  std::string username;
  std::string password;
  std::string realm;  ///< answer only this realm; empty: answer any realm
};

/** The request being authorized. */
struct AuthorizationParams {
  std::string_view method;       ///< request method as sent ("REGISTER", "INVITE")
  std::string_view digestUri;    ///< the Request-URI as sent
  std::string_view body;         ///< message body (used only for qop=auth-int)
  std::uint32_t nonceCount = 1;  ///< nc; 1 for the first use of a nonce (0 is sent as 1)
  std::string cnonce;            ///< empty: a random 16-hex-digit cnonce
};

/**
 * Build the value of an Authorization (401) or Proxy-Authorization (407) header:
 * `Digest username="..", realm="..", nonce="..", uri="..", response="..", algorithm=..,
 * cnonce="..", qop=auth, nc=00000001, opaque=".."`. qop, cnonce and nc are present only
 * when the challenge offered qop (auth preferred over auth-int); qop, nc and algorithm are
 * unquoted as RFC 7616 §3.4 and RFC 3261 §25 require. Quoted values escape '"', '\' and
 * control characters as quoted-pairs.
 *
 * Does not check credentials.realm against the challenge (ClientAuth::answer() does).
 * Preconditions: username and digestUri contain no CR, LF or NUL (they would be dropped
 * from the header, never allowed to split it, and the response would not verify). A hand-built
 * -sess challenge without qop still gets a cnonce (the server needs it for HA1).
 *
 * @return the header value; its response is empty if the hash is unavailable.
 */
std::string authorizationHeader(const Challenge& challenge, const Credentials& credentials,
                                const AuthorizationParams& params);

/**
 * Client-side state for one account: the last challenge per realm, its nonce count and
 * cnonce, and a guard against answering rejected credentials forever.
 *
 * The retry rule: within one request, each realm is answered once. A second challenge for
 * the same realm means the answer was rejected, so answer() refuses it (RetryRefused)
 * unless it says stale=true with a new nonce (the password was right, the nonce had
 * expired); at most kMaxStaleRetries such stale retries per request. Call beginRequest()
 * before sending each new request (not before its authenticated retry) to reset the
 * guard; nonce counts and cached challenges persist across requests.
 *
 * Not thread-safe: owned by one thread. Requests that run concurrently should each have
 * their own ClientAuth.
 */
class ClientAuth {
 public:
  /** Stale retries allowed per realm and request, so a server always saying stale=true cannot loop
   * us. */
  static constexpr int kMaxStaleRetries = 2;

  /** Start a new request: every realm may be answered once again. */
  void beginRequest() noexcept;

  /**
   * Answer a challenge received for the current request.
   * @param challenge from parseChallenge()/pickChallenge().
   * @param credentials must match the challenge's realm unless credentials.realm is empty.
   * @param method the request method; @param uri the Request-URI; @param body for auth-int.
   * @return the Authorization/Proxy-Authorization value (nc = 1 for a new nonce, previous
   *         nc + 1 for the same nonce), or RealmMismatch, BadCredentials, RetryRefused,
   *         NonceCountExhausted, HashUnavailable.
   */
  tapi::Result<std::string> answer(const Challenge& challenge, const Credentials& credentials,
                                   std::string_view method, std::string_view uri,
                                   std::string_view body = {});

  /**
   * Credentials for a new request from the challenge cached for @p realm, with the next
   * nonce count, so the server need not challenge again (RFC 3261 §22.3 allows reuse).
   * Does not count as an answer for the retry rule.
   * @return the header value, or nullopt if no challenge is cached for @p realm (and
   *         @p proxy), the credentials do not fit it, or the nonce count is exhausted.
   */
  std::optional<std::string> authorizeCached(std::string_view realm, bool proxy,
                                             const Credentials& credentials,
                                             std::string_view method, std::string_view uri,
                                             std::string_view body = {});

  /** @return the last nc used with @p realm's cached nonce, 0 if none is cached. */
  std::uint32_t nonceCount(std::string_view realm, bool proxy = false) const noexcept;

  /** Drop everything cached for @p realm (both 401 and 407). */
  void forget(std::string_view realm);

 private:
  struct RealmState {
    Challenge challenge;
    std::string cnonce;
    std::uint32_t nc = 0;
    bool answeredThisRequest = false;
    int staleRetries = 0;
  };
  RealmState* find(std::string_view realm, bool proxy) noexcept;
  const RealmState* find(std::string_view realm, bool proxy) const noexcept;

  static constexpr std::size_t kMaxRealms = 16;  ///< oldest realm dropped beyond this
  std::vector<RealmState> realms_;               // few realms per account: a vector beats a map
};

// ---- server side ---------------------------------------------------------------------

/** A parsed Authorization / Proxy-Authorization Digest value. */
struct Authorization {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;       ///< digest-uri as sent (compare with the Request-URI if you care)
  std::string response;  ///< hex as sent
  Algorithm algorithm = Algorithm::Md5;
  std::string cnonce;            ///< empty without qop
  std::string nc;                ///< 8 hex digits as sent; empty without qop
  std::uint32_t nonceCount = 0;  ///< nc as a number (for replay checks); 0 without qop
  Qop qop = Qop::None;
  std::string opaque;
  bool hasOpaque = false;
};

/**
 * Parse `Digest username="..", realm="..", nonce="..", uri="..", response="..", ...`.
 * Same syntax rules as parseChallenge(); quoted qop/nc/algorithm values (sent by some
 * clients) are accepted.
 * @return the value, or ValueTooLong, Empty, NotDigest, Malformed (response not hex, nc
 *         not 8 hex digits), DuplicateParameter, MissingRealm, MissingNonce,
 *         MissingParameter (username, uri, response; cnonce and nc with qop; cnonce with
 *         -sess), UnsupportedAlgorithm, UnsupportedQop.
 */
tapi::Result<Authorization> parseAuthorization(std::string_view headerValue);

/**
 * Check the response against @p password. Compares in constant time. Does not check the
 * realm, the nonce's freshness, nc replay, opaque or that uri matches the Request-URI:
 * those are the server's policy.
 * @param method the request method as received; @param body the body (auth-int only).
 * @return true if the response is right.
 */
bool verify(const Authorization& authorization, std::string_view method, std::string_view password,
            std::string_view body = {});

/**
 * Like verify(), for servers that store H(username:realm:password) instead of passwords.
 * @param ha1 hex of digestHa1() for authorization.algorithm (any case).
 */
bool verifyHa1(const Authorization& authorization, std::string_view method, std::string_view ha1,
               std::string_view body = {});

/**
 * @return hex H(username:realm:password) with the hash of @p algorithm (the -sess variants
 *         use the same base), or empty if the hash is unavailable.
 */
std::string digestHa1(Algorithm algorithm, std::string_view username, std::string_view realm,
                      std::string_view password);

/** Everything the response is computed from (RFC 7616 §3.4.1 - §3.4.3). */
struct DigestInput {
  Algorithm algorithm = Algorithm::Md5;
  Qop qop = Qop::None;
  std::string_view username;
  std::string_view realm;
  std::string_view password;
  std::string_view nonce;
  std::string_view cnonce;  ///< needed with qop and with -sess
  std::string_view nc;      ///< 8 hex digits, needed with qop
  std::string_view method;
  std::string_view digestUri;
  std::string_view body;  ///< auth-int only
};

/** @return the lowercase hex response, or empty if the hash is unavailable. */
std::string computeResponse(const DigestInput& input);

/**
 * Build a WWW-Authenticate (or Proxy-Authenticate) value:
 * `Digest realm="..", nonce="..", algorithm=SHA-256, qop="auth"[, opaque=".."][, stale=true]`.
 * @param realm, nonce, opaque are written as quoted-strings ('"', '\' and control
 *        characters escaped); they must not contain CR, LF or NUL (those are dropped).
 */
std::string challengeHeader(std::string_view realm, std::string_view nonce, Algorithm algorithm,
                            bool stale = false, std::string_view opaque = {});

/** @return a fresh random nonce (32 lowercase hex digits from the crypto RNG). */
std::string randomNonce();

}  // namespace tapi::sip::auth

template <>
struct std::is_error_code_enum<tapi::sip::auth::AuthError> : std::true_type {};
