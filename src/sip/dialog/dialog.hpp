#pragma once
// A SIP dialog (RFC 3261 §12): the peer-to-peer relationship an INVITE creates, and the
// state every request inside it needs — identifiers, sequence numbers, remote target and
// route set. A Dialog is a plain value; the session layer owns one per INVITE usage.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "sip/message/message.hpp"
#include "sip/transport/transport_layer.hpp"

namespace tapi::sip::dialog {

/** Call-ID plus both tags (§12): what every in-dialog request must match. */
struct DialogId {
  std::string callId;
  std::string localTag;
  std::string remoteTag;
  friend bool operator==(const DialogId&, const DialogId&) = default;
};

/** Extra header lines for a request or response: name, value. */
using HeaderList = std::vector<std::pair<std::string, std::string>>;

class Dialog {
 public:
  /**
   * The UAC side, from our INVITE and a response with a To tag (1xx: early, 2xx:
   * confirmed). Route set = Record-Route reversed; remote target = the response's Contact.
   * @return an error when the response has no To tag (no dialog) or no usable Contact on a 2xx.
   */
  static Result<Dialog> asUac(const message::SipMessage& request,
                              const message::SipMessage& response);

  /**
   * The UAS side, from a received INVITE: route set = Record-Route in order, remote target
   * = the request's Contact, local tag = `localTag`.
   * @return an error when the request has no Contact (it cannot be reached in-dialog).
   */
  static Result<Dialog> asUas(const message::SipMessage& request, std::string localTag);

  const DialogId& id() const { return id_; }
  bool confirmed() const { return confirmed_; }
  void confirm() { confirmed_ = true; }

  /** Our next CSeq number (it only grows). */
  std::uint32_t localSeq() const { return localSeq_; }
  std::optional<std::uint32_t> remoteSeq() const { return remoteSeq_; }
  const std::string& remoteTarget() const { return remoteTarget_; }
  const std::vector<std::string>& routeSet() const { return routeSet_; }
  /** Our party as it goes in From of requests we send (with our tag). */
  const std::string& localParty() const { return localParty_; }
  /** The peer's party as it goes in To (with its tag). */
  const std::string& remoteParty() const { return remoteParty_; }

  /**
   * A request inside the dialog (§12.2.1.1): Request-URI and Route from the remote target
   * and route set (loose or strict routing), From/To/Call-ID, CSeq = ++localSeq (ACK and
   * CANCEL take `cseq` instead), Max-Forwards, `contact` for target-refresh requests.
   * The Via is a placeholder the transaction layer replaces.
   */
  Result<message::SipMessage> makeRequest(std::string_view method, const HeaderList& headers = {},
                                          std::string_view body = {},
                                          std::string_view contentType = {},
                                          std::optional<std::uint32_t> cseq = std::nullopt);

  /** The ACK for a 2xx to our INVITE with CSeq `inviteCSeq` (§13.2.2.4). */
  Result<message::SipMessage> makeAck(std::uint32_t inviteCSeq, const HeaderList& headers = {});

  /** Where the next request goes: the first route if any, else the remote target. */
  std::string_view nextHopUri() const;

  /**
   * Checks the CSeq of a request from the peer (§12.2.2): lower than the last one seen is
   * out of order (answer 500); otherwise it becomes the new remote CSeq.
   * @return false when out of order.
   */
  bool acceptRemoteCSeq(const message::SipMessage& request);

  /** Target refresh (§12.2): a Contact in a re-INVITE/UPDATE or its 2xx replaces the target. */
  void refreshTarget(const message::SipMessage& m);

  /** The Contact URI we advertise (set by the session layer from the transport used). */
  void setLocalContact(std::string contact) { localContact_ = std::move(contact); }
  const std::string& localContact() const { return localContact_; }

 private:
  Dialog() = default;
  DialogId id_;
  std::uint32_t localSeq_ = 0;
  std::optional<std::uint32_t> remoteSeq_;
  std::string remoteTarget_;
  std::vector<std::string> routeSet_;
  std::string localParty_;
  std::string remoteParty_;
  std::string localContact_;
  bool confirmed_ = false;
};

/** Replaces (or adds) the tag parameter of a From/To value. */
std::string withTag(std::string_view party, std::string_view tag);

}  // namespace tapi::sip::dialog
