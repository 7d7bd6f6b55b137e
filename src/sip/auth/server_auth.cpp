// Server side: reading Authorization / Proxy-Authorization values, checking their response,
// and writing the challenge that asks for them.

#include "sip/auth/digest.hpp"

#include "sip/auth/detail/response.hpp"
#include "sip/auth/detail/syntax.hpp"

namespace tapi::sip::auth {

using detail::algorithmField;
using detail::allHex;
using detail::appendQuoted;
using detail::appendQuotedParam;
using detail::collectFields;
using detail::equalsNoCase;
using detail::failWith;
using detail::Field;
using detail::Fields;
using detail::parseHex32;
using detail::RawChallenge;
using detail::realmAndNonce;

namespace {

tapi::Result<Authorization> authorizationFrom(const RawChallenge& raw) {
  auto fr = collectFields(raw);
  if (!fr)
    return tapi::fail(fr.error());
  const Fields& f = *fr;
  Authorization a;
  if (auto e = realmAndNonce(f, a.realm, a.nonce); e)
    return tapi::fail(e);
  const std::string* username = f.get(Field::Username);
  const std::string* uri = f.get(Field::Uri);
  const std::string* response = f.get(Field::Response);
  if (username == nullptr || uri == nullptr || response == nullptr) {
    return failWith(AuthError::MissingParameter);
  }
  a.username = *username;
  a.uri = *uri;
  if (response->empty() || response->size() > 128 || !allHex(*response)) {
    return failWith(AuthError::Malformed);
  }
  a.response = *response;
  auto alg = algorithmField(f);
  if (!alg)
    return tapi::fail(alg.error());
  a.algorithm = *alg;
  if (const std::string* o = f.get(Field::Opaque)) {
    a.opaque = *o;
    a.hasOpaque = true;
  }
  if (const std::string* c = f.get(Field::Cnonce))
    a.cnonce = *c;
  if (const std::string* q = f.get(Field::Qop)) {
    if (equalsNoCase(*q, "auth")) {
      a.qop = Qop::Auth;
    } else if (equalsNoCase(*q, "auth-int")) {
      a.qop = Qop::AuthInt;
    } else {
      return failWith(AuthError::UnsupportedQop);
    }
    const std::string* nc = f.get(Field::Nc);
    if (nc == nullptr || a.cnonce.empty())
      return failWith(AuthError::MissingParameter);
    if (nc->size() != 8 || !allHex(*nc))
      return failWith(AuthError::Malformed);
    a.nc = *nc;
    a.nonceCount = parseHex32(a.nc);
  } else if (isSession(a.algorithm) && a.cnonce.empty()) {
    return failWith(AuthError::MissingParameter);
  }
  return a;
}

DigestInput inputFor(const Authorization& a, std::string_view method, std::string_view body) {
  DigestInput in;
  in.algorithm = a.algorithm;
  in.qop = a.qop;
  in.username = a.username;
  in.realm = a.realm;
  in.nonce = a.nonce;
  in.cnonce = a.cnonce;
  in.nc = a.nc;
  in.method = method;
  in.digestUri = a.uri;
  in.body = body;
  return in;
}

/** True if @p expected, a response of the authorization's algorithm, is the one it carries. */
bool responseMatches(const Authorization& authorization, const std::string& expected) {
  if (expected.size() != detail::hexLength(authorization.algorithm))
    return false;
  return detail::hexEqualsConstantTime(expected, authorization.response);
}

}  // namespace

tapi::Result<Authorization> parseAuthorization(std::string_view headerValue) {
  auto raw = detail::parseSingle(headerValue);
  if (!raw)
    return tapi::fail(raw.error());
  return authorizationFrom(*raw);
}

bool verify(const Authorization& authorization, std::string_view method, std::string_view password,
            std::string_view body) {
  DigestInput in = inputFor(authorization, method, body);
  in.password = password;
  return responseMatches(authorization, computeResponse(in));
}

bool verifyHa1(const Authorization& authorization, std::string_view method, std::string_view ha1,
               std::string_view body) {
  if (ha1.size() != detail::hexLength(authorization.algorithm) || !allHex(ha1))
    return false;
  std::string base(ha1);
  for (char& c : base)
    c = detail::lower(c);
  return responseMatches(authorization,
                         detail::responseFromBaseHa1(inputFor(authorization, method, body), base));
}

std::string challengeHeader(std::string_view realm, std::string_view nonce, Algorithm algorithm,
                            bool stale, std::string_view opaque) {
  std::string out = "Digest realm=";
  appendQuoted(out, realm);
  appendQuotedParam(out, "nonce", nonce);
  out.append(", algorithm=").append(toString(algorithm));
  out.append(", qop=\"auth\"");
  if (!opaque.empty())
    appendQuotedParam(out, "opaque", opaque);
  if (stale)
    out.append(", stale=true");
  return out;
}

std::string randomNonce() {
  return detail::randomHex(16);
}

}  // namespace tapi::sip::auth
