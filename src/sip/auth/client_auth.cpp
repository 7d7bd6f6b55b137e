// Client side: the Authorization / Proxy-Authorization value answering a challenge, and
// ClientAuth, which keeps nonce counts and refuses to answer rejected credentials forever.

#include "sip/auth/digest.hpp"

#include <limits>
#include <optional>
#include <utility>

#include "sip/auth/detail/response.hpp"
#include "sip/auth/detail/syntax.hpp"

namespace tapi::sip::auth {

using detail::appendQuoted;
using detail::appendQuotedParam;
using detail::failWith;
using detail::hasLineBreakOrNul;

namespace {

/** authorizationHeader(), also telling whether the hash worked (the response is non-empty). */
std::string buildAuthorization(const Challenge& challenge, const Credentials& credentials,
                               const AuthorizationParams& params, bool* hashed) {
  const Qop qop = challenge.qopAuth ? Qop::Auth : challenge.qopAuthInt ? Qop::AuthInt : Qop::None;
  // A -sess HA1 needs a cnonce even in the (non-conforming) no-qop case.
  const bool sendCnonce = qop != Qop::None || isSession(challenge.algorithm);
  const std::string cnonce = !sendCnonce             ? std::string()
                             : params.cnonce.empty() ? detail::randomHex(8)
                                                     : params.cnonce;
  const std::string nc = detail::formatNc(params.nonceCount == 0 ? 1 : params.nonceCount);

  DigestInput in;
  in.algorithm = challenge.algorithm;
  in.qop = qop;
  in.username = credentials.username;
  in.realm = challenge.realm;
  in.password = credentials.password;
  in.nonce = challenge.nonce;
  in.cnonce = cnonce;
  in.nc = nc;
  in.method = params.method;
  in.digestUri = params.digestUri;
  in.body = params.body;
  const std::string response = computeResponse(in);
  *hashed = !response.empty();

  std::string out = "Digest username=";
  appendQuoted(out, credentials.username);
  appendQuotedParam(out, "realm", challenge.realm);
  appendQuotedParam(out, "nonce", challenge.nonce);
  appendQuotedParam(out, "uri", params.digestUri);
  appendQuotedParam(out, "response", response);
  out.append(", algorithm=").append(toString(challenge.algorithm));
  if (sendCnonce)
    appendQuotedParam(out, "cnonce", cnonce);
  if (qop != Qop::None) {
    out.append(", qop=").append(toString(qop));
    out.append(", nc=").append(nc);
  }
  if (challenge.hasOpaque)
    appendQuotedParam(out, "opaque", challenge.opaque);
  return out;
}

/**
 * Why @p credentials may not answer a challenge for @p realm: RealmMismatch (they are for
 * another realm) or BadCredentials (a value would split the header); none when they may.
 */
std::error_code refusal(const Credentials& credentials, std::string_view realm,
                        std::string_view method, std::string_view uri) {
  if (!credentials.realm.empty() && credentials.realm != realm)
    return make_error_code(AuthError::RealmMismatch);
  if (hasLineBreakOrNul(credentials.username) || hasLineBreakOrNul(uri) ||
      hasLineBreakOrNul(method)) {
    return make_error_code(AuthError::BadCredentials);
  }
  return {};
}

/** The header value for use @p nc of the challenge's nonce; nullopt if the hash is unavailable. */
std::optional<std::string> sign(const Challenge& challenge, const Credentials& credentials,
                                std::string_view method, std::string_view uri,
                                std::string_view body, std::uint32_t nc,
                                const std::string& cnonce) {
  AuthorizationParams p;
  p.method = method;
  p.digestUri = uri;
  p.body = body;
  p.nonceCount = nc;
  p.cnonce = cnonce;
  bool hashed = false;
  std::string value = buildAuthorization(challenge, credentials, p, &hashed);
  if (!hashed)
    return std::nullopt;
  return value;
}

}  // namespace

std::string authorizationHeader(const Challenge& challenge, const Credentials& credentials,
                                const AuthorizationParams& params) {
  bool hashed = false;
  return buildAuthorization(challenge, credentials, params, &hashed);
}

void ClientAuth::beginRequest() noexcept {
  for (RealmState& r : realms_) {
    r.answeredThisRequest = false;
    r.staleRetries = 0;
  }
}

ClientAuth::RealmState* ClientAuth::find(std::string_view realm, bool proxy) noexcept {
  for (RealmState& r : realms_) {
    if (r.challenge.proxy == proxy && r.challenge.realm == realm)
      return &r;
  }
  return nullptr;
}

const ClientAuth::RealmState* ClientAuth::find(std::string_view realm, bool proxy) const noexcept {
  for (const RealmState& r : realms_) {
    if (r.challenge.proxy == proxy && r.challenge.realm == realm)
      return &r;
  }
  return nullptr;
}

tapi::Result<std::string> ClientAuth::answer(const Challenge& challenge,
                                             const Credentials& credentials,
                                             std::string_view method, std::string_view uri,
                                             std::string_view body) {
  if (auto e = refusal(credentials, challenge.realm, method, uri); e)
    return tapi::fail(e);
  RealmState* state = find(challenge.realm, challenge.proxy);
  if (state != nullptr && state->answeredThisRequest) {
    // Challenged again after answering: the answer was rejected. Only a stale nonce (the
    // password was right) with a new nonce earns another try, a bounded number of times.
    const bool freshStale = challenge.stale && challenge.nonce != state->challenge.nonce &&
                            state->staleRetries < kMaxStaleRetries;
    if (!freshStale)
      return failWith(AuthError::RetryRefused);
    ++state->staleRetries;
  }
  if (state == nullptr) {
    // A server inventing realms must not grow this without bound: drop the oldest.
    if (realms_.size() >= kMaxRealms)
      realms_.erase(realms_.begin());
    realms_.push_back(RealmState{});
    state = &realms_.back();
    state->challenge.realm = challenge.realm;
    state->challenge.proxy = challenge.proxy;
  }
  const bool sameNonce = state->nc != 0 && state->challenge.nonce == challenge.nonce;
  if (sameNonce) {
    if (state->nc == std::numeric_limits<std::uint32_t>::max()) {
      return failWith(AuthError::NonceCountExhausted);
    }
    ++state->nc;
  } else {
    state->nc = 1;
    // One cnonce per nonce keeps a -sess HA1 stable however the server computes it.
    state->cnonce = detail::randomHex(8);
  }
  state->challenge = challenge;
  state->answeredThisRequest = true;

  auto value = sign(challenge, credentials, method, uri, body, state->nc, state->cnonce);
  if (!value)
    return failWith(AuthError::HashUnavailable);
  return std::move(*value);
}

std::optional<std::string> ClientAuth::authorizeCached(std::string_view realm, bool proxy,
                                                       const Credentials& credentials,
                                                       std::string_view method,
                                                       std::string_view uri,
                                                       std::string_view body) {
  RealmState* state = find(realm, proxy);
  if (state == nullptr || state->nc == 0)
    return std::nullopt;
  if (refusal(credentials, state->challenge.realm, method, uri))
    return std::nullopt;
  if (state->nc == std::numeric_limits<std::uint32_t>::max())
    return std::nullopt;
  ++state->nc;
  return sign(state->challenge, credentials, method, uri, body, state->nc, state->cnonce);
}

std::uint32_t ClientAuth::nonceCount(std::string_view realm, bool proxy) const noexcept {
  const RealmState* state = find(realm, proxy);
  return state == nullptr ? 0 : state->nc;
}

void ClientAuth::forget(std::string_view realm) {
  std::erase_if(realms_, [&](const RealmState& r) { return r.challenge.realm == realm; });
}

}  // namespace tapi::sip::auth
