"""The order lifecycle: request → invitation → quote → order → delivery, as status enums with one table of the
moves each may make, and the domain events a move records.

Every status change in bot/ goes through `move`, which refuses a move the table does not allow. The values are
the strings stored in the database (see the CHECK constraints in bot/models.py). No user-facing text here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.models import Invitation, Request


class RequestStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"  # sent to makers, waiting for answers or a choice
    MATCHED = "matched"  # the quantity is covered by accepted answers; orders under way
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # closed for lack of answers or a choice; the buyer may reopen it


class InvitationStatus(StrEnum):
    INVITED = "invited"  # the maker was asked
    DECLINED = "declined"
    QUOTED = "quoted"  # the maker said yes (a quote), waiting for the buyer
    ACCEPTED = "accepted"  # the buyer took the quote: an order
    LOST = "lost"  # answered, but the job went elsewhere or closed
    DELIVERED = "delivered"
    EXPIRED = "expired"  # never answered


class Closing(StrEnum):
    """Why a request stopped taking answers (what the makers still on it are told)."""

    FILLED = "filled"  # covered by the orders taken
    CANCELLED = "cancelled"
    EXPIRED = "expired"


R, Inv = RequestStatus, InvitationStatus

# The one table of allowed moves. Staying in the same status is not a move (a second YES updates a quote).
REQUEST_MOVES: dict[RequestStatus, frozenset[RequestStatus]] = {
    R.DRAFT: frozenset({R.OPEN, R.CANCELLED}),
    R.OPEN: frozenset({R.MATCHED, R.CANCELLED, R.EXPIRED}),
    R.MATCHED: frozenset({R.FULFILLED, R.CANCELLED}),
    R.EXPIRED: frozenset({R.OPEN}),  # reopened by the buyer
    R.FULFILLED: frozenset(),
    R.CANCELLED: frozenset(),
}
INVITATION_MOVES: dict[InvitationStatus, frozenset[InvitationStatus]] = {
    Inv.INVITED: frozenset({Inv.QUOTED, Inv.DECLINED, Inv.EXPIRED}),
    Inv.QUOTED: frozenset({Inv.ACCEPTED, Inv.DECLINED, Inv.LOST}),
    Inv.DECLINED: frozenset({Inv.QUOTED}),  # a maker who said no may still say yes while the job is open
    Inv.ACCEPTED: frozenset({Inv.DELIVERED, Inv.LOST}),
    Inv.DELIVERED: frozenset(),
    Inv.LOST: frozenset(),
    Inv.EXPIRED: frozenset(),
}

# Groups the services ask about.
LIVE_REQUEST = (R.OPEN, R.MATCHED)
CLOSED_REQUEST = (R.CANCELLED, R.EXPIRED, R.FULFILLED)
AWAITING = (Inv.INVITED, Inv.QUOTED)  # a maker still to answer, or an answer still to be chosen
OPEN_INVITATION = (Inv.INVITED, Inv.QUOTED, Inv.ACCEPTED)  # the maker may still answer, or an order is under way
ANSWERED = (Inv.DECLINED, Inv.QUOTED, Inv.ACCEPTED, Inv.DELIVERED)
ORDERED = (Inv.ACCEPTED, Inv.DELIVERED)
ENDED_INVITATION = (Inv.EXPIRED, Inv.LOST)


class IllegalTransition(Exception):
    """A status change the lifecycle table does not allow: a bug in the caller, never a user's mistake."""

    def __init__(self, kind: str, entity_id: int | None, current: str, wanted: str) -> None:
        super().__init__(f"{kind} {entity_id}: {current} → {wanted} is not an allowed move")
        self.current, self.wanted = current, wanted


def move(entity: Request | Invitation, to: RequestStatus | InvitationStatus, now: datetime) -> bool:
    """Set `entity`'s status to `to` if the table allows it; False when it already was `to` (no change).

    Raises IllegalTransition otherwise.
    """
    if isinstance(entity, Request):
        table: Mapping[Any, frozenset[StrEnum]] = REQUEST_MOVES
        current: StrEnum = RequestStatus(entity.status)
        wanted: StrEnum = RequestStatus(to)
    else:
        table = INVITATION_MOVES
        current = InvitationStatus(entity.status)
        wanted = InvitationStatus(to)
    if current == wanted:
        return False
    if wanted not in table[current]:
        raise IllegalTransition(type(entity).__name__.lower(), entity.id, current, wanted)
    entity.status = wanted.value
    entity.updated_at = now
    return True


# ── domain events: what happened, recorded in the transaction of the change (see bot/services/handlers.py) ──


@dataclass(frozen=True, kw_only=True)
class Event:
    now: datetime
    source: str = ""  # what caused it, unique (an inbound message, a button press, a reminder firing)


@dataclass(frozen=True, kw_only=True)
class RequestOpened(Event):
    request: Request


@dataclass(frozen=True, kw_only=True)
class RequestReopened(Event):
    request: Request


@dataclass(frozen=True, kw_only=True)
class MakerInvited(Event):
    invitation: Invitation


@dataclass(frozen=True, kw_only=True)
class InvitationAnswered(Event):
    """The maker's first answer (yes or no) to an invitation."""

    invitation: Invitation


@dataclass(frozen=True, kw_only=True)
class QuoteReceived(Event):
    invitation: Invitation
    request: Request
    media_key: str | None = None  # a picture the maker sent with the answer (bot/media.py), shown to the buyer with it


@dataclass(frozen=True, kw_only=True)
class QuoteAccepted(Event):
    invitation: Invitation
    request: Request


@dataclass(frozen=True, kw_only=True)
class QuoteRejected(Event):
    """The buyer turned this maker's answer down."""

    invitation: Invitation
    request: Request


@dataclass(frozen=True, kw_only=True)
class InvitationExpired(Event):
    invitation: Invitation


@dataclass(frozen=True, kw_only=True)
class OrderLate(Event):
    invitation: Invitation
    request: Request
    days: int | None  # None: late, without saying how long


@dataclass(frozen=True, kw_only=True)
class RequestClosed(Event):
    """The request closed to new answers: covered (filled), cancelled or expired."""

    request: Request
    why: Closing
    purpose: str = ""  # a follow-up's kind of closing ("expired", "closed"), for the makers' SMS
