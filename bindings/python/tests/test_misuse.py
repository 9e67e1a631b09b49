"""Misuse: every one is refused with a MapiError of the right class and the
library's sentence, and changes nothing."""

from __future__ import annotations

import ctypes
import unittest
from typing import Any, Callable, List, Tuple
from ctypes import byref, c_uint32, c_void_p

import uvmapi
from uvmapi import (
    MAPI_E_INVALID_OBJECT,
    MAPI_E_INVALID_PARAMETER,
    Busy,
    CallFailed,
    Folder,
    InvalidObject,
    InvalidParameter,
    Logoff,
    MapiError,
    NotFound,
    Runtime,
    UnknownFlags,
    _native,
)

from .helpers import PATIENCE, Harness, make_message
from .scripted import ScriptedTransport


class ReleasedStore(unittest.TestCase):
    def test_every_call_on_a_logged_off_store_is_invalid_object(self) -> None:
        with Harness() as harness:
            store = harness.open()
            store.logoff(Logoff.ORDERLY, timeout=PATIENCE)
            calls = {
                "submit": lambda: store.submit(make_message("late")),
                "activity": store.activity,
                "store_logoff": lambda: store.store_logoff(Logoff.ORDERLY),
                "folder_count": lambda: store.folder_count(Folder.INBOX),
                "list": lambda: store.list(Folder.OUTBOX),
                "read": lambda: store.read(1),
                "add_ref": store.add_ref,
                "logoff": lambda: store.logoff(Logoff.ORDERLY, timeout=PATIENCE),
                "start_logoff": lambda: store.start_logoff(Logoff.ORDERLY),
            }
            for name, call in calls.items():
                with self.subTest(call=name), self.assertRaises(InvalidObject) as caught:
                    call()
                self.assertEqual(caught.exception.hresult, MAPI_E_INVALID_OBJECT)
                self.assertEqual(caught.exception.name, "MAPI_E_INVALID_OBJECT")
                self.assertIn("not a live handle", caught.exception.message)
            # Release alone is exempt (docs/c-api.md, misuse): a late release
            # succeeds with a count of zero and never logs off again.
            self.assertEqual(store.release(), 0)
            self.assertEqual(len(harness.runtime.logoffs), 1)

    def test_a_released_store_after_the_last_release(self) -> None:
        with Harness() as harness:
            store = harness.open()
            self.assertEqual(store.add_ref(), 2)
            self.assertEqual(store.release(), 1)
            self.assertEqual(store.release(), 0)
            with self.assertRaises(InvalidObject):
                store.activity()

    def test_a_destroyed_runtime(self) -> None:
        harness = Harness()
        store = harness.open()
        harness.runtime.close()
        harness.runtime.close()  # A second close does nothing.
        self.assertTrue(harness.runtime.closed)
        with self.assertRaises(InvalidObject):
            harness.runtime.open_store("again")
        with self.assertRaises(InvalidObject):
            store.submit(make_message("late"))
        with self.assertRaises(InvalidObject):
            harness.runtime.shutdown()

    def test_after_shutdown(self) -> None:
        with Harness() as harness:
            store = harness.open()
            harness.runtime.shutdown()
            harness.runtime.shutdown()  # A second shutdown is harmless.
            with self.assertRaises(InvalidObject):
                store.activity()
            with self.assertRaises(CallFailed):
                harness.runtime.open_store("late")


class BadFlags(unittest.TestCase):
    def test_store_logoff_flags(self) -> None:
        with Harness() as harness:
            store = harness.open()
            refused = {
                0: InvalidParameter,
                Logoff.NO_WAIT | Logoff.ORDERLY: InvalidParameter,
                Logoff.ABORT | Logoff.QUIET | Logoff.PURGE: InvalidParameter,
                0x1000: UnknownFlags,  # The Windows spooler's private bits.
                0x2000: UnknownFlags,
                Logoff.COMPLETE: UnknownFlags,  # Output bits are unknown as input.
                Logoff.OUTBOUND_QUEUE: UnknownFlags,
                Logoff.ORDERLY | 0x1000: UnknownFlags,  # Unknown bits are checked first.
                2**32 + 2: UnknownFlags,  # Would wrap to ORDERLY in ctypes.
                -1: UnknownFlags,
            }
            for flag, error in refused.items():
                calls: Tuple[Callable[[Any], Any], ...] = (store.store_logoff, store.logoff, store.start_logoff)
                for call in calls:
                    with self.subTest(flag=hex(int(flag)), call=call.__name__):
                        with self.assertRaises(error):
                            call(flag)
            # Nothing was saved and the handle is still ours.
            self.assertEqual(store.store_logoff(Logoff.QUIET), Logoff(0))
            self.assertTrue(store.logoff(Logoff.ORDERLY, timeout=PATIENCE).released)


