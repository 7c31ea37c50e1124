"""What the bot is waiting for from one person: a state and its data, per flow, in the `conversation` table.

One person may be in several flows at once (an organiser composing a broadcast keeps their request draft), so
a row is keyed by channel, address and flow. Rows live in the database, not in memory, so any web process can
take the person's next message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from bot.models import Conversation, as_utc


class Flow(StrEnum):
    BUYER_CHAT = "buyer_chat"  # a buyer's draft request, the field being asked
    SMS_INBOX = "sms_inbox"  # a stranger signing up by SMS, a maker choosing between job codes
    BROADCAST = "broadcast"  # an organiser's guided /broadcast


@dataclass(frozen=True)
class Pending:
    """Where a flow stands with one person."""

    state: str
    data: dict[str, Any]


class ConversationStore:
    """One person's row in one flow, inside the caller's transaction. With a `ttl`, a row untouched for longer
    is forgotten when next read: a half-finished exchange that old would only confuse."""

    def __init__(
        self,
        session: Session,
        flow: Flow,
        channel: str,
        address: str,
        now: datetime,
        ttl: timedelta | None = None,
    ) -> None:
        self.session = session
        self.flow = flow
        self.channel = channel
        self.address = address
        self.now = now
        self.ttl = ttl

    def _row(self) -> Conversation | None:
        return self.session.exec(
            select(Conversation).where(
                Conversation.channel == self.channel,
                Conversation.address == self.address,
                Conversation.flow == self.flow.value,
            )
        ).first()

    def get(self) -> Pending | None:
        row = self._row()
        if row is None:
            return None
        if self.ttl is not None and as_utc(row.updated_at) < self.now - self.ttl:
            self.session.delete(row)
            return None
        return Pending(row.state, json.loads(row.data))

    def remember(self, state: str, data: Mapping[str, Any] | None = None) -> None:
        """Set the state and replace its data (a stale row is overwritten, not deleted and added again)."""
        row = self._row()
        if row is None:
            row = Conversation(channel=self.channel, address=self.address, flow=self.flow.value, state=state)
            self.session.add(row)
        row.state = state
        row.data = json.dumps(dict(data or {}), ensure_ascii=False)
        row.updated_at = self.now

    def forget(self) -> None:
        row = self._row()
        if row is not None:
            self.session.delete(row)
