"""A transport written in Python, scripted by the tests: the one the
conformance matrix runs on (the Python twin of tests/c/c_transport.c).

The runtime calls a session on its loop thread; the tests drive it from
their own thread. Both touch the same state under the provider's condition.
No TransportSupport call is ever made while that condition is held: a call
from the test thread waits for the loop thread, which may be waiting for the
condition inside one of our callbacks.

What a session can do:
  - hold each accepted send in flight until finish_sends ends it;
  - refuse sends when it already holds ``capacity`` of them (MAPI_E_BUSY);
  - put a message at its source (the remote mailbox), begin delivering it and
    hold the delivery, then commit it;
  - honour Notify.CANCEL_MESSAGE (complete_send with MAPI_E_USER_CANCEL for a
    send, abort_inbound for a receive);
  - answer flush_queues: upload sends what it holds and takes everything
    after; download fetches what waits at the source; then flush_complete;
  - hang (ignore cancels and flushes), or ignore flushes only;
  - raise from a chosen callback;
  - record what it saw.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Callable, List, Optional, Set

from uvmapi import (
    MAPI_E_BUSY,
    MAPI_E_USER_CANCEL,
    S_OK,
    Flush,
    InvalidObject,
    Message,
    Notify,
    Transport,
    TransportLogoff,
    TransportSupport,
)

UNLIMITED = sys.maxsize


class ScriptedFailure(RuntimeError):
    """What a session raises from a callback named in raise_in."""


@dataclass
class SourceItem:
    key: int
    content: bytes
    receive: int = 0  # The receive in flight, or 0.


class ScriptedProvider:
    """The transport provider: one ScriptedTransport per store logon."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.sessions: List[ScriptedTransport] = []
        self.default_capacity = UNLIMITED
        self.raise_on_logon = False
        # Called on the loop thread at the start of submit_message, outside
        # the condition, so it may call into the library.
        self.submit_hook: Optional[Callable[[ScriptedTransport], None]] = None
        self.logon_threads: Set[int] = set()

    def __call__(self, store_name: str, support: TransportSupport) -> "ScriptedTransport":
        with self.changed:
            self.logon_threads.add(threading.get_ident())
            if self.raise_on_logon:
                raise ScriptedFailure("scripted failure in TransportLogon")
            session = ScriptedTransport(self, store_name, support)
            self.sessions.append(session)
            self.changed.notify_all()
            return session

    def session(self, store_name: str) -> "ScriptedTransport":
        """The newest session of a store."""
        with self.changed:
            for session in reversed(self.sessions):
                if session.store_name == store_name:
                    return session
        raise LookupError(f"no session for {store_name!r}")


