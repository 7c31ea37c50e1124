"""What the parts of the SMS inbox share: the Inbox (bot/services/sms_inbox.py) sets them up and routes each text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.locales import Catalogue, catalogue
from bot.media import Stored
from bot.models import Maker, Request
from bot.services.followups import FollowUpPolicy
from bot.services.notices import Buttons
from matching.taxonomy import Taxonomy


class InboxParts:
    """The state of one incoming SMS, and what the Inbox provides its parts: replying to the sender, relaying to a
    buyer, remembering a question, and saying what a listing was understood as."""

    session: Session
    taxonomy: Taxonomy
    phone: str
    text: str
    message_id: str
    now: datetime
    maker: Maker | None
    policy: FollowUpPolicy
    zone: ZoneInfo
    language: str  # the sender's: the maker's own, or what a stranger's texts were taken for
    pictures: tuple[Stored, ...] = ()  # kept from an MMS (bot/channels/sms.py fetched them); passed on with a quote

    @property
    def t(self) -> Catalogue:
        """The catalogue every reply to the sender is written from."""
        return catalogue(self.maker.language if self.maker is not None else self.language)

    def reply(self, text: str) -> None:
        raise NotImplementedError

    def tell_buyer(
        self,
        request: Request,
        purpose: str,
        text: Callable[[Catalogue], str],
        buttons: Callable[[Catalogue], Buttons] | None = None,
    ) -> None:
        raise NotImplementedError

    def remember(self, state: str, **data: object) -> None:
        raise NotImplementedError

    def understood(self, phrases: list[str]) -> str:
        raise NotImplementedError

    def forward_broadcast_reply(self) -> bool:
        raise NotImplementedError
