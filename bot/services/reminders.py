"""Follow-ups until the order is done: reminders are rows, created in the transaction of the state change that
causes them, and fired once by a worker's tick.

Every handler re-checks the state at firing time, so a reminder made moot by a later change (the maker
answered, the request was cancelled) is skipped rather than sent, and one that fires late because the bot was
down goes out once, late, if it still makes sense — each handler says which of the two it does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.db import saved_id
from bot.locales import Catalogue, catalogue
from bot.models import Invitation, Maker, MakerStatus, MessageStatus, OutboundMessage, Reminder, Request, as_utc
from bot.services import handlers, notices
from bot.services.followups import FollowUpPolicy, schedule
from bot.services.makers import is_available
from bot.services.notices import Buttons
from bot.services.orders import (
    ANSWERED,
    LIVE_REQUEST,
    OPEN_INVITATION,
    ORDERED,
    Closing,
    InvitationStatus,
    RequestStatus,
)
from bot.services.requests import invite, rematch
from matching.directory import Directory

# Tests and scripts still reach the follow-up policy and scheduling through this module.
from bot.services.followups import cancel, on_quoted  # noqa: F401  isort: skip

log = logging.getLogger(__name__)


@dataclass
class Context:
    """What a firing handler may use."""

    session: Session
    now: datetime
    policy: FollowUpPolicy
    directory: Callable[[], Directory]
    event: str  # unique per firing: makes the messages idempotent


class Moot(StrEnum):
    """Why a reminder that came due was skipped, in kinds a person can be told (bot/texts.py SKIP_REASONS)."""

    ANSWERED = "answered"  # the maker or buyer had already answered, chosen or confirmed
    CLOSED = "closed"  # the request or invitation had closed, or the request was covered
    HELD = "held"  # the invitation is still held in the outbox; the reminder moves later
    SUPERSEDED = "superseded"  # a later step due at the same time does its job
    NO_CHAT = "no_chat"  # the buyer has no chat to be told in
    PAUSED = "paused"  # the maker takes no jobs now
    ERROR = "error"


class Skip(Exception):
    """The reminder no longer makes sense; the message says why (kept on the reminder), `why` which kind of
    reason it is."""

    def __init__(self, message: str, why: Moot) -> None:
        super().__init__(message)
        self.why = why


def _moot(invitation: Invitation, request: Request) -> Skip:
    """A follow-up on an invitation the maker answered, or that closed with its request."""
    answered = request.status == RequestStatus.OPEN and invitation.status in ANSWERED
    return Skip(f"invitation {invitation.status}, request {request.status}", Moot.ANSWERED if answered else Moot.CLOSED)


def _invitation(ctx: Context, reminder: Reminder) -> tuple[Invitation, Request, Maker]:
    invitation = ctx.session.get(Invitation, reminder.target_id)
    if invitation is None:
        raise Skip("the invitation is gone", Moot.CLOSED)
    request = ctx.session.get(Request, invitation.request_id)
    maker = ctx.session.get(Maker, invitation.maker_id)
    if request is None or maker is None:
        raise Skip("the request or maker is gone", Moot.CLOSED)
    return invitation, request, maker


def _sms(ctx: Context, maker: Maker, text: str, purpose: str, request: Request | None = None) -> None:
    request_id = request.id if request else None
    key = f"{purpose}:{ctx.event}"
    notices.sms_maker(
        ctx.session, maker, text, purpose=purpose, key=key, now=ctx.now, request_id=request_id, followup=True
    )


def _chat(
    ctx: Context,
    request: Request,
    purpose: str,
    text: Callable[[Catalogue], str],
    buttons: Callable[[Catalogue], Buttons] | None = None,
) -> bool:
    return notices.tell_buyer(ctx.session, request, purpose, f"{purpose}:{ctx.event}", text, buttons, ctx.now)


def _lock(ctx: Context, request: Request) -> None:
    """Serialise with the buyer's own actions on this request (a web process may be inviting too)."""
    if ctx.session.get_bind().dialect.name == "postgresql":
        ctx.session.execute(sa.select(col(Request.id)).where(col(Request.id) == request.id).with_for_update())
        ctx.session.refresh(request)


