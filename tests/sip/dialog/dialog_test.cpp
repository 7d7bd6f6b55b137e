// RFC 3261 §12 dialog state: creation on both sides, in-dialog requests with loose and
// strict routing, CSeq rules, target refresh, tags; and targetForUri (RFC 3263 without DNS).

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/dialog/dialog.hpp"
#include "sip/dialog/target.hpp"
#include "sip/message/message.hpp"

namespace tapi::sip::dialog {
namespace {

using message::SipMessage;
using transport::Protocol;

SipMessage parsed(const std::string& text) {
  auto m = message::parse(text);
  EXPECT_TRUE(m.ok()) << text;
  return std::move(*m);
}

// Our INVITE (we are Alice, the UAC).
std::string inviteText(std::string_view extra = {}, std::string_view cseq = "1") {
  std::string t =
      "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinv1\r\n"
      "Max-Forwards: 70\r\n"
      "From: \"Alice\" <sip:alice@192.0.2.1>;tag=atag\r\n"
      "To: <sip:bob@example.com>\r\n"
      "Call-ID: call-1@192.0.2.1\r\n"
      "CSeq: " +
      std::string(cseq) +
      " INVITE\r\n"
      "Contact: <sip:alice@192.0.2.1:5060>\r\n";
  t += extra;
  t += "Content-Length: 0\r\n\r\n";
  return t;
}

// A response from Bob to inviteText().
std::string responseText(int status, std::string_view toTag, std::string_view extra) {
  std::string t = "SIP/2.0 " + std::to_string(status) + " Whatever\r\n";
  t += "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinv1\r\n";
  t += "From: \"Alice\" <sip:alice@192.0.2.1>;tag=atag\r\n";
  t += "To: <sip:bob@example.com>";
  if (!toTag.empty()) {
    t += ";tag=" + std::string(toTag);
  }
  t += "\r\nCall-ID: call-1@192.0.2.1\r\nCSeq: 1 INVITE\r\n";
  t += extra;
  t += "Content-Length: 0\r\n\r\n";
  return t;
}

constexpr std::string_view kTwoRecordRoutes =
    "Record-Route: <sip:p2.example.com;lr>\r\n"
    "Record-Route: <sip:p1.example.com;lr>\r\n";

std::vector<std::string> routesOf(const SipMessage& m) {
  std::vector<std::string> out;
  for (const auto& r : m.routes()) {
    out.emplace_back(r.text);
  }
  return out;
}

// ---- asUac ------------------------------------------------------------------------------

TEST(DialogAsUac, From2xxIsConfirmedWithReversedRouteSetAndContactTarget) {
  auto invite = parsed(inviteText());
  auto ok = parsed(responseText(
      200, "btag",
      std::string(kTwoRecordRoutes) + "Contact: <sip:bob@192.0.2.2:5070;transport=tcp>\r\n"));
  auto d = Dialog::asUac(invite, ok);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_TRUE(d->confirmed());
  EXPECT_EQ(d->id(), (DialogId{"call-1@192.0.2.1", "atag", "btag"}));
  EXPECT_EQ(d->remoteTarget(), "sip:bob@192.0.2.2:5070;transport=tcp");
  EXPECT_EQ(d->routeSet(),
            (std::vector<std::string>{"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"}));
  EXPECT_EQ(d->localSeq(), 1u);
  EXPECT_FALSE(d->remoteSeq().has_value());
  EXPECT_EQ(d->localParty(), "\"Alice\" <sip:alice@192.0.2.1>;tag=atag");
  EXPECT_EQ(d->remoteParty(), "<sip:bob@example.com>;tag=btag");
  EXPECT_EQ(d->nextHopUri(), "sip:p1.example.com;lr");
}

TEST(DialogAsUac, From1xxIsEarly) {
  auto invite = parsed(inviteText());
  auto ringing = parsed(responseText(180, "btag", "Contact: <sip:bob@192.0.2.2:5070>\r\n"));
  auto d = Dialog::asUac(invite, ringing);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->confirmed());
  EXPECT_EQ(d->remoteTarget(), "sip:bob@192.0.2.2:5070");
  EXPECT_TRUE(d->routeSet().empty());
  EXPECT_EQ(d->nextHopUri(), "sip:bob@192.0.2.2:5070");
  d->confirm();
  EXPECT_TRUE(d->confirmed());
}

TEST(DialogAsUac, ProvisionalWithoutContactTargetsTheRequestUri) {
  auto invite = parsed(inviteText());
  auto ringing = parsed(responseText(180, "btag", {}));
  auto d = Dialog::asUac(invite, ringing);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->remoteTarget(), "sip:bob@192.0.2.2");
}

