"""HRESULTs as exceptions.

Every failed call of the library raises a :class:`MapiError` (or the subclass
for its code) carrying the HRESULT and the sentence the library gave for it
(``uvmapi_last_error_message``). Nothing fails silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Optional, Type

from . import flags as _f

if TYPE_CHECKING:
    from .model import LogoffOutcome

__all__ = [
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
    "error_for",
]


class MapiError(Exception):
    """A failed HRESULT. ``hresult`` is the signed 32-bit code, ``message``
    the library's explanation, ``name`` the MAPI name ("MAPI_E_BUSY")."""

    hresult: int
    message: str
    name: str

    def __init__(self, hresult: int, message: str = "", name: Optional[str] = None) -> None:
        self.hresult = _f.hresult(hresult)
        self.message = message
        self.name = name if name else _NAMES.get(self.hresult, f"0x{self.hresult & 0xFFFFFFFF:08X}")
        text = f"{self.name} (0x{self.hresult & 0xFFFFFFFF:08X})"
        super().__init__(f"{text}: {message}" if message else text)


class CallFailed(MapiError):
    """MAPI_E_CALL_FAILED"""


class NotEnoughMemory(MapiError):
    """MAPI_E_NOT_ENOUGH_MEMORY"""


class InvalidParameter(MapiError):
    """MAPI_E_INVALID_PARAMETER"""


class NoSupport(MapiError):
    """MAPI_E_NO_SUPPORT"""


class UnknownFlags(MapiError):
    """MAPI_E_UNKNOWN_FLAGS"""


class InvalidObject(MapiError):
    """MAPI_E_INVALID_OBJECT: a released, destroyed or foreign handle."""


class Busy(MapiError):
    """MAPI_E_BUSY"""


class NotFound(MapiError):
    """MAPI_E_NOT_FOUND"""


class UserCancel(MapiError):
    """MAPI_E_USER_CANCEL"""


class UnableToAbort(MapiError):
    """MAPI_E_UNABLE_TO_ABORT"""


class NetworkError(MapiError):
    """MAPI_E_NETWORK_ERROR: a transport could not reach its peer, or the
    peer refused for now."""


class InterfaceNotSupported(MapiError):
    """MAPI_E_INTERFACE_NOT_SUPPORTED"""


class Timeout(MapiError):
    """MAPI_E_TIMEOUT. ``outcome`` holds what was known when the wait ended
    (a :class:`uvmapi.LogoffOutcome`, or None)."""

    outcome: Optional["LogoffOutcome"] = None


_CLASSES: Dict[int, Type[MapiError]] = {
    _f.MAPI_E_CALL_FAILED: CallFailed,
    _f.MAPI_E_NOT_ENOUGH_MEMORY: NotEnoughMemory,
    _f.MAPI_E_INVALID_PARAMETER: InvalidParameter,
    _f.MAPI_E_NO_SUPPORT: NoSupport,
    _f.MAPI_E_UNKNOWN_FLAGS: UnknownFlags,
    _f.MAPI_E_INVALID_OBJECT: InvalidObject,
    _f.MAPI_E_BUSY: Busy,
    _f.MAPI_E_NOT_FOUND: NotFound,
    _f.MAPI_E_USER_CANCEL: UserCancel,
    _f.MAPI_E_UNABLE_TO_ABORT: UnableToAbort,
    _f.MAPI_E_NETWORK_ERROR: NetworkError,
    _f.MAPI_E_INTERFACE_NOT_SUPPORTED: InterfaceNotSupported,
    _f.MAPI_E_TIMEOUT: Timeout,
}

# Names without the library, for errors raised before it is loaded.
_NAMES: Dict[int, str] = {
    value: name for name, value in vars(_f).items() if name.startswith("MAPI_E_")
}


def error_for(hresult: int, message: str = "", name: Optional[str] = None) -> MapiError:
    """The exception for a failed HRESULT: the subclass for its code, else MapiError."""
    code = _f.hresult(hresult)
    return _CLASSES.get(code, MapiError)(code, message, name)
