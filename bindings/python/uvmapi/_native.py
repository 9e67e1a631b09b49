"""The C ABI through ctypes: finding libuvmapi, its structs, and the
prototype of every exported function.

Every function gets ``argtypes`` and ``restype`` here, once, so no call can
pass a Python int where C expects a 64-bit id or truncate a pointer.
Handles the library gives out (runtime, store, support, xpsupport) are opaque
``c_void_p``: the library looks every one up before using it, so a stale or
foreign handle is refused rather than dereferenced.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_int,
    c_int32,
    c_size_t,
    c_uint8,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .errors import error_for

HRESULT = c_int32
ABI_MAJOR = 1  # UVMAPI_VERSION_MAJOR this binding was written for.

MESSAGE_VERSION = 1
LOGOFF_OUTCOME_VERSION = 1
RUNTIME_OPTIONS_VERSION = 1
STORE_OPTIONS_VERSION = 1
TRANSPORT_VTBL_VERSION = 1
TRANSPORT_PROVIDER_VERSION = 1
STORE_PROVIDER_VTBL_VERSION = 1
SMTP_OPTIONS_VERSION = 1
SMTP_STATS_VERSION = 1


class Iid(Structure):
    _fields_ = [
        ("data1", c_uint32),
        ("data2", c_uint16),
        ("data3", c_uint16),
        ("data4", c_uint8 * 8),
    ]


class MessageStruct(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("sender", c_char_p),
        ("recipients", POINTER(c_char_p)),
        ("recipient_count", c_uint32),
        ("content", c_void_p),
        ("content_size", c_size_t),
    ]


class MessageData(Structure):
    _fields_ = [("message", MessageStruct)]


class OutcomeStruct(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("requested", c_uint32),
        ("status", HRESULT),
        ("flags_at_return", c_uint32),
        ("flags_at_final", c_uint32),
        ("returned", c_uint8),
        ("finished", c_uint8),
        ("released", c_uint8),
        ("escalated", c_uint8),
        ("forced", c_uint8),
    ]


LOGOFF_CALLBACK = CFUNCTYPE(None, c_void_p, c_char_p, POINTER(OutcomeStruct))
LOGOFF_DONE = CFUNCTYPE(None, c_void_p, POINTER(OutcomeStruct))


class RuntimeOptions(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("host_loop", c_void_p),
        ("drain_deadline_ms", c_uint32),
        ("abort_deadline_ms", c_uint32),
        ("on_logoff", LOGOFF_CALLBACK),
        ("on_logoff_context", c_void_p),
    ]


class StoreOptions(Structure):
    _fields_ = [("version", c_uint32), ("name", c_char_p), ("path", c_char_p)]


# --- Transports written by the host (transport.h) --------------------------
# `self` is passed as c_void_p: the binding finds its session by address.

TRANSPORT_QUERY_INTERFACE = CFUNCTYPE(HRESULT, c_void_p, POINTER(Iid), POINTER(c_void_p))
TRANSPORT_ADD_REF = CFUNCTYPE(c_uint32, c_void_p)
TRANSPORT_RELEASE = CFUNCTYPE(c_uint32, c_void_p)
TRANSPORT_SUBMIT = CFUNCTYPE(HRESULT, c_void_p, c_uint64, POINTER(MessageStruct))
TRANSPORT_FLUSH = CFUNCTYPE(None, c_void_p, c_uint32)
TRANSPORT_NOTIFY = CFUNCTYPE(None, c_void_p, c_uint32, c_uint64)
TRANSPORT_LOGOFF = CFUNCTYPE(None, c_void_p, c_uint32)


class TransportVtbl(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("QueryInterface", TRANSPORT_QUERY_INTERFACE),
        ("AddRef", TRANSPORT_ADD_REF),
        ("Release", TRANSPORT_RELEASE),
        ("SubmitMessage", TRANSPORT_SUBMIT),
        ("FlushQueues", TRANSPORT_FLUSH),
        ("TransportNotify", TRANSPORT_NOTIFY),
        ("TransportLogoff", TRANSPORT_LOGOFF),
    ]


class TransportStruct(Structure):
    _fields_ = [("lpVtbl", POINTER(TransportVtbl))]


TRANSPORT_LOGON = CFUNCTYPE(HRESULT, c_void_p, c_char_p, c_void_p, POINTER(c_void_p))


class TransportProvider(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("context", c_void_p),
        ("TransportLogon", TRANSPORT_LOGON),
    ]


# --- The SMTP transport (smtp.h) --------------------------------------------


class SmtpOptions(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("url", c_char_p),
        ("security", c_uint32),
        ("flags", c_uint32),
        ("ca_file", c_char_p),
        ("tls_server_name", c_char_p),
        ("username", c_char_p),
        ("password", c_char_p),
        ("auth_mechanism", c_uint32),
        ("helo_name", c_char_p),
        ("connections", c_uint32),
        ("connect_timeout_ms", c_uint32),
        ("command_timeout_ms", c_uint32),
        ("data_timeout_ms", c_uint32),
        ("idle_timeout_ms", c_uint32),
        ("retry_initial_ms", c_uint32),
        ("retry_max_ms", c_uint32),
    ]


class SmtpStats(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("connections_opened", c_uint64),
        ("connections_failed", c_uint64),
        ("transactions", c_uint64),
        ("messages_sent", c_uint64),
        ("messages_deferred", c_uint64),
        ("messages_failed", c_uint64),
        ("recipients_accepted", c_uint64),
        ("recipients_deferred", c_uint64),
        ("recipients_refused", c_uint64),
        ("reports_delivered", c_uint64),
        ("cancels", c_uint64),
        ("retries_scheduled", c_uint64),
        ("last_problem", c_char * 256),
    ]


# --- Every exported function ------------------------------------------------
# name: (restype, argtypes). tests/test_native.py checks this table against
# the UVMAPI_EXTERN declarations of the headers and the library's exports.

P = c_void_p
_U32P = POINTER(c_uint32)
_U64P = POINTER(c_uint64)

FUNCTIONS: Dict[str, Tuple[object, List[object]]] = {
    # version.h
    "uvmapi_version": (c_uint32, []),
    "uvmapi_version_string": (c_char_p, []),
    # runtime.h
    "uvmapi_last_error": (HRESULT, []),
    "uvmapi_last_error_message": (c_char_p, []),
    "uvmapi_hresult_name": (c_char_p, [HRESULT]),
    "uvmapi_runtime_options_init": (HRESULT, [POINTER(RuntimeOptions), c_uint32]),
    "uvmapi_runtime_create": (HRESULT, [POINTER(RuntimeOptions), POINTER(c_void_p)]),
    "uvmapi_runtime_shutdown": (HRESULT, [P]),
    "uvmapi_runtime_destroy": (HRESULT, [P]),
    # store.h
    "uvmapi_store_open": (HRESULT, [P, POINTER(StoreOptions), POINTER(c_void_p)]),
    "uvmapi_store_add_ref": (HRESULT, [P, _U32P]),
    "uvmapi_store_release": (HRESULT, [P, _U32P]),
    "uvmapi_store_logoff": (HRESULT, [P, _U32P]),
    "uvmapi_store_submit": (HRESULT, [P, POINTER(MessageStruct), _U64P]),
    "uvmapi_store_folder_count": (HRESULT, [P, c_int, _U32P]),
    "uvmapi_store_list": (HRESULT, [P, c_int, _U64P, c_uint32, _U32P]),
    "uvmapi_store_read": (HRESULT, [P, c_uint64, POINTER(POINTER(MessageData))]),
    "uvmapi_store_activity": (HRESULT, [P, _U32P]),
    "uvmapi_message_free": (None, [POINTER(MessageData)]),
    "uvmapi_store_logoff_wait": (HRESULT, [P, c_uint32, c_uint32, POINTER(OutcomeStruct)]),
    "uvmapi_store_logoff_async": (HRESULT, [P, c_uint32, LOGOFF_DONE, c_void_p]),
    # support.h (host store providers; declared, not wrapped yet)
    "uvmapi_runtime_logon_store_provider": (HRESULT, [P, c_char_p, P, POINTER(c_void_p)]),
    "uvmapi_support_add_ref": (HRESULT, [P, _U32P]),
    "uvmapi_support_release": (HRESULT, [P, _U32P]),
    "uvmapi_support_store_logoff_transports": (HRESULT, [P, _U32P]),
    "uvmapi_support_submit": (HRESULT, [P, POINTER(MessageStruct), _U64P]),
    "uvmapi_support_activity": (HRESULT, [P, _U32P]),
    # transport.h
    "uvmapi_runtime_add_transport_provider": (HRESULT, [P, POINTER(TransportProvider)]),
    "uvmapi_xpsupport_add_ref": (HRESULT, [P, _U32P]),
    "uvmapi_xpsupport_release": (HRESULT, [P, _U32P]),
    "uvmapi_xpsupport_complete_send": (HRESULT, [P, c_uint64, HRESULT]),
    "uvmapi_xpsupport_begin_inbound": (HRESULT, [P, _U64P]),
    "uvmapi_xpsupport_commit_inbound": (HRESULT, [P, c_uint64, POINTER(MessageStruct)]),
    "uvmapi_xpsupport_abort_inbound": (HRESULT, [P, c_uint64]),
    "uvmapi_xpsupport_notify_ready": (HRESULT, [P]),
    "uvmapi_xpsupport_flush_complete": (HRESULT, [P]),
    # smtp.h
    "uvmapi_smtp_options_init": (HRESULT, [POINTER(SmtpOptions), c_uint32]),
    "uvmapi_runtime_add_smtp_transport": (HRESULT, [P, POINTER(SmtpOptions)]),
    "uvmapi_runtime_smtp_stats": (HRESULT, [P, c_char_p, POINTER(SmtpStats)]),
}

# Exported data: the interface identifiers.
IIDS = (
    "uvmapi_iid_unknown",
    "uvmapi_iid_store",
    "uvmapi_iid_store_provider",
    "uvmapi_iid_support",
    "uvmapi_iid_transport",
    "uvmapi_iid_xpsupport",
)


def file_names() -> Sequence[str]:
    if sys.platform == "win32":
        return ("uvmapi.dll", "libuvmapi.dll")
    if sys.platform == "darwin":
        return (f"libuvmapi.{ABI_MAJOR}.dylib", "libuvmapi.dylib")
    return (f"libuvmapi.so.{ABI_MAJOR}", "libuvmapi.so")


def candidates() -> List[str]:
    """Where the library is looked for, in order: UVMAPI_LIBRARY alone when it
    is set (a wrong path must fail, not fall back to another copy), else next
    to the package, else the system's search."""
    explicit = os.environ.get("UVMAPI_LIBRARY")
    if explicit:
        return [explicit]
    found: List[str] = []
    here = Path(__file__).resolve().parent
    for folder in (here, here.parent):
        found += [str(folder / name) for name in file_names() if (folder / name).exists()]
    system = ctypes.util.find_library("uvmapi")
    if system:
        found.append(system)
    return found


