"""A transport written in Python: what the runtime tells it, its support
object, its life, and exceptions raised inside its callbacks."""

from __future__ import annotations

import ctypes
import threading
import unittest
from typing import Dict, List

from uvmapi import (
    MAPI_E_CALL_FAILED,
    MAPI_E_INTERFACE_NOT_SUPPORTED,
    S_OK,
    CallFailed,
    Folder,
    InvalidObject,
    InvalidParameter,
    Logoff,
    LogoffOutcome,
    Message,
    NotFound,
    Notify,
    Runtime,
    Transport,
    TransportLogoff,
    TransportSupport,
    _native,
)

from .helpers import PATIENCE, Harness, make_message
from .scripted import ScriptedFailure, ScriptedProvider, ScriptedTransport

C, O, Q = Logoff.COMPLETE, Logoff.OUTBOUND, Logoff.OUTBOUND_QUEUE


class Calls(unittest.TestCase):
    def test_callbacks_run_on_the_loop_thread(self) -> None:
        with Harness() as harness:
            store = harness.open()
            transport = harness.transport()
            store.submit(make_message("o"))
            store.logoff(Logoff.ABORT, timeout=PATIENCE)
            main = threading.get_ident()
            self.assertEqual(len(harness.provider.logon_threads), 1)
            self.assertNotIn(main, harness.provider.logon_threads)
            self.assertEqual(transport.callback_threads, harness.provider.logon_threads)

    def test_what_each_mode_tells_the_transport(self) -> None:
        told: Dict[Logoff, List[Notify]] = {
            Logoff.NO_WAIT: [Notify.END_INBOUND],
            Logoff.ORDERLY: [Notify.END_INBOUND | Notify.END_OUTBOUND],
            Logoff.PURGE: [Notify.BEGIN_INBOUND_FLUSH | Notify.BEGIN_OUTBOUND_FLUSH,
                           Notify.END_INBOUND_FLUSH | Notify.END_OUTBOUND_FLUSH],
            Logoff.ABORT: [],
            Logoff.QUIET: [],
        }
        for flag, notes in told.items():
            with self.subTest(flag=flag.name), Harness() as harness:
                store = harness.open()
                transport = harness.transport()
                store.logoff(flag, timeout=PATIENCE)
                self.assertEqual(transport.notes, [Notify.BEGIN_INBOUND | Notify.BEGIN_OUTBOUND] + notes)
                self.assertEqual(transport.logoff_calls, 1)
                self.assertTrue(transport.wait_released(PATIENCE))
                self.assertEqual(harness.runtime._glue.live_sessions(), 0)

    def test_abort_cancels_each_activity_with_its_id(self) -> None:
        with Harness() as harness:
            store = harness.open()
            transport = harness.transport()
            store.submit(make_message("o1"))
            store.submit(make_message("o2"))
            sends = [send for send, _content in transport.sends]
            outcome = store.logoff(Logoff.ABORT, timeout=PATIENCE)
            self.assertEqual(outcome.flags_at_final, C | Q)
            cancels = [note for note in transport.notes if note & Notify.CANCEL_MESSAGE]
            self.assertEqual(len(cancels), 2)
            self.assertEqual(transport.cancels, 2)
            self.assertEqual(transport.logoff_flags, TransportLogoff.HURRY)
            self.assertEqual(len(set(sends)), 2)


