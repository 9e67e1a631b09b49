"""Message stores (IMsgStore) and the one-call logoff."""

from __future__ import annotations

import asyncio
import math
import threading
from ctypes import POINTER, byref, c_uint32, c_uint64, c_void_p
from typing import TYPE_CHECKING, Callable, List, Optional, Union

from . import _native
from .errors import Timeout, UnknownFlags
from .flags import MAPI_E_TIMEOUT, MAPI_E_UNKNOWN_FLAGS, Folder, Logoff
from .model import LogoffOutcome, Message, as_c_message, blank_outcome

if TYPE_CHECKING:
    from .runtime import Runtime

__all__ = ["Store", "PendingLogoff"]

FlagLike = Union[Logoff, int]
OnDone = Callable[[LogoffOutcome], None]
_WAIT_FOREVER_MS = 0xFFFFFFFF


def _flag_bits(flag: FlagLike) -> int:
    value = int(flag)
    if not 0 <= value <= 0xFFFFFFFF:
        # ctypes would wrap it silently, perhaps into a valid flag.
        raise UnknownFlags(MAPI_E_UNKNOWN_FLAGS, f"{value:#x} does not fit in 32 bits")
    return value


def _timeout_ms(timeout: Optional[float]) -> int:
    if timeout is None:
        return _WAIT_FOREVER_MS
    if timeout < 0:
        raise ValueError("timeout must not be negative")
    return min(math.ceil(timeout * 1000), _WAIT_FOREVER_MS - 1)


class PendingLogoff:
    """A logoff started with :meth:`Store.start_logoff`; its final outcome
    comes later, from the loop thread."""

    def __init__(self, store: str, on_done: Optional[OnDone]) -> None:
        self.store = store
        self._on_done = on_done
        self._event = threading.Event()
        self._outcome: Optional[LogoffOutcome] = None
        #: The final outcome had come before start_logoff returned.
        self.finished_during_call = False

    @property
    def done(self) -> bool:
        return self._event.is_set()

    @property
    def outcome(self) -> Optional[LogoffOutcome]:
        return self._outcome

    def wait(self, timeout: Optional[float] = None) -> LogoffOutcome:
        """The final outcome; Timeout if it has not come within timeout seconds."""
        if not self._event.wait(timeout):
            raise Timeout(MAPI_E_TIMEOUT, f"the logoff of {self.store!r} has not finished")
        assert self._outcome is not None
        return self._outcome

    def _deliver(self, outcome: LogoffOutcome, report: Callable[[str, BaseException], None]) -> None:
        self._outcome = outcome
        self._event.set()  # Waiters first: a failing listener must not hold them up.
        if self._on_done is not None:
            try:
                self._on_done(outcome)
            except BaseException as error:  # noqa: B036 - runs on the loop thread
                report("logoff on_done", error)


