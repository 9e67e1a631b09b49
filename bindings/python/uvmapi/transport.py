"""Transports written in Python (IXPLogon) and the spooler's side they answer
through (uvmapi_xpsupport).

The runtime calls a transport on its loop thread only. The transport answers
through its :class:`TransportSupport` from any thread: on the loop thread the
call runs at once, from another thread it is carried to the loop and waits
for it. So a transport must never hold one of its own locks while it calls
its support: the loop thread may be waiting for that lock inside another
callback, while the call waits for the loop thread.
"""

from __future__ import annotations

import ctypes
import threading
from ctypes import byref, c_uint64, c_void_p
from typing import Any, Callable, Dict, List, Optional

from . import _native
from .flags import (
    MAPI_E_CALL_FAILED,
    MAPI_E_INTERFACE_NOT_SUPPORTED,
    MAPI_E_INVALID_OBJECT,
    MAPI_E_INVALID_PARAMETER,
    S_OK,
    Flush,
    Notify,
    TransportLogoff,
    hresult,
)
from .model import Message, as_c_message

__all__ = ["Transport", "TransportSupport", "TransportFactory"]


class TransportSupport:
    """The spooler's side of one transport session. Every method raises the
    MapiError of a failed HRESULT; after the session was logged off every
    call raises InvalidObject and changes nothing."""

    def __init__(self, pointer: int) -> None:
        self._ptr = c_void_p(pointer)
        self._held = False
        # Kept to answer later, as the ABI asks: one reference of our own.
        _native.check(_native.lib().uvmapi_xpsupport_add_ref(self._ptr, None))
        self._held = True

    @property
    def handle(self) -> int:
        """The uvmapi_xpsupport* address, for raw calls through uvmapi._native."""
        return self._ptr.value or 0

    def complete_send(self, send: int, result: int = S_OK) -> None:
        """Ends a send: S_OK, the peer has it (it moves to Sent Items);
        MAPI_E_USER_CANCEL, cancelled (back to the queue); anything else,
        failed (it stays in the Outbox until the next flush or logon)."""
        _native.check(_native.lib().uvmapi_xpsupport_complete_send(self._ptr, send, hresult(result)))

    def begin_inbound(self) -> int:
        """Starts delivering a message; returns the receive id. Busy when the
        store takes no new mail: leave the message at its source."""
        receive = c_uint64()
        _native.check(_native.lib().uvmapi_xpsupport_begin_inbound(self._ptr, byref(receive)))
        return receive.value

    def commit_inbound(self, receive: int, message: Optional[Message]) -> None:
        """Returns only once the message is in the Inbox: delete it at the
        source only after this succeeded."""
        keep, pointer = as_c_message(message)
        _native.check(_native.lib().uvmapi_xpsupport_commit_inbound(self._ptr, receive, pointer))
        del keep

    def abort_inbound(self, receive: int) -> None:
        _native.check(_native.lib().uvmapi_xpsupport_abort_inbound(self._ptr, receive))

    def notify_ready(self) -> None:
        """The transport takes sends again after refusing one with MAPI_E_BUSY."""
        _native.check(_native.lib().uvmapi_xpsupport_notify_ready(self._ptr))

    def flush_complete(self) -> None:
        """Answers flush_queues."""
        _native.check(_native.lib().uvmapi_xpsupport_flush_complete(self._ptr))

    def _release(self) -> None:
        if self._held:
            self._held = False
            _native.check(_native.lib().uvmapi_xpsupport_release(self._ptr, None))


class Transport:
    """Base class of a transport session written in Python, one per store
    logon. The runtime calls these methods on its loop thread.

    An exception raised by any of them is caught by the binding, recorded in
    ``Runtime.callback_errors`` and logged; submit_message then answers
    MAPI_E_CALL_FAILED (the message stays in the Outbox, deferred)."""

    def __init__(self, store_name: str, support: TransportSupport) -> None:
        self.store_name = store_name
        self.support = support

    def submit_message(self, send: int, message: Message) -> Optional[int]:
        """Offers a message; ``send`` names it from now on. Return None (or
        S_OK) to take it and end it later with ``support.complete_send(send)``
        (which may also be called before returning); return MAPI_E_BUSY to
        refuse it for now and call ``support.notify_ready()`` when ready."""
        raise NotImplementedError("a Transport must implement submit_message")

    def flush_queues(self, flags: Flush) -> None:
        """FLUSH_* flags; answer with ``support.flush_complete()``. The default
        has nothing to flush and answers at once."""
        self.support.flush_complete()

    def transport_notify(self, flags: Notify, activity: int) -> None:
        """NOTIFY_* flags. With Notify.CANCEL_MESSAGE, ``activity`` is the send
        (answer complete_send(send, MAPI_E_USER_CANCEL)) or the receive
        (answer abort_inbound) to cancel. The default ignores everything, so
        an ABORT waits for its deadline: override it."""

    def transport_logoff(self, flags: TransportLogoff) -> None:
        """NORMAL or HURRY: the last call before the runtime releases the session."""

    def release(self) -> None:
        """The runtime released its last reference; the support is released too."""


# A provider: called on the loop thread for each store logon.
TransportFactory = Callable[[str, TransportSupport], Transport]
ErrorSink = Callable[[str, BaseException], None]


class _Session:
    def __init__(
        self, vtbl: _native.TransportVtbl, transport: Transport, support: TransportSupport
    ) -> None:
        self.struct = _native.TransportStruct(ctypes.pointer(vtbl))
        self.transport = transport
        self.support = support
        self.refs = 1  # The runtime's, as the ABI's TransportLogon asks.


