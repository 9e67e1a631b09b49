"""The contract's conformance matrix, from the one shared case list
(tests/cases/logoff_cases.tsv, read at run time): one test method per line.

Each case builds its activity state on purpose with the scripted Python
transport (I = a message being received and held, O = a send held in flight,
Q = a message queued because the transport refuses more sends with
MAPI_E_BUSY), saves the flag with StoreLogoff, then releases the opener's
only reference with the one-call logoff. It checks the flags at return and
at the final outcome, when the opener was released, and where every message
ended after the transport finished what it still may.

"Released when control returns" is checked through what the ABI shows: the
final outcome arrives (released) without any further help from the
transport, whereas a case released only at the final outcome must still be
waiting when the transport is let finish.
"""

from __future__ import annotations

import unittest

from uvmapi import S_OK, Logoff

from .helpers import PATIENCE, Case, Harness, load_cases, locate, make_message

CASES = load_cases()


class ConformanceMatrix(unittest.TestCase):
    def test_case_list_is_complete(self) -> None:
        # 5 flags x 8 activity states x sole/shared, each exactly once.
        self.assertEqual(len(CASES), 80)
        keys = {(case.flag, case.activity, case.shared) for case in CASES}
        self.assertEqual(len(keys), 80)

    def run_case(self, case: Case) -> None:
        I, O, Q = Logoff.INBOUND, Logoff.OUTBOUND, Logoff.OUTBOUND_QUEUE
        with Harness() as harness:
            store = harness.open()
            transport = harness.transport()

            # Build the activity state.
            if case.activity & O:
                store.submit(make_message("o"))
            if case.activity & Q:
                transport.set_capacity(transport.sends_in_flight())
                store.submit(make_message("q"))
            if case.activity & I:
                transport.arrive(make_message("i"), begin=True)
            other = harness.open() if case.shared else None

            # StoreLogoff saves the flag and reports the activity, nothing more.
            self.assertEqual(store.store_logoff(case.flag), case.activity, "StoreLogoff output")

            pending = store.start_logoff(case.flag)
            if case.released in ("return", "never"):
                # Decided without the transport finishing anything.
                outcome = pending.wait(PATIENCE)
                self.assertEqual(outcome.released, case.released == "return", "released at return")
            else:
                self.assertFalse(pending.done, "released before the transport finished")
                self.assertFalse(transport.logged_off, "transport logged off before the drain")

            # Let the transport finish what it still may.
            transport.finish_everything()

            outcome = pending.wait(PATIENCE)
            self.assertEqual(outcome.requested, case.flag)
            self.assertEqual(outcome.status, S_OK)
            self.assertTrue(outcome.returned and outcome.finished)
            self.assertFalse(outcome.escalated)
            self.assertFalse(outcome.forced)
            self.assertEqual(outcome.flags_at_return, case.at_return, "flags at return")
            self.assertEqual(outcome.flags_at_final, case.at_final, "flags at final")
            self.assertEqual(outcome.released, case.released != "never", "released")
            # The runtime's on_logoff saw the same outcome.
            reported = harness.runtime.wait_for_logoffs(1, PATIENCE)
            self.assertEqual(reported[-1], outcome)
            self.assertEqual(reported[-1].store, "store")

            # Transports are logged off exactly when the store's last opener went.
            self.assertEqual(transport.logged_off, not case.shared and case.released != "never")

            reader = other if other is not None else harness.open()
            if case.activity & I:
                self.assertEqual(locate(self, harness, reader, transport, "i", True), case.inbound)
            if case.activity & O:
                self.assertEqual(locate(self, harness, reader, transport, "o", False), case.outbound)
            if case.activity & Q:
                self.assertEqual(locate(self, harness, reader, transport, "q", False), case.queued)
            reader.release()
            self.assertEqual(harness.runtime.callback_errors, [])


def _add_case(case: Case) -> None:
    def test(self: ConformanceMatrix) -> None:
        self.run_case(case)

    test.__name__ = f"test_{case.name}"
    test.__doc__ = f"logoff_cases.tsv line {case.line}: {case.name}"
    setattr(ConformanceMatrix, test.__name__, test)


for _case in CASES:
    _add_case(_case)
del _case


if __name__ == "__main__":
    unittest.main()
