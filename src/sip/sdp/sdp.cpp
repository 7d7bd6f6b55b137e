#include "sip/sdp/sdp.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <utility>

namespace tapi::sip::sdp {
namespace {

class SdpErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sip.sdp"; }
  std::string message(int ev) const override {
    if (ev < 0 || static_cast<std::size_t>(ev) >= kSdpErrorCount) {
      return "unknown SDP error";
    }
    return toString(static_cast<SdpError>(ev));
  }
};

Unexpected err(SdpError e) {
  return fail(make_error_code(e));
}

bool isDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/** Parse all of @p s as a decimal number without sign; false on overflow or junk. */
template <typename T>
bool parseNumber(std::string_view s, T& out) {
  if (!isDigits(s)) {
    return false;
  }
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool isSpace(char c) {
  return c == ' ' || c == '\t';
}

/** Split on runs of spaces/tabs. Bounded by the line length limit. */
std::vector<std::string_view> splitFields(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && isSpace(s[i])) {
      ++i;
    }
    const std::size_t start = i;
    while (i < s.size() && !isSpace(s[i])) {
      ++i;
    }
    if (i > start) {
      out.push_back(s.substr(start, i - start));
    }
  }
  return out;
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) {
             return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
           };
           return lower(x) == lower(y);
         });
}

bool isRtpProto(std::string_view proto) {
  return proto.find("RTP/") != std::string_view::npos;
}

bool isTelephoneEvent(const Codec& c) {
  return equalsNoCase(c.encoding, "telephone-event");
}

/** The same codec as far as the payload is concerned (payload type and fmtp may differ). */
bool sameCodec(const Codec& a, const Codec& b) {
  return equalsNoCase(a.encoding, b.encoding) && a.clockRate == b.clockRate &&
         a.channels == b.channels;
}

/** The static audio payload types of RFC 3551 table 4 that are still seen in the wild. */
std::optional<Codec> staticCodec(int pt) {
  switch (pt) {
    case 0:
      return Codec{0, "PCMU", 8000, {}};
    case 3:
      return Codec{3, "GSM", 8000, {}};
    case 4:
      return Codec{4, "G723", 8000, {}};
    case 8:
      return Codec{8, "PCMA", 8000, {}};
    case 9:
      return Codec{9, "G722", 8000, {}};
    case 18:
      return Codec{18, "G729", 8000, {}};
    default:
      return std::nullopt;
  }
}

/** A c= address: host name or IP literal characters only (keeps CR/LF and spaces out). */
bool validAddress(std::string_view a, bool ip6) {
  if (a.empty() || a.size() > 255) {
    return false;
  }
  for (char c : a) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '.' || c == '-' || (ip6 && c == ':');
    if (!ok) {
      return false;
    }
  }
  return true;
}

/** "IN IP4 <addr>[/ttl[/n]]" -> the address. */
Result<std::string> parseConnection(std::string_view value) {
  const auto f = splitFields(value);
  if (f.size() != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6")) {
    return err(SdpError::BadConnection);
  }
  std::string_view addr = f[2];
  const bool ip6 = f[1] == "IP6";
  // A multicast TTL or address count follows a '/'; unicast calls never use it.
  if (const auto slash = addr.find('/'); slash != std::string_view::npos) {
    addr = addr.substr(0, slash);
  }
  if (!validAddress(addr, ip6)) {
    return err(SdpError::BadConnection);
  }
  return std::string(addr);
}

std::optional<Direction> parseDirection(std::string_view attr) {
  if (attr == "sendrecv") {
    return Direction::SendRecv;
  }
  if (attr == "sendonly") {
    return Direction::SendOnly;
  }
  if (attr == "recvonly") {
    return Direction::RecvOnly;
  }
  if (attr == "inactive") {
    return Direction::Inactive;
  }
  return std::nullopt;
}

/** Parse state of one m= section: the attributes seen so far, resolved at the end. */
struct PendingMedia {
  MediaDescription md;
  std::vector<int> payloadTypes;          // parallel to md.formats for RTP protos
  std::vector<std::optional<Codec>> map;  // a=rtpmap per format, parallel to payloadTypes
  std::vector<std::string> fmtp;          // a=fmtp per format, parallel to payloadTypes
  bool rtp = false;
  bool directionSet = false;

