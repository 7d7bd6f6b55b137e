#include "sip/sdp/sdp.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace tapi::sip::sdp {
namespace {

using namespace std::string_literals;

// ---- offers as real user agents send them ---------------------------------------------

// SIPp's uac scenario: one codec, rtpmap present, CRLF.
constexpr std::string_view kSippOffer =
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 127.0.1.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.1.1\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

// baresip: opus first, wideband codecs, DTMF, bandwidth and attributes we do not use; LF only.
constexpr std::string_view kBaresipOffer =
    "v=0\n"
    "o=- 1977409431 3592440003 IN IP4 192.168.1.20\n"
    "s=-\n"
    "c=IN IP4 192.168.1.20\n"
    "t=0 0\n"
    "a=tool:baresip 3.10.1\n"
    "m=audio 10774 RTP/AVP 96 97 9 8 0 101\n"
    "b=AS:128\n"
    "a=rtpmap:96 opus/48000/2\n"
    "a=fmtp:96 stereo=1;sprop-stereo=1\n"
    "a=rtpmap:97 G7221/16000\n"
    "a=fmtp:97 bitrate=32000\n"
    "a=rtpmap:9 G722/8000\n"
    "a=rtpmap:8 PCMA/8000\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-15\n"
    "a=rtcp-rsize\n"
    "a=ssrc:3165123213 cname:7c5b2a1e-3f0d-4b7e\n"
    "a=ptime:20\n"
    "a=sendrecv\n"
    "a=label:1\n";

// IPv6, static payload types only (no rtpmap at all).
constexpr std::string_view kIpv6Offer =
    "v=0\r\n"
    "o=- 3855 3855 IN IP6 2001:db8::1\r\n"
    "s=call\r\n"
    "c=IN IP6 2001:db8::1\r\n"
    "t=0 0\r\n"
    "m=audio 4000 RTP/AVP 8 0\r\n";

// A re-INVITE putting the call on hold (RFC 3264 §8.4), DTMF on payload type 96.
constexpr std::string_view kHoldOffer =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 198.51.100.7\r\n"
    "s=-\r\n"
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 96\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:96 telephone-event/8000\r\n"
    "a=fmtp:96 0-16\r\n"
    "a=sendonly\r\n";

// A video phone: video first, then audio with its own c=.
constexpr std::string_view kVideoOffer =
    "v=0\r\n"
    "o=- 20518 0 IN IP4 203.0.113.4\r\n"
    "s=SDP data\r\n"
    "c=IN IP4 203.0.113.4\r\n"
    "t=0 0\r\n"
    "m=video 5006 RTP/AVP 96 97\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"
    "a=rtpmap:97 VP8/90000\r\n"
    "m=audio 5004 RTP/AVP 8 101\r\n"
    "c=IN IP4 203.0.113.5\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=sendrecv\r\n";

LocalMedia local4() {
  return LocalMedia{"192.0.2.10", 30000, 777, 1};
}

SessionDescription parseOk(std::string_view text) {
  auto r = parse(text);
  EXPECT_TRUE(r.ok()) << r.error().message() << "\n" << text;
  return r.ok() ? *r : SessionDescription{};
}

std::error_code parseError(std::string_view text) {
  auto r = parse(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.error();
}

/** A minimal valid head (v, o, s, c, t) for building hostile bodies. */
std::string head() {
  return "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
}

// ---- parse -----------------------------------------------------------------------------

TEST(SdpParseTest, SippOffer) {
  const auto sd = parseOk(kSippOffer);
  EXPECT_EQ(sd.originUser, "user1");
  EXPECT_EQ(sd.sessionId, 53655765U);
  EXPECT_EQ(sd.sessionVersion, 2353687637U);
  EXPECT_EQ(sd.originAddress, "127.0.1.1");
  EXPECT_EQ(sd.connectionAddress, "127.0.1.1");
  ASSERT_EQ(sd.media.size(), 1U);
  const auto& m = sd.media[0];
  EXPECT_EQ(m.media, "audio");
  EXPECT_EQ(m.port, 6000);
  EXPECT_EQ(m.proto, "RTP/AVP");
  EXPECT_EQ(m.formats, std::vector<std::string>{"0"});
  ASSERT_EQ(m.codecs.size(), 1U);
  EXPECT_EQ(m.codecs[0], (Codec{0, "PCMU", 8000, {}}));
  EXPECT_EQ(m.direction, Direction::SendRecv);
  EXPECT_TRUE(m.connectionAddress.empty());
}

TEST(SdpParseTest, BaresipOfferWithManyCodecs) {
  const auto sd = parseOk(kBaresipOffer);
  ASSERT_EQ(sd.media.size(), 1U);
  const auto& m = sd.media[0];
  EXPECT_EQ(m.port, 10774);
  EXPECT_EQ(m.formats, (std::vector<std::string>{"96", "97", "9", "8", "0", "101"}));
  ASSERT_EQ(m.codecs.size(), 6U);
  EXPECT_EQ(m.codecs[0], (Codec{96, "opus", 48000, "stereo=1;sprop-stereo=1", 2}));
  EXPECT_EQ(m.codecs[1], (Codec{97, "G7221", 16000, "bitrate=32000"}));
  EXPECT_EQ(m.codecs[2], (Codec{9, "G722", 8000, {}}));
  EXPECT_EQ(m.codecs[3], (Codec{8, "PCMA", 8000, {}}));
  EXPECT_EQ(m.codecs[4], (Codec{0, "PCMU", 8000, {}}));
  EXPECT_EQ(m.codecs[5], (Codec{101, "telephone-event", 8000, "0-15"}));
}

TEST(SdpParseTest, Ipv6OfferWithStaticPayloadTypesOnly) {
  const auto sd = parseOk(kIpv6Offer);
  EXPECT_EQ(sd.originAddress, "2001:db8::1");
  EXPECT_EQ(sd.connectionAddress, "2001:db8::1");
  ASSERT_EQ(sd.media.size(), 1U);
  ASSERT_EQ(sd.media[0].codecs.size(), 2U);
  EXPECT_EQ(sd.media[0].codecs[0], (Codec{8, "PCMA", 8000, {}}));
  EXPECT_EQ(sd.media[0].codecs[1], (Codec{0, "PCMU", 8000, {}}));
}

TEST(SdpParseTest, HoldOfferIsSendOnly) {
  const auto sd = parseOk(kHoldOffer);
  ASSERT_EQ(sd.media.size(), 1U);
  EXPECT_EQ(sd.media[0].direction, Direction::SendOnly);
  EXPECT_EQ(sd.media[0].codecs[1], (Codec{96, "telephone-event", 8000, "0-16"}));
}

TEST(SdpParseTest, SessionLevelDirectionAppliesUnlessMediaOverrides) {
  const auto sd = parseOk(head() +
                          "a=recvonly\r\nm=audio 4000 RTP/AVP 0\r\nm=audio 4002 RTP/AVP 0\r\n"
                          "a=inactive\r\n");
  ASSERT_EQ(sd.media.size(), 2U);
  EXPECT_EQ(sd.media[0].direction, Direction::RecvOnly);
  EXPECT_EQ(sd.media[1].direction, Direction::Inactive);
}

TEST(SdpParseTest, VideoOfferKeepsOrderAndMediaLevelConnection) {
  const auto sd = parseOk(kVideoOffer);
  ASSERT_EQ(sd.media.size(), 2U);
  EXPECT_EQ(sd.media[0].media, "video");
  EXPECT_EQ(sd.media[0].codecs[0].encoding, "H264");
  EXPECT_EQ(sd.media[0].codecs[0].clockRate, 90000);
  EXPECT_EQ(sd.media[1].media, "audio");
  EXPECT_EQ(sd.media[1].connectionAddress, "203.0.113.5");
  EXPECT_EQ(sd.connectionAddress, "203.0.113.4");
}

TEST(SdpParseTest, ToleratesOddButHarmlessInput) {
  // Tabs and double spaces, a multicast TTL, unknown line types, a non-RTP stream whose
  // formats are not numbers, a dynamic type without rtpmap, malformed rtpmaps, an rtpmap
  // for an unlisted type, a repeated rtpmap, blank lines and no final line end.
  const auto sd = parseOk(
      "v=0\n"
      "o=-  5 6\tIN IP4 host.example.com\n"
      "s=-\n"
      "\n"
      "c=IN IP4 233.252.0.1/127\n"
      "t=0 0\n"
      "z=whatever\n"
      "x=unknown type\n"
      "m=audio 4000/2 RTP/AVP 0 96 97 98\n"
      "a=rtpmap:97 opus\n"
      "a=rtpmap:98 L16/notanumber\n"
      "a=rtpmap:abc foo/8000\n"
      "a=rtpmap:99 unlisted/8000\n"
      "a=rtpmap:0 PCMU/8000\n"
      "a=rtpmap:0 ignored/16000\n"
      "a=fmtp:0\n"
      "m=application 9 TCP/BFCP *\n"
      "a=floorctrl:c-s");
  EXPECT_EQ(sd.originAddress, "host.example.com");
  EXPECT_EQ(sd.connectionAddress, "233.252.0.1");
  ASSERT_EQ(sd.media.size(), 2U);
  EXPECT_EQ(sd.media[0].port, 4000);
  ASSERT_EQ(sd.media[0].codecs.size(), 1U);
  EXPECT_EQ(sd.media[0].codecs[0], (Codec{0, "PCMU", 8000, {}}));
  EXPECT_EQ(sd.media[1].formats, std::vector<std::string>{"*"});
  EXPECT_TRUE(sd.media[1].codecs.empty());
}

// ---- hostile input ---------------------------------------------------------------------

TEST(SdpHostileTest, EmptyAndGarbage) {
  EXPECT_EQ(parseError(""), SdpError::Empty);
  EXPECT_EQ(parseError("\r\n\r\n\n"), SdpError::Empty);
  EXPECT_EQ(parseError("hello world"), SdpError::BadLine);
  EXPECT_EQ(parseError("INVITE sip:bob@example.com SIP/2.0\r\n"), SdpError::BadLine);
  EXPECT_EQ(parseError("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=\0x\r\n"s), SdpError::BadLine);
  EXPECT_EQ(parseError("v=0\ra=bare-cr\n"), SdpError::BadLine);
  EXPECT_EQ(parseError("=\n"), SdpError::BadLine);
  EXPECT_EQ(parseError("\xff\xfe\x00\x01"), SdpError::BadLine);
}

TEST(SdpHostileTest, MissingOrBadRequiredLines) {
  EXPECT_EQ(parseError("o=- 1 1 IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\n"),
            SdpError::MissingVersion);
  EXPECT_EQ(parseError("v=1\r\n"), SdpError::BadVersion);
  EXPECT_EQ(parseError("v=0\r\nv=0\r\n"), SdpError::BadVersion);
  EXPECT_EQ(parseError("v=0\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n"), SdpError::MissingOrigin);
  EXPECT_EQ(parseError("v=0\r\ns=-\r\n"), SdpError::MissingOrigin);
  EXPECT_EQ(parseError(head()), SdpError::MissingMedia);
  EXPECT_EQ(parseError("v=0\r\no=- 1 1 IN IP4\r\n"), SdpError::BadOrigin);
  EXPECT_EQ(parseError("v=0\r\no=- x 1 IN IP4 1.2.3.4\r\n"), SdpError::BadOrigin);
  EXPECT_EQ(parseError("v=0\r\no=- -1 1 IN IP4 1.2.3.4\r\n"), SdpError::BadOrigin);
  EXPECT_EQ(parseError("v=0\r\no=- 99999999999999999999 1 IN IP4 1.2.3.4\r\n"),
            SdpError::BadOrigin);
  EXPECT_EQ(parseError("v=0\r\no=- 1 1 IN IP5 1.2.3.4\r\n"), SdpError::BadOrigin);
  EXPECT_EQ(parseError(head() + "o=- 1 1 IN IP4 1.2.3.4\r\n"), SdpError::BadOrigin);
}

TEST(SdpHostileTest, BadConnectionLines) {
  for (const char* c : {"c=IN IP4\r\n", "c=XX IP4 1.2.3.4\r\n", "c=IN IP4 1.2.3.4 extra\r\n",
                        "c=IN IP4 ::1\r\n", "c=IN IP4 a;b\r\n", "c=\r\n", "c=IN ATM 1.2.3.4\r\n"}) {
    EXPECT_EQ(parseError(head() + c + "m=audio 1 RTP/AVP 0\r\n"), SdpError::BadConnection) << c;
  }
}

TEST(SdpHostileTest, BadMediaLines) {
  const auto withM = [](std::string_view m) { return head() + std::string(m) + "\r\n"; };
  EXPECT_EQ(parseError(withM("m=audio 4000 RTP/AVP")), SdpError::BadMedia);
  EXPECT_EQ(parseError(withM("m=audio")), SdpError::BadMedia);
  EXPECT_EQ(parseError(withM("m=audio 65536 RTP/AVP 0")), SdpError::BadPort);
  EXPECT_EQ(parseError(withM("m=audio 70000 RTP/AVP 0")), SdpError::BadPort);
  EXPECT_EQ(parseError(withM("m=audio 99999999999999999999999 RTP/AVP 0")), SdpError::BadPort);
  EXPECT_EQ(parseError(withM("m=audio -1 RTP/AVP 0")), SdpError::BadPort);
  EXPECT_EQ(parseError(withM("m=audio abc RTP/AVP 0")), SdpError::BadPort);
  EXPECT_EQ(parseError(withM("m=audio 4000/x RTP/AVP 0")), SdpError::BadPort);
  EXPECT_EQ(parseError(withM("m=audio 4000 RTP/AVP PCMU")), SdpError::BadPayloadType);
  EXPECT_EQ(parseError(withM("m=audio 4000 RTP/AVP 0 128")), SdpError::BadPayloadType);
  EXPECT_EQ(parseError(withM("m=audio 4000 RTP/AVP -0")), SdpError::BadPayloadType);
  EXPECT_EQ(parseError(withM("m=audio 4000 RTP/AVP 99999999999999999999")),
            SdpError::BadPayloadType);
  EXPECT_EQ(parseOk(withM("m=audio 65535 RTP/AVP 127")).media[0].port, 65535);
}

TEST(SdpHostileTest, CountAndLengthLimits) {
  std::string many = head();
  for (int i = 0; i < 64; ++i) {
    many += "m=audio " + std::to_string(4000 + 2 * i) + " RTP/AVP 0\r\n";
  }
  EXPECT_EQ(parseOk(many).media.size(), 64U);
  EXPECT_EQ(parseError(many + "m=audio 9 RTP/AVP 0\r\n"), SdpError::TooManyMedia);

  std::string formats = "m=audio 4000 RTP/AVP";
  for (int i = 0; i < 64; ++i) {
    formats += " " + std::to_string(i);
  }
  EXPECT_EQ(parseOk(head() + formats + "\r\n").media[0].formats.size(), 64U);
  EXPECT_EQ(parseError(head() + formats + " 64\r\n"), SdpError::TooManyFormats);

  const std::string okAttr = "a=" + std::string(4094, 'x') + "\r\n";
  EXPECT_TRUE(parse(head() + okAttr + "m=audio 4000 RTP/AVP 0\r\n").ok());
  const std::string longAttr = "a=" + std::string(4095, 'x') + "\r\n";
  EXPECT_EQ(parseError(head() + longAttr + "m=audio 4000 RTP/AVP 0\r\n"), SdpError::LineTooLong);
  EXPECT_EQ(parseError(std::string(100000, 'v')), SdpError::TooLarge);
  // Many lines, each short: bounded by the total size, not by what the lines say.
  std::string attrs = head() + "m=audio 4000 RTP/AVP 96\r\n";
  while (attrs.size() < 60000) {
    attrs += "a=rtpmap:96 x/8000\r\n";
  }
  EXPECT_EQ(parseOk(attrs).media[0].codecs.size(), 1U);
}

// Deterministic mutations of a real offer: whatever parse() accepts must serialize,
// parse again and go through answer and negotiation without crashing (ASan/UBSan watch).
TEST(SdpHostileTest, MutatedOffersNeverCrash) {
  std::uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1664525U + 1013904223U;
    return seed >> 8;
  };
  const std::string base(kBaresipOffer);
  const char alphabet[] = "0123456789 /:=\r\nam-c.\x00\xff";
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = next() % text.size();
      switch (next() % 3) {
        case 0:
          text[at] = alphabet[next() % (sizeof(alphabet) - 1)];
          break;
        case 1:
          text.erase(at, 1 + next() % 8);
          break;
        default:
          text.insert(at, text.substr(next() % text.size(), next() % 16));
          break;
      }
      if (text.empty()) {
        text = "v";
      }
    }
    auto r = parse(text);
    if (!r) {
      EXPECT_EQ(&r.error().category(), &sdpErrorCategory());
      continue;
    }
    ++accepted;
    auto again = parse(serialize(*r));
    ASSERT_TRUE(again.ok()) << again.error().message() << "\n" << serialize(*r);
    auto answer = makeAnswer(*r, local4());
    if (answer) {
      (void)negotiated(*answer, *r);
    }
  }
  EXPECT_GT(accepted, 100);
}