def _declare(lib: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in FUNCTIONS.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None


def lib() -> ctypes.CDLL:
    """The loaded library, prototypes declared. Loaded on first use, so that
    ``import uvmapi`` works (for its flags and docs) without the library."""
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        tried = candidates()
        errors = []
        for path in tried:
            try:
                # CDLL (not PyDLL) releases the GIL during every call: the
                # library waits for its loop thread, which may need the GIL
                # to run a Python transport.
                loaded = ctypes.CDLL(path)
            except OSError as error:
                errors.append(f"{path}: {error}")
                continue
            _declare(loaded)
            major = loaded.uvmapi_version() >> 16
            if major != ABI_MAJOR:
                raise OSError(f"{path} is uvmapi ABI {major}; this binding needs {ABI_MAJOR}")
            _lib = loaded
            return loaded
        detail = "; ".join(errors) if errors else "no candidate found"
        raise OSError(
            "cannot load libuvmapi (set UVMAPI_LIBRARY to its path, or put it next to "
            f"the uvmapi package): {detail}"
        )


def iid(name: str) -> bytes:
    """The 16 bytes of an exported interface identifier."""
    return bytes(Iid.in_dll(lib(), name))


def check(result: int) -> int:
    """Raises the MapiError of a failed HRESULT. Call it on the thread that
    made the call, right after it: the library's last error is per thread."""
    if result >= 0:
        return result
    native = lib()
    text = native.uvmapi_last_error_message()
    name = native.uvmapi_hresult_name(result)
    raise error_for(
        result,
        text.decode("utf-8", "replace") if text else "",
        name.decode("ascii", "replace") if name else None,
    )