  /** @return the index of @p pt in the format list, if listed. */
  std::optional<std::size_t> indexOf(int pt) const {
    for (std::size_t i = 0; i < payloadTypes.size(); ++i) {
      if (payloadTypes[i] == pt) {
        return i;
      }
    }
    return std::nullopt;
  }

  /** "a=rtpmap:<pt> <encoding>/<clock>[/<channels>]"; malformed ones are ignored. */
  void addRtpmap(std::string_view value) {
    const auto f = splitFields(value);
    int pt = 0;
    if (f.size() != 2 || !parseNumber(f[0], pt)) {
      return;
    }
    const auto i = indexOf(pt);
    if (!i || map[*i]) {
      return;  // not a listed format, or a repeated rtpmap: the first one wins
    }
    std::string_view rest = f[1];
    const auto s1 = rest.find('/');
    if (s1 == std::string_view::npos || s1 == 0) {
      return;
    }
    Codec c;
    c.payloadType = pt;
    c.encoding = std::string(rest.substr(0, s1));
    rest = rest.substr(s1 + 1);
    std::string_view clock = rest;
    if (const auto s2 = rest.find('/'); s2 != std::string_view::npos) {
      clock = rest.substr(0, s2);
      if (!parseNumber(rest.substr(s2 + 1), c.channels) || c.channels < 1) {
        return;
      }
    }
    if (!parseNumber(clock, c.clockRate) || c.clockRate < 1) {
      return;
    }
    map[*i] = std::move(c);
  }

  /** "a=fmtp:<pt> <parameters>"; the parameters are kept verbatim. */
  void addFmtp(std::string_view value) {
    const auto sp = std::find_if(value.begin(), value.end(), isSpace);
    int pt = 0;
    if (!parseNumber(value.substr(0, static_cast<std::size_t>(sp - value.begin())), pt)) {
      return;
    }
    const auto i = indexOf(pt);
    if (!i || !fmtp[*i].empty()) {
      return;
    }
    std::string_view params = value.substr(static_cast<std::size_t>(sp - value.begin()));
    while (!params.empty() && isSpace(params.front())) {
      params.remove_prefix(1);
    }
    while (!params.empty() && isSpace(params.back())) {
      params.remove_suffix(1);
    }
    fmtp[*i] = std::string(params);
  }

  MediaDescription finish(Direction sessionDirection) && {
    if (!directionSet) {
      md.direction = sessionDirection;
    }
    for (std::size_t i = 0; i < payloadTypes.size(); ++i) {
      std::optional<Codec> c = map[i] ? std::move(map[i]) : staticCodec(payloadTypes[i]);
      if (c) {
        c->fmtp = std::move(fmtp[i]);
        md.codecs.push_back(std::move(*c));
      }
    }
    return std::move(md);
  }
};

/** "m=<media> <port>[/<count>] <proto> <fmt> ..." */
Result<PendingMedia> parseMediaLine(std::string_view value, const ParseLimits& limits) {
  const auto f = splitFields(value);
  if (f.size() < 4) {
    return err(SdpError::BadMedia);
  }
  PendingMedia pm;
  pm.md.media = std::string(f[0]);
  std::string_view port = f[1];
  if (const auto slash = port.find('/'); slash != std::string_view::npos) {
    unsigned count = 0;
    if (!parseNumber(port.substr(slash + 1), count)) {
      return err(SdpError::BadPort);
    }
    port = port.substr(0, slash);
  }
  unsigned portNumber = 0;
  if (!parseNumber(port, portNumber) || portNumber > 65535) {
    return err(SdpError::BadPort);
  }
  pm.md.port = static_cast<std::uint16_t>(portNumber);
  pm.md.proto = std::string(f[2]);
  pm.rtp = isRtpProto(pm.md.proto);
  if (f.size() - 3 > limits.maxFormats) {
    return err(SdpError::TooManyFormats);
  }
  for (std::size_t i = 3; i < f.size(); ++i) {
    if (pm.rtp) {
      int pt = 0;
      if (!parseNumber(f[i], pt) || pt > 127) {
        return err(SdpError::BadPayloadType);
      }
      pm.payloadTypes.push_back(pt);
    }
    pm.md.formats.emplace_back(f[i]);
  }
  pm.map.resize(pm.payloadTypes.size());
  pm.fmtp.resize(pm.payloadTypes.size());
  return pm;
}

