"""Plain values that cross the ABI: messages and logoff outcomes."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Tuple

from . import _native
from .flags import S_OK, Logoff

__all__ = ["Message", "LogoffOutcome"]


@dataclass(frozen=True)
class Message:
    """An envelope plus RFC 5322 bytes. ``content`` may be given as str
    (encoded as UTF-8)."""

    sender: str = ""
    recipients: Sequence[str] = ()  # Kept as a tuple.
    content: bytes = b""

    def __post_init__(self) -> None:
        # Accept the natural spellings; store one canonical form.
        if isinstance(self.recipients, str):
            object.__setattr__(self, "recipients", (self.recipients,))
        else:
            object.__setattr__(self, "recipients", tuple(self.recipients))
        if isinstance(self.content, str):
            object.__setattr__(self, "content", self.content.encode("utf-8"))

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    # --- ABI conversions -----------------------------------------------------

    def to_c(self) -> "_CMessage":
        return _CMessage(self)

    @classmethod
    def from_c(cls, message: _native.MessageStruct) -> "Message":
        """Copies a C message (its memory is only valid during the call)."""
        sender = message.sender.decode("utf-8", "replace") if message.sender else ""
        recipients: List[str] = []
        for i in range(message.recipient_count if message.recipients else 0):
            value = message.recipients[i]
            recipients.append(value.decode("utf-8", "replace") if value else "")
        content = b""
        if message.content and message.content_size:
            content = ctypes.string_at(message.content, message.content_size)
        return cls(sender, tuple(recipients), content)


class _CMessage:
    """A uvmapi_message and the buffers it points to, kept together so they
    live exactly as long as the call that reads them."""

    def __init__(self, message: Message) -> None:
        self._sender = message.sender.encode("utf-8")
        self._recipients = (ctypes.c_char_p * max(1, len(message.recipients)))(
            *[r.encode("utf-8") for r in message.recipients]
        )
        self._content = ctypes.create_string_buffer(message.content, len(message.content) or 1)
        self.struct = _native.MessageStruct(
            _native.MESSAGE_VERSION,
            self._sender,
            self._recipients,
            len(message.recipients),
            ctypes.cast(self._content, ctypes.c_void_p),
            len(message.content),
        )

    @property
    def ref(self) -> Any:
        return ctypes.byref(self.struct)


def as_c_message(message: Optional[Message]) -> Tuple[Optional[_CMessage], Any]:
    """The converted message (keep it alive during the call) and the pointer
    to pass. None becomes NULL: the library answers MAPI_E_INVALID_PARAMETER."""
    if message is None:
        return None, None
    converted = message.to_c()
    return converted, converted.ref


@dataclass(frozen=True)
class LogoffOutcome:
    """What a logoff did, at the two moments the contract reports: when
    control returned to the caller, and finally.

    ``status`` is S_OK or MAPI_E_UNABLE_TO_ABORT (an abort that could not stop;
    the logoff did not happen). ``released``: the opener was released.
    ``escalated``: the drain deadline passed and the logoff became ABORT.
    ``forced``: runtime shutdown ended an opener that would not log off."""

    requested: Logoff
    status: int
    flags_at_return: Logoff
    flags_at_final: Logoff
    returned: bool
    finished: bool
    released: bool
    escalated: bool
    forced: bool
    store: Optional[str] = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == S_OK

    def raise_for_status(self) -> "LogoffOutcome":
        """Raises the MapiError of a failed status (UnableToAbort); else self."""
        if self.status < 0:
            from .errors import error_for

            raise error_for(self.status, "the logoff did not happen")
        return self

    @classmethod
    def from_c(cls, outcome: _native.OutcomeStruct, store: Optional[str] = None) -> "LogoffOutcome":
        return cls(
            requested=Logoff(outcome.requested),
            status=outcome.status,
            flags_at_return=Logoff(outcome.flags_at_return),
            flags_at_final=Logoff(outcome.flags_at_final),
            returned=bool(outcome.returned),
            finished=bool(outcome.finished),
            released=bool(outcome.released),
            escalated=bool(outcome.escalated),
            forced=bool(outcome.forced),
            store=store,
        )


def blank_outcome() -> _native.OutcomeStruct:
    outcome = _native.OutcomeStruct()
    outcome.version = _native.LOGOFF_OUTCOME_VERSION
    return outcome
