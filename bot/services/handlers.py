"""The lifecycle's use cases (accept a quote, close a request, record a delivery…) and the table of what each
domain event sets off: follow-ups scheduled or cancelled, people told. Everything runs in the caller's
transaction, so a state change and its consequences commit together, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.db import saved_id
from bot.models import Invitation, Maker, Request
from bot.services import followups, notices
from bot.services.followups import FollowUpPolicy
from bot.services.orders import (
    Closing,
    Event,
    InvitationAnswered,
    InvitationExpired,
    InvitationStatus,
    MakerInvited,
    OrderLate,
    QuoteAccepted,
    QuoteReceived,
    QuoteRejected,
    RequestClosed,
    RequestOpened,
    RequestReopened,
    RequestStatus,
    move,
)
from matching import geo

# Each row pairs an event type with handlers of that type: the table, not the signature, keeps them matched.
Handler = Callable[[Session, Any, FollowUpPolicy], None]


def record(session: Session, event: Event, policy: FollowUpPolicy) -> None:
    """Note what happened in this transaction (`session.info["events"]`) and act on it at once, in order."""
    session.info.setdefault("events", []).append(event)
    for handler in HANDLERS[type(event)]:
        handler(session, event, policy)


# ── use cases ──


def send_request(session: Session, request: Request, now: datetime, policy: FollowUpPolicy, source: str = "") -> None:
    """A draft is sent to makers (who is invited is the caller's matching)."""
    move(request, RequestStatus.OPEN, now)
    record(session, RequestOpened(now=now, source=source, request=request), policy)


def reopen_request(session: Session, request: Request, now: datetime, policy: FollowUpPolicy, source: str) -> None:
    move(request, RequestStatus.OPEN, now)
    record(session, RequestReopened(now=now, source=source, request=request), policy)


def close_request(
    session: Session,
    request: Request,
    to: RequestStatus,
    why: Closing,
    now: datetime,
    policy: FollowUpPolicy,
    *,
    source: str,
    purpose: str = "",
) -> None:
    """Close the request to new answers — covered (`to` matched, why "filled"), cancelled or expired — and let
    the makers still on it go."""
    move(request, to, now)
    record(session, RequestClosed(now=now, source=source, request=request, why=why, purpose=purpose), policy)


def accept_quote(
    session: Session, invitation: Invitation, request: Request, now: datetime, policy: FollowUpPolicy, source: str
) -> int | None:
    """The buyer takes this maker's answer: the order commits the maker's quantity (at most what is still
    needed; a total quoted for more covers the part taken, pro rata). Returns the quantity ordered."""
    remaining = (request.quantity - request.quantity_committed) if request.quantity else None
    share = invitation.quantity_offered or remaining
    if remaining is not None and share is not None and share > remaining:
        if invitation.total_cents is not None and share:
            invitation.total_cents = round(invitation.total_cents * remaining / share)
        share = remaining
    move(invitation, InvitationStatus.ACCEPTED, now)
    invitation.accepted_at = now
    invitation.quantity_offered = share
    request.quantity_committed += share or 0
    request.updated_at = now
    record(session, QuoteAccepted(now=now, source=source, invitation=invitation, request=request), policy)
    return share


def covered(request: Request) -> bool:
    return request.quantity is None or request.quantity_committed >= request.quantity


def reject_quote(
    session: Session, invitation: Invitation, request: Request, now: datetime, policy: FollowUpPolicy, source: str
) -> None:
    move(invitation, InvitationStatus.LOST, now)
    record(session, QuoteRejected(now=now, source=source, invitation=invitation, request=request), policy)


def expire_invitation(session: Session, invitation: Invitation, now: datetime, policy: FollowUpPolicy) -> None:
    move(invitation, InvitationStatus.EXPIRED, now)
    record(session, InvitationExpired(now=now, invitation=invitation), policy)


def record_delivery(
    session: Session, invitation: Invitation, request: Request, now: datetime, *, by_buyer: bool = False
) -> None:
    """An order arrived (the maker's DONE or the buyer's "yes"): counted once, on time or not.

    On time means by the deadline's date where the goods were needed. The buyer is asked after the deadline,
    so their "yes" counts as on time unless the maker had said LATE.
    """
    if not move(invitation, InvitationStatus.DELIVERED, now):
        return
    invitation.delivered_at = now
    maker = session.get(Maker, invitation.maker_id)
    if maker is not None:
        maker.delivered_count += 1
        if not delivered_late(invitation, request, now, by_buyer=by_buyer):
            maker.on_time_count += 1
        maker.updated_at = now
    session.flush()
    still_open = session.exec(
        select(Invitation.id).where(Invitation.request_id == request.id, Invitation.status == InvitationStatus.ACCEPTED)
    ).first()
    if still_open is None and covered(request) and request.status == RequestStatus.MATCHED:
        move(request, RequestStatus.FULFILLED, now)


def delivered_late(invitation: Invitation, request: Request, delivered_at: datetime, *, by_buyer: bool) -> bool:
    """Whether an order delivered at `delivered_at` was late (record_delivery's rule, also read by the impact
    report): after the deadline's date where the goods were needed, or, confirmed by the buyer, when the maker
    had said LATE."""
    if by_buyer:
        return invitation.late_days is not None
    if request.deadline is None:
        return False
    place = geo.lookup_zip(request.zip) if request.zip else None
    zone = ZoneInfo(place.timezone) if place and place.timezone else None
    local_day = delivered_at.astimezone(zone).date() if zone else delivered_at.date()
    return local_day > request.deadline


def rate(session: Session, invitation: Invitation, stars: int, now: datetime) -> None:
    """The buyer's 1-5 after delivery, once: it counts in the maker's record."""
    invitation.rating = stars
    maker = session.get(Maker, invitation.maker_id)
    if maker is not None:
        maker.rating_sum += stars
        maker.rating_count += 1
        maker.updated_at = now


# ── the consequences of each event ──


def _schedule_expiry(session: Session, e: RequestOpened, policy: FollowUpPolicy) -> None:
    followups.on_opened(session, e.request, policy, e.now)


def _reschedule(session: Session, e: RequestReopened, policy: FollowUpPolicy) -> None:
    followups.on_reopened(session, e.request, policy, e.now)


def _follow_invitation(session: Session, e: MakerInvited, policy: FollowUpPolicy) -> None:
    followups.on_invited(session, e.invitation, policy, e.now)


def _stop_chasing(session: Session, e: InvitationAnswered, policy: FollowUpPolicy) -> None:
    followups.on_answered(session, e.invitation)


def _nudge_buyer_later(session: Session, e: QuoteReceived, policy: FollowUpPolicy) -> None:
    followups.on_quoted(session, e.request, policy, e.now)


def _check_in_on_order(session: Session, e: QuoteAccepted, policy: FollowUpPolicy) -> None:
    followups.on_accepted(session, e.invitation, e.request, policy, e.now)


def _no_nudge_after_expiry(session: Session, e: InvitationExpired, policy: FollowUpPolicy) -> None:
    followups.cancel(session, ("invite_nudge",), saved_id(e.invitation), "expired")


def _move_buyer_checkin(session: Session, e: OrderLate, policy: FollowUpPolicy) -> None:
    if e.days:
        followups.on_late(session, e.invitation, e.days)


def _let_makers_go(session: Session, e: RequestClosed, policy: FollowUpPolicy) -> None:
    notices.close_request(session, e)


def _tell(notice: Callable[[Session, Any], None]) -> Handler:
    return lambda session, event, _policy: notice(session, event)


HANDLERS: dict[type[Event], tuple[Handler, ...]] = {
    RequestOpened: (_schedule_expiry,),
    RequestReopened: (_reschedule,),
    MakerInvited: (_follow_invitation,),
    InvitationAnswered: (_stop_chasing,),
    QuoteReceived: (_nudge_buyer_later, _tell(notices.quote_to_buyer)),
    QuoteAccepted: (_check_in_on_order,),
    QuoteRejected: (_tell(notices.not_chosen),),
    InvitationExpired: (_no_nudge_after_expiry,),
    OrderLate: (_move_buyer_checkin, _tell(notices.late_to_buyer)),
    RequestClosed: (_let_makers_go,),
}
