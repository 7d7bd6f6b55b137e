// sipcheck: parse one SIP message and print the verdict as one JSON line.

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "sip/message/message.hpp"

namespace msg = tapi::sip::message;

namespace {

constexpr const char* kHelp = R"(usage: sipcheck [--tcp] [FILE | -]

Parses one SIP message (RFC 3261) from FILE, or from standard input when FILE is
"-" or absent, and prints exactly one JSON line:

  {"valid":true|false,
   "kind":"request"|"response"|null,   null when the start line is unreadable
   "method":"INVITE"|...|null,         request method; for a response the CSeq method
   "status":200|...|null,              responses only
   "call_id":"..."|null,               valid messages only
   "error":"..."|null,                 why the message is invalid (the reason phrase
                                       the stack would use), null when valid
   "would_send":400}                   only for an invalid request the stack would
                                       answer statelessly: the status of that answer
                                       (400; 505 for a bad SIP version; 513 for a
                                       message over the size limit). Absent when the
                                       stack would drop the message silently.

Strings are JSON-escaped; bytes that are not valid UTF-8 are printed as U+FFFD.

Options:
  --tcp     apply stream-transport rules (Content-Length is mandatory)
  --help    this text

Exit status: 0 valid, 1 invalid, 2 usage or I/O error.
)";

/** Append @p s as a JSON string: escapes, control bytes as \u00XX, bad UTF-8 as U+FFFD. */
void appendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // Validate one UTF-8 sequence (no overlongs, no surrogates, max U+10FFFF).
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (ok) {
      if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
          (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
        ok = false;
      }
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
  out.push_back('"');
}

void appendField(std::string& out, std::string_view name) {
  if (out.size() > 1) out.push_back(',');
  out.push_back('"');
  out.append(name);
  out += "\":";
}

void appendString(std::string& out, std::string_view name, std::optional<std::string_view> v) {
  appendField(out, name);
  if (v) {
    appendJsonString(out, *v);
  } else {
    out += "null";
  }
}

void appendInt(std::string& out, std::string_view name, std::optional<int> v) {
  appendField(out, name);
  out += v ? std::to_string(*v) : std::string("null");
}

/** Best-effort kind and method of bytes that did not parse, from the first line only. */
void sniffStartLine(std::string_view bytes, std::optional<std::string_view>& kind,
                    std::optional<std::string_view>& method) {
  std::size_t pos = 0;
  while (pos < bytes.size() && (bytes[pos] == '\r' || bytes[pos] == '\n')) ++pos;
  const std::string_view rest = bytes.substr(pos);
  const std::string_view line = rest.substr(0, rest.find_first_of("\r\n"));
  if (line.substr(0, 4) == "SIP/") {
    kind = "response";
    return;
  }
  const std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp == 0) return;
  const std::size_t last = line.rfind(' ');
  if (last == sp || line.substr(last + 1, 4) != "SIP/") return;
  kind = "request";
  method = line.substr(0, sp);
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> path;
  msg::ParseLimits limits;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kHelp;
      return 0;
    }
    if (a == "--tcp") {
      limits.requireContentLength = true;
    } else if (a == "-" && !path) {
      path = "-";
    } else if (!a.empty() && a[0] != '-' && !path) {
      path = std::string(a);
    } else {
      std::cerr << "sipcheck: unexpected argument '" << a << "'\n" << kHelp;
      return 2;
    }
  }

  std::string bytes;
  // Read at most one byte past the limit: enough to know the message is too large,
  // without letting a huge input grow memory.
  const std::size_t cap = limits.maxMessageSize + 1;
  auto readAll = [&](std::istream& in) {
    bytes.resize(cap);
    in.read(bytes.data(), static_cast<std::streamsize>(cap));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    return !in.bad();
  };
  if (!path || *path == "-") {
    if (!readAll(std::cin)) {
      std::cerr << "sipcheck: cannot read standard input\n";
      return 2;
    }
  } else {
    std::ifstream in(*path, std::ios::binary);
    if (!in || !readAll(in)) {
      std::cerr << "sipcheck: cannot read '" << *path << "'\n";
      return 2;
    }
  }

  std::string out = "{";
  auto r = msg::parse(bytes, limits);
  if (r.ok()) {
    const msg::SipMessage& m = *r;
    appendField(out, "valid");
    out += "true";
    appendString(out, "kind", m.isRequest() ? "request" : "response");
    appendString(out, "method", m.methodName());
    appendInt(out, "status", m.isRequest() ? std::nullopt : std::optional<int>(m.statusCode()));
    appendString(out, "call_id", m.callId());
    appendString(out, "error", std::nullopt);
  } else {
    std::optional<std::string_view> kind;
    std::optional<std::string_view> method;
    sniffStartLine(bytes, kind, method);
    const msg::BadInputDecision d = msg::decideOnBadInput(bytes, r.error(), limits);
    appendField(out, "valid");
    out += "false";
    appendString(out, "kind", kind);
    appendString(out, "method", method);
    appendInt(out, "status", std::nullopt);
    appendString(out, "call_id", std::nullopt);
    appendString(out, "error", msg::toString(d.error));
    if (d.action == msg::BadInputAction::Respond400) {
      appendInt(out, "would_send", d.status);
    }
  }
  out += "}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return r.ok() ? 0 : 1;
}