/** "o=<username> <sess-id> <sess-version> IN IP4|IP6 <address>" */
Result<void> parseOrigin(std::string_view value, SessionDescription& sd) {
  const auto f = splitFields(value);
  if (f.size() != 6 || !parseNumber(f[1], sd.sessionId) || !parseNumber(f[2], sd.sessionVersion) ||
      f[3] != "IN" || (f[4] != "IP4" && f[4] != "IP6") || !validAddress(f[5], f[4] == "IP6")) {
    return err(SdpError::BadOrigin);
  }
  sd.originUser = std::string(f[0]);
  sd.originAddress = std::string(f[5]);
  return {};
}

const char* addrType(const std::string& address) {
  return address.find(':') != std::string::npos ? "IP6" : "IP4";
}

void appendLine(std::string& out, std::string_view a, std::string_view b = {},
                std::string_view c = {}) {
  out.append(a).append(b).append(c).append("\r\n");
}

/** a=rtpmap and, if any, a=fmtp of one codec. */
void appendCodec(std::string& out, const Codec& c) {
  const std::string pt = std::to_string(c.payloadType);
  out.append("a=rtpmap:").append(pt).append(" ").append(c.encoding).append("/");
  out.append(std::to_string(c.clockRate));
  if (c.channels != 1) {
    out.append("/").append(std::to_string(c.channels));
  }
  out.append("\r\n");
  if (!c.fmtp.empty()) {
    appendLine(out, "a=fmtp:", pt, " " + c.fmtp);
  }
}

/** The codec in @p list that carries the same payload as @p c. */
const Codec* findSame(const std::vector<Codec>& list, const Codec& c) {
  const auto it =
      std::find_if(list.begin(), list.end(), [&](const Codec& x) { return sameCodec(x, c); });
  return it == list.end() ? nullptr : &*it;
}

bool sends(Direction d) {
  return d == Direction::SendRecv || d == Direction::SendOnly;
}
bool receives(Direction d) {
  return d == Direction::SendRecv || d == Direction::RecvOnly;
}

Direction fromFlags(bool send, bool recv) {
  if (send && recv) {
    return Direction::SendRecv;
  }
  if (send) {
    return Direction::SendOnly;
  }
  if (recv) {
    return Direction::RecvOnly;
  }
  return Direction::Inactive;
}

bool isUnspecified(const std::string& address) {
  return address == "0.0.0.0" || address == "::";
}

}  // namespace

const char* toString(SdpError e) noexcept {
  switch (e) {
    case SdpError::Empty:
      return "empty SDP";
    case SdpError::TooLarge:
      return "SDP too large";
    case SdpError::LineTooLong:
      return "SDP line too long";
    case SdpError::BadLine:
      return "bad SDP line";
    case SdpError::MissingVersion:
      return "missing v=";
    case SdpError::BadVersion:
      return "bad v=";
    case SdpError::MissingOrigin:
      return "missing o=";
    case SdpError::BadOrigin:
      return "bad o=";
    case SdpError::BadConnection:
      return "bad c=";
    case SdpError::MissingMedia:
      return "missing m=";
    case SdpError::BadMedia:
      return "bad m=";
    case SdpError::BadPort:
      return "bad media port";
    case SdpError::BadPayloadType:
      return "bad payload type";
    case SdpError::TooManyMedia:
      return "too many m= lines";
    case SdpError::TooManyFormats:
      return "too many formats";
    case SdpError::NoCommonCodec:
      return "no common codec";
    case SdpError::NoActiveAudio:
      return "no active audio stream";
    case SdpError::MissingAddress:
      return "no connection address";
  }
  return "unknown SDP error";
}

const std::error_category& sdpErrorCategory() noexcept {
  static const SdpErrorCategory cat;
  return cat;
}

const char* toString(Direction d) noexcept {
  switch (d) {
    case Direction::SendRecv:
      return "sendrecv";
    case Direction::SendOnly:
      return "sendonly";
    case Direction::RecvOnly:
      return "recvonly";
    case Direction::Inactive:
      return "inactive";
  }
  return "sendrecv";
}

Direction mirror(Direction d) noexcept {
  switch (d) {
    case Direction::SendRecv:
      return Direction::SendRecv;
    case Direction::SendOnly:
      return Direction::RecvOnly;
    case Direction::RecvOnly:
      return Direction::SendOnly;
    case Direction::Inactive:
      return Direction::Inactive;
  }
  return Direction::Inactive;
}