// ---- serialize -------------------------------------------------------------------------

TEST(SdpSerializeTest, OfferWireForm) {
  const std::string wire = serialize(makeOffer(local4()));
  EXPECT_EQ(wire,
            "v=0\r\n"
            "o=- 777 1 IN IP4 192.0.2.10\r\n"
            "s=-\r\n"
            "c=IN IP4 192.0.2.10\r\n"
            "t=0 0\r\n"
            "m=audio 30000 RTP/AVP 0 8 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-16\r\n"
            "a=sendrecv\r\n");
}

TEST(SdpSerializeTest, RoundTrips) {
  for (std::string_view text : {kSippOffer, kBaresipOffer, kIpv6Offer, kHoldOffer, kVideoOffer}) {
    const auto sd = parseOk(text);
    const auto again = parseOk(serialize(sd));
    EXPECT_EQ(again, sd) << serialize(sd);
  }
  const auto offer = makeOffer(LocalMedia{"2001:db8::5", 40000, 1, 2});
  EXPECT_EQ(parseOk(serialize(offer)), offer);
  EXPECT_NE(serialize(offer).find("c=IN IP6 2001:db8::5\r\n"), std::string::npos);
  EXPECT_NE(serialize(offer).find("o=- 1 2 IN IP6 2001:db8::5\r\n"), std::string::npos);
}

