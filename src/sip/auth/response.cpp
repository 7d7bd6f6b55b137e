// Hashing: H() and KD() of RFC 7616 over OpenSSL's EVP API, HA1 and the response.

#include "sip/auth/detail/response.hpp"

#include <array>
#include <initializer_list>
#include <random>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sip/auth/detail/syntax.hpp"

namespace tapi::sip::auth {
namespace detail {
namespace {

const EVP_MD* mdFor(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::Md5:
    case Algorithm::Md5Sess:
      return EVP_md5();
    case Algorithm::Sha256:
    case Algorithm::Sha256Sess:
      return EVP_sha256();
    case Algorithm::Sha512_256:
    case Algorithm::Sha512_256Sess:
      return EVP_sha512_256();
  }
  return nullptr;
}

std::string toHex(const unsigned char* data, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0x0F];
  }
  return out;
}

/** @return lowercase hex H(data), or empty if OpenSSL refuses (e.g. MD5 in FIPS mode). */
std::string hashHex(Algorithm a, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  const EVP_MD* type = mdFor(a);
  if (type == nullptr ||
      EVP_Digest(data.data(), data.size(), md.data(), &len, type, nullptr) != 1) {
    return {};
  }
  return toHex(md.data(), len);
}

/** Concatenate @p parts with ':' between them (the digest KD/H input form). */
std::string joinColon(std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (std::string_view p : parts)
    n += p.size() + 1;
  std::string out;
  out.reserve(n);
  bool firstPart = true;
  for (std::string_view p : parts) {
    if (!firstPart)
      out.push_back(':');
    out.append(p);
    firstPart = false;
  }
  return out;
}

}  // namespace

std::size_t hexLength(Algorithm a) noexcept {
  return strength(a) == 1 ? 32 : 64;  // MD5: 128 bits; every SHA-2 variant here: 256
}

std::string responseFromBaseHa1(const DigestInput& in, std::string_view baseHa1) {
  if (baseHa1.empty())
    return {};
  std::string ha1(baseHa1);
  if (isSession(in.algorithm)) {
    ha1 = hashHex(in.algorithm, joinColon({baseHa1, in.nonce, in.cnonce}));
    if (ha1.empty())
      return {};
  }
  std::string ha2;
  if (in.qop == Qop::AuthInt) {
    const std::string bodyHash = hashHex(in.algorithm, in.body);
    if (bodyHash.empty())
      return {};
    ha2 = hashHex(in.algorithm, joinColon({in.method, in.digestUri, bodyHash}));
  } else {
    ha2 = hashHex(in.algorithm, joinColon({in.method, in.digestUri}));
  }
  if (ha2.empty())
    return {};
  if (in.qop == Qop::None)
    return hashHex(in.algorithm, joinColon({ha1, in.nonce, ha2}));
  return hashHex(in.algorithm, joinColon({ha1, in.nonce, in.nc, in.cnonce, toString(in.qop), ha2}));
}

std::string randomHex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    std::random_device rd;
    for (unsigned char& b : buf)
      b = static_cast<unsigned char>(rd());
  }
  return toHex(buf.data(), buf.size());
}

bool hexEqualsConstantTime(std::string_view expected, std::string_view received) {
  if (expected.empty() || expected.size() != received.size())
    return false;
  std::string lowered(received);
  for (char& c : lowered)
    c = lower(c);
  return CRYPTO_memcmp(expected.data(), lowered.data(), expected.size()) == 0;
}

}  // namespace detail

std::string digestHa1(Algorithm algorithm, std::string_view username, std::string_view realm,
                      std::string_view password) {
  return detail::hashHex(algorithm, detail::joinColon({username, realm, password}));
}

std::string computeResponse(const DigestInput& input) {
  return detail::responseFromBaseHa1(
      input, digestHa1(input.algorithm, input.username, input.realm, input.password));
}

}  // namespace tapi::sip::auth
