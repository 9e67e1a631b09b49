"""The SMTP transport from Python: its options and their refusals, its
counters, and messages sent for real to smtp-sink by a PURGE logoff."""

from __future__ import annotations

import re
import unittest

import uvmapi
from uvmapi import (
    MAPI_E_INVALID_PARAMETER,
    MAPI_E_NETWORK_ERROR,
    Folder,
    InvalidParameter,
    Logoff,
    NetworkError,
    NotFound,
    Runtime,
    SmtpAuth,
    SmtpFlags,
    SmtpSecurity,
    SmtpStats,
    UnknownFlags,
    _native,
)
from uvmapi.errors import error_for

from .helpers import PATIENCE, REPO_DIR, make_message
from .smtp_sink import SmtpSink, refusing_port, require_smtp_sink

UNUSED_URL = "smtp://127.0.0.1:2525"  # Nothing here logs a store on.
MESSAGES = 3


class Constants(unittest.TestCase):
    def test_values_match_the_header(self) -> None:
        text = (REPO_DIR / "capi" / "include" / "uvmapi" / "smtp.h").read_text()
        defines = {
            name: int(value, 0)
            for name, value in re.findall(r"#define\s+(UVMAPI_SMTP_\w+)\s+(0x[0-9A-Fa-f]+|\d+)u?\b", text)
        }
        for enum, prefix in ((SmtpSecurity, "UVMAPI_SMTP_SECURITY_"), (SmtpAuth, "UVMAPI_SMTP_AUTH_")):
            names = {name[len(prefix):] for name in defines if name.startswith(prefix)}
            self.assertEqual(names, set(enum.__members__))
            for member in enum:
                self.assertEqual(defines[prefix + member.name], member.value, member)
        for member in SmtpFlags:
            self.assertEqual(defines["UVMAPI_SMTP_" + str(member.name)], member.value, member)
        self.assertEqual(defines["UVMAPI_SMTP_OPTIONS_VERSION"], _native.SMTP_OPTIONS_VERSION)
        self.assertEqual(defines["UVMAPI_SMTP_STATS_VERSION"], _native.SMTP_STATS_VERSION)

    def test_network_error_is_known(self) -> None:
        self.assertEqual(MAPI_E_NETWORK_ERROR & 0xFFFFFFFF, 0x80040115)
        error = error_for(MAPI_E_NETWORK_ERROR, "the server went away")
        self.assertIsInstance(error, NetworkError)
        self.assertEqual(error.name, "MAPI_E_NETWORK_ERROR")
        self.assertEqual(uvmapi.hresult_name(MAPI_E_NETWORK_ERROR), "MAPI_E_NETWORK_ERROR")


