#include "sip/headers/user_to_user.hpp"

#include <string>

#include "sip/headers/detail/value_text.hpp"

namespace tapi::sip::headers {

namespace {

using namespace detail;  // Param, ParamList, iequals, trimLws, isLws

int hexValue(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/** One User-to-User value split into its data and its parameters. */
struct UuiValue {
  std::string data;  ///< unquoted when the data was a quoted string
  ParamList params;
};

/** Split one value; false when the quoting is broken or junk follows the parameters. */
bool splitUui(std::string_view value, UuiValue& out) {
  const std::string_view v = trimLws(value);
  if (v.empty())
    return false;
  std::size_t p = 0;
  out.data.clear();
  if (v.front() == '"') {
    bool closed = false;
    for (p = 1; p < v.size(); ++p) {
      char c = v[p];
      if (c == '"') {
        closed = true;
        ++p;
        break;
      }
      if (c == '\\') {
        if (p + 1 >= v.size())
          return false;
        c = v[++p];
      }
      if (c == '\r' || c == '\n')
        return false;
      out.data.push_back(c);
      // Longer than the hex form of the biggest accepted payload: it would fail later
      // anyway, so stop copying now.
      if (out.data.size() > kMaxUuiBytes * 2)
        return false;
    }
    if (!closed)
      return false;
  } else {
    // Lenient token: vendors put base64 and other non-token text here unquoted.
    while (p < v.size() && v[p] != ';' && v[p] != '"' && !isLws(v[p]))
      ++p;
    if (p == 0)
      return false;
    if (p > kMaxUuiBytes * 2)
      return false;
    out.data.assign(v.substr(0, p));
  }
  while (p < v.size() && isLws(v[p]))
    ++p;
  const std::string_view rest = v.substr(p);
  if (!rest.empty() && rest.front() != ';')
    return false;
  out.params = ParamList(rest);
  const char* consumed = rest.data();
  for (const Param& prm : out.params) {
    const std::string_view last = prm.hasValue ? prm.value : prm.name;
    consumed = last.data() + last.size();
  }
  return trimLws(std::string_view(consumed,
                                  static_cast<std::size_t>(rest.data() + rest.size() - consumed)))
      .empty();
}

std::optional<std::string> decodeSplit(const UuiValue& u) {
  std::string_view encoding = u.params.value("encoding");
  if (encoding.size() >= 2 && encoding.front() == '"' && encoding.back() == '"') {
    encoding = encoding.substr(1, encoding.size() - 2);
  }
  if (!iequals(encoding, "hex")) {
    if (u.data.size() > kMaxUuiBytes)
      return std::nullopt;
    return u.data;
  }
  if (u.data.size() % 2 != 0 || u.data.size() / 2 > kMaxUuiBytes)
    return std::nullopt;
  std::string out;
  out.reserve(u.data.size() / 2);
  for (std::size_t i = 0; i < u.data.size(); i += 2) {
    const int hi = hexValue(u.data[i]);
    const int lo = hexValue(u.data[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

}  // namespace

std::string encodeUui(std::string_view bytes) {
  if (bytes.empty())
    return {};
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr std::string_view kParams = ";encoding=hex;purpose=isdn-uui;content=isdn-uui";
  std::string out;
  out.reserve(bytes.size() * 2 + kParams.size());
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 0xf]);
  }
  out += kParams;
  return out;
}

std::optional<std::string> decodeUui(std::string_view headerValue) {
  UuiValue u;
  if (!splitUui(headerValue, u))
    return std::nullopt;
  return decodeSplit(u);
}

std::optional<std::string> decodeFirstUui(const std::vector<std::string_view>& headerValues) {
  UuiValue u;
  for (const std::string_view value : headerValues) {
    std::size_t pos = 0;
    while (pos < value.size()) {
      const std::size_t end = message::detail::nextElementEnd(value, pos);
      if (end == std::string_view::npos)
        break;  // broken quoting: the rest is unreadable
      const std::string_view elem = value.substr(pos, end - pos);
      pos = end + 1;
      if (!splitUui(elem, u))
        continue;
      const auto purpose = u.params.find("purpose");
      if (purpose && !(purpose->hasValue && iequals(purpose->value, "isdn-uui")))
        continue;
      if (auto decoded = decodeSplit(u))
        return decoded;
    }
  }
  return std::nullopt;
}

}  // namespace tapi::sip::headers
