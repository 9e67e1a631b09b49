"""``await store.logoff_async(...)``: uvmapi_store_logoff_async, its outcome
carried to the event loop with call_soon_threadsafe."""

from __future__ import annotations

import asyncio
import threading
import unittest

from uvmapi import Folder, InvalidObject, InvalidParameter, Logoff, Notify

from .helpers import PATIENCE, Harness, make_message

C, I, O, Q = Logoff.COMPLETE, Logoff.INBOUND, Logoff.OUTBOUND, Logoff.OUTBOUND_QUEUE


class AsyncLogoff(unittest.TestCase):
    def test_idle_store(self) -> None:
        async def main() -> None:
            with Harness() as harness:
                store = harness.open()
                outcome = await asyncio.wait_for(store.logoff_async(Logoff.ORDERLY), PATIENCE)
                self.assertEqual((outcome.flags_at_return, outcome.flags_at_final), (C, C))
                self.assertTrue(outcome.released)

        asyncio.run(main())

    def test_busy_store_does_not_block_the_event_loop(self) -> None:
        async def main() -> None:
            with Harness() as harness:
                store = harness.open()
                transport = harness.transport()
                store.submit(make_message("o"))
                transport.arrive(make_message("i"), begin=True)
                resumed_on = []
                logoff = asyncio.ensure_future(store.logoff_async(Logoff.NO_WAIT))
                logoff.add_done_callback(lambda _: resumed_on.append(threading.get_ident()))
                # The loop stays free while the logoff drains: this task runs.
                self.assertTrue(await asyncio.to_thread(transport.wait_note, Notify.END_INBOUND, PATIENCE))
                self.assertFalse(logoff.done())
                await asyncio.to_thread(transport.finish_everything)
                outcome = await asyncio.wait_for(logoff, PATIENCE)
                self.assertEqual(outcome.flags_at_return, C | I | O)
                self.assertEqual(outcome.flags_at_final, C)
                self.assertTrue(outcome.released)
                self.assertEqual(resumed_on, [threading.get_ident()])  # On the event loop's thread.
                reader = harness.open()
                self.assertEqual(reader.folder_count(Folder.SENT_ITEMS), 1)
                self.assertEqual(reader.folder_count(Folder.INBOX), 1)
                reader.release()

        asyncio.run(main())

    def test_several_stores_at_once(self) -> None:
        async def main() -> None:
            with Harness() as harness:
                stores = {flag: harness.open(f"store-{flag.name}") for flag in Logoff.modes()}
                shared = harness.open("store-ORDERLY")
                outcomes = await asyncio.wait_for(
                    asyncio.gather(*(store.logoff_async(flag) for flag, store in stores.items())),
                    PATIENCE,
                )
                for (flag, _store), outcome in zip(stores.items(), outcomes):
                    self.assertEqual(outcome.requested, flag)
                    self.assertEqual(outcome.store, f"store-{flag.name}")
                    self.assertEqual(outcome.flags_at_final, C)
                    self.assertTrue(outcome.released)
                self.assertFalse(harness.provider.session("store-ORDERLY").logged_off)  # Shared.
                shared.release()

        asyncio.run(main())

    def test_errors_are_raised_in_the_awaiting_task(self) -> None:
        async def main() -> None:
            with Harness() as harness:
                store = harness.open()
                with self.assertRaises(InvalidParameter):
                    await store.logoff_async(Logoff.NO_WAIT | Logoff.ABORT)
                await store.logoff_async(Logoff.ABORT)  # Nothing changed: this works.
                with self.assertRaises(InvalidObject):
                    await store.logoff_async(Logoff.ABORT)

        asyncio.run(main())

    def test_a_cancelled_await_leaves_the_logoff_running(self) -> None:
        async def main() -> None:
            with Harness() as harness:
                store = harness.open()
                transport = harness.transport()
                store.submit(make_message("o"))
                task = asyncio.ensure_future(store.logoff_async(Logoff.NO_WAIT))
                self.assertTrue(await asyncio.to_thread(transport.wait_note, Notify.END_INBOUND, PATIENCE))
                task.cancel()
                with self.assertRaises(asyncio.CancelledError):
                    await task
                await asyncio.to_thread(transport.finish_everything)
                (final,) = await asyncio.to_thread(harness.runtime.wait_for_logoffs, 1, PATIENCE)
                self.assertTrue(final.released)
                self.assertEqual(harness.runtime.callback_errors, [])

        asyncio.run(main())

    def test_an_outcome_for_a_closed_event_loop_is_reported(self) -> None:
        with Harness() as harness:
            store = harness.open()
            transport = harness.transport()
            store.submit(make_message("o"))

            async def start() -> None:
                task = asyncio.ensure_future(store.logoff_async(Logoff.NO_WAIT))
                await asyncio.to_thread(transport.wait_note, Notify.END_INBOUND, PATIENCE)
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

            loop = asyncio.new_event_loop()
            loop.run_until_complete(start())
            loop.close()  # The outcome still has to be delivered to it.
            with self.assertLogs("uvmapi", "ERROR"):
                transport.finish_everything()
                (error,) = harness.runtime.wait_for_callback_errors(1, PATIENCE)
            self.assertIsInstance(error.error, RuntimeError)  # "Event loop is closed"
            self.assertEqual(error.where, "logoff on_done")
            self.assertTrue(harness.runtime.wait_for_logoffs(1, PATIENCE)[0].released)


if __name__ == "__main__":
    unittest.main()
