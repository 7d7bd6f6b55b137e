#pragma once
/**
 * @file
 * Minimal SDP (RFC 4566) and offer/answer (RFC 3264): just what audio calls need.
 *
 * Offering (UAC):
 *   LocalMedia me{"192.0.2.1", port.port(), sessionId, 1};
 *   SessionDescription offer = makeOffer(me);
 *   std::string body = serialize(offer);            // application/sdp
 *   ... 200 OK arrives ...
 *   auto answer = parse(resp.body());               // Result<SessionDescription>
 *   auto agreed = negotiated(offer, *answer);       // codec, remote address/port, direction
 *
 * Answering (UAS):
 *   auto offer = parse(req.body());                 // error: answer 400 (malformed SDP)
 *   auto answer = makeAnswer(*offer, me);           // SdpError::NoCommonCodec: answer 488
 *   auto agreed = negotiated(*answer, *offer);
 *
 * Everything here is plain values and pure functions: no I/O, any thread.
 *
 * What is not supported (answered with port 0 by makeAnswer): non-audio streams, secure or
 * feedback RTP profiles (RTP/SAVP, RTP/AVPF, ...), and more than one audio stream (only the
 * first usable one is accepted, since a call holds one RTP port pair).
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

namespace tapi::sip::sdp {

/** Why SDP was refused, as a value. The toString() text is short and human-readable. */
enum class SdpError : std::uint8_t {
  Empty,           ///< no text, or only blank lines
  TooLarge,        ///< more than ParseLimits::maxSize bytes
  LineTooLong,     ///< a line longer than ParseLimits::maxLineLength
  BadLine,         ///< a line not of the form "<letter>=<value>", or with CR/NUL inside
  MissingVersion,  ///< the first line is not v=
  BadVersion,      ///< v= is not 0
  MissingOrigin,   ///< no o= line before the first m= line
  BadOrigin,       ///< o= has the wrong field count, non-numeric ids, or appears twice
  BadConnection,   ///< c= is not "IN IP4|IP6 <address>"
  MissingMedia,    ///< no m= line
  BadMedia,        ///< an m= line with missing fields
  BadPort,         ///< an m= port that is not a number in 0..65535
  BadPayloadType,  ///< an RTP format that is not a number in 0..127
  TooManyMedia,    ///< more than ParseLimits::maxMedia m= lines
  TooManyFormats,  ///< more than ParseLimits::maxFormats formats on one m= line
  NoCommonCodec,   ///< no audio stream of an offer has a codec we support (SIP 488)
  NoActiveAudio,   ///< negotiated(): no audio stream is active on both sides
  MissingAddress,  ///< negotiated(): the active audio stream has no c= address
};

/** Number of SdpError values. */
inline constexpr std::size_t kSdpErrorCount =
    static_cast<std::size_t>(SdpError::MissingAddress) + 1;

/** A short human-readable reason, e.g. "no common codec". Never null. */
const char* toString(SdpError e) noexcept;

/** The error category "sip.sdp"; message() gives toString() of the SdpError. */
const std::error_category& sdpErrorCategory() noexcept;

inline std::error_code make_error_code(SdpError e) noexcept {
  return {static_cast<int>(e), sdpErrorCategory()};
}

/** @return true when @p ec is @p e of sdpErrorCategory(). */
inline bool isError(const std::error_code& ec, SdpError e) noexcept {
  return ec == make_error_code(e);
}

/** One RTP payload format: a=rtpmap (and a=fmtp) of one payload type. */
struct Codec {
  int payloadType = 0;   ///< 0..127
  std::string encoding;  ///< as written, e.g. "PCMU", "telephone-event", "opus"
  int clockRate = 0;     ///< Hz, e.g. 8000
  std::string fmtp;      ///< a=fmtp parameters, empty if none ("0-16")
  int channels = 1;      ///< the optional third rtpmap field ("opus/48000/2"); 1 if absent

  bool operator==(const Codec&) const = default;
};

/** The direction attribute of a stream (RFC 3264 §5.1), from the SDP author's point of view. */
enum class Direction : std::uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };

/** The SDP attribute name, e.g. "sendonly". Never null. */
const char* toString(Direction d) noexcept;

/** @return the direction an answer takes for an offer with @p d (sendonly -> recvonly, ...). */
Direction mirror(Direction d) noexcept;

/** One m= section. */
struct MediaDescription {
  std::string media;                 ///< "audio", "video", ...
  std::uint16_t port = 0;            ///< 0: stream disabled or rejected
  std::string proto;                 ///< "RTP/AVP", ...
  std::vector<std::string> formats;  ///< as written on the m= line (payload types for RTP)
  /**
   * The RTP formats we could name, in m= line order: those with an a=rtpmap, plus the
   * static types of RFC 3551 without one (0 PCMU, 3 GSM, 4 G723, 8 PCMA, 9 G722, 18 G729).
   * Dynamic types without an a=rtpmap are left out. Empty for non-RTP protos.
   */
  std::vector<Codec> codecs;
  Direction direction = Direction::SendRecv;  ///< media-level, else session-level, else sendrecv
  std::string connectionAddress;              ///< media-level c= if any (else see session's)