class ScriptedTransport(Transport):
    def __init__(self, provider: ScriptedProvider, store_name: str, support: TransportSupport) -> None:
        super().__init__(store_name, support)
        self.provider = provider
        self.changed = provider.changed
        self.capacity = provider.default_capacity
        self.auto_complete = False  # The peer accepts each send at once.
        self.hung = False
        self.ignore_flush = False
        self.raise_in: Set[str] = set()
        self.sends: List[tuple] = []  # (send id, content) held in flight.
        self.source: List[SourceItem] = []
        self.next_key = 1
        self.delivered: List[bytes] = []  # What the peer accepted.
        self.notes: List[Notify] = []
        self.flushes: List[Flush] = []
        self.submits = 0
        self.cancels = 0
        self.logoff_flags: Optional[TransportLogoff] = None
        self.logoff_calls = 0
        self.released = False
        self.callback_threads: Set[int] = set()

    # --- Transport (the runtime's loop thread) -----------------------------

    def _enter(self, name: str) -> None:
        """Bookkeeping every callback shares; the condition is held."""
        self.callback_threads.add(threading.get_ident())
        if name in self.raise_in:
            raise ScriptedFailure(f"scripted failure in {name}")

    def submit_message(self, send: int, message: Message) -> Optional[int]:
        hook = self.provider.submit_hook
        if hook is not None:
            hook(self)
        with self.changed:
            self._enter("submit_message")
            self.submits += 1
            if len(self.sends) >= self.capacity:
                self.changed.notify_all()
                return MAPI_E_BUSY
            complete_now = self.auto_complete
            if complete_now:
                self.delivered.append(message.content)
            else:
                self.sends.append((send, message.content))
            self.changed.notify_all()
        if complete_now:
            # Allowed before returning: the runtime holds the send from the
            # moment it offers it.
            self.support.complete_send(send, S_OK)
        return None

    def flush_queues(self, flags: Flush) -> None:
        with self.changed:
            self._enter("flush_queues")
            self.flushes.append(flags)
            answer = not self.hung and not self.ignore_flush
            self.changed.notify_all()
        if not answer:
            return
        if flags & Flush.UPLOAD:
            # A forced upload sends everything: what it held and what it refused.
            with self.changed:
                self.auto_complete = True
            self.finish_sends(S_OK)
            self.set_capacity(UNLIMITED)
        if flags & Flush.DOWNLOAD:
            with self.changed:
                waiting = [item.key for item in self.source if item.receive == 0]
            for key in waiting:
                try:
                    receive = self.support.begin_inbound()
                except Exception:
                    break  # The store takes no more: the rest stays at the source.
                with self.changed:
                    for item in self.source:
                        if item.key == key:
                            item.receive = receive
                    self.changed.notify_all()
            self.commit_receives()
        self.support.flush_complete()

    def transport_notify(self, flags: Notify, activity: int) -> None:
        action = None
        with self.changed:
            self._enter("transport_notify")
            self.notes.append(flags)
            if flags & Notify.CANCEL_MESSAGE and not self.hung:
                for i, (send, _content) in enumerate(self.sends):
                    if send == activity:
                        del self.sends[i]
                        action = "send"
                        break
                if action is None:
                    for item in self.source:
                        if item.receive == activity:
                            item.receive = 0  # The message stays at the source.
                            action = "receive"
                            break
                if action is not None:
                    self.cancels += 1
            self.changed.notify_all()
        if action == "send":
            self.support.complete_send(activity, MAPI_E_USER_CANCEL)
        elif action == "receive":
            self.support.abort_inbound(activity)

    def transport_logoff(self, flags: TransportLogoff) -> None:
        with self.changed:
            self._enter("transport_logoff")
            self.logoff_flags = flags
            self.logoff_calls += 1
            # Whatever was in flight is abandoned: sends stay in the store's
            # Outbox, receives at the source.
            self.sends.clear()
            for item in self.source:
                item.receive = 0
            self.changed.notify_all()

    def release(self) -> None:
        with self.changed:
            self.released = True
            self.changed.notify_all()

    # --- The script (the test's thread) -------------------------------------

    @property
    def logged_off(self) -> bool:
        with self.changed:
            return self.logoff_calls > 0

    def set_capacity(self, capacity: int) -> None:
        """Raising the capacity tells the spooler the session is ready again."""
        with self.changed:
            more = capacity > self.capacity and self.logoff_calls == 0
            self.capacity = capacity
            self.changed.notify_all()
        if more:
            try:
                self.support.notify_ready()
            except InvalidObject:
                pass  # Logged off meanwhile: the ABI says nothing changes.

    def finish_sends(self, result: int = S_OK) -> int:
        """Ends every held send with result; returns how many."""
        with self.changed:
            sends, self.sends = self.sends, []
            if result == S_OK:  # The peer has them before the spooler hears of it.
                self.delivered += [content for _send, content in sends]
            self.changed.notify_all()
        for send, _content in sends:
            self.support.complete_send(send, result)
        return len(sends)

    def arrive(self, message: Message, begin: bool) -> None:
        """Puts a message at the source; with begin, starts delivering it and
        holds the delivery in flight (raises what begin_inbound raised)."""
        with self.changed:
            key = self.next_key
            self.next_key += 1
            self.source.append(SourceItem(key, message.content))
            self.changed.notify_all()
        if not begin:
            return
        receive = self.support.begin_inbound()
        with self.changed:
            for item in self.source:
                if item.key == key:
                    item.receive = receive
            self.changed.notify_all()

    def commit_receives(self) -> int:
        """Commits every receive in flight; each leaves the source only once committed."""
        with self.changed:
            receives = [(item.key, item.receive, item.content) for item in self.source if item.receive]
        committed = 0
        for key, receive, content in receives:
            message = Message("remote@example.org", ("alice@example.org",), content)
            self.support.commit_inbound(receive, message)
            with self.changed:  # Only now that the store has it may it leave the source.
                self.source = [item for item in self.source if item.key != key]
                self.changed.notify_all()
            committed += 1
        return committed

    def finish_everything(self) -> None:
        """Lets the session finish what it still may: the peer accepts from
        now on, held sends complete, receives commit, the queue flows again."""
        with self.changed:
            self.auto_complete = True
            if self.logoff_calls:
                return
        self.finish_sends(S_OK)
        self.commit_receives()
        self.set_capacity(UNLIMITED)

    # --- What it saw (any thread) ----------------------------------------------

    def sends_in_flight(self) -> int:
        with self.changed:
            return len(self.sends)

    def at_source(self, content: bytes) -> int:
        with self.changed:
            return sum(item.content == content for item in self.source)

    def delivered_count(self, content: bytes) -> int:
        with self.changed:
            return sum(item == content for item in self.delivered)

    def notes_with(self, mask: Notify) -> int:
        with self.changed:
            return sum((note & mask) == mask for note in self.notes)

    def wait_note(self, mask: Notify, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: any((n & mask) == mask for n in self.notes), timeout)

    def wait_logged_off(self, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.logoff_calls > 0, timeout)

    def wait_released(self, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.released, timeout)