def _not_sent_yet(ctx: Context, invitation: Invitation, reminder: Reminder, delay: timedelta) -> bool:
    """The invitation SMS is still held (quiet hours, rate): the maker cannot be late yet, so the follow-up
    moves to `delay` after now instead of firing."""
    sent = ctx.session.exec(
        select(OutboundMessage.status).where(OutboundMessage.idempotency_key == f"invitation:{invitation.id}")
    ).first()
    if sent in (MessageStatus.QUEUED, MessageStatus.ERRORED):
        schedule(
            ctx.session,
            reminder.kind,
            saved_id(invitation),
            ctx.now + delay,
            ctx.now,
            key=f"{reminder.kind}:{invitation.id}:{int(ctx.now.timestamp())}",
        )
        return True
    return False


def fire_invite_nudge(ctx: Context, reminder: Reminder) -> str:
    """Late is fine while the invitation is open, unless its expiry is due too: then the nudge is skipped."""
    invitation, request, maker = _invitation(ctx, reminder)
    if invitation.status != InvitationStatus.INVITED or request.status != RequestStatus.OPEN:
        raise _moot(invitation, request)
    if as_utc(invitation.invited_at) + ctx.policy.expire_invitation_after <= ctx.now:
        raise Skip("the invitation expires now; a nudge would come too late", Moot.SUPERSEDED)
    if _not_sent_yet(ctx, invitation, reminder, ctx.policy.nudge_maker_after):
        raise Skip("the invitation has not gone out yet; moved", Moot.HELD)
    t = catalogue(maker.language)
    what = notices.invitation_sms_what(request, t=t)
    _sms(ctx, maker, t.SMS_NUDGE.format(code=request.code, what=what), "nudge", request)
    return "nudged the maker"


def fire_invite_expire(ctx: Context, reminder: Reminder) -> str:
    """Late is fine: the silent maker's invitation closes and the next-ranked maker is asked."""
    invitation, request, _maker = _invitation(ctx, reminder)
    _lock(ctx, request)
    if invitation.status != InvitationStatus.INVITED or request.status != RequestStatus.OPEN:
        raise _moot(invitation, request)
    if _not_sent_yet(ctx, invitation, reminder, ctx.policy.expire_invitation_after):
        raise Skip("the invitation has not gone out yet; moved", Moot.HELD)
    handlers.expire_invitation(ctx.session, invitation, ctx.now, ctx.policy)
    matches = rematch(ctx.session, request, ctx.directory(), ctx.now.date())
    invited = invite(ctx.session, request, matches, ctx.now, limit=1, policy=ctx.policy)
    if invited:
        _chat(ctx, request, "replaced", lambda t: t.BUYER_MAKER_REPLACED.format(rank=invitation.rank))
        return f"expired; invited maker {invited[0][1].id}"
    if notices.nobody_left(ctx.session, request):
        notices.tell_buyer_uncovered(ctx.session, request, f"all_declined:{ctx.event}", ctx.now)
    return "expired; nobody else to ask"


def fire_buyer_nudge(ctx: Context, reminder: Reminder) -> str:
    """Late is fine while answers still wait; then the request goes quiet after a while."""
    request = ctx.session.get(Request, reminder.target_id)
    if request is None or request.status != RequestStatus.OPEN:
        raise Skip("the request is not open", Moot.CLOSED)
    quoted = ctx.session.exec(
        select(Invitation)
        .where(Invitation.request_id == request.id, Invitation.status == InvitationStatus.QUOTED)
        .order_by(col(Invitation.rank))
    ).all()
    if not quoted:
        raise Skip("no answer is waiting", Moot.ANSWERED)
    sent = _chat(
        ctx,
        request,
        "buyer_nudge",
        lambda t: t.BUYER_NUDGE.format(
            code=request.code, count=len(quoted), answers="\n".join(notices.quote_line(i, t) for i in quoted)
        ),
        lambda t: [[(t.BUTTON_ACCEPT + f" {i.rank}", f"accept:{i.id}")] for i in quoted],
    )
    if not sent:
        raise Skip("no buyer chat", Moot.NO_CHAT)
    schedule(ctx.session, "request_quiet", saved_id(request), ctx.now + ctx.policy.quiet_request_after, ctx.now)
    return f"nudged the buyer about {len(quoted)} answers"


