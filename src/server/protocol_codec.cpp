#include "server/protocol_codec.hpp"

#include "cdr/record_json.hpp"

namespace tapi::server::detail {

namespace json = boost::json;

Failure badParam(std::string_view name, std::string_view what) {
  return Failure{ProtoError::BadRequest, "params." + std::string(name) + ": " + std::string(what)};
}

Failure lineError(const std::error_code& ec) {
  return Failure{toLineErr(ec), ec.message()};
}

std::variant<std::optional<std::uint64_t>, Failure> optUint(const json::object& p,
                                                            std::string_view name,
                                                            std::uint64_t max) {
  const json::value* v = p.if_contains(name);
  if (v == nullptr || v->is_null()) {
    return std::optional<std::uint64_t>{};
  }
  if (v->is_uint64() && v->get_uint64() <= max) {
    return std::optional<std::uint64_t>{v->get_uint64()};
  }
  if (v->is_int64() && v->get_int64() >= 0 && static_cast<std::uint64_t>(v->get_int64()) <= max) {
    return std::optional<std::uint64_t>{static_cast<std::uint64_t>(v->get_int64())};
  }
  return badParam(name, "expected an integer from 0 to " + std::to_string(max));
}

std::variant<std::optional<std::string>, Failure> optString(const json::object& p,
                                                            std::string_view name) {
  const json::value* v = p.if_contains(name);
  if (v == nullptr || v->is_null()) {
    return std::optional<std::string>{};
  }
  if (!v->is_string()) {
    return badParam(name, "expected a string");
  }
  return std::optional<std::string>{std::string(v->get_string())};
}

namespace {

/** A number that fits 32 bits, from either JSON integer kind. */
std::optional<std::uint32_t> u32Value(const json::value& v) {
  if (v.is_uint64() && v.get_uint64() <= kU32) {
    return static_cast<std::uint32_t>(v.get_uint64());
  }
  if (v.is_int64() && v.get_int64() >= 0 && v.get_int64() <= static_cast<std::int64_t>(kU32)) {
    return static_cast<std::uint32_t>(v.get_int64());
  }
  return std::nullopt;
}

std::optional<Privilege> privilegeByName(std::string_view name) {
  if (name.starts_with("LINECALLPRIVILEGE_")) {
    name.remove_prefix(18);
  }
  for (Privilege p : {Privilege::None, Privilege::Monitor, Privilege::Owner}) {
    if (name == toString(p)) {
      return p;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint32_t> parseMode(const json::value& v) {
  if (auto n = u32Value(v)) {
    return n;
  }
  if (v.is_string()) {
    std::string_view name = v.get_string();
    if (name.starts_with("LINEDISCONNECTMODE_")) {
      name.remove_prefix(19);
    }
    for (int bit = 0; bit < 32; ++bit) {
      const std::uint32_t mode = 1u << bit;
      if (disconnectModeName(mode) == name) {
        return mode;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::uint32_t> parsePrivileges(const json::value& v) {
  if (auto n = u32Value(v)) {
    return n;
  }
  if (v.is_string()) {
    auto p = privilegeByName(v.get_string());
    return p ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*p)) : std::nullopt;
  }
  if (v.is_array()) {
    std::uint32_t bits = 0;
    for (const json::value& e : v.get_array()) {
      if (e.is_array()) {
        return std::nullopt;
      }
      auto b = parsePrivileges(e);
      if (!b) {
        return std::nullopt;
      }
      bits |= *b;
    }
    return bits;
  }
  return std::nullopt;
}

json::value recordValue(const CallRecord& r) {
  return json::parse(cdr::toJson(r));
}

std::string eventJson(const Message& m) {
  json::object o;
  o["event"] = [&]() -> const char* {
    switch (m.type) {
      case MessageType::CallInfo:
        return "LINE_CALLINFO";
      case MessageType::CallState:
        return "LINE_CALLSTATE";
      case MessageType::Close:
        return "LINE_CLOSE";
      case MessageType::Reply:
        return "LINE_REPLY";
      case MessageType::AppNewCall:
        return "LINE_APPNEWCALL";
    }
    return "LINE_UNKNOWN";
  }();
  o["hDevice"] = m.hDevice;
  o["param1"] = m.param1;
  o["param2"] = m.param2;
  o["param3"] = m.param3;
  switch (m.type) {
    case MessageType::CallState:
      o["state"] = toString(static_cast<CallState>(m.param1));
      if (m.param1 == static_cast<std::uint32_t>(CallState::Disconnected)) {
        o["mode"] = disconnectModeName(m.param2);
      }
      if (m.param3 != 0) {
        o["privilege"] = toString(static_cast<Privilege>(m.param3));
      }
      break;
    case MessageType::Reply:
      o["requestId"] = m.param1;
      o["result"] = static_cast<std::int32_t>(m.param2);
      if (m.param2 != 0) {
        o["error"] = lineErrName(static_cast<LineErr>(m.param2));
      }
      break;
    case MessageType::AppNewCall:
      o["hCall"] = m.param2;
      o["privilege"] = toString(static_cast<Privilege>(m.param3));
      break;
    case MessageType::CallInfo:
    case MessageType::Close:
      break;
  }
  return json::serialize(o);
}

}  // namespace tapi::server::detail