// ---- answers (RFC 3264 §6) -------------------------------------------------------------

TEST(SdpAnswerTest, SippOfferGetsPcmu) {
  auto answer = makeAnswer(parseOk(kSippOffer), local4());
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->sessionId, 777U);
  EXPECT_EQ(answer->connectionAddress, "192.0.2.10");
  ASSERT_EQ(answer->media.size(), 1U);
  const auto& m = answer->media[0];
  EXPECT_EQ(m.port, 30000);
  EXPECT_EQ(m.formats, std::vector<std::string>{"0"});
  EXPECT_EQ(m.direction, Direction::SendRecv);
  EXPECT_EQ(serialize(*answer),
            "v=0\r\n"
            "o=- 777 1 IN IP4 192.0.2.10\r\n"
            "s=-\r\n"
            "c=IN IP4 192.0.2.10\r\n"
            "t=0 0\r\n"
            "m=audio 30000 RTP/AVP 0\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=sendrecv\r\n");
}

TEST(SdpAnswerTest, BaresipOfferKeepsOffererOrderAndDtmf) {
  auto answer = makeAnswer(parseOk(kBaresipOffer), local4());
  ASSERT_TRUE(answer.ok());
  const auto& m = answer->media[0];
  // Offerer's order (PCMA before PCMU), opus/G.722/G.722.1 dropped, DTMF as offered.
  EXPECT_EQ(m.formats, (std::vector<std::string>{"8", "0", "101"}));
  ASSERT_EQ(m.codecs.size(), 3U);
  EXPECT_EQ(m.codecs[0].encoding, "PCMA");
  EXPECT_EQ(m.codecs[2], (Codec{101, "telephone-event", 8000, "0-15"}));
}

