#include "sip/transport/transport_layer.hpp"

#include <algorithm>
#include <cctype>

#include "sip/errc.hpp"

namespace tapi::sip::transport {

namespace {

// Via hosts keep IPv6 brackets; addresses do not.
std::string_view stripBrackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

std::optional<boost::asio::ip::address> toAddress(std::string_view host) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(stripBrackets(host)), ec);
  if (ec) {
    return std::nullopt;
  }
  return a;
}

// Sent-by hosts compare as addresses when both are IP literals, else case-insensitively.
bool sameHost(std::string_view ours, std::string_view theirs) {
  const auto a = toAddress(ours);
  const auto b = toAddress(theirs);
  if (a && b) {
    return *a == *b;
  }
  if (ours.size() != theirs.size()) {
    return false;
  }
  for (std::size_t i = 0; i < ours.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(ours[i])) !=
        std::tolower(static_cast<unsigned char>(theirs[i]))) {
      return false;
    }
  }
  return true;
}

std::error_code noRoute() {
  return make_error_code(Errc::NoRoute);
}
std::error_code noTransport() {
  return make_error_code(Errc::NoTransport);
}

}  // namespace

std::string_view toString(LayerDrop d) noexcept {
  switch (d) {
    case LayerDrop::ParseErrorDropped:
      return "ParseErrorDropped";
    case LayerDrop::ResponseViaMismatch:
      return "ResponseViaMismatch";
    case LayerDrop::NoRouteForResponse:
      return "NoRouteForResponse";
    case LayerDrop::NoTransport:
      return "NoTransport";
    case LayerDrop::Count_:
      return "Count_";
  }
  return "?";
}

Result<std::pair<Protocol, Destination>> responseDestination(const message::Via& via,
                                                             const Arrival& arrival) {
  // The response goes back on the transport the request came on, whatever the Via's
  // transport token says: a Via naming a transport we do not serve (TLS, SCTP, a made-up
  // token) describes no other path back, and a transaction must always be able to answer.
  const Protocol proto = arrival.protocol;
  const std::uint16_t sentByPort = via.port.value_or(defaultPort(proto));
  if (isReliable(proto)) {
    if (arrival.transport != nullptr && arrival.connection != 0 &&
        arrival.transport->isOpen(arrival.connection)) {
      return std::make_pair(proto, Destination{arrival.source, arrival.connection});
    }
    // The connection is gone: open a new one to received (else sent-by), sent-by port.
    const auto host = toAddress(via.received.empty() ? via.host : via.received);
    if (!host) {
      return fail(noRoute());
    }
    return std::make_pair(proto, Destination{Endpoint{*host, sentByPort}, 0});
  }
  // maddr is ignored (§18.2.2 multicast): honouring it lets a forged request aim our
  // responses at a third party (docs/security.md). Responses go to where the request came from.
  const auto host = toAddress(via.received.empty() ? via.host : via.received);
  if (!host) {
    return fail(noRoute());
  }
  if (via.rport) {
    return std::make_pair(proto, Destination{Endpoint{*host, *via.rport}, 0});
  }
  return std::make_pair(proto, Destination{Endpoint{*host, via.port.value_or(5060)}, 0});
}

int stampReceived(message::SipMessage& request, const Endpoint& source) {
  const message::Via& via = request.topVia();
  const bool wantsRport = via.hasRport;
  const bool rportEmpty = wantsRport && !via.rport;
  const auto sentBy = toAddress(via.host);
  // RFC 3581 §4: with rport present, received is added even when it equals sent-by.
  const bool addReceived = wantsRport || !sentBy || *sentBy != source.address;
  int did = 0;
  if (addReceived) {
    const std::string ip = source.address.to_string();
    if (request.setTopViaParam("received", ip).ok()) {
      did |= 1;
    }
  }
  if (rportEmpty) {
    const std::string port = std::to_string(source.port);
    if (request.setTopViaParam("rport", port).ok()) {
      did |= 2;
    }
  }
  return did;
}

TransportLayer::TransportLayer(message::ParseLimits limits) : limits_(limits) {}

TransportLayer::~TransportLayer() {
  for (const Entry& e : transports_) {
    e.transport->setSink(nullptr);
  }
}

void TransportLayer::addTransport(Transport& transport, std::string advertisedHost) {
  transports_.push_back(Entry{&transport, std::move(advertisedHost)});
  transport.setSink(this);
}

void TransportLayer::removeTransport(Transport& transport) {
  transport.setSink(nullptr);
  transports_.erase(std::remove_if(transports_.begin(), transports_.end(),
                                   [&](const Entry& e) { return e.transport == &transport; }),
                    transports_.end());
}

const TransportLayer::Entry* TransportLayer::pick(Protocol protocol,
                                                  const boost::asio::ip::address& dest) const {
  for (const Entry& e : transports_) {
    if (e.transport->protocol() == protocol &&
        e.transport->localEndpoint().address.is_v6() == dest.is_v6()) {
      return &e;
    }
  }
  return nullptr;
}

