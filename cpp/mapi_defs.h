// The numeric vocabulary of the logoff contract. The public header
// uvmapi/defs.h holds every value once, under MAPI's names (as macros, so
// they are the same in C and C++); the core adds only its own helpers here.
#ifndef UVMAPI_CPP_MAPI_DEFS_H
#define UVMAPI_CPP_MAPI_DEFS_H

#include <cstdint>

#include "uvmapi/defs.h"

namespace uvmapi {

using HRESULT = uvmapi_hresult;

constexpr bool failed(HRESULT h) {
  return h < 0;
}

constexpr std::uint32_t LOGOFF_INPUT_MASK =
    LOGOFF_NO_WAIT | LOGOFF_ORDERLY | LOGOFF_PURGE | LOGOFF_ABORT | LOGOFF_QUIET;
// The three activity bits double as the store's activity state.
constexpr std::uint32_t LOGOFF_ACTIVITY_MASK =
    LOGOFF_INBOUND | LOGOFF_OUTBOUND | LOGOFF_OUTBOUND_QUEUE;

}  // namespace uvmapi

#endif