TEST(SdpAnswerTest, TelephoneEventUsesOfferersPayloadType) {
  auto answer = makeAnswer(parseOk(kHoldOffer), local4());
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->media[0].formats, (std::vector<std::string>{"0", "96"}));
  EXPECT_EQ(answer->media[0].codecs[1].payloadType, 96);
}

TEST(SdpAnswerTest, NoTelephoneEventWhenNotOfferedOrNotSupported) {
  auto a = makeAnswer(parseOk(kIpv6Offer), local4());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->media[0].formats, (std::vector<std::string>{"8", "0"}));

  LocalMedia noDtmf = local4();
  noDtmf.codecs = {Codec{0, "PCMU", 8000, {}}};
  auto b = makeAnswer(parseOk(kBaresipOffer), noDtmf);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->media[0].formats, std::vector<std::string>{"0"});
}

TEST(SdpAnswerTest, EncodingNamesMatchCaseInsensitively) {
  auto a = makeAnswer(parseOk(head() + "m=audio 4000 RTP/AVP 0 100\r\na=rtpmap:0 pcmu/8000\r\n"
                                       "a=rtpmap:100 Telephone-Event/8000\r\n"),
                      local4());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->media[0].formats, (std::vector<std::string>{"0", "100"}));
}

TEST(SdpAnswerTest, DirectionIsMirrored) {
  const std::pair<const char*, Direction> cases[] = {
      {"a=sendrecv", Direction::SendRecv},
      {"a=sendonly", Direction::RecvOnly},
      {"a=recvonly", Direction::SendOnly},
      {"a=inactive", Direction::Inactive},
  };
  for (const auto& [attr, expected] : cases) {
    auto a = makeAnswer(parseOk(head() + "m=audio 4000 RTP/AVP 0\r\n" + attr + "\r\n"), local4());
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->media[0].direction, expected) << attr;
    EXPECT_NE(serialize(*a).find(std::string("a=") + toString(expected) + "\r\n"),
              std::string::npos);
  }
}