TEST(DialogAsUac, NoToTagIsNoDialog) {
  auto invite = parsed(inviteText());
  EXPECT_FALSE(Dialog::asUac(invite, parsed(responseText(180, {}, {}))).ok());
  EXPECT_FALSE(
      Dialog::asUac(invite, parsed(responseText(200, {}, "Contact: <sip:bob@192.0.2.2>\r\n")))
          .ok());
}

TEST(DialogAsUac, TwoHundredWithoutContactIsAnError) {
  auto invite = parsed(inviteText());
  EXPECT_FALSE(Dialog::asUac(invite, parsed(responseText(200, "btag", {}))).ok());
}

TEST(DialogAsUac, CSeqContinuesFromTheInvite) {
  auto invite = parsed(inviteText({}, "7"));
  auto ok = parsed(responseText(200, "btag", "Contact: <sip:bob@192.0.2.2>\r\n"));
  auto d = Dialog::asUac(invite, ok);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->localSeq(), 7u);
  auto bye = d->makeRequest("BYE");
  ASSERT_TRUE(bye.ok());
  EXPECT_EQ(bye->cseq().number, 8u);
}

// ---- asUas ------------------------------------------------------------------------------

// An INVITE as Bob (the UAS) receives it.
std::string incomingInvite(std::string_view extra) {
  std::string t =
      "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinv1\r\n"
      "Max-Forwards: 70\r\n"
      "From: \"Alice\" <sip:alice@192.0.2.1>;tag=atag\r\n"
      "To: \"Bob\" <sip:bob@example.com>\r\n"
      "Call-ID: call-2@192.0.2.1\r\n"
      "CSeq: 314 INVITE\r\n";
  t += extra;
  t += "Content-Length: 0\r\n\r\n";
  return t;
}

TEST(DialogAsUas, RouteSetInOrderTargetFromContactLocalTag) {
  auto invite = parsed(
      incomingInvite(std::string(kTwoRecordRoutes) + "Contact: <sip:alice@192.0.2.1:5062>\r\n"));
  auto d = Dialog::asUas(invite, "btag");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->confirmed());
  EXPECT_EQ(d->id(), (DialogId{"call-2@192.0.2.1", "btag", "atag"}));
  EXPECT_EQ(d->routeSet(),
            (std::vector<std::string>{"<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"}));
  EXPECT_EQ(d->remoteTarget(), "sip:alice@192.0.2.1:5062");
  ASSERT_TRUE(d->remoteSeq().has_value());
  EXPECT_EQ(*d->remoteSeq(), 314u);
  EXPECT_EQ(d->localSeq(), 0u);
  EXPECT_EQ(d->localParty(), "\"Bob\" <sip:bob@example.com>;tag=btag");
  EXPECT_EQ(d->remoteParty(), "\"Alice\" <sip:alice@192.0.2.1>;tag=atag");

  // Our BYE: From is us (with our tag), To is them.
  auto bye = d->makeRequest("BYE");
  ASSERT_TRUE(bye.ok());
  EXPECT_EQ(bye->from().tag(), "btag");
  EXPECT_EQ(bye->to().tag(), "atag");
  EXPECT_EQ(bye->callId(), "call-2@192.0.2.1");
  EXPECT_EQ(bye->cseq().number, 1u);
  EXPECT_EQ(bye->requestUri().text, "sip:alice@192.0.2.1:5062");
  EXPECT_EQ(routesOf(*bye),
            (std::vector<std::string>{"<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"}));
}

TEST(DialogAsUas, AnRfc2543InviteWithoutContactTargetsItsFromUri) {
  // RFC 4475 §3.4.1 (inv2543): RFC 2543 needed no Contact; the From URI is the way back.
  auto d = Dialog::asUas(parsed(incomingInvite({})), "btag");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->remoteTarget(), "sip:alice@192.0.2.1");
}

TEST(DialogAsUas, AWildcardContactIsAnError) {
  EXPECT_FALSE(Dialog::asUas(parsed(incomingInvite("Contact: *\r\n")), "btag").ok());
}

// ---- makeRequest: routing ------------------------------------------------------------

Dialog uacDialog(std::string_view recordRoutes,
                 std::string_view contact = "<sip:bob@192.0.2.2:5070>") {
  auto invite = parsed(inviteText());
  auto ok = parsed(responseText(
      200, "btag", std::string(recordRoutes) + "Contact: " + std::string(contact) + "\r\n"));
  auto d = Dialog::asUac(invite, ok);
  EXPECT_TRUE(d.ok());
  return std::move(*d);
}

