// The last error of the calling thread: an HRESULT plus a sentence for
// humans. Every failing core call records one, so the C ABI can hand it out
// without the core knowing about the ABI.
#ifndef UVMAPI_CPP_ERROR_H
#define UVMAPI_CPP_ERROR_H

#include <string>

#include "mapi_defs.h"

namespace uvmapi {

// Records hr and message as the calling thread's last error and returns hr,
// so failures read as `return fail(MAPI_E_BUSY, "...")`.
HRESULT fail(HRESULT hr, std::string message);

HRESULT last_error_code();
const std::string& last_error_message();
void clear_last_error();

// A readable name for a flag set such as "LOGOFF_COMPLETE|LOGOFF_OUTBOUND_QUEUE",
// used in logs, the demo and test failure messages.
std::string logoff_flags_name(std::uint32_t flags);
// "MAPI_E_BUSY" for the codes of the contract, null for others.
const char* known_hresult_name(HRESULT hr);
// As known_hresult_name, or the code in hex.
std::string hresult_name(HRESULT hr);

}  // namespace uvmapi

#endif
