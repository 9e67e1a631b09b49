// The numeric vocabulary of the logoff contract: HRESULTs and flag values,
// with the binary values of the public MAPI headers. The C ABI re-exports the
// same numbers; this header keeps the core free of any public header.
#ifndef UVMAPI_CPP_MAPI_DEFS_H
#define UVMAPI_CPP_MAPI_DEFS_H

#include <cstdint>

namespace uvmapi {

using HRESULT = std::int32_t;

// HRESULTs are defined from their unsigned spelling so the table below can be
// compared with the MAPI headers digit for digit.
constexpr HRESULT hr(std::uint32_t bits) {
  return static_cast<HRESULT>(bits);
}

constexpr HRESULT S_OK = 0;
constexpr HRESULT MAPI_E_CALL_FAILED = hr(0x80004005);
constexpr HRESULT MAPI_E_NOT_ENOUGH_MEMORY = hr(0x8007000E);
constexpr HRESULT MAPI_E_INVALID_PARAMETER = hr(0x80070057);
constexpr HRESULT MAPI_E_NO_SUPPORT = hr(0x80040102);
constexpr HRESULT MAPI_E_UNKNOWN_FLAGS = hr(0x80040106);
constexpr HRESULT MAPI_E_INVALID_OBJECT = hr(0x80040108);
constexpr HRESULT MAPI_E_BUSY = hr(0x8004010B);
constexpr HRESULT MAPI_E_NOT_FOUND = hr(0x8004010F);
constexpr HRESULT MAPI_E_USER_CANCEL = hr(0x80040113);
constexpr HRESULT MAPI_E_UNABLE_TO_ABORT = hr(0x80040114);
constexpr HRESULT MAPI_E_TIMEOUT = hr(0x80040401);

constexpr bool failed(HRESULT h) {
  return h < 0;
}

// StoreLogoff / StoreLogoffTransports input flags: exactly one per call.
constexpr std::uint32_t LOGOFF_NO_WAIT = 0x00000001;
constexpr std::uint32_t LOGOFF_ORDERLY = 0x00000002;
constexpr std::uint32_t LOGOFF_PURGE = 0x00000004;
constexpr std::uint32_t LOGOFF_ABORT = 0x00000008;
constexpr std::uint32_t LOGOFF_QUIET = 0x00000010;
constexpr std::uint32_t LOGOFF_INPUT_MASK =
    LOGOFF_NO_WAIT | LOGOFF_ORDERLY | LOGOFF_PURGE | LOGOFF_ABORT | LOGOFF_QUIET;

// Output flags. The three activity bits double as the store's activity state.
constexpr std::uint32_t LOGOFF_COMPLETE = 0x00010000;
constexpr std::uint32_t LOGOFF_INBOUND = 0x00020000;
constexpr std::uint32_t LOGOFF_OUTBOUND = 0x00040000;
constexpr std::uint32_t LOGOFF_OUTBOUND_QUEUE = 0x00080000;
constexpr std::uint32_t LOGOFF_ACTIVITY_MASK =
    LOGOFF_INBOUND | LOGOFF_OUTBOUND | LOGOFF_OUTBOUND_QUEUE;

// IXPLogon::FlushQueues.
constexpr std::uint32_t FLUSH_UPLOAD = 0x2;
constexpr std::uint32_t FLUSH_DOWNLOAD = 0x4;
constexpr std::uint32_t FLUSH_FORCE = 0x8;
constexpr std::uint32_t FLUSH_NO_UI = 0x10;
constexpr std::uint32_t FLUSH_ASYNC_OK = 0x20;

// IXPLogon::TransportLogoff.
constexpr std::uint32_t LOGOFF_NORMAL = 0x1;
constexpr std::uint32_t LOGOFF_HURRY = 0x80000000;

// IXPLogon::TransportNotify.
constexpr std::uint32_t NOTIFY_BEGIN_INBOUND = 0x1;
constexpr std::uint32_t NOTIFY_BEGIN_OUTBOUND = 0x2;
constexpr std::uint32_t NOTIFY_BEGIN_INBOUND_FLUSH = 0x4;
constexpr std::uint32_t NOTIFY_BEGIN_OUTBOUND_FLUSH = 0x8;
constexpr std::uint32_t NOTIFY_END_INBOUND = 0x10000;
constexpr std::uint32_t NOTIFY_END_OUTBOUND = 0x20000;
constexpr std::uint32_t NOTIFY_END_INBOUND_FLUSH = 0x40000;
constexpr std::uint32_t NOTIFY_END_OUTBOUND_FLUSH = 0x80000;
constexpr std::uint32_t NOTIFY_ABORT_DEFERRED = 0x40000000;
constexpr std::uint32_t NOTIFY_CANCEL_MESSAGE = 0x80000000;

}  // namespace uvmapi

#endif