TEST(DialogMakeRequest, NoRouteSetGoesToTheRemoteTarget) {
  auto d = uacDialog({});
  auto bye = d.makeRequest("BYE");
  ASSERT_TRUE(bye.ok());
  EXPECT_EQ(bye->requestUri().text, "sip:bob@192.0.2.2:5070");
  EXPECT_TRUE(bye->routes().empty());
  EXPECT_EQ(bye->maxForwards(), 70u);
  EXPECT_EQ(bye->from().text, "\"Alice\" <sip:alice@192.0.2.1>;tag=atag");
  EXPECT_EQ(bye->to().text, "<sip:bob@example.com>;tag=btag");
  EXPECT_EQ(bye->methodName(), "BYE");
  EXPECT_EQ(bye->cseq().methodName, "BYE");
}

TEST(DialogMakeRequest, LooseRoutingKeepsTargetAndRouteSet) {
  auto d = uacDialog(kTwoRecordRoutes);
  auto bye = d.makeRequest("BYE");
  ASSERT_TRUE(bye.ok());
  EXPECT_EQ(bye->requestUri().text, "sip:bob@192.0.2.2:5070");
  EXPECT_EQ(routesOf(*bye),
            (std::vector<std::string>{"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"}));
  EXPECT_EQ(d.nextHopUri(), "sip:p1.example.com;lr");
}

TEST(DialogMakeRequest, StrictRoutingPutsFirstRouteInRequestUriAndTargetLast) {
  // Reversed by the UAC: route set = p1 (strict), p2 (loose).
  auto d = uacDialog(
      "Record-Route: <sip:p2.example.com;lr>\r\n"
      "Record-Route: <sip:p1.example.com;maddr=192.0.2.9>\r\n");
  auto bye = d.makeRequest("BYE");
  ASSERT_TRUE(bye.ok());
  EXPECT_EQ(bye->requestUri().text, "sip:p1.example.com;maddr=192.0.2.9");
  EXPECT_EQ(routesOf(*bye),
            (std::vector<std::string>{"<sip:p2.example.com;lr>", "<sip:bob@192.0.2.2:5070>"}));
  EXPECT_EQ(d.nextHopUri(), "sip:p1.example.com;maddr=192.0.2.9");
  // The dialog's own route set is not changed by building a request.
  EXPECT_EQ(d.routeSet().size(), 2u);
  auto again = d.makeRequest("INFO");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(routesOf(*again), routesOf(*bye));
}

TEST(DialogMakeRequest, ContactOnlyOnTargetRefreshRequests) {
  auto d = uacDialog({});
  d.setLocalContact("<sip:alice@192.0.2.1:5060>");
  auto reinvite = d.makeRequest("INVITE", {}, "v=0\r\n", "application/sdp");
  ASSERT_TRUE(reinvite.ok());
  ASSERT_EQ(reinvite->contacts().size(), 1u);
  EXPECT_EQ(reinvite->contacts().front().uri.text, "sip:alice@192.0.2.1:5060");
  EXPECT_EQ(reinvite->body(), "v=0\r\n");
  EXPECT_EQ(reinvite->header("Content-Type"), "application/sdp");
  auto update = d.makeRequest("UPDATE");
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->contacts().size(), 1u);
  auto bye = d.makeRequest("BYE", {{"Reason", "Q.850;cause=16"}});
  ASSERT_TRUE(bye.ok());
  EXPECT_TRUE(bye->contacts().empty());
  EXPECT_EQ(bye->header("Reason"), "Q.850;cause=16");
  EXPECT_TRUE(bye->body().empty());
}

// ---- CSeq --------------------------------------------------------------------------------

TEST(DialogCSeq, EachRequestIncrementsAckAndCancelReuse) {
  auto d = uacDialog({});
  EXPECT_EQ(d.localSeq(), 1u);
  auto reinvite = d.makeRequest("INVITE");
  ASSERT_TRUE(reinvite.ok());
  EXPECT_EQ(reinvite->cseq().number, 2u);
  auto ack = d.makeAck(2);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->methodName(), "ACK");
  EXPECT_EQ(ack->cseq().number, 2u);
  EXPECT_EQ(ack->cseq().methodName, "ACK");
  EXPECT_TRUE(ack->contacts().empty());
  auto cancel = d.makeRequest("CANCEL", {}, {}, {}, 2);
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->cseq().number, 2u);
  EXPECT_EQ(d.localSeq(), 2u);
  auto bye = d.makeRequest("BYE");
  ASSERT_TRUE(bye.ok());
  EXPECT_EQ(bye->cseq().number, 3u);
  EXPECT_EQ(d.localSeq(), 3u);
}

