"""The five modes through the one-call ``store.logoff``, idle and busy, the
shared store, the release path, and the deadlines."""

from __future__ import annotations

import threading
import unittest
from typing import Optional

from uvmapi import (
    MAPI_E_UNABLE_TO_ABORT,
    S_OK,
    Flush,
    Folder,
    Logoff,
    Notify,
    Store,
    Timeout,
    TransportLogoff,
    UnableToAbort,
)

from .helpers import PATIENCE, Harness, locate, make_message
from .scripted import ScriptedTransport

C, I, O, Q = Logoff.COMPLETE, Logoff.INBOUND, Logoff.OUTBOUND, Logoff.OUTBOUND_QUEUE


def build_busy(harness: Harness, store: Store) -> ScriptedTransport:
    """I, O and Q at once: a receive held, a send held, a send refused."""
    transport = harness.transport()
    store.submit(make_message("o"))
    transport.set_capacity(transport.sends_in_flight())
    store.submit(make_message("q"))
    transport.arrive(make_message("i"), begin=True)
    return transport


class Finisher(threading.Thread):
    """Lets the transport finish once the logoff has begun (it saw `mask`),
    while the test thread is blocked in store.logoff."""

    def __init__(self, transport: ScriptedTransport, mask: Notify) -> None:
        super().__init__(name="finisher", daemon=True)
        self.transport, self.mask = transport, mask
        self.error: Optional[BaseException] = None
        self.saw_note = False

    def run(self) -> None:
        try:
            self.saw_note = self.transport.wait_note(self.mask, PATIENCE)
            if self.saw_note:
                self.transport.finish_everything()
        except BaseException as error:  # Reported by the test thread.
            self.error = error


# flag: (at return, at final, released, TransportLogoff, where i, o, q end,
#        what the transport is told, whether a helper must let it finish)
BUSY = {
    Logoff.NO_WAIT: (C | I | O | Q, C, True, TransportLogoff.NORMAL, ("inbox", "sent", "sent"),
                     Notify.END_INBOUND, True),
    Logoff.ORDERLY: (C | I | O | Q, C | Q, True, TransportLogoff.NORMAL, ("inbox", "sent", "outbox"),
                     Notify.END_INBOUND | Notify.END_OUTBOUND, True),
    Logoff.PURGE: (C, C, True, TransportLogoff.NORMAL, ("inbox", "sent", "sent"),
                   Notify.BEGIN_INBOUND_FLUSH | Notify.BEGIN_OUTBOUND_FLUSH, False),
    Logoff.ABORT: (C | Q, C | Q, True, TransportLogoff.HURRY, ("source", "outbox", "outbox"),
                   Notify.CANCEL_MESSAGE, False),
    Logoff.QUIET: (I | O | Q, I | O | Q, False, None, ("source", "outbox", "outbox"), None, False),
}