class Options(unittest.TestCase):
    def setUp(self) -> None:
        self.runtime = Runtime()
        self.addCleanup(self.runtime.close)

    def assert_nothing_added(self) -> None:
        with self.assertRaises(NotFound):
            self.runtime.smtp_stats("alice")

    def test_without_smtp_the_stats_are_not_found(self) -> None:
        with self.assertRaises(NotFound) as caught:
            self.runtime.smtp_stats("alice")
        self.assertIn("no SMTP transport", caught.exception.message)

    def test_defaults_and_zero_stats_before_a_logon(self) -> None:
        self.runtime.add_smtp_transport(UNUSED_URL, security="none")
        stats = self.runtime.smtp_stats("never-logged-on")
        self.assertEqual(stats, SmtpStats())
        self.assertEqual(stats.last_problem, "")

    def test_every_option_that_works_is_taken(self) -> None:
        self.runtime.add_smtp_transport(
            "smtps://user@localhost:4650",
            security=SmtpSecurity.NONE,
            tls_server_name="mail.example.test",
            password="not-shown",
            auth_mechanism=SmtpAuth.LOGIN,
            helo_name="client.example.test",
            verify=False,
            allow_plaintext_auth=True,
            pipelining=False,
            connections=4,
            connect_timeout=1,
            command_timeout=2,
            data_timeout=3,
            idle_timeout=0.01,
            retry_initial=0.05,
            retry_max=0.05,
        )
        self.assertEqual(self.runtime.smtp_stats("alice"), SmtpStats())

    def test_bad_values_are_refused_with_the_reason_and_nothing_added(self) -> None:
        rows = [
            ("", {}, "smtp://"),
            ("http://mail.example.test", {}, "smtp://"),
            ("smtp://", {}, "host"),
            ("smtp://mail.example.test:0", {}, "port"),
            ("smtp://mail.example.test/inbox", {}, "path"),
            (UNUSED_URL, {"security": 7}, "security"),
            (UNUSED_URL, {"auth_mechanism": 9}, "auth_mechanism"),
            (UNUSED_URL, {"username": "alice"}, "password"),
            (UNUSED_URL, {"password": "secret-alone"}, "user name"),
            (UNUSED_URL, {"helo_name": "not a host!"}, "EHLO"),
            (UNUSED_URL, {"retry_initial": 600}, "retry"),
            (UNUSED_URL, {"security": "starttls", "ca_file": "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"),
            (UNUSED_URL, {"url_nul": True}, "NUL"),
        ]
        for url, options, mention in rows:
            with self.subTest(url=url, options=options):
                if options.pop("url_nul", False):
                    url = "smtp://mail\0.example.test"
                options.setdefault("security", "none")
                with self.assertRaises(InvalidParameter) as caught:
                    self.runtime.add_smtp_transport(url, **options)
                self.assertEqual(caught.exception.hresult, MAPI_E_INVALID_PARAMETER)
                self.assertIn(mention, caught.exception.message)
                self.assertNotIn("secret", str(caught.exception))
                self.assert_nothing_added()

    def test_a_password_in_the_url_is_refused_and_never_repeated(self) -> None:
        for url in (
            "smtp://alice:Pa55-w0rd@mail.example.test",
            "smtp://alice:Pa55-w0rd@mail.example.test/path",
            "smtp://alice:Pa55/w0rd@mail.example.test",
            "ftp://alice:Pa55-w0rd@mail.example.test",
        ):
            with self.subTest(url=url):
                with self.assertRaises(InvalidParameter) as caught:
                    self.runtime.add_smtp_transport(url, security="none")
                self.assertNotIn("Pa55", str(caught.exception))
                self.assertNotIn("w0rd", repr(caught.exception))
                self.assert_nothing_added()

    def test_python_side_refusals(self) -> None:
        with self.assertRaises(ValueError):
            self.runtime.add_smtp_transport(UNUSED_URL, security="rot13")
        with self.assertRaises(ValueError):
            self.runtime.add_smtp_transport(UNUSED_URL, idle_timeout=0)  # 0 would mean the default.
        with self.assertRaises(ValueError):
            self.runtime.add_smtp_transport(UNUSED_URL, connections=0)
        with self.assertRaises(TypeError):
            self.runtime.add_smtp_transport(UNUSED_URL, pasword="typo")  # type: ignore[call-arg]
        with self.assertRaises(TypeError):
            self.runtime.add_smtp_transport(UNUSED_URL, username=b"bytes")
        self.assert_nothing_added()

    def test_unknown_flag_bits_reach_the_library_as_unknown_flags(self) -> None:
        from ctypes import byref

        from uvmapi.smtp import options_struct

        options = options_struct(UNUSED_URL, security="none")
        options.flags = 0x100
        lib = _native.lib()
        with self.assertRaises(UnknownFlags):
            _native.check(lib.uvmapi_runtime_add_smtp_transport(self.runtime.handle, byref(options)))
        self.assert_nothing_added()

    def test_after_shutdown(self) -> None:
        self.runtime.add_smtp_transport(UNUSED_URL, security="none")
        self.runtime.shutdown()
        with self.assertRaises(uvmapi.CallFailed):
            self.runtime.add_smtp_transport(UNUSED_URL, security="none")
        self.assertEqual(self.runtime.smtp_stats("alice"), SmtpStats())


def purge(runtime: Runtime, name: str = "alice") -> uvmapi.LogoffOutcome:
    """Submits MESSAGES messages to a fresh store and logs it off with PURGE."""
    store = runtime.open_store(name)
    for i in range(MESSAGES):
        store.submit(make_message(f"smtp message {i}"))
    return store.logoff(Logoff.PURGE, timeout=PATIENCE * 3)


class Sending(unittest.TestCase):
    def test_purge_delivers_the_outbox_to_smtp_sink(self) -> None:
        program = require_smtp_sink(self)
        with SmtpSink(program) as sink, Runtime(drain_deadline=60) as runtime:
            runtime.add_smtp_transport(sink.url, security="none", helo_name="python.example.test")
            outcome = purge(runtime)
            self.assertTrue(outcome.released)
            self.assertEqual(outcome.flags_at_final, Logoff.COMPLETE)

            # The in-memory store outlives its opener: look at it again.
            with runtime.open_store("alice") as again:
                self.assertEqual(again.folder_count(Folder.OUTBOX), 0)
                sent = again.messages(Folder.SENT_ITEMS)
                self.assertEqual(len(sent), MESSAGES)
                # A Store names its store as well as its name does.
                self.assertEqual(runtime.smtp_stats(again), runtime.smtp_stats("alice"))

            dumps = sink.wait_for(MESSAGES)
            self.assertEqual(len(dumps), MESSAGES)
            for i in range(MESSAGES):
                self.assertEqual(sum(f"Subject: smtp message {i}" in d for d in dumps), 1, dumps)
            self.assertTrue(all("X-Helo-Args: python.example.test" in d for d in dumps))

            stats = runtime.smtp_stats("alice")
            self.assertEqual(stats.messages_sent, MESSAGES)
            self.assertEqual(stats.recipients_accepted, MESSAGES)
            self.assertEqual((stats.messages_deferred, stats.messages_failed), (0, 0))
            self.assertEqual(stats.connections_failed, 0)
            self.assertGreaterEqual(stats.connections_opened, 1)

    def test_server_down_leaves_the_outbox_queued(self) -> None:
        holder = refusing_port()
        self.addCleanup(holder.close)
        url = f"smtp://127.0.0.1:{holder.getsockname()[1]}"
        with Runtime(drain_deadline=60) as runtime:
            runtime.add_smtp_transport(url, security="none", connect_timeout=5)
            outcome = purge(runtime)
            self.assertTrue(outcome.released)
            self.assertFalse(outcome.forced)
            self.assertTrue(outcome.flags_at_final & Logoff.OUTBOUND_QUEUE)
            with runtime.open_store("alice") as again:
                self.assertEqual(again.folder_count(Folder.OUTBOX), MESSAGES)
                self.assertEqual(again.folder_count(Folder.SENT_ITEMS), 0)
            stats = runtime.smtp_stats("alice")
            self.assertEqual(stats.messages_sent, 0)
            self.assertGreaterEqual(stats.connections_failed, 1)
            self.assertGreaterEqual(stats.messages_deferred, MESSAGES)
            self.assertNotEqual(stats.last_problem, "")


if __name__ == "__main__":
    unittest.main()
