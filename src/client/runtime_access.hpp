#pragma once
// What the project's own code (the C API, white-box tests) may reach behind a Runtime:
// the backend, and a Runtime made from a backend. Applications see neither: tapi.hpp only
// befriends this type.

#include <tapi/tapi.hpp>

#include <memory>

#include "client/backend.hpp"
#include "client/embedded_backend.hpp"

namespace tapi::detail {

struct RuntimeAccess {
  /** The backend `rt` forwards to; lives as long as `rt`. */
  static Backend& backend(const Runtime& rt) { return *rt.backend_; }

  /** The embedded backend of `rt`, or nullptr when the engine is in a tapid. */
  static EmbeddedBackend* embedded(const Runtime& rt) {
    return dynamic_cast<EmbeddedBackend*>(rt.backend_.get());
  }

  /** A Runtime over `backend` (Runtime::embedded and Runtime::connect make theirs so). */
  static std::shared_ptr<Runtime> make(std::unique_ptr<Backend> backend) {
    return std::shared_ptr<Runtime>(new Runtime(std::move(backend)));
  }
};

}  // namespace tapi::detail