std::string inDialogRequest(std::string_view method, std::uint32_t cseq) {
  return std::string(method) +
         " sip:bob@192.0.2.2 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK" +
         std::to_string(cseq) + std::string(method) +
         "\r\n"
         "From: \"Alice\" <sip:alice@192.0.2.1>;tag=atag\r\n"
         "To: \"Bob\" <sip:bob@example.com>;tag=btag\r\n"
         "Call-ID: call-2@192.0.2.1\r\n"
         "CSeq: " +
         std::to_string(cseq) + " " + std::string(method) + "\r\nContent-Length: 0\r\n\r\n";
}

TEST(DialogCSeq, AcceptRemoteCSeqRejectsOnlyLower) {
  auto d = Dialog::asUas(parsed(incomingInvite("Contact: <sip:alice@192.0.2.1>\r\n")), "btag");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->acceptRemoteCSeq(parsed(inDialogRequest("ACK", 314))));  // same number: ACK
  EXPECT_TRUE(d->acceptRemoteCSeq(parsed(inDialogRequest("INFO", 320))));
  EXPECT_EQ(*d->remoteSeq(), 320u);
  EXPECT_FALSE(d->acceptRemoteCSeq(parsed(inDialogRequest("BYE", 319))));
  EXPECT_EQ(*d->remoteSeq(), 320u);  // unchanged by the rejected one
  EXPECT_TRUE(d->acceptRemoteCSeq(parsed(inDialogRequest("BYE", 321))));
  EXPECT_EQ(*d->remoteSeq(), 321u);
}

TEST(DialogCSeq, UacDialogAcceptsAnyFirstRemoteCSeq) {
  auto d = uacDialog({});
  EXPECT_FALSE(d.remoteSeq().has_value());
  EXPECT_TRUE(d.acceptRemoteCSeq(parsed(inDialogRequest("BYE", 1))));
  EXPECT_EQ(d.remoteSeq(), 1u);
  EXPECT_FALSE(d.acceptRemoteCSeq(parsed(inDialogRequest("INFO", 0))));
}

// ---- target refresh ----------------------------------------------------------------------

TEST(DialogRefreshTarget, ContactReplacesTargetRouteSetStays) {
  auto d = uacDialog(kTwoRecordRoutes);
  d.refreshTarget(parsed(inDialogRequest("INVITE", 2)));  // no Contact: no change
  EXPECT_EQ(d.remoteTarget(), "sip:bob@192.0.2.2:5070");
  std::string reinvite = inDialogRequest("INVITE", 3);
  reinvite.insert(reinvite.find("Content-Length"),
                  "Contact: \"Bob\" <sip:bob@192.0.2.77:5080;transport=tcp>;expires=10\r\n"
                  "Record-Route: <sip:p9.example.com;lr>\r\n");
  d.refreshTarget(parsed(reinvite));
  EXPECT_EQ(d.remoteTarget(), "sip:bob@192.0.2.77:5080;transport=tcp");
  EXPECT_EQ(d.routeSet(),
            (std::vector<std::string>{"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"}));
  auto bye = d.makeRequest("BYE");
  ASSERT_TRUE(bye.ok());
  EXPECT_EQ(bye->requestUri().text, "sip:bob@192.0.2.77:5080;transport=tcp");
}

// ---- withTag --------------------------------------------------------------------------------

TEST(WithTag, AddsReplacesAndRemoves) {
  EXPECT_EQ(withTag("<sip:bob@example.com>", "t1"), "<sip:bob@example.com>;tag=t1");
  EXPECT_EQ(withTag("\"Bob\" <sip:bob@example.com>;tag=old", "t2"),
            "\"Bob\" <sip:bob@example.com>;tag=t2");
  EXPECT_EQ(withTag("<sip:bob@example.com>;x=1;TAG=old;y", "t3"),
            "<sip:bob@example.com>;x=1;y;tag=t3");
  EXPECT_EQ(withTag("<sip:bob@example.com>;tag=old", ""), "<sip:bob@example.com>");
}