Result<SessionDescription> parse(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.maxSize) {
    return err(SdpError::TooLarge);
  }
  SessionDescription sd;
  Direction sessionDirection = Direction::SendRecv;
  std::optional<PendingMedia> current;
  bool sawVersion = false;
  bool sawOrigin = false;
  bool sawAnyLine = false;

  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.size() > limits.maxLineLength) {
      return err(SdpError::LineTooLong);
    }
    if (line.empty()) {
      continue;
    }
    if (line.size() < 2 || line[1] != '=' ||
        line.find_first_of(std::string_view("\r\0", 2)) != std::string_view::npos) {
      return err(SdpError::BadLine);
    }
    const char type = line[0];
    const std::string_view value = line.substr(2);
    if (!sawAnyLine) {
      sawAnyLine = true;
      if (type != 'v') {
        return err(SdpError::MissingVersion);
      }
      if (value != "0") {
        return err(SdpError::BadVersion);
      }
      sawVersion = true;
      continue;
    }
    switch (type) {
      case 'v':
        return err(SdpError::BadVersion);  // only once, and first
      case 'o': {
        if (sawOrigin || current) {
          return err(SdpError::BadOrigin);
        }
        if (auto r = parseOrigin(value, sd); !r) {
          return fail(r.error());
        }
        sawOrigin = true;
        break;
      }
      case 'c': {
        auto addr = parseConnection(value);
        if (!addr) {
          return fail(addr.error());
        }
        (current ? current->md.connectionAddress : sd.connectionAddress) = std::move(*addr);
        break;
      }
      case 'm': {
        if (!sawOrigin) {
          return err(SdpError::MissingOrigin);
        }
        if (current) {
          sd.media.push_back(std::move(*current).finish(sessionDirection));
        }
        if (sd.media.size() >= limits.maxMedia) {
          return err(SdpError::TooManyMedia);
        }
        auto pm = parseMediaLine(value, limits);
        if (!pm) {
          return fail(pm.error());
        }
        current = std::move(*pm);
        break;
      }
      case 'a': {
        const auto colon = value.find(':');
        const std::string_view name = value.substr(0, colon);
        const std::string_view attrValue =
            colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
        if (const auto d = parseDirection(name); d && colon == std::string_view::npos) {
          if (current) {
            current->md.direction = *d;
            current->directionSet = true;
          } else {
            sessionDirection = *d;
          }
        } else if (current && current->rtp && name == "rtpmap") {
          current->addRtpmap(attrValue);
        } else if (current && current->rtp && name == "fmtp") {
          current->addFmtp(attrValue);
        }
        break;
      }
      default:
        break;  // s=, t=, b=, i=, k=, ... and unknown types: not needed for calls
    }
  }
  if (!sawVersion) {
    return err(SdpError::Empty);
  }
  if (!sawOrigin) {
    return err(SdpError::MissingOrigin);
  }
  if (!current) {
    return err(SdpError::MissingMedia);
  }
  sd.media.push_back(std::move(*current).finish(sessionDirection));
  return sd;
}

std::string serialize(const SessionDescription& sd) {
  std::string out;
  out.reserve(256 + sd.media.size() * 160);
  appendLine(out, "v=0");
  const std::string& originAddress =
      sd.originAddress.empty() ? sd.connectionAddress : sd.originAddress;
  out.append("o=")
      .append(sd.originUser.empty() ? "-" : sd.originUser)
      .append(" ")
      .append(std::to_string(sd.sessionId))
      .append(" ")
      .append(std::to_string(sd.sessionVersion))
      .append(" IN ")
      .append(addrType(originAddress))
      .append(" ")
      .append(originAddress.empty() ? "0.0.0.0" : originAddress)
      .append("\r\n");
  appendLine(out, "s=-");
  if (!sd.connectionAddress.empty()) {
    appendLine(out, "c=IN ", addrType(sd.connectionAddress), " " + sd.connectionAddress);
  }
  appendLine(out, "t=0 0");
  for (const MediaDescription& m : sd.media) {
    out.append("m=").append(m.media).append(" ").append(std::to_string(m.port)).append(" ");
    out.append(m.proto);
    if (!m.formats.empty()) {
      for (const std::string& f : m.formats) {
        out.append(" ").append(f);
      }
    } else {
      for (const Codec& c : m.codecs) {
        out.append(" ").append(std::to_string(c.payloadType));
      }
    }
    out.append("\r\n");
    if (!m.connectionAddress.empty()) {
      appendLine(out, "c=IN ", addrType(m.connectionAddress), " " + m.connectionAddress);
    }
    // A rejected or disabled stream needs no rtpmap (RFC 3264 §6); it keeps its direction.
    if (m.port != 0) {
      for (const Codec& c : m.codecs) {
        appendCodec(out, c);
      }
    }
    appendLine(out, "a=", toString(m.direction));
  }
  return out;
}