class Store:
    """One opener of a store, holding one reference (uvmapi_store). Any
    thread may call. As a context manager it releases its reference at the
    end unless a logoff already took it: the store then logs off with the flag
    saved by :meth:`store_logoff`, or ABORT."""

    def __init__(self, runtime: "Runtime", pointer: int, name: str) -> None:
        self.runtime = runtime
        self.name = name
        self._ptr = c_void_p(pointer)
        self._held = True  # Our reference from open is still ours.

    def __repr__(self) -> str:
        return f"<uvmapi.Store {self.name!r} at {self.handle:#x}>"

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._held and not self.runtime.closed:
            self.release()

    @property
    def handle(self) -> int:
        """The uvmapi_store* address, for raw calls through uvmapi._native."""
        return self._ptr.value or 0

    # --- IMsgStore ------------------------------------------------------------

    def add_ref(self) -> int:
        count = c_uint32()
        _native.check(_native.lib().uvmapi_store_add_ref(self._ptr, byref(count)))
        return count.value

    def release(self) -> int:
        """Drops one reference; the one that reaches zero logs the store off
        with the saved flag (ABORT if none). Returns the new count."""
        count = c_uint32()
        _native.check(_native.lib().uvmapi_store_release(self._ptr, byref(count)))
        if count.value == 0:
            self._held = False
        return count.value

    def store_logoff(self, flag: FlagLike) -> Logoff:
        """IMsgStore::StoreLogoff: checks and saves the flag, nothing else;
        returns the store's activity bits (INBOUND, OUTBOUND, OUTBOUND_QUEUE)."""
        flags = c_uint32(_flag_bits(flag))
        _native.check(_native.lib().uvmapi_store_logoff(self._ptr, byref(flags)))
        return Logoff(flags.value)

    def activity(self) -> Logoff:
        activity = c_uint32()
        _native.check(_native.lib().uvmapi_store_activity(self._ptr, byref(activity)))
        return Logoff(activity.value)

    def submit(self, message: Optional[Message]) -> int:
        """Puts a message in the Outbox; returns its id. Busy while the store
        logs off (the message was not taken)."""
        keep, pointer = as_c_message(message)
        sent = c_uint64()
        _native.check(_native.lib().uvmapi_store_submit(self._ptr, pointer, byref(sent)))
        del keep
        return sent.value

    def folder_count(self, folder: Folder) -> int:
        count = c_uint32()
        _native.check(_native.lib().uvmapi_store_folder_count(self._ptr, int(folder), byref(count)))
        return count.value

    def list(self, folder: Folder) -> List[int]:
        """Message ids of a folder, oldest first."""
        lib = _native.lib()
        count = c_uint32()
        _native.check(lib.uvmapi_store_list(self._ptr, int(folder), None, 0, byref(count)))
        while True:  # The folder may grow between the two calls.
            capacity = count.value
            ids = (c_uint64 * max(1, capacity))()
            _native.check(lib.uvmapi_store_list(self._ptr, int(folder), ids, capacity, byref(count)))
            if count.value <= capacity:
                return [ids[i] for i in range(count.value)]

    def read(self, message_id: int) -> Message:
        lib = _native.lib()
        data = POINTER(_native.MessageData)()
        _native.check(lib.uvmapi_store_read(self._ptr, message_id, byref(data)))
        try:
            return Message.from_c(data.contents.message)
        finally:
            lib.uvmapi_message_free(data)

    def messages(self, folder: Folder) -> List[Message]:
        return [self.read(message_id) for message_id in self.list(folder)]

    # --- The one-call logoff -----------------------------------------------------

    def logoff(self, flag: FlagLike, timeout: Optional[float] = None) -> LogoffOutcome:
        """StoreLogoff(flag) and the release of this, the last reference;
        blocks until the final outcome (uvmapi_store_logoff_wait).

        Busy if other references are held (nothing changes). Timeout after
        ``timeout`` seconds, with ``.outcome`` as far as known: the logoff goes
        on and ``Runtime.logoffs`` gets its end. The handle is gone afterwards
        in both cases. Not on the loop thread (CallFailed)."""
        outcome = blank_outcome()
        result = _native.lib().uvmapi_store_logoff_wait(
            self._ptr, _flag_bits(flag), _timeout_ms(timeout), byref(outcome)
        )
        if result == MAPI_E_TIMEOUT:
            self._held = False
            try:
                _native.check(result)
            except Timeout as error:
                error.outcome = LogoffOutcome.from_c(outcome, self.name)
                raise
        _native.check(result)
        self._held = False
        return LogoffOutcome.from_c(outcome, self.name)

    def start_logoff(self, flag: FlagLike, on_done: Optional[OnDone] = None) -> PendingLogoff:
        """The same logoff without waiting (uvmapi_store_logoff_async): returns
        a PendingLogoff at once; ``on_done(outcome)`` runs on the loop thread."""
        pending = PendingLogoff(self.name, on_done)
        key = self.runtime._register_pending(pending)
        result = _native.lib().uvmapi_store_logoff_async(
            self._ptr, _flag_bits(flag), self.runtime._done_c, key
        )
        if result < 0:
            self.runtime._forget_pending(key)  # done will never be called.
            _native.check(result)
        self._held = False
        pending.finished_during_call = pending.done
        return pending

    async def logoff_async(self, flag: FlagLike) -> LogoffOutcome:
        """``await store.logoff_async(Logoff.ORDERLY)``: the final outcome,
        delivered to the running event loop with call_soon_threadsafe."""
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[LogoffOutcome]" = loop.create_future()

        def resolve(outcome: LogoffOutcome) -> None:
            if not future.done():  # The awaiting task may have been cancelled.
                future.set_result(outcome)

        def deliver(outcome: LogoffOutcome) -> None:  # On the runtime's loop thread.
            loop.call_soon_threadsafe(resolve, outcome)

        self.start_logoff(flag, on_done=deliver)
        return await future
