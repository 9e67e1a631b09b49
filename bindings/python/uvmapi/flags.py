"""Flags, folders and HRESULTs under their MAPI names (capi/include/uvmapi/defs.h).

The values are those of the public MAPI headers; they are repeated here rather
than read from the library because the C header defines them as macros, which
ctypes cannot see. ``tests/test_native.py`` checks them against the header.
"""

from __future__ import annotations

import enum

__all__ = [
    "Logoff",
    "Flush",
    "Notify",
    "TransportLogoff",
    "Folder",
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
    "hresult",
]


def hresult(bits: int) -> int:
    """The signed 32-bit HRESULT of an 0x8... constant, as C and ctypes see it."""
    bits &= 0xFFFFFFFF
    return bits - 0x1_0000_0000 if bits & 0x8000_0000 else bits


S_OK = 0
MAPI_E_CALL_FAILED = hresult(0x80004005)
MAPI_E_NOT_ENOUGH_MEMORY = hresult(0x8007000E)
MAPI_E_INVALID_PARAMETER = hresult(0x80070057)
MAPI_E_NO_SUPPORT = hresult(0x80040102)
MAPI_E_UNKNOWN_FLAGS = hresult(0x80040106)
MAPI_E_INVALID_OBJECT = hresult(0x80040108)
MAPI_E_BUSY = hresult(0x8004010B)
MAPI_E_NOT_FOUND = hresult(0x8004010F)
MAPI_E_USER_CANCEL = hresult(0x80040113)
MAPI_E_UNABLE_TO_ABORT = hresult(0x80040114)
MAPI_E_NETWORK_ERROR = hresult(0x80040115)
MAPI_E_INTERFACE_NOT_SUPPORTED = hresult(0x80004002)
MAPI_E_TIMEOUT = hresult(0x80040401)


class Logoff(enum.IntFlag):
    """StoreLogoff's input flags (exactly one per call) and its output flags.

    IntFlag keeps unknown bits (``Logoff(0x1000)``), so a caller can still
    hand the library a bad value and get the library's own diagnosis."""

    NO_WAIT = 0x00000001
    ORDERLY = 0x00000002
    PURGE = 0x00000004
    ABORT = 0x00000008
    QUIET = 0x00000010
    COMPLETE = 0x00010000
    INBOUND = 0x00020000
    OUTBOUND = 0x00040000
    OUTBOUND_QUEUE = 0x00080000

    @classmethod
    def modes(cls) -> tuple["Logoff", ...]:
        """The five input flags, in the contract's order."""
        return (cls.NO_WAIT, cls.ORDERLY, cls.PURGE, cls.ABORT, cls.QUIET)


class Flush(enum.IntFlag):
    """IXPLogon::FlushQueues."""

    UPLOAD = 0x00000002
    DOWNLOAD = 0x00000004
    FORCE = 0x00000008
    NO_UI = 0x00000010
    ASYNC_OK = 0x00000020


class Notify(enum.IntFlag):
    """IXPLogon::TransportNotify."""

    BEGIN_INBOUND = 0x00000001
    BEGIN_OUTBOUND = 0x00000002
    BEGIN_INBOUND_FLUSH = 0x00000004
    BEGIN_OUTBOUND_FLUSH = 0x00000008
    END_INBOUND = 0x00010000
    END_OUTBOUND = 0x00020000
    END_INBOUND_FLUSH = 0x00040000
    END_OUTBOUND_FLUSH = 0x00080000
    ABORT_DEFERRED = 0x40000000
    CANCEL_MESSAGE = 0x80000000


class TransportLogoff(enum.IntFlag):
    """IXPLogon::TransportLogoff (MAPI's LOGOFF_NORMAL and LOGOFF_HURRY).

    A separate type from :class:`Logoff` because LOGOFF_NORMAL shares its
    value with LOGOFF_NO_WAIT."""

    NORMAL = 0x00000001
    HURRY = 0x80000000


class Folder(enum.IntEnum):
    """The three folders of a store."""

    INBOX = 0
    OUTBOX = 1
    SENT_ITEMS = 2