TEST(SdpAnswerTest, VideoAndExtraStreamsRejectedWithPortZero) {
  auto answer = makeAnswer(parseOk(kVideoOffer), local4());
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->media.size(), 2U);
  EXPECT_EQ(answer->media[0].media, "video");
  EXPECT_EQ(answer->media[0].port, 0);
  EXPECT_EQ(answer->media[0].formats, (std::vector<std::string>{"96", "97"}));
  EXPECT_EQ(answer->media[1].media, "audio");
  EXPECT_EQ(answer->media[1].port, 30000);
  EXPECT_EQ(answer->media[1].formats, (std::vector<std::string>{"8", "101"}));
  const std::string wire = serialize(*answer);
  EXPECT_NE(wire.find("m=video 0 RTP/AVP 96 97\r\na=inactive\r\nm=audio 30000 RTP/AVP 8 101\r\n"),
            std::string::npos)
      << wire;
  EXPECT_EQ(parseOk(wire), *answer);

  // Only one audio stream is accepted; a second one, an SRTP one and a disabled one are not.
  auto multi = makeAnswer(parseOk(head() + "m=audio 0 RTP/AVP 0\r\n"
                                           "m=audio 4000 RTP/SAVP 0\r\n"
                                           "m=audio 4002 RTP/AVP 0\r\n"
                                           "m=audio 4004 RTP/AVP 0\r\n"),
                          local4());
  ASSERT_TRUE(multi.ok());
  ASSERT_EQ(multi->media.size(), 4U);
  EXPECT_EQ(multi->media[0].port, 0);
  EXPECT_EQ(multi->media[1].port, 0);
  EXPECT_EQ(multi->media[1].proto, "RTP/SAVP");
  EXPECT_EQ(multi->media[2].port, 30000);
  EXPECT_EQ(multi->media[3].port, 0);
}