TEST(WithTag, AddrSpecGetsBrackets) {
  EXPECT_EQ(withTag("sip:bob@example.com", "t1"), "<sip:bob@example.com>;tag=t1");
  // In an addr-spec everything after ';' is a header parameter (RFC 3261 §20).
  EXPECT_EQ(withTag("sip:bob@example.com;tag=old;foo=bar", "t2"),
            "<sip:bob@example.com>;foo=bar;tag=t2");
  // The result parses back with the URI intact.
  const std::string text = withTag("sip:bob@example.com;foo", "t");
  auto na = message::parseNameAddr(text, message::ParseError::BadHeaderValue);
  ASSERT_TRUE(na.ok());
  EXPECT_EQ(na->uri.text, "sip:bob@example.com");
  EXPECT_EQ(na->tag(), "t");
}

TEST(WithTag, UnparseableIsReturnedUnchanged) {
  EXPECT_EQ(withTag("not a name-addr <", "t"), "not a name-addr <");
}

// ---- targetForUri ---------------------------------------------------------------------------

/**
 * `uri` (with `fallback` where it names no transport) resolves to `protocol` at
 * `address`:`port`. @return the target, nothing if it did not resolve (a test failure).
 */
std::optional<transport::Target> expectTarget(std::string_view uri, Protocol fallback,
                                              Protocol protocol, std::string_view address,
                                              std::uint16_t port) {
  auto t = targetForUri(uri, fallback);
  if (!t.ok()) {
    ADD_FAILURE() << uri << ": " << t.error().message();
    return std::nullopt;
  }
  EXPECT_EQ(t->protocol, protocol) << uri;
  EXPECT_EQ(t->endpoint.address.to_string(), address) << uri;
  EXPECT_EQ(t->endpoint.port, port) << uri;
  return *t;
}

TEST(TargetForUri, Ipv4WithDefaultPortAndFallbackProtocol) {
  expectTarget("sip:bob@192.0.2.1", Protocol::Udp, Protocol::Udp, "192.0.2.1", 5060);
  expectTarget("sip:bob@192.0.2.1:5070", Protocol::Tcp, Protocol::Tcp, "192.0.2.1", 5070);
}

TEST(TargetForUri, NameAddrBracketsAndRouteParams) {
  expectTarget("<sip:192.0.2.5:5080;lr>", Protocol::Udp, Protocol::Udp, "192.0.2.5", 5080);
  expectTarget("\"Proxy\" <sip:192.0.2.6;lr>", Protocol::Udp, Protocol::Udp, "192.0.2.6", 5060);
}

TEST(TargetForUri, Ipv6InBrackets) {
  auto t =
      expectTarget("sip:bob@[2001:db8::1]:5070", Protocol::Udp, Protocol::Udp, "2001:db8::1", 5070);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->endpoint.address.is_v6());
  expectTarget("<sip:[::1];lr>", Protocol::Tcp, Protocol::Tcp, "::1", 5060);
}

TEST(TargetForUri, TransportParameterWins) {
  expectTarget("sip:bob@192.0.2.1;transport=tcp", Protocol::Udp, Protocol::Tcp, "192.0.2.1", 5060);
  expectTarget("sip:bob@192.0.2.1:5999;transport=UDP", Protocol::Tcp, Protocol::Udp, "192.0.2.1",
               5999);
  expectTarget("sip:bob@192.0.2.1;transport=tls", Protocol::Udp, Protocol::Tls, "192.0.2.1", 5061);
  auto sctp = targetForUri("sip:bob@192.0.2.1;transport=sctp", Protocol::Udp);
  ASSERT_FALSE(sctp.ok());
  EXPECT_EQ(sctp.error(), Errc::UnsupportedTransport);
  EXPECT_EQ(sctp.error(), std::errc::protocol_not_supported);
}

TEST(TargetForUri, Localhost) {
  expectTarget("sip:alice@localhost:5062", Protocol::Udp, Protocol::Udp, "127.0.0.1", 5062);
}

TEST(TargetForUri, HostNameNeedsDnsAndFails) {
  auto t = targetForUri("sip:bob@example.com", Protocol::Udp);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error(), Errc::NeedsDns);
  EXPECT_EQ(t.error(), std::errc::address_not_available);
}

TEST(TargetForUri, SipsMeansTlsOnPort5061) {
  expectTarget("sips:bob@192.0.2.1", Protocol::Udp, Protocol::Tls, "192.0.2.1", 5061);
}

TEST(TargetForUri, NonSipUriIsInvalid) {
  auto tel = targetForUri("tel:+15551234", Protocol::Udp);
  ASSERT_FALSE(tel.ok());
  EXPECT_EQ(tel.error(), Errc::BadUri);
  EXPECT_EQ(tel.error(), std::errc::invalid_argument);
  EXPECT_FALSE(targetForUri("", Protocol::Udp).ok());
}

}  // namespace
}  // namespace tapi::sip::dialog