def _close(
    ctx: Context, request: Request, purpose: str, buyer_purpose: str, buyer_text: Callable[[Catalogue], str]
) -> None:
    """Expire the request: the makers are told, the buyer is offered to reopen it."""
    handlers.close_request(
        ctx.session,
        request,
        RequestStatus.EXPIRED,
        Closing.EXPIRED,
        ctx.now,
        ctx.policy,
        source=ctx.event,
        purpose=purpose,
    )
    _chat(ctx, request, buyer_purpose, buyer_text, lambda t: [[(t.BUTTON_REOPEN, f"reopen:{request.id}")]])


def fire_request_quiet(ctx: Context, reminder: Reminder) -> str:
    """The buyer never chose: the request goes quiet, with an offer to reopen. Skipped once they acted."""
    request = ctx.session.get(Request, reminder.target_id)
    if request is None or request.status != RequestStatus.OPEN:
        raise Skip("the request moved on", Moot.CLOSED)
    if request.quantity_committed:
        raise Skip("the buyer chose", Moot.ANSWERED)
    quoted = ctx.session.exec(
        select(Invitation.id).where(Invitation.request_id == request.id, Invitation.status == InvitationStatus.QUOTED)
    ).first()
    if quoted is None:
        raise Skip("no answer is waiting", Moot.ANSWERED)
    _close(ctx, request, "closed", "request_quiet", lambda t: t.BUYER_REQUEST_QUIET.format(code=request.code))
    return "closed for lack of a choice"


def fire_request_expire(ctx: Context, reminder: Reminder) -> str:
    """A stale open request expires; both sides are told. Skipped if it was matched, fulfilled or cancelled."""
    request = ctx.session.get(Request, reminder.target_id)
    if request is None or request.status != RequestStatus.OPEN:
        raise Skip("the request is not open", Moot.CLOSED)
    if request.quantity_committed:
        raise Skip("part of it is on order; the check-ins follow that", Moot.ANSWERED)
    _close(ctx, request, "expired", "request_expired", lambda t: t.BUYER_REQUEST_EXPIRED.format(code=request.code))
    return "expired"


def fire_maker_checkin(ctx: Context, reminder: Reminder) -> str:
    """Before the deadline; if the bot was down past the deadline it still asks (DONE or LATE is the answer)."""
    invitation, request, maker = _invitation(ctx, reminder)
    if invitation.status != InvitationStatus.ACCEPTED or request.status not in LIVE_REQUEST:
        delivered = invitation.status == InvitationStatus.DELIVERED  # DONE came first
        raise Skip(f"invitation {invitation.status}", Moot.ANSWERED if delivered else Moot.CLOSED)
    due = request.deadline
    t = catalogue(maker.language)
    when = t.short_date(due) if due else t.SMS_DUE_OPEN
    what = notices.invitation_sms_what(request, invitation.quantity_offered, t)
    _sms(ctx, maker, t.SMS_CHECKIN.format(code=request.code, when=when, what=what), "checkin", request)
    return "asked the maker"


def fire_buyer_checkin(ctx: Context, reminder: Reminder) -> str:
    """After the deadline: did it arrive? Skipped once the buyer confirmed, or the request was cancelled."""
    invitation, request, maker = _invitation(ctx, reminder)
    if invitation.status not in ORDERED or request.status == RequestStatus.CANCELLED:
        raise Skip(f"invitation {invitation.status}, request {request.status}", Moot.CLOSED)
    if invitation.buyer_confirmed_at is not None:
        raise Skip("the buyer confirmed it", Moot.ANSWERED)
    quantity = invitation.quantity_offered
    sent = _chat(
        ctx,
        request,
        "buyer_checkin",
        lambda t: t.BUYER_CHECKIN.format(
            what=notices.invitation_sms_what(request, quantity, t), name=maker.name, code=request.code
        ),
        lambda t: [
            [
                (t.BUTTON_ARRIVED, f"arrived:{invitation.id}"),
                (t.BUTTON_NOT_YET, f"notyet:{invitation.id}"),
                (t.BUTTON_PROBLEM, f"problem:{invitation.id}"),
            ]
        ],
    )
    if not sent:
        raise Skip("no buyer chat", Moot.NO_CHAT)
    return "asked the buyer"