TEST(SdpAnswerTest, Ipv6Answer) {
  auto answer = makeAnswer(parseOk(kIpv6Offer), LocalMedia{"2001:db8::2", 5000, 9, 1});
  ASSERT_TRUE(answer.ok());
  const std::string wire = serialize(*answer);
  EXPECT_NE(wire.find("o=- 9 1 IN IP6 2001:db8::2\r\n"), std::string::npos) << wire;
  EXPECT_NE(wire.find("c=IN IP6 2001:db8::2\r\n"), std::string::npos) << wire;
}

TEST(SdpAnswerTest, NoCommonCodecIsADistinctError) {
  const std::string offers[] = {
      head() + "m=audio 4000 RTP/AVP 96 18\r\na=rtpmap:96 opus/48000/2\r\n",
      head() + "m=audio 4000 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n",
      head() + "m=audio 0 RTP/AVP 0\r\n",
      head() + "m=audio 4000 RTP/SAVP 0\r\n",
      head() + "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/16000\r\n",
      std::string(kVideoOffer.substr(0, kVideoOffer.find("m=audio"))),
  };
  for (const auto& text : offers) {
    auto a = makeAnswer(parseOk(text), local4());
    ASSERT_FALSE(a.ok()) << text;
    EXPECT_EQ(a.error(), SdpError::NoCommonCodec) << text;
    EXPECT_TRUE(isError(a.error(), SdpError::NoCommonCodec));
    EXPECT_EQ(a.error().message(), "no common codec");
  }
  EXPECT_EQ(makeAnswer(SessionDescription{}, local4()).error(), SdpError::NoCommonCodec);
}

