"""What the dispatcher and a channel's sender say to each other: the message handed over, and what came of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """One message as a sender sees it."""

    id: int
    channel: str
    address: str
    text: str
    buttons: list[list[tuple[str, str]]] | None  # rows of (label, callback data)
    purpose: str
    attempt: int  # 1 for the first try
    # Set when this message replaces the text of one already sent: that message's provider id. A channel
    # that cannot edit sends the text as a new message.
    edit_of: str | None = None
    # Set when an earlier attempt may have gone out unrecorded (its process died mid-send, or the provider did
    # not answer in time): when it started. A sender with `find_sent` looks before sending again.
    uncertain_since: datetime | None = None
    # With `uncertain_since`: the provider ids already recorded for other messages to this address since then,
    # which therefore cannot be this one.
    known_provider_ids: frozenset[str] = frozenset()
    # A picture to send with the text (bot/media.py's key of a stored file): as MMS media or a Telegram photo, or
    # as a signed link in the text when `media_as_link` (numbers that take no MMS, PDFs).
    media_key: str | None = None
    media_as_link: bool = False


@dataclass(frozen=True)
class SendResult:
    provider_id: str | None  # Twilio's MessageSid, Telegram's message_id
    segments: int | None = None  # as the provider counted them, when it says


class SendError(Exception):
    """A send that did not happen. `retryable` decides between another attempt and failure."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        code: str | None = None,
        retry_after: float | None = None,
        recipient_gone: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable and not recipient_gone
        self.code = code
        self.retry_after = retry_after  # seconds the provider asked us to wait
        self.recipient_gone = recipient_gone  # opted out, blocked the bot, deactivated: never send again


class Sender(Protocol):
    """What the dispatcher needs from a channel.

    A sender may also have `async def find_sent(message) -> SendResult | None`: the provider's record of this
    message if an earlier, unrecorded attempt did send it (Twilio: its message list). The dispatcher asks it
    before retrying an uncertain attempt, so a crash between the provider's answer and our record does not
    send the message twice.
    """

    channel: str

    async def send(self, message: Outgoing) -> SendResult: ...

    async def aclose(self) -> None: ...


# Errors after which the provider may have the message anyway: the next attempt asks it first (`find_sent`).
UNCERTAIN_CODES = ("timeout", "connection", "interrupted", "lookup_failed")
# Messages that are edited after they are sent (a broadcast's progress line). Telegram refuses to edit a message
# sent with a reply keyboard, or with the removal of one, so a channel sends these with no keyboard markup.
EDITED_LATER = frozenset({"broadcast_progress"})
