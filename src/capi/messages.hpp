#pragma once
// An application's message queue: engine messages translated to LINEMESSAGEs with the C
// API's handles and the line's callback instance, fetched by lineGetMessage (USEEVENT
// applications) or opentapi_lineapp_dispatch (callback applications).

#include <tapi/tapi.h>

#include <cstddef>
#include <vector>

#include "capi/registry.hpp"

namespace tapi::capi {

/**
 * Waits until the app has a message or `timeoutMs` passes (INFINITE: no bound), then
 * takes up to `max` messages. Any application thread; takes CApp::qmu, then Registry::mu.
 * @return 0 with `got` filled (empty when the time ran out), LINEERR_INVALAPPHANDLE if
 *         the app was shut down, or LINEERR_OPERATIONFAILED if waiting failed.
 */
LONG waitMessages(const CAppSharedPtr& app, DWORD timeoutMs, std::size_t max,
                  std::vector<LINEMESSAGE>& got);

}  // namespace tapi::capi