// ---- negotiated ------------------------------------------------------------------------

/** We answer `offer` with `local`: what is agreed, on our (the answerer's) side. */
Result<Negotiated> weAnswer(const SessionDescription& offer, const LocalMedia& local) {
  auto answer = makeAnswer(offer, local);
  if (!answer.ok()) {
    ADD_FAILURE() << "no answer: " << answer.error().message();
    return fail(answer.error());
  }
  return negotiated(*answer, offer);
}

TEST(SdpNegotiatedTest, AnswererSide) {
  auto n = weAnswer(parseOk(kBaresipOffer), local4());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->remoteAddress, "192.168.1.20");
  EXPECT_EQ(n->remotePort, 10774);
  EXPECT_EQ(n->codec, (Codec{8, "PCMA", 8000, {}}));
  EXPECT_EQ(n->telephoneEventPt, 101);
  EXPECT_EQ(n->direction, Direction::SendRecv);
}

TEST(SdpNegotiatedTest, OffererSideUsesAnswerersChoiceAndPayloadTypes) {
  const auto offer = makeOffer(local4());
  const auto answer = parseOk(
      "v=0\r\no=- 5 5 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n"
      "m=audio 7078 RTP/AVP 8 96\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-11\r\n");
  auto n = negotiated(offer, answer);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->remoteAddress, "198.51.100.9");
  EXPECT_EQ(n->remotePort, 7078);
  EXPECT_EQ(n->codec.encoding, "PCMA");
  EXPECT_EQ(n->telephoneEventPt, 96);
  EXPECT_EQ(n->direction, Direction::SendRecv);
}

