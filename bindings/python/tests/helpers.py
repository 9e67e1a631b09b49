"""What every test needs: a runtime with the scripted Python transport, test
messages, the shared case list, and where a message is now."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import List

from uvmapi import Folder, Logoff, Message, Runtime, Store

from .scripted import ScriptedProvider, ScriptedTransport

# How long a test waits for something that must happen.
PATIENCE = 10.0
# Long enough never to pass in a healthy run; deadline tests set short ones.
NO_DEADLINE = 60.0

BINDING_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BINDING_DIR.parent.parent


def unavailable(test, why: str) -> None:
    """Skips a test whose prerequisite is missing, except under CTest
    (UVMAPI_TESTS_STRICT=1), where a skip would pass a test that never ran."""
    if os.environ.get("UVMAPI_TESTS_STRICT") == "1":
        test.fail(f"cannot run here: {why}")
    test.skipTest(why)


def make_message(body: str) -> Message:
    content = (
        "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: "
        + body
        + "\r\n\r\n"
        + body
        + "\r\n"
    )
    return Message("alice@example.org", ("bob@example.org",), content.encode())


def body_of(name: str) -> bytes:
    return make_message(name).content


# --- The shared case list ---------------------------------------------------

LETTERS = {"C": Logoff.COMPLETE, "I": Logoff.INBOUND, "O": Logoff.OUTBOUND, "Q": Logoff.OUTBOUND_QUEUE}


def letters_to_flags(text: str) -> Logoff:
    flags = Logoff(0)
    if text == "-":
        return flags
    for letter in text.split("|"):
        flags |= LETTERS[letter]
    return flags


@dataclass(frozen=True)
class Case:
    line: int
    flag: Logoff
    activity: Logoff
    shared: bool
    at_return: Logoff
    at_final: Logoff
    released: str  # return, final or never
    inbound: str  # inbox, source, sent, outbox or -
    outbound: str
    queued: str

    @property
    def name(self) -> str:
        activity = "idle" if not self.activity else "".join(
            letter for letter, bit in LETTERS.items() if bit != Logoff.COMPLETE and self.activity & bit
        )
        return f"{self.flag.name}_{activity}_{'shared' if self.shared else 'sole'}"


def cases_file() -> Path:
    given = os.environ.get("UVMAPI_CASES_FILE")
    return Path(given) if given else REPO_DIR / "tests" / "cases" / "logoff_cases.tsv"


def load_cases() -> List[Case]:
    """Reads tests/cases/logoff_cases.tsv at run time; any malformed line fails."""
    cases: List[Case] = []
    header_seen = False
    path = cases_file()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        if not header_seen:
            header_seen = True
            expected = ["flag", "activity", "opener", "at_return", "at_final", "released",
                        "inbound", "outbound", "queued"]
            if fields != expected:
                raise ValueError(f"{path}:{number}: unexpected columns {fields}")
            continue
        if len(fields) != 9:
            raise ValueError(f"{path}:{number}: {len(fields)} fields, expected 9")
        flag, activity, opener, at_return, at_final, released, inbound, outbound, queued = fields
        if opener not in ("sole", "shared") or released not in ("return", "final", "never"):
            raise ValueError(f"{path}:{number}: bad opener or released column")
        cases.append(Case(number, Logoff[flag], letters_to_flags(activity), opener == "shared",
                          letters_to_flags(at_return), letters_to_flags(at_final), released,
                          inbound, outbound, queued))
    return cases


# --- A runtime with the scripted transport -----------------------------------


class Harness:
    """A runtime with the scripted Python transport registered."""

    def __init__(self, drain: float = NO_DEADLINE, abort: float = NO_DEADLINE) -> None:
        self.provider = ScriptedProvider()
        self.runtime = Runtime(drain_deadline=drain, abort_deadline=abort)
        self.runtime.add_transport_provider(self.provider)

    def __enter__(self) -> "Harness":
        return self

    def __exit__(self, *exc: object) -> None:
        self.runtime.close()

    def open(self, name: str = "store") -> Store:
        return self.runtime.open_store(name)

    def transport(self, name: str = "store") -> ScriptedTransport:
        return self.provider.session(name)

    def count_in(self, folder: Folder, content: bytes, reader: Store) -> int:
        return sum(message.content == content for message in reader.messages(folder))


def locate(test, harness: Harness, reader: Store, transport: ScriptedTransport,
           name: str, inbound: bool) -> str:
    """Where the message is now (the case list's words), failing the test
    unless it is in exactly one place, and reached the peer exactly when it
    is in Sent Items."""
    content = body_of(name)
    places = []
    if inbound:
        counts = {"inbox": harness.count_in(Folder.INBOX, content, reader),
                  "source": transport.at_source(content)}
    else:
        counts = {"outbox": harness.count_in(Folder.OUTBOX, content, reader),
                  "sent": harness.count_in(Folder.SENT_ITEMS, content, reader)}
    for place, count in counts.items():
        test.assertLessEqual(count, 1, f"{name} is {count} times in {place}")
        if count:
            places.append(place)
    test.assertEqual(len(places), 1, f"{name} is in {places}: lost or duplicated")
    where = places[0]
    if not inbound:
        test.assertEqual(transport.delivered_count(content), 1 if where == "sent" else 0,
                         f"{name} reached the peer the wrong number of times")
    return where
