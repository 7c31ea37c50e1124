"""What a chat channel (Telegram, the sandbox) hands the buyer chat, and what it gets back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.config import DEFAULT_TIMEZONE
from bot.locales import Catalogue
from bot.media import Refused, Stored
from bot.models import Buyer, Maker, Request
from bot.services.console_access import ConsoleLinks
from bot.services.followups import FollowUpPolicy
from bot.services.notices import Buttons
from matching import geo
from matching.directory import Directory
from matching.emissions import DEFAULT_FACTORS, DEFAULT_ROUTE, Factors, ImportRoute
from matching.taxonomy import Taxonomy

SHARE_LOCATION = "@location"  # a button that sends the buyer's location (Telegram: request_location)
SHARE_CONTACT = "@contact"  # a button that shares the buyer's phone number (Telegram: request_contact)


@dataclass(frozen=True)
class ChatEvent:
    """One thing a buyer did, as any chat channel reports it."""

    channel: str
    event_id: str  # unique per event (Telegram: update_id): makes replies idempotent
    user_id: int
    chat_id: int
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None
    text: str | None = None
    command: str | None = None  # "start", "help", … (without the slash)
    args: str = ""  # what follows the command: "/maker +13135550101"
    location: tuple[float, float] | None = None
    contact_phone: str | None = None
    callback: str | None = None  # a pressed button's data
    # A photo or document that came with the message (its caption is `text`): kept (stored by the channel), or
    # refused with the reason the buyer is told.
    picture: Stored | None = None
    picture_refused: Refused | None = None


@dataclass(frozen=True)
class ChatConfig:
    max_invites: int = 5
    radius_miles: float = 50.0
    admin_ids: tuple[int, ...] = ()
    timezone: str = DEFAULT_TIMEZONE  # the bootstrap passes MAKERLINK_TIMEZONE
    sms_price_per_segment: float = 0.0079  # for the organisers' broadcast previews
    followups: FollowUpPolicy = field(default_factory=FollowUpPolicy)
    # The organisers' /stats estimates emissions avoided as `makerlink match` does: MAKERLINK_IMPACT_*.
    import_route: ImportRoute = DEFAULT_ROUTE
    emission_factors: Factors = DEFAULT_FACTORS
    console: ConsoleLinks | None = None  # the organisers' /console links; None: the console is off


@dataclass
class Answer:
    """What the channel shows the presser of a button at once (Telegram: the callback answer)."""

    toast: str | None = None
    alert: bool = False


class ChatParts:
    """What the parts of the buyer chat (drafting, orders) share; BuyerChat (bot/services/buyers.py) sets it up,
    and provides saying (`say`, `text_maker`) and the conversation state (`state`, `remember`, `forget`)."""

    session: Session
    taxonomy: Taxonomy
    directory: Callable[[], Directory]
    config: ChatConfig
    event: ChatEvent
    now: datetime
    today: date
    buyer: Buyer
    t: Catalogue
    pending_picture: Stored | None = None  # a picture whose caption is being read: kept with the request it opens

    def say(self, text: str, buttons: Buttons | None = None, purpose: str = "chat") -> None:
        raise NotImplementedError

    def text_maker(self, maker: Maker, text: str, purpose: str, request: Request) -> None:
        raise NotImplementedError

    def state(self) -> tuple[str | None, dict[str, Any]]:
        raise NotImplementedError

    def remember(self, state: str, **data: object) -> None:
        raise NotImplementedError

    def forget(self) -> None:
        raise NotImplementedError

    def on_place(self, place: geo.Place | None, problem: str) -> None:
        raise NotImplementedError

    # What one part asks of the other: drafting (bot/services/drafts.py) and orders (bot/services/buyer_orders.py).

    def describe(self, request: Request) -> str:
        raise NotImplementedError

    def _own_request(self, argument: str) -> Request | None:
        raise NotImplementedError

    def send_out(self, request: Request, sent: Callable[[int], str]) -> None:
        raise NotImplementedError

    def sent_text(self, request: Request) -> Callable[[int], str]:
        raise NotImplementedError