class Modes(unittest.TestCase):
    def check_idle(self, flag: Logoff) -> None:
        with Harness() as harness:
            store = harness.open()
            transport = harness.transport()
            outcome = store.logoff(flag, timeout=PATIENCE)
            self.assertEqual(outcome.requested, flag)
            self.assertEqual((outcome.flags_at_return, outcome.flags_at_final), (C, C))
            self.assertTrue(outcome.released and outcome.finished and outcome.ok)
            self.assertFalse(outcome.escalated or outcome.forced)
            self.assertEqual(outcome.store, "store")
            hurry = flag == Logoff.ABORT
            self.assertEqual(transport.logoff_flags,
                             TransportLogoff.HURRY if hurry else TransportLogoff.NORMAL)
            self.assertTrue(transport.wait_released(PATIENCE))
            if flag == Logoff.PURGE:  # An idle PURGE still flushes both ways.
                self.assertEqual(transport.flushes, [Flush.UPLOAD | Flush.DOWNLOAD | Flush.FORCE])
            self.assertEqual(harness.runtime.callback_errors, [])

    def check_busy(self, flag: Logoff) -> None:
        at_return, at_final, released, transport_logoff, places, told, helper = BUSY[flag]
        with Harness() as harness:
            store = harness.open()
            transport = build_busy(harness, store)
            self.assertEqual(store.activity(), I | O | Q)
            finisher = Finisher(transport, told) if helper and told is not None else None
            if finisher:
                finisher.start()
            outcome = store.logoff(flag, timeout=PATIENCE)
            if finisher:
                finisher.join(PATIENCE)
                self.assertIsNone(finisher.error)
                self.assertTrue(finisher.saw_note)
            self.assertEqual(outcome.status, S_OK)
            self.assertEqual(outcome.flags_at_return, at_return, "at return")
            self.assertEqual(outcome.flags_at_final, at_final, "at final")
            self.assertEqual(outcome.released, released)
            self.assertEqual(transport.logoff_flags, transport_logoff)
            if told is not None:
                self.assertGreaterEqual(transport.notes_with(told), 1, f"told {told!r}")
            if flag == Logoff.ABORT:
                self.assertEqual(transport.cancels, 2)  # The send and the receive.
            if flag == Logoff.PURGE:
                self.assertEqual(transport.flushes, [Flush.UPLOAD | Flush.DOWNLOAD | Flush.FORCE])
                self.assertEqual(transport.notes_with(Notify.END_INBOUND_FLUSH | Notify.END_OUTBOUND_FLUSH), 1)
            reader = harness.open()
            found = tuple(locate(self, harness, reader, transport, name, name == "i") for name in "ioq")
            self.assertEqual(found, places)
            reader.release()
            self.assertEqual(harness.runtime.callback_errors, [])


def _add(kind: str, flag: Logoff) -> None:
    def test(self: Modes) -> None:
        getattr(self, f"check_{kind}")(flag)

    test.__name__ = f"test_{kind}_{flag.name}"
    setattr(Modes, test.__name__, test)


for _flag in Logoff.modes():
    _add("idle", _flag)
    _add("busy", _flag)


class SharedStore(unittest.TestCase):
    def test_shared_opener_goes_at_once_and_the_other_keeps_the_transports(self) -> None:
        with Harness() as harness:
            first = harness.open()
            transport = build_busy(harness, first)
            second = harness.open()
            for flag in Logoff.modes():  # Each mode on a shared store: C alone, at once.
                third = harness.open()
                outcome = third.logoff(flag, timeout=PATIENCE)
                self.assertEqual((outcome.flags_at_return, outcome.flags_at_final), (C, C), flag)
                self.assertTrue(outcome.released)
            outcome = first.logoff(Logoff.ORDERLY, timeout=PATIENCE)
            self.assertEqual((outcome.flags_at_return, outcome.flags_at_final), (C, C))
            self.assertFalse(transport.logged_off)
            self.assertEqual(transport.notes_with(Notify.END_INBOUND), 0)  # Nothing was touched.
            # The transports go on serving the other opener.
            transport.finish_everything()
            self.assertEqual(second.folder_count(Folder.SENT_ITEMS), 2)
            self.assertEqual(second.folder_count(Folder.INBOX), 1)
            outcome = second.logoff(Logoff.NO_WAIT, timeout=PATIENCE)
            self.assertEqual((outcome.flags_at_return, outcome.flags_at_final), (C, C))
            self.assertEqual(transport.logoff_flags, TransportLogoff.NORMAL)


