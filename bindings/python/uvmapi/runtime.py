"""The runtime: a libuv loop on its own thread that runs the stores, their
spoolers and the transports."""

from __future__ import annotations

import atexit
import logging
import threading
import traceback
from ctypes import byref, c_void_p
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Set, Union

from . import _native
from .errors import Timeout
from .flags import MAPI_E_TIMEOUT
from .model import LogoffOutcome
from .transport import TransportFactory, TransportGlue

if TYPE_CHECKING:
    from .smtp import SmtpStats
    from .store import PendingLogoff, Store

__all__ = ["Runtime", "CallbackError"]

log = logging.getLogger("uvmapi")

LogoffListener = Callable[[LogoffOutcome], None]


@dataclass(frozen=True)
class CallbackError:
    """An exception raised by Python code that C called (a transport, a
    logoff listener). It was caught: C got an HRESULT instead."""

    where: str
    error: BaseException
    traceback: str
    thread: str


def _deadline_ms(seconds: Optional[float], what: str) -> int:
    if seconds is None:
        return 0  # The library's default.
    milliseconds = round(seconds * 1000)
    if not 1 <= milliseconds <= 0xFFFFFFFF:
        raise ValueError(f"{what} must be between 1 ms and 2**32 - 1 ms, not {seconds!r} s")
    return milliseconds


# Every runtime not yet closed. C holds pointers to their callbacks, so they
# must not be collected while their loop runs; at exit the ones left open are
# closed while the interpreter can still run the callbacks their shutdown makes.
_live: Set["Runtime"] = set()
_live_lock = threading.Lock()


@atexit.register
def _close_all() -> None:
    with _live_lock:
        left = list(_live)
    for runtime in left:
        try:
            runtime.close()
        except Exception:  # An exit handler has no caller to raise to.
            log.exception("closing a uvmapi runtime at exit failed")


