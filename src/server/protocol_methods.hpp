#pragma once
// The table of API methods (docs/api.md "Methods"): a handler per method name, and whether
// it needs the connection's application. The handlers are in protocol_methods.cpp; the
// session (protocol.cpp) looks them up here.

#include <string_view>

#include <boost/json.hpp>

#include "server/protocol.hpp"
#include "server/protocol_codec.hpp"

namespace tapi::server::detail {

struct MethodEntry {
  Reply (*fn)(ProtocolSession&, const boost::json::object&);
  bool needsApp;  // false: operator methods and lineInitialize
};

/** @return the method named @p name, or nullptr if there is none. */
const MethodEntry* findMethod(std::string_view name);

}  // namespace tapi::server::detail
