#include "sip/transport/stream_framer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tapi::sip::transport {
namespace {

std::string msg(std::string_view body, std::string_view clHeader = "Content-Length") {
  std::string m = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\n";
  m += clHeader;
  m += ": " + std::to_string(body.size()) + "\r\n\r\n";
  m += body;
  return m;
}

TEST(StreamFramer, OneWholeMessage) {
  StreamFramer f;
  const std::string m = msg("hello");
  ASSERT_TRUE(f.feed(m));
  auto out = f.next();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, m);
  EXPECT_FALSE(f.next());
  EXPECT_EQ(f.buffered(), 0u);
  EXPECT_FALSE(f.error());
}

TEST(StreamFramer, MessageSplitAcrossEveryByte) {
  StreamFramer f;
  const std::string m = msg("body-bytes");
  for (std::size_t i = 0; i + 1 < m.size(); ++i) {
    ASSERT_TRUE(f.feed(std::string_view(&m[i], 1)));
    ASSERT_FALSE(f.next()) << "framed early at byte " << i;
  }
  ASSERT_TRUE(f.feed(std::string_view(&m.back(), 1)));
  auto out = f.next();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, m);
}

TEST(StreamFramer, SeveralMessagesInOneRead) {
  StreamFramer f;
  const std::string a = msg("");
  const std::string b = msg("xyz", "l");
  const std::string c = msg("0123456789", "content-LENGTH");
  ASSERT_TRUE(f.feed(a + b + c.substr(0, 20)));
  EXPECT_EQ(f.next(), a);
  EXPECT_EQ(f.next(), b);
  EXPECT_FALSE(f.next());
  ASSERT_TRUE(f.feed(c.substr(20)));
  EXPECT_EQ(f.next(), c);
  EXPECT_FALSE(f.error());
}

TEST(StreamFramer, KeepAliveCrlfsAreSkipped) {
  StreamFramer f;
  const std::string m = msg("");
  ASSERT_TRUE(f.feed("\r\n\r\n" + m + "\r\n"));
  EXPECT_EQ(f.next(), m);
  EXPECT_FALSE(f.next());
  EXPECT_EQ(f.keepAlives(), 3u);
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(StreamFramer, MissingContentLengthIsAnError) {
  StreamFramer f;
  ASSERT_TRUE(f.feed("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\nbody"));
  EXPECT_FALSE(f.next());
  EXPECT_EQ(f.error(), DropReason::MissingContentLength);
  EXPECT_FALSE(f.feed("more")) << "a broken stream takes no more bytes";
}

TEST(StreamFramer, BadContentLengthValues) {
  for (std::string_view bad : {"Content-Length: -1", "Content-Length: 1x", "Content-Length: ",
                               "Content-Length: 99999999999999", "Content-Length: 1 2"}) {
    StreamFramer f;
    ASSERT_TRUE(f.feed("OPTIONS sip:a@b SIP/2.0\r\n" + std::string(bad) + "\r\n\r\n"));
    EXPECT_FALSE(f.next()) << bad;
    EXPECT_EQ(f.error(), DropReason::BadContentLength) << bad;
  }
}

TEST(StreamFramer, ConflictingDuplicateContentLengthIsBadButEqualOnesAreFine) {
  StreamFramer bad;
  ASSERT_TRUE(bad.feed("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\nl: 3\r\n\r\nabc"));
  EXPECT_FALSE(bad.next());
  EXPECT_EQ(bad.error(), DropReason::BadContentLength);

  StreamFramer ok;
  const std::string m = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\nl : 3\r\n\r\nabc";
  ASSERT_TRUE(ok.feed(m));
  EXPECT_EQ(ok.next(), m);
}

TEST(StreamFramer, FoldedContentLengthValue) {
  StreamFramer f;
  const std::string m = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length:\r\n  2\r\n\r\nab";
  ASSERT_TRUE(f.feed(m));
  EXPECT_EQ(f.next(), m);
}

TEST(StreamFramer, OversizedBodyIsRejectedBeforeBuffering) {
  FramerLimits limits;
  limits.maxBodyBytes = 100;
  StreamFramer f(limits);
  ASSERT_TRUE(f.feed("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 101\r\n\r\n"));
  EXPECT_FALSE(f.next());
  EXPECT_EQ(f.error(), DropReason::BodyTooLarge);
}

TEST(StreamFramer, EndlessHeadersAreRejected) {
  FramerLimits limits;
  limits.maxHeaderBytes = 256;
  StreamFramer f(limits);
  ASSERT_TRUE(f.feed("OPTIONS sip:a@b SIP/2.0\r\n"));
  bool failed = false;
  for (int i = 0; i < 100 && !failed; ++i) {
    ASSERT_TRUE(f.feed("X-Junk: 0123456789\r\n"));
    failed = !f.next() && f.error().has_value();
  }
  EXPECT_TRUE(failed);
  EXPECT_EQ(f.error(), DropReason::HeaderTooLarge);
  EXPECT_LE(f.buffered(), 256u + 20u);
}

TEST(StreamFramer, BufferedBytesAreBounded) {
  FramerLimits limits;
  limits.maxBuffered = 64;
  StreamFramer f(limits);
  EXPECT_TRUE(f.feed(std::string(60, 'a')));
  EXPECT_FALSE(f.feed(std::string(5, 'a')));
  EXPECT_EQ(f.error(), DropReason::BufferOverflow);
  EXPECT_EQ(f.buffered(), 60u);
}

TEST(StreamFramer, ManyMessagesKeepMemoryFlat) {
  FramerLimits limits;
  limits.maxBuffered = 1024;
  StreamFramer f(limits);
  const std::string m = msg("0123456789");
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(f.feed(m.substr(0, 7)));
    ASSERT_TRUE(f.feed(m.substr(7)));
    ASSERT_EQ(f.next(), m);
  }
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(FindContentLength, ReportsWhyItFailed) {
  DropReason why = DropReason::Count_;
  EXPECT_EQ(findContentLength("INVITE x SIP/2.0\r\nl:  42 ", &why), 42u);
  EXPECT_FALSE(findContentLength("INVITE x SIP/2.0\r\nContent-Type: a/b", &why));
  EXPECT_EQ(why, DropReason::MissingContentLength);
  EXPECT_FALSE(findContentLength("INVITE x SIP/2.0\r\nContent-Length: abc", &why));
  EXPECT_EQ(why, DropReason::BadContentLength);
}

}  // namespace
}  // namespace tapi::sip::transport