class ReleasePath(unittest.TestCase):
    def test_store_logoff_changes_nothing_but_the_saved_flag(self) -> None:
        with Harness() as harness:
            store = harness.open()
            transport = harness.transport()
            transport.auto_complete = True
            self.assertEqual(store.store_logoff(Logoff.ORDERLY), Logoff(0))
            store.submit(make_message("after"))  # The store keeps working.
            self.assertEqual(store.folder_count(Folder.SENT_ITEMS), 1)
            self.assertEqual(transport.notes, [Notify.BEGIN_INBOUND | Notify.BEGIN_OUTBOUND])
            self.assertEqual(harness.runtime.logoffs, [])
            store.store_logoff(Logoff.QUIET)  # A later call overwrites the flag.
            self.assertEqual(store.release(), 0)
            (outcome,) = harness.runtime.wait_for_logoffs(1, PATIENCE)
            self.assertEqual(outcome.requested, Logoff.QUIET)
            self.assertTrue(outcome.released)

    def test_release_without_store_logoff_aborts(self) -> None:
        with Harness() as harness:
            store = harness.open()
            transport = harness.transport()
            store.submit(make_message("o"))
            with store:
                pass  # The context manager releases the reference.
            (outcome,) = harness.runtime.wait_for_logoffs(1, PATIENCE)
            self.assertEqual(outcome.requested, Logoff.ABORT)
            self.assertEqual(outcome.flags_at_final, C | Q)  # The cancelled send is back in the queue.
            self.assertEqual(transport.logoff_flags, TransportLogoff.HURRY)

    def test_a_kept_opener_is_ended_by_force_at_shutdown(self) -> None:
        harness = Harness()
        try:
            store = harness.open()
            transport = build_busy(harness, store)
            outcome = store.logoff(Logoff.QUIET, timeout=PATIENCE)
            self.assertFalse(outcome.released)
            self.assertEqual(outcome.flags_at_final, I | O | Q)
        finally:
            harness.runtime.close()
        ended = harness.runtime.logoffs[-1]
        # Shutdown's forced end is an ABORT that released the opener. (Its
        # `forced` bit is set by the core only when the transports did not
        # stop within the abort deadline: see the hung case below.)
        self.assertEqual(ended.requested, Logoff.ABORT)
        self.assertTrue(ended.released)
        self.assertEqual(ended.flags_at_final, C | Q)
        self.assertEqual(transport.logoff_flags, TransportLogoff.HURRY)


class Deadlines(unittest.TestCase):
    def test_timeout_raises_with_the_outcome_so_far(self) -> None:
        with Harness() as harness:
            store = harness.open()
            transport = harness.transport()
            store.submit(make_message("o"))
            with self.assertRaises(Timeout) as caught:
                store.logoff(Logoff.NO_WAIT, timeout=0.2)
            partial = caught.exception.outcome
            assert partial is not None
            self.assertTrue(partial.returned)
            self.assertFalse(partial.finished)
            self.assertEqual(partial.flags_at_return, C | O)
            transport.finish_everything()  # The logoff went on; the runtime reports its end.
            (final,) = harness.runtime.wait_for_logoffs(1, PATIENCE)
            self.assertEqual(final.flags_at_final, C)
            self.assertTrue(final.released)

    def test_a_drain_past_its_deadline_becomes_an_abort(self) -> None:
        with Harness(drain=0.2) as harness:
            store = harness.open()
            transport = harness.transport()
            store.submit(make_message("o"))
            outcome = store.logoff(Logoff.NO_WAIT, timeout=PATIENCE)
            self.assertTrue(outcome.escalated and outcome.released)
            self.assertEqual(outcome.flags_at_final, C | Q)
            self.assertEqual(transport.logoff_flags, TransportLogoff.HURRY)
            reader = harness.open()
            self.assertEqual(reader.folder_count(Folder.OUTBOX), 1)  # Nothing lost.
            reader.release()

    def test_an_abort_that_cannot_stop_does_not_happen(self) -> None:
        harness = Harness(abort=0.2)
        try:
            store = harness.open()
            transport = harness.transport()
            store.submit(make_message("o"))
            transport.hung = True
            outcome = store.logoff(Logoff.ABORT, timeout=PATIENCE)
            self.assertEqual(outcome.status, MAPI_E_UNABLE_TO_ABORT)
            self.assertFalse(outcome.released)
            self.assertEqual(outcome.flags_at_final, O)
            with self.assertRaises(UnableToAbort):
                outcome.raise_for_status()
            # The store went back to work: both directions open again.
            self.assertGreaterEqual(transport.notes_with(Notify.BEGIN_INBOUND | Notify.BEGIN_OUTBOUND), 2)
        finally:
            harness.runtime.close()  # Ends the kept opener by force.
        self.assertTrue(harness.runtime.logoffs[-1].forced)


if __name__ == "__main__":
    unittest.main()
