#include "error.h"

#include <cstdio>
#include <utility>

namespace uvmapi {

namespace {

struct LastError {
  HRESULT code = S_OK;
  std::string message;
};

LastError& last_error() {
  thread_local LastError error;
  return error;
}

}  // namespace

HRESULT fail(HRESULT hr, std::string message) {
  LastError& error = last_error();
  error.code = hr;
  error.message = std::move(message);
  return hr;
}

HRESULT last_error_code() {
  return last_error().code;
}

const std::string& last_error_message() {
  return last_error().message;
}

void clear_last_error() {
  LastError& error = last_error();
  error.code = S_OK;
  error.message.clear();
}

std::string logoff_flags_name(std::uint32_t flags) {
  static const struct {
    std::uint32_t bit;
    const char* name;
  } kNames[] = {
      {LOGOFF_NO_WAIT, "NO_WAIT"},
      {LOGOFF_ORDERLY, "ORDERLY"},
      {LOGOFF_PURGE, "PURGE"},
      {LOGOFF_ABORT, "ABORT"},
      {LOGOFF_QUIET, "QUIET"},
      {LOGOFF_COMPLETE, "COMPLETE"},
      {LOGOFF_INBOUND, "INBOUND"},
      {LOGOFF_OUTBOUND, "OUTBOUND"},
      {LOGOFF_OUTBOUND_QUEUE, "OUTBOUND_QUEUE"},
  };
  std::string out;
  for (const auto& entry : kNames) {
    if ((flags & entry.bit) == 0) continue;
    if (!out.empty()) out += '|';
    out += entry.name;
    flags &= ~entry.bit;
  }
  if (flags != 0) {
    char rest[16];
    std::snprintf(rest, sizeof rest, "0x%x", flags);
    if (!out.empty()) out += '|';
    out += rest;
  }
  return out.empty() ? "0" : out;
}

const char* known_hresult_name(HRESULT hr) {
  switch (hr) {
    case S_OK:
      return "S_OK";
    case MAPI_E_CALL_FAILED:
      return "MAPI_E_CALL_FAILED";
    case MAPI_E_NOT_ENOUGH_MEMORY:
      return "MAPI_E_NOT_ENOUGH_MEMORY";
    case MAPI_E_INVALID_PARAMETER:
      return "MAPI_E_INVALID_PARAMETER";
    case MAPI_E_NO_SUPPORT:
      return "MAPI_E_NO_SUPPORT";
    case MAPI_E_UNKNOWN_FLAGS:
      return "MAPI_E_UNKNOWN_FLAGS";
    case MAPI_E_INVALID_OBJECT:
      return "MAPI_E_INVALID_OBJECT";
    case MAPI_E_BUSY:
      return "MAPI_E_BUSY";
    case MAPI_E_NOT_FOUND:
      return "MAPI_E_NOT_FOUND";
    case MAPI_E_USER_CANCEL:
      return "MAPI_E_USER_CANCEL";
    case MAPI_E_UNABLE_TO_ABORT:
      return "MAPI_E_UNABLE_TO_ABORT";
    case MAPI_E_NETWORK_ERROR:
      return "MAPI_E_NETWORK_ERROR";
    case MAPI_E_TIMEOUT:
      return "MAPI_E_TIMEOUT";
    case MAPI_E_INTERFACE_NOT_SUPPORTED:
      return "MAPI_E_INTERFACE_NOT_SUPPORTED";
  }
  return nullptr;
}

std::string hresult_name(HRESULT hr) {
  if (const char* name = known_hresult_name(hr)) return name;
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", static_cast<std::uint32_t>(hr));
  return text;
}

}  // namespace uvmapi