class TransportGlue:
    """One runtime's C side of its Python transports: the CFUNCTYPE objects,
    the vtable and every live session struct. The runtime holds this object
    until it is destroyed, so nothing C may still call is ever collected."""

    def __init__(self, report: ErrorSink) -> None:
        self._report = report
        self._lock = threading.Lock()  # Guards the tables only; never held across a call.
        self._sessions: Dict[int, _Session] = {}
        self._factories: Dict[int, TransportFactory] = {}
        self._registrations: List[_native.TransportProvider] = []
        self._iids = (_native.iid("uvmapi_iid_unknown"), _native.iid("uvmapi_iid_transport"))
        self._vtbl = _native.TransportVtbl(
            _native.TRANSPORT_VTBL_VERSION,
            _native.TRANSPORT_QUERY_INTERFACE(self._query_interface),
            _native.TRANSPORT_ADD_REF(self._add_ref),
            _native.TRANSPORT_RELEASE(self._release),
            _native.TRANSPORT_SUBMIT(self._submit_message),
            _native.TRANSPORT_FLUSH(self._flush_queues),
            _native.TRANSPORT_NOTIFY(self._transport_notify),
            _native.TRANSPORT_LOGOFF(self._transport_logoff),
        )
        self._logon = _native.TRANSPORT_LOGON(self._transport_logon)

    def registration(self, factory: TransportFactory) -> _native.TransportProvider:
        if not callable(factory):
            raise TypeError("a transport provider is a callable (store_name, support) -> Transport")
        with self._lock:
            key = len(self._registrations) + 1  # Never 0: that would be NULL.
            self._factories[key] = factory
            provider = _native.TransportProvider(_native.TRANSPORT_PROVIDER_VERSION, key, self._logon)
            self._registrations.append(provider)
        return provider

    def live_sessions(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _session(self, address: Optional[int]) -> _Session:
        with self._lock:
            session = self._sessions.get(address or 0)
        if session is None:
            raise LookupError(f"no live Python transport session at {address!r}")
        return session

    # --- Called by C on the loop thread: nothing may propagate out ----------

    def _transport_logon(self, context: Optional[int], store_name: Optional[bytes],
                         xp: Optional[int], out: Any) -> int:
        support: Optional[TransportSupport] = None
        try:
            if not xp or not out:
                return MAPI_E_INVALID_PARAMETER
            with self._lock:
                factory = self._factories[context or 0]
            support = TransportSupport(xp)
            name = store_name.decode("utf-8", "replace") if store_name else ""
            transport = factory(name, support)
            for method in ("submit_message", "flush_queues", "transport_notify", "transport_logoff"):
                if not callable(getattr(transport, method, None)):
                    raise TypeError(f"the provider returned {transport!r}, which has no {method}")
            session = _Session(self._vtbl, transport, support)
            address = ctypes.addressof(session.struct)
            with self._lock:
                self._sessions[address] = session
            out[0] = address
            return S_OK
        except BaseException as error:  # noqa: B036 - nothing may unwind into C
            self._report("TransportLogon", error)
            if support is not None:
                self._quietly("TransportSupport.release", support._release)
            return MAPI_E_CALL_FAILED

    def _query_interface(self, this: Optional[int], iid: Any, out: Any) -> int:
        try:
            if not iid or not out:
                return MAPI_E_INVALID_PARAMETER
            self._session(this)
            if bytes(iid.contents) not in self._iids:
                out[0] = None
                return MAPI_E_INTERFACE_NOT_SUPPORTED
            self._add_ref(this)
            out[0] = this
            return S_OK
        except BaseException as error:  # noqa: B036
            self._report("Transport.QueryInterface", error)
            return MAPI_E_INVALID_OBJECT

    def _add_ref(self, this: Optional[int]) -> int:
        with self._lock:
            session = self._sessions.get(this or 0)
            if session is None:
                return 0
            session.refs += 1
            return session.refs

    def _release(self, this: Optional[int]) -> int:
        with self._lock:
            session = self._sessions.get(this or 0)
            if session is None:
                return 0
            session.refs -= 1
            refs = session.refs
            if refs == 0:
                # The struct may go now: after its last Release C never uses it.
                del self._sessions[this or 0]
        if refs == 0:
            self._quietly("TransportSupport.release", session.support._release)
            self._quietly("Transport.release", session.transport.release)
        return refs

    def _submit_message(self, this: Optional[int], send: int, message: Any) -> int:
        try:
            transport = self._session(this).transport
            answer = transport.submit_message(send, Message.from_c(message.contents))
            return S_OK if answer is None else hresult(int(answer))
        except BaseException as error:  # noqa: B036
            self._report("Transport.submit_message", error)
            return MAPI_E_CALL_FAILED

    def _flush_queues(self, this: Optional[int], flags: int) -> None:
        self._quietly(
            "Transport.flush_queues",
            lambda: self._session(this).transport.flush_queues(Flush(flags)),
        )

    def _transport_notify(self, this: Optional[int], flags: int, activity: int) -> None:
        self._quietly(
            "Transport.transport_notify",
            lambda: self._session(this).transport.transport_notify(Notify(flags), activity),
        )

    def _transport_logoff(self, this: Optional[int], flags: int) -> None:
        self._quietly(
            "Transport.transport_logoff",
            lambda: self._session(this).transport.transport_logoff(TransportLogoff(flags)),
        )

    def _quietly(self, where: str, call: Callable[[], object]) -> None:
        try:
            call()
        except BaseException as error:  # noqa: B036
            self._report(where, error)
