// A SIP line with a registrar: SIPp is the registrar and challenges every REGISTER with
// Digest; the line registers when it opens and unregisters (Expires: 0) when it closes, over
// UDP and TCP. SIPp checks each credential with verifyauth.
//
// Only MD5: the SIPp here (3.6.1) verifies MD5 digests only (verifyauth knows no SHA-256);
// SHA-256 answers are covered by the digest unit tests against RFC 7616's examples.

#include <gtest/gtest.h>

#include "integration/sipp/sip_fixture.hpp"

namespace tapi::testing {
namespace {

class SippRegister : public SippTest {};

TEST_P(SippRegister, DigestMd5RegisterThenUnregisterOnClose) {
  const std::uint16_t port = freePort(sockType());
  // The registrar must listen before the line opens (the fixture opens it at once).
  Sipp sipp("uas_register_auth.xml", tcp(), port, "", {},
            {{"USER", "alice-auth"}, {"PASSWORD", "pa55word"}});
  if (tcp()) {
    ASSERT_TRUE(waitTcpListening(port)) << sipp.transcript();
  }
  providers::sip::SipLineConfig l = aliceLine(tcp());
  l.registrar = "sip:127.0.0.1:" + std::to_string(port);
  l.registerExpires = 3600;
  l.authUser = "alice-auth";
  l.password = "pa55word";
  SipLineFixture f({l}, tcp());
  ASSERT_TRUE(f.runUntil([&] { return f.provider->sipStats().registrations == 1; }))
      << f.statsText() << "\n"
      << sipp.transcript();
  // The registrar granted 60 s of the 3600 asked for: once the REGISTER transactions are
  // gone, only the refresh timer is left.
  ASSERT_TRUE(f.runUntil([&] { return f.provider->sipStats().transactions == 0; }))
      << f.statsText();
  const auto st = f.provider->sipStats();
  EXPECT_EQ(st.outOfDialog, 0u);
  EXPECT_EQ(st.timers, 1u) << "one registration refresh: " << f.statsText();
  // Closing the line removes the binding: REGISTER with Expires: 0, challenged again.
  ASSERT_TRUE(f.eng->close(f.hApp, f.hLine));
  EXPECT_EQ(f.waitSipp(sipp), 0) << sipp.transcript();
  ASSERT_TRUE(f.runUntil([&] {
    const auto s = f.provider->sipStats();
    return s.registrations == 0 && s.outOfDialog == 0;
  })) << f.statsText();
  f.expectNoCalls("registration makes no calls");
  EXPECT_TRUE(f.releasedEverything()) << f.statsText();
}

INSTANTIATE_TEST_SUITE_P(Transports, SippRegister, ::testing::Values(false, true), transportName);

}  // namespace
}  // namespace tapi::testing
