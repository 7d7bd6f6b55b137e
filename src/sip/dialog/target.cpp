#include "sip/dialog/target.hpp"

#include <boost/asio/ip/address.hpp>

#include "sip/errc.hpp"
#include "sip/message/header_types.hpp"

namespace tapi::sip::dialog {

Result<transport::Target> targetForUri(std::string_view uri, transport::Protocol fallback) {
  std::string_view text = uri;
  if (const auto lt = text.find('<'); lt != std::string_view::npos) {
    const auto gt = text.find('>', lt);
    text = text.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1);
  }
  auto parsed = message::parseUri(text);
  if (!parsed || !parsed->isSip() || parsed->host.empty()) {
    return fail(Errc::BadUri);
  }
  transport::Target t;
  t.protocol = parsed->scheme == message::UriScheme::Sips ? transport::Protocol::Tls : fallback;
  if (const auto tp = parsed->params.value("transport"); !tp.empty()) {
    transport::Protocol p{};
    if (!transport::parseProtocol(tp, &p)) {
      return fail(Errc::UnsupportedTransport);
    }
    t.protocol = p;
  }
  std::string host(parsed->host);
  if (host.size() > 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") {
    host = "127.0.0.1";
  }
  boost::system::error_code ec;
  t.endpoint.address = boost::asio::ip::make_address(host, ec);
  if (ec) {
    return fail(Errc::NeedsDns);
  }
  t.endpoint.port = parsed->port.value_or(transport::defaultPort(t.protocol));
  return t;
}

}  // namespace tapi::sip::dialog