class OneCallLogoff(unittest.TestCase):
    def test_needs_the_last_reference(self) -> None:
        with Harness() as harness:
            store = harness.open()
            store.add_ref()
            with self.assertRaises(Busy) as caught:
                store.logoff(Logoff.ORDERLY, timeout=PATIENCE)
            self.assertIn("last reference", caught.exception.message)
            with self.assertRaises(Busy):
                store.start_logoff(Logoff.ORDERLY)
            self.assertEqual(harness.runtime.logoffs, [])  # Nothing changed.
            store.release()
            self.assertTrue(store.logoff(Logoff.ORDERLY, timeout=PATIENCE).released)

    def test_opening_while_logging_off_is_busy(self) -> None:
        with Harness() as harness:
            store = harness.open()
            transport = harness.transport()
            store.submit(make_message("o"))
            pending = store.start_logoff(Logoff.NO_WAIT)
            with self.assertRaises(Busy):
                harness.open()
            transport.finish_everything()
            pending.wait(PATIENCE)
            harness.open().logoff(Logoff.ABORT, timeout=PATIENCE)  # Open again once it is over.

    def test_blocking_calls_on_the_loop_thread_are_refused(self) -> None:
        with Harness() as harness:
            refused: List[MapiError] = []

            def hook(transport: ScriptedTransport) -> None:
                harness.provider.submit_hook = None
                blocking = (harness.runtime.shutdown, harness.runtime.close,
                            lambda: other.logoff(Logoff.ORDERLY, timeout=1))
                for call in blocking:
                    try:
                        call()
                    except MapiError as error:
                        refused.append(error)

            other = harness.open("other")
            store = harness.open()
            harness.provider.submit_hook = hook
            store.submit(make_message("o"))
            self.assertEqual([type(error) for error in refused], [CallFailed] * 3)
            self.assertFalse(harness.runtime.closed)
            self.assertTrue(all("loop thread" in error.message for error in refused), refused)
            # The refused one-call logoff changed nothing: the handle still works.
            self.assertTrue(other.logoff(Logoff.ORDERLY, timeout=PATIENCE).released)


class NullAndBadArguments(unittest.TestCase):
    def test_what_the_python_api_lets_through(self) -> None:
        with Harness() as harness:
            store = harness.open()
            with self.assertRaises(InvalidParameter):
                harness.runtime.open_store(None)  # type: ignore[arg-type]
            with self.assertRaises(InvalidParameter):
                store.submit(None)
            with self.assertRaises(InvalidParameter):
                store.folder_count(7)  # type: ignore[arg-type]
            with self.assertRaises(NotFound):
                store.read(424242)
            with self.assertRaises(ValueError):
                Runtime(drain_deadline=0)
            with self.assertRaises(ValueError):
                store.logoff(Logoff.ORDERLY, timeout=-1)

    def test_null_handles_at_the_abi(self) -> None:
        lib = _native.lib()
        flags = c_uint32(int(Logoff.ORDERLY))
        null_calls = {
            "uvmapi_store_logoff": lambda: lib.uvmapi_store_logoff(None, byref(flags)),
            "uvmapi_store_release": lambda: lib.uvmapi_store_release(None, None),
            "uvmapi_runtime_create": lambda: lib.uvmapi_runtime_create(None, None),
            "uvmapi_runtime_shutdown": lambda: lib.uvmapi_runtime_shutdown(None),
            "uvmapi_xpsupport_notify_ready": lambda: lib.uvmapi_xpsupport_notify_ready(None),
            "uvmapi_support_activity": lambda: lib.uvmapi_support_activity(None, byref(flags)),
        }
        for name, call in null_calls.items():
            with self.subTest(function=name):
                self.assertEqual(call(), MAPI_E_INVALID_PARAMETER)
                self.assertEqual(lib.uvmapi_last_error(), MAPI_E_INVALID_PARAMETER)
                self.assertTrue(lib.uvmapi_last_error_message())

    def test_null_out_parameters_and_callbacks(self) -> None:
        lib = _native.lib()
        with Harness() as harness:
            store = harness.open()
            handle = c_void_p(store.handle)
            self.assertEqual(lib.uvmapi_store_logoff(handle, None), MAPI_E_INVALID_PARAMETER)
            self.assertEqual(lib.uvmapi_store_activity(handle, None), MAPI_E_INVALID_PARAMETER)
            no_done = _native.LOGOFF_DONE()  # type: ignore[call-overload]  # A NULL function pointer.
            self.assertEqual(lib.uvmapi_store_logoff_async(handle, int(Logoff.ORDERLY), no_done, None),
                             MAPI_E_INVALID_PARAMETER)
            self.assertEqual(lib.uvmapi_store_logoff_wait(handle, int(Logoff.ORDERLY), 1000, None),
                             MAPI_E_INVALID_PARAMETER)
            foreign = ctypes.create_string_buffer(64)  # Not a handle the library gave out.
            self.assertEqual(lib.uvmapi_store_activity(ctypes.addressof(foreign), byref(c_uint32())),
                             MAPI_E_INVALID_OBJECT)
            self.assertEqual(store.activity(), Logoff(0))  # Nothing changed.


class Errors(unittest.TestCase):
    def test_error_classes_and_names(self) -> None:
        self.assertEqual(uvmapi.hresult_name(uvmapi.MAPI_E_BUSY), "MAPI_E_BUSY")
        self.assertEqual(uvmapi.hresult_name(0x80040108), "MAPI_E_INVALID_OBJECT")
        error = uvmapi.errors.error_for(0x8004010B, "why")
        self.assertIsInstance(error, Busy)
        self.assertEqual((error.hresult, error.message), (uvmapi.MAPI_E_BUSY, "why"))
        self.assertIn("0x8004010B", str(error))
        unknown = uvmapi.errors.error_for(0x80001234, "?")
        self.assertIs(type(unknown), MapiError)
        for cls in (uvmapi.Timeout, UnknownFlags, InvalidObject, uvmapi.UnableToAbort):
            self.assertTrue(issubclass(cls, MapiError))


if __name__ == "__main__":
    unittest.main()