class Runtime:
    """A uvmapi runtime (uvmapi_runtime_create). Use it as a context manager,
    or call :meth:`close`; a runtime left open is closed at interpreter exit.

    ``drain_deadline``: how long NO_WAIT, ORDERLY and PURGE may drain before
    they become ABORT (seconds, default 30). ``abort_deadline``: how long an
    abort waits for the transports (default 5). ``on_logoff`` is called on the
    loop thread with the final outcome of every logoff; every outcome is also
    kept in :attr:`logoffs`."""

    def __init__(
        self,
        *,
        drain_deadline: Optional[float] = None,
        abort_deadline: Optional[float] = None,
        on_logoff: Optional[LogoffListener] = None,
    ) -> None:
        lib = _native.lib()
        self._lock = threading.Lock()  # Guards the lists below; never held across a call.
        self._changed = threading.Condition(self._lock)
        self._errors: List[CallbackError] = []
        self._logoffs: List[LogoffOutcome] = []
        self._pending: Dict[int, "PendingLogoff"] = {}
        self._next_key = 1
        self._on_logoff_listener = on_logoff
        self._closed = False
        # Everything C may call back, held as long as this object lives.
        self._glue = TransportGlue(self._record_error)
        self._on_logoff_c = _native.LOGOFF_CALLBACK(self._on_logoff)
        self._done_c = _native.LOGOFF_DONE(self._on_done)

        options = _native.RuntimeOptions()
        _native.check(lib.uvmapi_runtime_options_init(byref(options), _native.RUNTIME_OPTIONS_VERSION))
        options.drain_deadline_ms = _deadline_ms(drain_deadline, "drain_deadline")
        options.abort_deadline_ms = _deadline_ms(abort_deadline, "abort_deadline")
        options.on_logoff = self._on_logoff_c
        handle = c_void_p()
        _native.check(lib.uvmapi_runtime_create(byref(options), byref(handle)))
        self._ptr = handle
        with _live_lock:
            _live.add(self)

    # --- Life --------------------------------------------------------------

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def handle(self) -> int:
        """The uvmapi_runtime* address, for raw calls through uvmapi._native."""
        return self._ptr.value or 0

    @property
    def closed(self) -> bool:
        return self._closed

    def shutdown(self) -> None:
        """Logs off every store still open (its saved flag, or ABORT), ends by
        force what would not, and stops the loop. Not on the loop thread."""
        _native.check(_native.lib().uvmapi_runtime_shutdown(self._ptr))

    def close(self) -> None:
        """Shuts down if needed and destroys the runtime. A second call does nothing."""
        if self._closed:
            return
        _native.check(_native.lib().uvmapi_runtime_destroy(self._ptr))
        self._closed = True
        with _live_lock:
            _live.discard(self)

    # --- Stores and transports ----------------------------------------------

    def open_store(self, name: str) -> "Store":
        """Logs on to the in-memory store ``name`` (uvmapi_store_open). Stores
        with the same name are the same store: a second open shares it."""
        from .store import Store

        options = _native.StoreOptions(
            _native.STORE_OPTIONS_VERSION, None if name is None else name.encode("utf-8"), None
        )
        handle = c_void_p()
        _native.check(_native.lib().uvmapi_store_open(self._ptr, byref(options), byref(handle)))
        return Store(self, handle.value or 0, name)

    def add_transport_provider(self, factory: TransportFactory) -> None:
        """Stores logged on from now on get a session of this provider:
        ``factory(store_name, support)`` is called on the loop thread and
        returns a :class:`uvmapi.Transport` (a Transport subclass itself is
        such a factory)."""
        registration = self._glue.registration(factory)
        lib = _native.lib()
        _native.check(lib.uvmapi_runtime_add_transport_provider(self._ptr, byref(registration)))

    def add_smtp_transport(self, url: str, **options: Any) -> None:
        """Adds the built-in SMTP transport (uvmapi_runtime_add_smtp_transport):
        stores logged on from now on send their Outbox to the server at
        ``url`` ("smtp://[user@]host[:port]" for STARTTLS, "smtps://..." for
        TLS from the first byte). The options are checked now; InvalidParameter
        with the reason, and nothing added, when they cannot work.

        Keyword options (None or absent: the default; docs/smtp.md):
        ``security`` (:class:`uvmapi.SmtpSecurity` or "none", "starttls",
        "implicit"), ``ca_file``, ``tls_server_name``, ``username``,
        ``password``, ``auth_mechanism`` (:class:`uvmapi.SmtpAuth`),
        ``helo_name``, ``verify`` (False: do not check the certificate),
        ``allow_plaintext_auth``, ``pipelining``, ``connections``, and the
        timeouts in seconds ``connect_timeout``, ``command_timeout``,
        ``data_timeout``, ``idle_timeout``, ``retry_initial``, ``retry_max``."""
        from .smtp import options_struct

        struct = options_struct(url, **options)
        _native.check(_native.lib().uvmapi_runtime_add_smtp_transport(self._ptr, byref(struct)))

    def smtp_stats(self, store: Union[str, "Store"]) -> "SmtpStats":
        """The counters of the SMTP transport added last, for a store (its
        name or the Store); zeros if it never logged on. NotFound when no SMTP
        transport was added. Still readable after :meth:`shutdown`."""
        from .smtp import read_stats

        name = store if isinstance(store, str) else store.name
        return read_stats(self._ptr, name)

    # --- What C reported ----------------------------------------------------

    @property
    def logoffs(self) -> List[LogoffOutcome]:
        """The final outcome of every logoff so far, in order (``.store`` set)."""
        with self._lock:
            return list(self._logoffs)

    @property
    def callback_errors(self) -> List[CallbackError]:
        """Exceptions raised by Python code that C called, in order."""
        with self._lock:
            return list(self._errors)

    def wait_for_logoffs(self, count: int, timeout: float) -> List[LogoffOutcome]:
        """Waits until at least ``count`` logoffs were reported; Timeout else."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._logoffs) >= count, timeout):
                raise Timeout(MAPI_E_TIMEOUT, f"{len(self._logoffs)} of {count} logoffs reported")
            return list(self._logoffs)

    def wait_for_callback_errors(self, count: int, timeout: float) -> List[CallbackError]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._errors) >= count, timeout):
                raise Timeout(MAPI_E_TIMEOUT, f"{len(self._errors)} of {count} callback errors")
            return list(self._errors)

    # --- Internals the store module uses --------------------------------------

    def _register_pending(self, pending: "PendingLogoff") -> int:
        with self._lock:
            key = self._next_key
            self._next_key += 1
            self._pending[key] = pending
            return key

    def _forget_pending(self, key: int) -> None:
        with self._lock:
            self._pending.pop(key, None)

    def _record_error(self, where: str, error: BaseException) -> None:
        entry = CallbackError(
            where,
            error,
            "".join(traceback.format_exception(type(error), error, error.__traceback__)),
            threading.current_thread().name,
        )
        # Logged before it is published, so whoever waits for it sees the log too.
        log.error("exception in %s (answered to C as an error): %r", where, error)
        with self._changed:
            self._errors.append(entry)
            self._changed.notify_all()

    # --- Called by C on the loop thread ----------------------------------------

    def _on_logoff(self, _context: Optional[int], store_name: Optional[bytes], outcome: Any) -> None:
        try:
            name = store_name.decode("utf-8", "replace") if store_name else None
            result = LogoffOutcome.from_c(outcome.contents, name)
            with self._changed:
                self._logoffs.append(result)
                self._changed.notify_all()
            if self._on_logoff_listener is not None:
                self._on_logoff_listener(result)
        except BaseException as error:  # noqa: B036 - nothing may unwind into C
            self._record_error("on_logoff", error)

    def _on_done(self, context: Optional[int], outcome: Any) -> None:
        try:
            with self._lock:
                pending = self._pending.pop(context or 0, None)
            if pending is None:
                raise LookupError(f"a logoff finished that nobody waits for (context {context!r})")
            pending._deliver(LogoffOutcome.from_c(outcome.contents, pending.store), self._record_error)
        except BaseException as error:  # noqa: B036
            self._record_error("logoff done", error)