def fire_freshness(ctx: Context, reminder: Reminder) -> str:
    """Still taking orders? Asked twice, a grace period apart; then the listing is paused (and how to resume
    is said). Skipped as soon as the maker has written since the first ask."""
    maker = ctx.session.get(Maker, reminder.target_id)
    if maker is None or not is_available(maker, ctx.now):
        raise Skip("not taking jobs anyway", Moot.PAUSED)
    step = reminder.key.rsplit(":", 1)[-1]
    asked_at = as_utc(reminder.created_at) if step != "ask" else ctx.now
    seen = as_utc(maker.last_seen_at)
    if step != "ask" and seen is not None and seen >= asked_at - ctx.policy.freshness_grace:
        raise Skip("the maker wrote back", Moot.ANSWERED)
    period = reminder.key.split(":")[2]
    if step in ("ask", "again"):
        _sms(ctx, maker, catalogue(maker.language).SMS_FRESHNESS, f"freshness-{step}", None)
        following = "again" if step == "ask" else "pause"
        schedule(
            ctx.session,
            "freshness",
            saved_id(maker),
            ctx.now + ctx.policy.freshness_grace,
            ctx.now,
            key=f"freshness:{maker.id}:{period}:{following}",
        )
        return f"asked ({step})"
    maker.status = MakerStatus.PAUSED.value
    maker.paused_until = None
    maker.updated_at = ctx.now
    _sms(ctx, maker, catalogue(maker.language).SMS_FRESHNESS_PAUSED, "freshness-paused", None)
    return "paused for lack of an answer"


HANDLERS: dict[str, Callable[[Context, Reminder], str]] = {
    "invite_nudge": fire_invite_nudge,
    "invite_expire": fire_invite_expire,
    "buyer_nudge": fire_buyer_nudge,
    "request_quiet": fire_request_quiet,
    "request_expire": fire_request_expire,
    "maker_checkin": fire_maker_checkin,
    "buyer_checkin": fire_buyer_checkin,
    "freshness": fire_freshness,
}


def last_heard() -> sa.ColumnElement[datetime]:
    """When a maker was last heard from: their last SMS, or else when they joined."""
    return sa.func.coalesce(Maker.last_seen_at, Maker.created_at)


def gone_quiet(policy: FollowUpPolicy, now: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    """Makers taking jobs who have not been heard from within the freshness period: asked whether they still take
    orders (below), and listed for the organisers."""
    paused_until_now = sa.and_(col(Maker.status) == MakerStatus.PAUSED, col(Maker.paused_until) <= now)
    available = sa.or_(col(Maker.status) == MakerStatus.ACTIVE, paused_until_now)
    return available, last_heard() < now - policy.freshness


def sweep_freshness(session: Session, policy: FollowUpPolicy, now: datetime) -> int:
    """Schedule the "still taking orders?" ask for active makers not heard from in a while."""
    quiet_since = now - policy.freshness
    busy = select(Invitation.maker_id).where(col(Invitation.status).in_(OPEN_INVITATION))
    asked = select(Reminder.target_id).where(Reminder.kind == "freshness", Reminder.created_at > quiet_since)
    makers = session.exec(
        select(Maker.id, last_heard()).where(
            *gone_quiet(policy, now),
            col(Maker.id).not_in(busy),  # a maker with jobs open is asked about those; a YES would answer one
            col(Maker.id).not_in(asked),
        )
    ).all()
    for maker_id, seen in makers:
        assert maker_id is not None  # a primary key read back
        # One chain per silence: keyed on when the maker was last heard from.
        key = f"freshness:{maker_id}:{int(as_utc(seen).timestamp())}:ask"
        schedule(session, "freshness", maker_id, now, now, key=key)
    return len(makers)
