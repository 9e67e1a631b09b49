"""uvmapi: MAPI message-store logoff on libuv, from Python.

    with uvmapi.Runtime() as runtime:
        runtime.add_transport_provider(MyTransport)
        store = runtime.open_store("mail")
        store.submit(uvmapi.Message("me@example.org", ["you@example.org"], b"..."))
        outcome = store.logoff(uvmapi.Logoff.ORDERLY, timeout=10)

See docs/python.md. The library is found through UVMAPI_LIBRARY, next to
the package, or the system's search path, on first use.
"""

from __future__ import annotations

from . import _native
from .errors import (
    Busy,
    CallFailed,
    InterfaceNotSupported,
    InvalidObject,
    InvalidParameter,
    MapiError,
    NetworkError,
    NoSupport,
    NotEnoughMemory,
    NotFound,
    Timeout,
    UnableToAbort,
    UnknownFlags,
    UserCancel,
)
from .flags import (
    MAPI_E_BUSY,
    MAPI_E_CALL_FAILED,
    MAPI_E_INTERFACE_NOT_SUPPORTED,
    MAPI_E_INVALID_OBJECT,
    MAPI_E_INVALID_PARAMETER,
    MAPI_E_NETWORK_ERROR,
    MAPI_E_NO_SUPPORT,
    MAPI_E_NOT_ENOUGH_MEMORY,
    MAPI_E_NOT_FOUND,
    MAPI_E_TIMEOUT,
    MAPI_E_UNABLE_TO_ABORT,
    MAPI_E_UNKNOWN_FLAGS,
    MAPI_E_USER_CANCEL,
    S_OK,
    Flush,
    Folder,
    Logoff,
    Notify,
    TransportLogoff,
)
from .model import LogoffOutcome, Message
from .runtime import CallbackError, Runtime
from .smtp import SmtpAuth, SmtpFlags, SmtpSecurity, SmtpStats
from .store import PendingLogoff, Store
from .transport import Transport, TransportFactory, TransportSupport

__version__ = "1.0.0"


def version() -> str:
    """The version of the library actually loaded ("1.0.0")."""
    return str(_native.lib().uvmapi_version_string().decode("ascii"))


def hresult_name(hresult: int) -> str:
    """The MAPI name of an HRESULT ("MAPI_E_BUSY"); hex for unknown codes."""
    from .flags import hresult as _signed

    return str(_native.lib().uvmapi_hresult_name(_signed(hresult)).decode("ascii"))


__all__ = [
    "Runtime",
    "Store",
    "PendingLogoff",
    "LogoffOutcome",
    "Message",
    "CallbackError",
    "Transport",
    "TransportSupport",
    "TransportFactory",
    "Logoff",
    "Flush",
    "Notify",
    "TransportLogoff",
    "Folder",
    "SmtpSecurity",
    "SmtpAuth",
    "SmtpFlags",
    "SmtpStats",
    "MapiError",
    "CallFailed",
    "NotEnoughMemory",
    "InvalidParameter",
    "NoSupport",
    "UnknownFlags",
    "InvalidObject",
    "Busy",
    "NotFound",
    "UserCancel",
    "UnableToAbort",
    "NetworkError",
    "InterfaceNotSupported",
    "Timeout",
    "S_OK",
    "MAPI_E_CALL_FAILED",
    "MAPI_E_NOT_ENOUGH_MEMORY",
    "MAPI_E_INVALID_PARAMETER",
    "MAPI_E_NO_SUPPORT",
    "MAPI_E_UNKNOWN_FLAGS",
    "MAPI_E_INVALID_OBJECT",
    "MAPI_E_BUSY",
    "MAPI_E_NOT_FOUND",
    "MAPI_E_USER_CANCEL",
    "MAPI_E_UNABLE_TO_ABORT",
    "MAPI_E_NETWORK_ERROR",
    "MAPI_E_INTERFACE_NOT_SUPPORTED",
    "MAPI_E_TIMEOUT",
    "version",
    "hresult_name",
]