  bool operator==(const MediaDescription&) const = default;
};

/** A session description: the o= and session-level c= fields plus its m= sections. */
struct SessionDescription {
  std::string originUser = "-";
  std::uint64_t sessionId = 0;
  std::uint64_t sessionVersion = 0;
  std::string originAddress;      ///< o= unicast address (IP4 or IP6 by the presence of ':')
  std::string connectionAddress;  ///< session-level c=, empty if none
  std::vector<MediaDescription> media;

  bool operator==(const SessionDescription&) const = default;
};

/** Hard limits applied by parse(); exceeding one is an error, never a crash. */
struct ParseLimits {
  std::size_t maxSize = 64 * 1024;   ///< bytes of the whole description
  std::size_t maxLineLength = 4096;  ///< bytes of one line, without the line end
  std::size_t maxMedia = 64;         ///< m= lines
  std::size_t maxFormats = 64;       ///< formats on one m= line
};

/**
 * Parse an SDP body. Tolerant: LF or CRLF line ends, blank lines and unknown line types or
 * attributes are ignored, a malformed a=rtpmap/a=fmtp is ignored (that format then has no
 * codec), and c= may carry a TTL suffix ("/127", dropped). Strict where it matters: v= must
 * come first, o= and at least one m= must be present, ports and payload types must be
 * numbers in range.
 * @param text the body; not retained (the result owns copies).
 * @return the description, or an SdpError code.
 */
Result<SessionDescription> parse(std::string_view text, const ParseLimits& limits = {});

/**
 * The wire form: CRLF line ends; v=0, o=, s=-, c= (session level if set), t=0 0, then per
 * m= section: m=, media-level c= if set, a=rtpmap and a=fmtp per codec, and the direction
 * attribute. Sections with port 0 get no a=rtpmap/a=fmtp.
 * Precondition: string fields hold no CR/LF (parse() and the make* functions guarantee it).
 * A section without formats writes its codecs' payload types instead.
 */
std::string serialize(const SessionDescription& sd);

/** PCMU 0/8000, PCMA 8/8000, telephone-event 101/8000 (fmtp "0-16"), in that preference order. */
std::vector<Codec> defaultCodecs();

/** What we offer or answer with: where we receive RTP and which codecs we can handle. */
struct LocalMedia {
  std::string address;               ///< the address the peer sends RTP to (IPv4 or IPv6 literal)
  std::uint16_t port = 0;            ///< our RTP port (RTCP is port + 1)
  std::uint64_t sessionId = 0;       ///< o= sess-id, fixed for the session
  std::uint64_t sessionVersion = 0;  ///< o= sess-version, incremented on each new offer/answer
  std::vector<Codec> codecs = defaultCodecs();  ///< in preference order
};

/**
 * An offer with one sendrecv audio stream (RTP/AVP) carrying @p local's codecs in order.
 * @return the description; originUser is "-".
 */
SessionDescription makeOffer(const LocalMedia& local);

/**
 * The answer to @p offer per RFC 3264 §6: one m= section per offered section, in order.
 * The first offered audio RTP/AVP stream with a non-zero port and a codec in common is
 * accepted with @p local's port: its codecs are the offered ones we support, in the
 * offerer's order and with the offerer's payload types (telephone-event kept if both sides
 * have it), and its direction is the mirror of the offer's. Every other section is
 * answered with port 0 and the offered formats.
 * @return the answer, or SdpError::NoCommonCodec when no audio stream could be accepted
 *         (the caller answers 488 Not Acceptable Here).
 */
Result<SessionDescription> makeAnswer(const SessionDescription& offer, const LocalMedia& local);

/** What the first audio stream active on both sides agreed. */
struct Negotiated {
  std::string remoteAddress;            ///< where to send RTP
  std::uint16_t remotePort = 0;         ///< RTP port of the peer (RTCP is + 1)
  Codec codec;                          ///< the codec to send, with the remote's payload type
  std::optional<int> telephoneEventPt;  ///< the remote's RFC 4733 payload type, if both have it
  /**
   * Our effective direction: we send only if we and the peer agree to (the peer's
   * c=0.0.0.0 counts as not receiving, RFC 3264 §8.4), and likewise for receiving.
   */
  Direction direction = Direction::SendRecv;
};

/**
 * The result of an offer/answer exchange. m= sections are matched by index; the first audio
 * section with a non-zero port on both sides and a codec in common is used. The codec is
 * the first in @p remote's list (the peer's preference) that @p local also lists.
 * @param local our description (the offer we sent or the answer we made).
 * @param remote the peer's description.
 * @return the agreement, SdpError::NoActiveAudio, or SdpError::MissingAddress.
 */
Result<Negotiated> negotiated(const SessionDescription& local, const SessionDescription& remote);

}  // namespace tapi::sip::sdp

template <>
struct std::is_error_code_enum<tapi::sip::sdp::SdpError> : std::true_type {};
