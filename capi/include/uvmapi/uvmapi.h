/* uvmapi: MAPI message-store logoff on libuv. The one header a host needs.
 *
 *   defs.h       types, flags and HRESULTs under MAPI's names
 *   version.h    version macros and uvmapi_version()
 *   runtime.h    the runtime, its options, the last error
 *   store.h      stores (IMsgStore) and the one-call logoff
 *   support.h    store providers written by the host, and their support object
 *   transport.h  transports written by the host (IXPLogon) and the spooler's side
 *   smtp.h       the built-in SMTP transport
 */
#ifndef UVMAPI_H
#define UVMAPI_H

#include "uvmapi/defs.h"
#include "uvmapi/runtime.h"
#include "uvmapi/smtp.h"
#include "uvmapi/store.h"
#include "uvmapi/support.h"
#include "uvmapi/transport.h"
#include "uvmapi/version.h"

#endif /* UVMAPI_H */
