// Names: the "sip.auth" error category and the wire names of algorithms and qop values.

#include "sip/auth/digest.hpp"

#include "sip/auth/detail/syntax.hpp"

namespace tapi::sip::auth {
namespace {

class AuthErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sip.auth"; }
  std::string message(int ev) const override {
    if (ev < 0 || ev > static_cast<int>(AuthError::HashUnavailable))
      return "unknown auth error";
    return toString(static_cast<AuthError>(ev));
  }
};

}  // namespace

const char* toString(AuthError e) noexcept {
  switch (e) {
    case AuthError::ValueTooLong:
      return "authentication header value too long";
    case AuthError::Empty:
      return "empty authentication header value";
    case AuthError::NotDigest:
      return "not a Digest challenge or credentials";
    case AuthError::Malformed:
      return "malformed Digest parameters";
    case AuthError::DuplicateParameter:
      return "duplicate Digest parameter";
    case AuthError::MissingRealm:
      return "missing realm";
    case AuthError::MissingNonce:
      return "missing nonce";
    case AuthError::MissingParameter:
      return "missing Digest parameter";
    case AuthError::UnsupportedAlgorithm:
      return "unsupported digest algorithm";
    case AuthError::UnsupportedQop:
      return "unsupported qop";
    case AuthError::RealmMismatch:
      return "credentials are for another realm";
    case AuthError::BadCredentials:
      return "username or uri contains CR, LF or NUL";
    case AuthError::RetryRefused:
      return "credentials rejected; not retrying";
    case AuthError::NonceCountExhausted:
      return "nonce count exhausted";
    case AuthError::HashUnavailable:
      return "digest hash unavailable";
  }
  return "unknown auth error";
}

const std::error_category& authErrorCategory() noexcept {
  static const AuthErrorCategory cat;
  return cat;
}

const char* toString(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::Md5:
      return "MD5";
    case Algorithm::Md5Sess:
      return "MD5-sess";
    case Algorithm::Sha256:
      return "SHA-256";
    case Algorithm::Sha256Sess:
      return "SHA-256-sess";
    case Algorithm::Sha512_256:
      return "SHA-512-256";
    case Algorithm::Sha512_256Sess:
      return "SHA-512-256-sess";
  }
  return "MD5";
}

std::optional<Algorithm> algorithmFromName(std::string_view name) noexcept {
  static constexpr Algorithm kAll[] = {Algorithm::Md5,        Algorithm::Md5Sess,
                                       Algorithm::Sha256,     Algorithm::Sha256Sess,
                                       Algorithm::Sha512_256, Algorithm::Sha512_256Sess};
  for (Algorithm a : kAll) {
    if (detail::equalsNoCase(name, toString(a)))
      return a;
  }
  return std::nullopt;
}

bool isSession(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::Md5:
    case Algorithm::Sha256:
    case Algorithm::Sha512_256:
      return false;
    case Algorithm::Md5Sess:
    case Algorithm::Sha256Sess:
    case Algorithm::Sha512_256Sess:
      return true;
  }
  return false;
}

int strength(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::Md5:
    case Algorithm::Md5Sess:
      return 1;
    case Algorithm::Sha256:
    case Algorithm::Sha256Sess:
    case Algorithm::Sha512_256:
    case Algorithm::Sha512_256Sess:
      return 2;
  }
  return 0;
}

const char* toString(Qop q) noexcept {
  switch (q) {
    case Qop::None:
      return "";
    case Qop::Auth:
      return "auth";
    case Qop::AuthInt:
      return "auth-int";
  }
  return "";
}

}  // namespace tapi::sip::auth