std::vector<Codec> defaultCodecs() {
  return {
      Codec{0, "PCMU", 8000, {}},
      Codec{8, "PCMA", 8000, {}},
      Codec{101, "telephone-event", 8000, "0-16"},
  };
}

SessionDescription makeOffer(const LocalMedia& local) {
  SessionDescription sd;
  sd.originUser = "-";
  sd.sessionId = local.sessionId;
  sd.sessionVersion = local.sessionVersion;
  sd.originAddress = local.address;
  sd.connectionAddress = local.address;
  MediaDescription m;
  m.media = "audio";
  m.port = local.port;
  m.proto = "RTP/AVP";
  m.codecs = local.codecs;
  for (const Codec& c : local.codecs) {
    m.formats.push_back(std::to_string(c.payloadType));
  }
  m.direction = Direction::SendRecv;
  sd.media.push_back(std::move(m));
  return sd;
}

Result<SessionDescription> makeAnswer(const SessionDescription& offer, const LocalMedia& local) {
  SessionDescription sd;
  sd.originUser = "-";
  sd.sessionId = local.sessionId;
  sd.sessionVersion = local.sessionVersion;
  sd.originAddress = local.address;
  sd.connectionAddress = local.address;
  bool accepted = false;
  for (const MediaDescription& o : offer.media) {
    MediaDescription a;
    a.media = o.media;
    a.proto = o.proto;
    if (!accepted && o.media == "audio" && o.proto == "RTP/AVP" && o.port != 0) {
      bool haveAudioCodec = false;
      for (const Codec& c : o.codecs) {
        if (findSame(local.codecs, c) == nullptr) {
          continue;
        }
        haveAudioCodec = haveAudioCodec || !isTelephoneEvent(c);
        // The offerer's payload type and fmtp: what we receive is named as it will send it.
        a.codecs.push_back(c);
        a.formats.push_back(std::to_string(c.payloadType));
      }
      if (haveAudioCodec) {
        a.port = local.port;
        a.direction = mirror(o.direction);
        accepted = true;
        sd.media.push_back(std::move(a));
        continue;
      }
      a.codecs.clear();
      a.formats.clear();
    }
    // Rejected (RFC 3264 §6): port 0, and the offered formats since at least one is required.
    a.port = 0;
    a.formats = o.formats;
    a.direction = Direction::Inactive;
    sd.media.push_back(std::move(a));
  }
  if (!accepted) {
    return err(SdpError::NoCommonCodec);
  }
  return sd;
}

Result<Negotiated> negotiated(const SessionDescription& local, const SessionDescription& remote) {
  const std::size_t n = std::min(local.media.size(), remote.media.size());
  for (std::size_t i = 0; i < n; ++i) {
    const MediaDescription& l = local.media[i];
    const MediaDescription& r = remote.media[i];
    if (l.media != "audio" || r.media != "audio" || l.port == 0 || r.port == 0) {
      continue;
    }
    const Codec* chosen = nullptr;
    for (const Codec& c : r.codecs) {
      if (!isTelephoneEvent(c) && findSame(l.codecs, c) != nullptr) {
        chosen = &c;
        break;
      }
    }
    if (chosen == nullptr) {
      continue;
    }
    Negotiated out;
    out.remoteAddress =
        r.connectionAddress.empty() ? remote.connectionAddress : r.connectionAddress;
    if (out.remoteAddress.empty()) {
      return err(SdpError::MissingAddress);
    }
    out.remotePort = r.port;
    out.codec = *chosen;
    for (const Codec& c : r.codecs) {
      if (isTelephoneEvent(c) && findSame(l.codecs, c) != nullptr) {
        out.telephoneEventPt = c.payloadType;
        break;
      }
    }
    // c=0.0.0.0 is the RFC 2543 way to put a call on hold: the peer receives nothing.
    const bool remoteReceives = receives(r.direction) && !isUnspecified(out.remoteAddress);
    out.direction = fromFlags(sends(l.direction) && remoteReceives,
                              receives(l.direction) && sends(r.direction));
    return out;
  }
  return err(SdpError::NoActiveAudio);
}

}  // namespace tapi::sip::sdp
