"""The built-in SMTP transport (uvmapi/smtp.h): its options, read from
keyword arguments of :meth:`uvmapi.Runtime.add_smtp_transport`, and its
counters, :class:`SmtpStats`. docs/smtp.md describes the transport."""

from __future__ import annotations

import enum
from ctypes import byref
from dataclasses import dataclass, fields
from typing import Any, Optional, Union

from . import _native
from .errors import InvalidParameter
from .flags import MAPI_E_INVALID_PARAMETER

__all__ = ["SmtpSecurity", "SmtpAuth", "SmtpFlags", "SmtpStats"]


class SmtpSecurity(enum.IntEnum):
    """How the connection is secured (UVMAPI_SMTP_SECURITY_*). DEFAULT: as
    the URL says (smtp:// is STARTTLS, smtps:// TLS from the first byte)."""

    DEFAULT = 0
    NONE = 1
    STARTTLS = 2
    IMPLICIT = 3


class SmtpAuth(enum.IntEnum):
    """The SASL mechanism (UVMAPI_SMTP_AUTH_*). ANY: PLAIN if offered, else LOGIN."""

    ANY = 0
    PLAIN = 1
    LOGIN = 2


class SmtpFlags(enum.IntFlag):
    """uvmapi_smtp_options.flags; the keyword arguments of add_smtp_transport set them."""

    NO_VERIFY = 0x1
    ALLOW_PLAINTEXT_AUTH = 0x2
    NO_PIPELINING = 0x4


@dataclass(frozen=True)
class SmtpStats:
    """What the SMTP sessions of one store did, summed over its logons
    (uvmapi_smtp_stats). ``last_problem`` is the newest problem, for humans,
    or "" (it never holds a password)."""

    connections_opened: int = 0
    connections_failed: int = 0
    transactions: int = 0
    messages_sent: int = 0
    messages_deferred: int = 0
    messages_failed: int = 0
    recipients_accepted: int = 0
    recipients_deferred: int = 0
    recipients_refused: int = 0
    reports_delivered: int = 0
    cancels: int = 0
    retries_scheduled: int = 0
    last_problem: str = ""

    @classmethod
    def from_c(cls, stats: _native.SmtpStats) -> "SmtpStats":
        values: dict = {}
        for field in fields(cls):
            if field.name == "last_problem":
                values[field.name] = stats.last_problem.decode("utf-8", "replace")
            else:
                values[field.name] = int(getattr(stats, field.name))
        return cls(**values)


def _refuse(what: str) -> InvalidParameter:
    # Raised before the library is called, with the library's error class,
    # so that a caller handles one kind of failure whoever noticed it.
    return InvalidParameter(MAPI_E_INVALID_PARAMETER, what)


def _text(value: Optional[str], what: str) -> Optional[bytes]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str or None, not {type(value).__name__}")
    encoded = value.encode("utf-8")
    if b"\0" in encoded:
        # C would stop at the NUL and use something else than was given.
        raise _refuse(f"{what} contains a NUL character")
    return encoded


def _ms(seconds: Optional[float], what: str) -> int:
    if seconds is None:
        return 0  # The library's default.
    milliseconds = round(seconds * 1000)
    if not 1 <= milliseconds <= 0xFFFFFFFF:
        # 0 would silently mean "the default" to the library.
        raise ValueError(f"{what} must be between 1 ms and 2**32 - 1 ms, not {seconds!r} s")
    return milliseconds


def _security(value: Union[SmtpSecurity, str, int, None]) -> int:
    if value is None:
        return int(SmtpSecurity.DEFAULT)
    if isinstance(value, str):
        try:
            return int(SmtpSecurity[value.upper().replace("-", "_")])
        except KeyError:
            raise ValueError(
                f"security must be one of default, none, starttls, implicit, not {value!r}"
            ) from None
    return int(value)  # A bad number is the library's to refuse, with its reason.


def options_struct(
    url: str,
    *,
    security: Union[SmtpSecurity, str, int, None] = None,
    ca_file: Optional[str] = None,
    tls_server_name: Optional[str] = None,
    username: Optional[str] = None,
    password: Optional[str] = None,
    auth_mechanism: Union[SmtpAuth, int] = SmtpAuth.ANY,
    helo_name: Optional[str] = None,
    verify: bool = True,
    allow_plaintext_auth: bool = False,
    pipelining: bool = True,
    connections: Optional[int] = None,
    connect_timeout: Optional[float] = None,
    command_timeout: Optional[float] = None,
    data_timeout: Optional[float] = None,
    idle_timeout: Optional[float] = None,
    retry_initial: Optional[float] = None,
    retry_max: Optional[float] = None,
) -> _native.SmtpOptions:
    """The uvmapi_smtp_options for add_smtp_transport's arguments. ctypes
    keeps the encoded strings alive as long as the struct."""
    options = _native.SmtpOptions()
    _native.check(_native.lib().uvmapi_smtp_options_init(byref(options), _native.SMTP_OPTIONS_VERSION))
    if url is None:
        raise _refuse("the SMTP URL is required")
    options.url = _text(url, "url")
    options.security = _security(security)
    flags = SmtpFlags(0)
    if not verify:
        flags |= SmtpFlags.NO_VERIFY
    if allow_plaintext_auth:
        flags |= SmtpFlags.ALLOW_PLAINTEXT_AUTH
    if not pipelining:
        flags |= SmtpFlags.NO_PIPELINING
    options.flags = int(flags)
    options.ca_file = _text(ca_file, "ca_file")
    options.tls_server_name = _text(tls_server_name, "tls_server_name")
    options.username = _text(username, "username")
    options.password = _text(password, "password")
    options.auth_mechanism = int(auth_mechanism)
    options.helo_name = _text(helo_name, "helo_name")
    if connections is not None and not 1 <= connections <= 0xFFFFFFFF:
        raise ValueError(f"connections must be between 1 and 2**32 - 1, not {connections!r}")
    options.connections = connections or 0
    options.connect_timeout_ms = _ms(connect_timeout, "connect_timeout")
    options.command_timeout_ms = _ms(command_timeout, "command_timeout")
    options.data_timeout_ms = _ms(data_timeout, "data_timeout")
    options.idle_timeout_ms = _ms(idle_timeout, "idle_timeout")
    options.retry_initial_ms = _ms(retry_initial, "retry_initial")
    options.retry_max_ms = _ms(retry_max, "retry_max")
    return options


def read_stats(runtime_pointer: Any, store_name: str) -> SmtpStats:
    stats = _native.SmtpStats()
    stats.version = _native.SMTP_STATS_VERSION
    name = _text(store_name, "store name")
    _native.check(_native.lib().uvmapi_runtime_smtp_stats(runtime_pointer, name, byref(stats)))
    return SmtpStats.from_c(stats)