class Vtable(unittest.TestCase):
    def test_query_interface_add_ref_and_release_as_c_calls_them(self) -> None:
        with Harness() as harness:
            store = harness.open()
            glue = harness.runtime._glue
            (address,) = list(glue._sessions)  # White box: the struct C holds.
            struct = _native.TransportStruct.from_address(address)
            vtbl = struct.lpVtbl.contents
            self.assertEqual(vtbl.version, _native.TRANSPORT_VTBL_VERSION)
            out = ctypes.c_void_p()
            for name, expected in (("uvmapi_iid_transport", S_OK), ("uvmapi_iid_unknown", S_OK),
                                   ("uvmapi_iid_store", MAPI_E_INTERFACE_NOT_SUPPORTED)):
                iid = _native.Iid.in_dll(_native.lib(), name)
                self.assertEqual(vtbl.QueryInterface(address, ctypes.byref(iid), ctypes.byref(out)),
                                 expected, name)
                self.assertEqual(out.value, address if expected == S_OK else None)
            self.assertEqual(vtbl.AddRef(address), 4)  # The runtime's, two QIs, this.
            for left in (3, 2, 1):
                self.assertEqual(vtbl.Release(address), left)
            self.assertFalse(harness.transport().released)  # The runtime's reference remains.
            store.logoff(Logoff.ORDERLY, timeout=PATIENCE)
            self.assertTrue(harness.transport().wait_released(PATIENCE))
            self.assertEqual(glue.live_sessions(), 0)


class Support(unittest.TestCase):
    def test_answers_the_support_refuses(self) -> None:
        with Harness() as harness:
            store = harness.open()
            support = harness.transport().support
            with self.assertRaises(NotFound):
                support.complete_send(123456789)
            with self.assertRaises(NotFound):
                support.commit_inbound(987654321, make_message("x"))
            with self.assertRaises(NotFound):
                support.abort_inbound(987654321)
            with self.assertRaises(NotFound):
                support.flush_complete()  # No flush is pending.
            receive = support.begin_inbound()  # Behind the scripted transport's back.
            with self.assertRaises(InvalidParameter):
                support.commit_inbound(receive, None)
            support.abort_inbound(receive)  # So the logoff below has nothing to cancel.
            support.notify_ready()
            store.logoff(Logoff.ABORT, timeout=PATIENCE)

    def test_a_failed_send_stays_in_the_outbox_until_a_flush(self) -> None:
        with Harness() as harness:
            store = harness.open()
            transport = harness.transport()
            store.submit(make_message("o"))
            transport.finish_sends(MAPI_E_CALL_FAILED)
            self.assertEqual(store.folder_count(Folder.OUTBOX), 1)
            self.assertEqual(store.activity(), Q)  # Deferred: waiting, not offered again.
            submits = transport.submits
            transport.support.notify_ready()
            self.assertEqual(transport.submits, submits)
            outcome = store.logoff(Logoff.PURGE, timeout=PATIENCE)  # The flush tries again.
            self.assertEqual(outcome.flags_at_final, C)
            self.assertEqual(transport.delivered_count(make_message("o").content), 1)

    def test_a_logged_off_session_answers_invalid_object(self) -> None:
        with Harness() as harness:
            store = harness.open()
            transport = harness.transport()
            store.logoff(Logoff.ORDERLY, timeout=PATIENCE)
            self.assertTrue(transport.wait_released(PATIENCE))
            for call in (transport.support.notify_ready, transport.support.flush_complete,
                         transport.support.begin_inbound, lambda: transport.support.complete_send(1)):
                with self.assertRaises(InvalidObject):
                    call()


