"""A sender that records what it was asked to send, and can be told to fail for chosen addresses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.outbox import Outgoing, SendError, SendResult


@dataclass
class RecordingSender:
    channel: str = "sms"
    sent: list[Outgoing] = field(default_factory=list)
    fail: Callable[[Outgoing], SendError | None] | None = None

    async def send(self, message: Outgoing) -> SendResult:
        if self.fail is not None and (error := self.fail(message)) is not None:
            raise error
        self.sent.append(message)
        return SendResult(provider_id=f"SM{message.id:032x}")

    async def aclose(self) -> None:
        return None

    def texts_to(self, address: str) -> list[str]:
        return [m.text for m in self.sent if m.address == address]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)