TEST(SdpNegotiatedTest, HoldDirections) {
  // They put us on hold (sendonly): we only receive.
  auto held = weAnswer(parseOk(kHoldOffer), local4());
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->direction, Direction::RecvOnly);

  // Legacy hold: c=0.0.0.0 means the peer receives nothing.
  auto legacy =
      weAnswer(parseOk("v=0\r\no=- 1 2 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
                       "m=audio 49170 RTP/AVP 0\r\n"),
               local4());
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->direction, Direction::RecvOnly);

  // We offered sendrecv, the answer says inactive.
  const auto inactive = parseOk(head() + "m=audio 4000 RTP/AVP 0\r\na=inactive\r\n");
  EXPECT_EQ(negotiated(makeOffer(local4()), inactive)->direction, Direction::Inactive);
}

TEST(SdpNegotiatedTest, MediaLevelAddressAndIpv6) {
  auto n = weAnswer(parseOk(kVideoOffer), local4());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->remoteAddress, "203.0.113.5");
  EXPECT_EQ(n->remotePort, 5004);

  auto n6 = weAnswer(parseOk(kIpv6Offer), LocalMedia{"2001:db8::2", 5000, 9, 1});
  ASSERT_TRUE(n6.ok());
  EXPECT_EQ(n6->remoteAddress, "2001:db8::1");
  EXPECT_EQ(n6->codec.encoding, "PCMA");
  EXPECT_FALSE(n6->telephoneEventPt.has_value());
}

TEST(SdpNegotiatedTest, Errors) {
  const auto offer = makeOffer(local4());
  // The answerer rejected the stream.
  const auto rejected = parseOk(head() + "m=audio 0 RTP/AVP 0\r\n");
  EXPECT_EQ(negotiated(offer, rejected).error(), SdpError::NoActiveAudio);
  // No codec in common (a broken answer).
  const auto g729 = parseOk(head() + "m=audio 4000 RTP/AVP 18\r\n");
  EXPECT_EQ(negotiated(offer, g729).error(), SdpError::NoActiveAudio);
  // No c= anywhere.
  const auto noC =
      parseOk("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
  EXPECT_EQ(negotiated(offer, noC).error(), SdpError::MissingAddress);
  EXPECT_EQ(negotiated(offer, SessionDescription{}).error(), SdpError::NoActiveAudio);
}

// ---- errors and helpers ----------------------------------------------------------------

TEST(SdpErrorTest, MessagesAreUniqueAndNamed) {
  EXPECT_STREQ(sdpErrorCategory().name(), "sip.sdp");
  for (std::size_t i = 0; i < kSdpErrorCount; ++i) {
    const auto e = static_cast<SdpError>(i);
    const std::string text = toString(e);
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(make_error_code(e).message(), text);
    for (std::size_t j = 0; j < i; ++j) {
      EXPECT_NE(text, toString(static_cast<SdpError>(j)));
    }
  }
}

TEST(SdpErrorTest, DefaultCodecs) {
  const auto c = defaultCodecs();
  ASSERT_EQ(c.size(), 3U);
  EXPECT_EQ(c[0], (Codec{0, "PCMU", 8000, {}}));
  EXPECT_EQ(c[1], (Codec{8, "PCMA", 8000, {}}));
  EXPECT_EQ(c[2], (Codec{101, "telephone-event", 8000, "0-16"}));
  EXPECT_EQ(LocalMedia{}.codecs, c);
  EXPECT_EQ(mirror(Direction::SendOnly), Direction::RecvOnly);
  EXPECT_EQ(mirror(Direction::RecvOnly), Direction::SendOnly);
}

}  // namespace
}  // namespace tapi::sip::sdp
