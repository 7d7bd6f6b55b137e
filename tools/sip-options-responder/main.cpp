// sip-options-responder: answers SIP OPTIONS with 200 over UDP and TCP, for smoke tests of
// the SIP stack (e.g. `sipsak -s sip:ping@127.0.0.1:PORT`).

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/signal_set.hpp>

#include "base/asio_loop.hpp"
#include "options_responder.hpp"
#include "sip/transaction/transaction_layer.hpp"
#include "sip/transport/tcp_transport.hpp"
#include "sip/transport/transport_layer.hpp"
#include "sip/transport/udp_transport.hpp"

namespace {

namespace tr = tapi::sip::transport;
namespace asio = boost::asio;

constexpr const char* kHelp = R"(usage: sip-options-responder [--udp-only | --tcp-only] ADDRESS [PORT]

Listens on ADDRESS:PORT (UDP and TCP; IPv4 or IPv6; PORT defaults to 5060, 0 picks a free
port usable for both) and answers OPTIONS with 200 OK (Allow, Accept, Supported), CANCEL
with 481, other RFC 3261 methods with 405 and unknown methods with 501, each through a
server transaction. Once listening it prints one line to standard output:

  listening ADDRESS PORT

and runs until SIGINT or SIGTERM, then prints its counters to standard error and exits 0.
Exit status 2: bad arguments or the address could not be bound.
)";

struct Options {
  bool udp = true;
  bool tcp = true;
  std::string address;
  std::uint16_t port = 5060;
};

bool parseArgs(int argc, char** argv, Options* out) {
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      return false;
    }
    if (a == "--udp-only") {
      out->tcp = false;
    } else if (a == "--tcp-only") {
      out->udp = false;
    } else if (positional == 0) {
      out->address = std::string(a);
      ++positional;
    } else if (positional == 1) {
      char* end = nullptr;
      const long p = std::strtol(argv[i], &end, 10);
      if (end == argv[i] || *end != '\0' || p < 0 || p > 65535) {
        return false;
      }
      out->port = static_cast<std::uint16_t>(p);
      ++positional;
    } else {
      return false;
    }
  }
  return positional >= 1 && (out->udp || out->tcp);
}

struct Listeners {
  std::unique_ptr<tr::UdpTransport> udp;
  std::unique_ptr<tr::TcpTransport> tcp;
};

// With port 0 the kernel picks the UDP port; TCP then needs the same number, which may be
// taken, so a few fresh picks are tried.
bool openListeners(asio::io_context& io, const Options& o, const asio::ip::address& addr, Listeners* out,
                   std::string* error) {
  const int attempts = o.port == 0 ? 20 : 1;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    Listeners l;
    std::uint16_t port = o.port;
    if (o.udp) {
      auto u = tr::UdpTransport::open(io, tr::Endpoint{addr, port});
      if (!u) {
        *error = "udp: " + u.error().message();
        continue;
      }
      l.udp = std::move(*u);
      port = l.udp->localEndpoint().port;
    }
    if (o.tcp) {
      auto t = tr::TcpTransport::open(io, tr::Endpoint{addr, port});
      if (!t) {
        *error = "tcp: " + t.error().message();
        continue;
      }
      l.tcp = std::move(*t);
    }
    *out = std::move(l);
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  Options opts;
  if (!parseArgs(argc, argv, &opts)) {
    std::fputs(kHelp, stderr);
    return 2;
  }
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(opts.address, ec);
  if (ec) {
    std::fprintf(stderr, "sip-options-responder: bad address '%s'\n", opts.address.c_str());
    return 2;
  }

  tapi::base::AsioLoop loop;
  Listeners listeners;
  std::string error;
  if (!openListeners(loop.context(), opts, addr, &listeners, &error)) {
    std::fprintf(stderr, "sip-options-responder: cannot listen on %s port %u: %s\n", opts.address.c_str(),
                 static_cast<unsigned>(opts.port), error.c_str());
    return 2;
  }

  tr::TransportLayer transportLayer;
  if (listeners.udp) {
    transportLayer.addTransport(*listeners.udp);
  }
  if (listeners.tcp) {
    transportLayer.addTransport(*listeners.tcp);
  }
  tapi::tools::OptionsResponder responder;
  tapi::sip::transaction::TransactionLayer transactions(loop, transportLayer, responder);
  responder.attach(transactions);

  asio::signal_set signals(loop.context(), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& sigErr, int) {
    if (!sigErr) {
      loop.context().stop();
    }
  });

  const tr::Endpoint local = listeners.udp ? listeners.udp->localEndpoint() : listeners.tcp->localEndpoint();
  std::printf("listening %s %u\n", local.address.to_string().c_str(), static_cast<unsigned>(local.port));
  std::fflush(stdout);

  loop.run();

  if (listeners.udp) {
    listeners.udp->close();
  }
  if (listeners.tcp) {
    listeners.tcp->close();
  }
  const auto& ts = transportLayer.stats();
  const auto xs = transactions.stats();
  std::fprintf(stderr,
               "sip-options-responder: answered=%llu requests=%llu responses=%llu bad400=%llu "
               "parse_dropped=%llu transactions_created=%llu\n",
               static_cast<unsigned long long>(responder.answered()),
               static_cast<unsigned long long>(ts.requestsIn), static_cast<unsigned long long>(ts.responsesIn),
               static_cast<unsigned long long>(ts.answered400), static_cast<unsigned long long>(ts.parse.dropped),
               static_cast<unsigned long long>(xs.created[0] + xs.created[1] + xs.created[2] + xs.created[3]));
  return 0;
}