std::string TransportLayer::sentByHost(const Entry& e) {
  if (!e.advertisedHost.empty()) {
    return e.advertisedHost;
  }
  const Endpoint local = e.transport->localEndpoint();
  return local.address.is_unspecified() ? std::string() : local.hostString();
}

Result<Route> TransportLayer::prepareRequest(message::SipMessage& request, const Target& target,
                                             std::string_view branch) {
  const Entry* e = pick(target.protocol, target.endpoint.address);
  if (e == nullptr) {
    count(LayerDrop::NoTransport);
    return fail(noTransport());
  }
  const std::string host = sentByHost(*e);
  if (host.empty()) {
    // A Via naming 0.0.0.0 would send every response into the void.
    count(LayerDrop::NoTransport);
    return fail(make_error_code(Errc::NoViaAddress));
  }
  std::string via = "SIP/2.0/";
  via += toString(target.protocol);
  via += ' ';
  via += host;
  via += ':';
  via += std::to_string(e->transport->localEndpoint().port);
  via += ";rport;branch=";
  via += branch;
  auto replaced = request.replaceHeader("Via", via);
  if (!replaced) {
    return fail(replaced.error());
  }
  return Route{e->transport, Destination{target.endpoint, 0}};
}

Result<Route> TransportLayer::routeResponse(const message::Via& requestTopVia,
                                            const Arrival& arrival) {
  auto dest = responseDestination(requestTopVia, arrival);
  if (!dest) {
    count(LayerDrop::NoRouteForResponse);
    return fail(dest.error());
  }
  // Prefer the transport the request came on (same socket: what NATs expect, RFC 3581).
  Transport* t = arrival.transport;
  if (t == nullptr || t->protocol() != dest->first ||
      t->localEndpoint().address.is_v6() != dest->second.endpoint.address.is_v6()) {
    const Entry* e = pick(dest->first, dest->second.endpoint.address);
    t = e != nullptr ? e->transport : nullptr;
  }
  if (t == nullptr) {
    count(LayerDrop::NoTransport);
    return fail(noTransport());
  }
  return Route{t, dest->second};
}

void TransportLayer::send(const Route& route, std::string bytes, SendDone done) {
  route.transport->send(route.destination, std::move(bytes), std::move(done));
}

Result<void> TransportLayer::sendStateless(const message::SipMessage& response,
                                           const Arrival& arrival, SendDone done) {
  auto route = routeResponse(response.topVia(), arrival);
  if (!route) {
    return fail(route.error());
  }
  send(*route, response.serialize(), std::move(done));
  return {};
}

void TransportLayer::onPacket(Transport& from, ReceivedPacket&& packet) {
  Arrival arrival{&from, packet.protocol, packet.source, packet.local, packet.connection};
  auto parsed = message::parse(packet.bytes, limits_);
  if (!parsed) {
    message::ParseError why{};
    if (message::toParseError(parsed.error(), &why)) {
      stats_.parse.countRejected(why);
    }
    auto decision = message::decideOnBadInput(packet.bytes, parsed.error(), limits_);
    switch (decision.action) {
      case message::BadInputAction::Respond400:
        // Nothing parsed reliably enough to route by Via: answer where it came from.
        ++stats_.answered400;
        ++stats_.parse.answered400;
        from.send(Destination{packet.source, packet.connection}, std::move(decision.response),
                  nullptr);
        return;
      case message::BadInputAction::Drop:
        ++stats_.parse.dropped;
        count(LayerDrop::ParseErrorDropped);
        return;
    }
    return;
  }
  ++stats_.parse.accepted;
  message::SipMessage msg = std::move(*parsed);
  if (msg.isRequest()) {
    ++stats_.requestsIn;
    const int did = stampReceived(msg, packet.source);
    stats_.receivedAdded += (did & 1) ? 1 : 0;
    stats_.rportFilled += (did & 2) ? 1 : 0;
  } else {
    ++stats_.responsesIn;
    // §18.1.2: a response whose top Via is not what we put there is not for us.
    const message::Via& via = msg.topVia();
    Protocol proto = packet.protocol;
    const bool knownProto = parseProtocol(via.transport, &proto);
    const std::uint16_t port = via.port.value_or(defaultPort(proto));
    const bool ours =
        knownProto && std::any_of(transports_.begin(), transports_.end(), [&](const Entry& e) {
          return e.transport->protocol() == proto && e.transport->localEndpoint().port == port &&
                 sameHost(sentByHost(e), via.host);
        });
    if (!ours) {
      count(LayerDrop::ResponseViaMismatch);
      return;
    }
  }
  if (sink_ != nullptr) {
    sink_->onMessage(IncomingMessage{std::move(msg), arrival});
  }
}

}  // namespace tapi::sip::transport
