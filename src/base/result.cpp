#include <tapi/result.hpp>

namespace tapi {
namespace {

class LineErrCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "lineerr"; }
  std::string message(int ev) const override {
    return lineErrName(static_cast<LineErr>(static_cast<std::uint32_t>(ev)));
  }
};

}  // namespace

const std::error_category& lineErrCategory() noexcept {
  static const LineErrCategory cat;
  return cat;
}

const char* lineErrName(LineErr e) noexcept {
  switch (e) {
    case LineErr::InvalAddressId:
      return "LINEERR_INVALADDRESSID";
    case LineErr::InvalAppHandle:
      return "LINEERR_INVALAPPHANDLE";
    case LineErr::InvalCallHandle:
      return "LINEERR_INVALCALLHANDLE";
    case LineErr::InvalCallPrivilege:
      return "LINEERR_INVALCALLPRIVILEGE";
    case LineErr::InvalCallSelect:
      return "LINEERR_INVALCALLSELECT";
    case LineErr::InvalCallState:
      return "LINEERR_INVALCALLSTATE";
    case LineErr::InvalLineHandle:
      return "LINEERR_INVALLINEHANDLE";
    case LineErr::InvalParam:
      return "LINEERR_INVALPARAM";
    case LineErr::InvalPointer:
      return "LINEERR_INVALPOINTER";
    case LineErr::InvalPrivSelect:
      return "LINEERR_INVALPRIVSELECT";
    case LineErr::InvalMediaMode:
      return "LINEERR_INVALMEDIAMODE";
    case LineErr::BadDeviceId:
      return "LINEERR_BADDEVICEID";
    case LineErr::IncompatibleApiVersion:
      return "LINEERR_INCOMPATIBLEAPIVERSION";
    case LineErr::InvalAddress:
      return "LINEERR_INVALADDRESS";
    case LineErr::NoMem:
      return "LINEERR_NOMEM";
    case LineErr::NotOwner:
      return "LINEERR_NOTOWNER";
    case LineErr::OperationFailed:
      return "LINEERR_OPERATIONFAILED";
    case LineErr::OperationUnavail:
      return "LINEERR_OPERATIONUNAVAIL";
    case LineErr::ResourceUnavail:
      return "LINEERR_RESOURCEUNAVAIL";
    case LineErr::StructureTooSmall:
      return "LINEERR_STRUCTURETOOSMALL";
    case LineErr::TargetNotFound:
      return "LINEERR_TARGETNOTFOUND";
    case LineErr::TargetSelf:
      return "LINEERR_TARGETSELF";
    case LineErr::Uninitialized:
      return "LINEERR_UNINITIALIZED";
    case LineErr::UserUserInfoTooBig:
      return "LINEERR_USERUSERINFOTOOBIG";
    case LineErr::Reinit:
      return "LINEERR_REINIT";
    case LineErr::Disconnected:
      return "LINEERR_DISCONNECTED";
  }
  return "LINEERR_(unknown)";
}

LineErr toLineErr(const std::error_code& ec) noexcept {
  if (&ec.category() == &lineErrCategory()) {
    return static_cast<LineErr>(static_cast<std::uint32_t>(ec.value()));
  }
  return LineErr::OperationFailed;
}

}  // namespace tapi