class CallbackExceptions(unittest.TestCase):
    def test_submit_message_raising_is_call_failed_and_the_message_stays(self) -> None:
        with Harness() as harness:
            store = harness.open()
            transport = harness.transport()
            transport.raise_in.add("submit_message")
            with self.assertLogs("uvmapi", "ERROR"):
                store.submit(make_message("o"))
            (error,) = harness.runtime.callback_errors
            self.assertEqual(error.where, "Transport.submit_message")
            self.assertIsInstance(error.error, ScriptedFailure)
            self.assertIn("scripted failure", error.traceback)
            self.assertNotEqual(error.thread, threading.current_thread().name)
            self.assertEqual(store.folder_count(Folder.OUTBOX), 1)
            self.assertEqual(store.activity(), Q)  # Failed: deferred, not lost.
            transport.raise_in.clear()
            outcome = store.logoff(Logoff.PURGE, timeout=PATIENCE)
            self.assertEqual(outcome.flags_at_final, C)
            self.assertEqual(transport.delivered_count(make_message("o").content), 1)

    def test_void_callbacks_raising_are_reported_and_the_runtime_goes_on(self) -> None:
        with Harness(drain=0.3) as harness:
            harness.provider.default_capacity = 0
            store = harness.open()
            transport = harness.transport()
            transport.raise_in.update({"flush_queues", "transport_logoff"})
            store.submit(make_message("q"))
            with self.assertLogs("uvmapi", "ERROR"):
                # The flush is never answered: the drain escalates at its deadline.
                outcome = store.logoff(Logoff.PURGE, timeout=PATIENCE)
                harness.runtime.wait_for_callback_errors(2, PATIENCE)
            self.assertTrue(outcome.escalated and outcome.released)
            self.assertEqual(outcome.flags_at_final, C | Q)
            where = [error.where for error in harness.runtime.callback_errors]
            self.assertEqual(where, ["Transport.flush_queues", "Transport.transport_logoff"])

    def test_transport_notify_raising_at_logon(self) -> None:
        provider = ScriptedProvider()

        def factory(name: str, support: TransportSupport) -> ScriptedTransport:
            session = provider(name, support)
            session.raise_in.add("transport_notify")
            return session

        with Runtime() as runtime:
            runtime.add_transport_provider(factory)
            with self.assertLogs("uvmapi", "ERROR"):
                store = runtime.open_store("s")  # BEGIN_INBOUND|BEGIN_OUTBOUND raises.
            self.assertEqual(runtime.callback_errors[0].where, "Transport.transport_notify")
            self.assertTrue(store.logoff(Logoff.QUIET, timeout=PATIENCE).released)

    def test_transport_logon_raising_fails_the_open(self) -> None:
        with Harness() as harness:
            harness.provider.raise_on_logon = True
            with self.assertLogs("uvmapi", "ERROR"), self.assertRaises(CallFailed) as caught:
                harness.open()
            self.assertTrue(caught.exception.message)
            self.assertEqual(harness.runtime.callback_errors[0].where, "TransportLogon")
            harness.provider.raise_on_logon = False
            harness.open().logoff(Logoff.ORDERLY, timeout=PATIENCE)  # The runtime still works.

    def test_a_provider_returning_no_transport(self) -> None:
        with Runtime() as runtime:
            runtime.add_transport_provider(lambda name, support: object())  # type: ignore
            with self.assertLogs("uvmapi", "ERROR"), self.assertRaises(CallFailed):
                runtime.open_store("s")
            self.assertIsInstance(runtime.callback_errors[0].error, TypeError)
            with self.assertRaises(TypeError):
                runtime.add_transport_provider("not callable")  # type: ignore[arg-type]

    def test_the_base_class_must_be_completed(self) -> None:
        with Runtime() as runtime:
            runtime.add_transport_provider(Transport)
            store = runtime.open_store("s")
            with self.assertLogs("uvmapi", "ERROR"):
                store.submit(Message("a@example.org", ["b@example.org"], b"x"))
            self.assertIsInstance(runtime.callback_errors[0].error, NotImplementedError)
            self.assertEqual(store.activity(), Q)
            store.logoff(Logoff.ORDERLY, timeout=PATIENCE)

    def test_logoff_listeners_raising(self) -> None:
        def listener(outcome: LogoffOutcome) -> None:
            raise ValueError("listener")

        with Runtime(on_logoff=listener) as runtime:
            store = runtime.open_store("s")
            with self.assertLogs("uvmapi", "ERROR"):
                pending = store.start_logoff(Logoff.ORDERLY, on_done=listener)
                outcome = pending.wait(PATIENCE)
                runtime.wait_for_callback_errors(2, PATIENCE)
            self.assertTrue(outcome.released)
            self.assertEqual(len(runtime.logoffs), 1)  # Recorded before the listener ran.
            self.assertEqual(sorted(e.where for e in runtime.callback_errors), ["logoff on_done", "on_logoff"])


if __name__ == "__main__":
    unittest.main()
