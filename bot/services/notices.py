"""Who is told what when the lifecycle moves: the buyer in their chat and language, makers by SMS, organisers in
their chats — every message queued in the outbox, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from bot import outbox, texts
from bot.locales import Catalogue, catalogue
from bot.models import Buyer, Invitation, Maker, MessageStatus, OutboundMessage, Request
from bot.segments import cheapest, count_segments, is_gsm7
from bot.services.orders import (
    AWAITING,
    Closing,
    InvitationStatus,
    OrderLate,
    QuoteReceived,
    QuoteRejected,
    RequestClosed,
    RequestStatus,
    move,
)
from matching.quantities import unit_label

Buttons = list[list[tuple[str, str]]]
WIDE_RADIUS = 100.0
MAX_SEGMENTS = 2  # an invitation should cost at most this many SMS segments (GSM-7: 306 characters)
# In UCS-2 (Arabic) a segment holds 67 characters, not 153: three keep the item, the place and how to answer
# whole, where two would cut the item a Spanish or English maker reads in full.
MAX_SEGMENTS_UCS2 = 3


# ── the buyer ──


def tell_buyer(
    session: Session,
    request: Request,
    purpose: str,
    key: str,
    text: Callable[[Catalogue], str],
    buttons: Callable[[Catalogue], Buttons] | None,
    now: datetime,
    media_key: str | None = None,
) -> bool:
    """Tell a request's buyer something in their chat and language: `text(t)` and `buttons(t)` get the buyer's
    catalogue. False when there is nobody to tell (requests opened from the CLI have no buyer)."""
    buyer = session.get(Buyer, request.buyer_id) if request.buyer_id else None
    if buyer is None or buyer.chat_id is None:
        return False
    t = catalogue(buyer.language)
    outbox.enqueue(
        session,
        channel=buyer.channel,
        address=str(buyer.chat_id),
        text=text(t),
        purpose=purpose,
        key=key,
        buttons=buttons(t) if buttons else None,
        buyer_id=buyer.id,
        request_id=request.id,
        now=now,
        media_key=media_key,
    )
    return True


def nobody_left(session: Session, request: Request) -> bool:
    """An open request with no maker still to answer or to be chosen: the buyer should hear what next."""
    if request.status != RequestStatus.OPEN:
        return False
    session.flush()
    waiting = session.exec(
        select(Invitation.id).where(Invitation.request_id == request.id, col(Invitation.status).in_(AWAITING))
    ).first()
    return waiting is None


def uncovered_text(session: Session, request: Request, t: Catalogue) -> str:
    asked = len(session.exec(select(Invitation.id).where(Invitation.request_id == request.id)).all())
    if request.quantity_committed and request.quantity:
        return t.BUYER_REST_UNCOVERED.format(done=request.quantity_committed, total=request.quantity, code=request.code)
    return t.BUYER_NOBODY_ANSWERED.format(count=asked, code=request.code)


def next_steps(request: Request, t: Catalogue) -> Buttons:
    """When no maker can take it: look further (if not yet), or tell the organisers."""
    buttons: Buttons = []
    if request.radius_miles < WIDE_RADIUS:
        buttons.append([(t.BUTTON_WIDEN.format(miles=int(WIDE_RADIUS)), f"widen:{request.id}")])
    buttons.append([(t.BUTTON_ORGANISERS, f"organisers:{request.id}")])
    return buttons


def tell_buyer_uncovered(session: Session, request: Request, key: str, now: datetime) -> None:
    """Every maker asked said no or fell silent: the buyer hears it, with what can be done next."""
    tell_buyer(
        session,
        request,
        "all_declined",
        key,
        lambda t: uncovered_text(session, request, t),
        lambda t: next_steps(request, t),
        now,
    )


def quote_line(invitation: Invitation, t: Catalogue) -> str:
    """“Maker 2 — 4.1 mi — can make 500 at $2.10 each, ready in 5 days”: no name or phone before acceptance."""
    distance = (
        t.MILES.format(miles=invitation.distance_miles) if invitation.distance_miles is not None else t.MILES_UNKNOWN
    )
    terms = texts.terms(
        invitation.quantity_offered, invitation.price_cents, invitation.total_cents, invitation.lead_time_days, t
    )
    return t.BUYER_QUOTE.format(rank=invitation.rank, distance=distance, terms=terms)


def quote_to_buyer(session: Session, e: QuoteReceived) -> None:
    """A maker's answer, relayed with the buttons to take it or turn it down."""
    invitation = e.invitation
    tell_buyer(
        session,
        e.request,
        "quote",
        f"quote:{e.source}",
        lambda t: quote_line(invitation, t),
        lambda t: [[(t.BUTTON_ACCEPT, f"accept:{invitation.id}"), (t.BUTTON_DECLINE, f"reject:{invitation.id}")]],
        e.now,
        media_key=e.media_key,
    )


def late_to_buyer(session: Session, e: OrderLate) -> None:
    maker = session.get(Maker, e.invitation.maker_id)
    name = maker.name if maker else ""  # introduced by now: the buyer knows them by name
    code, days = e.request.code, e.days
    tell_buyer(
        session,
        e.request,
        "late",
        f"late:{e.source}",
        lambda t: t.BUYER_LATE.format(name=name, code=code, days=f" ({texts.days_text(days, t)})" if days else ""),
        None,
        e.now,
    )


# ── organisers ──


def tell_organisers(
    session: Session,
    admin_ids: tuple[int, ...],
    *,
    channel: str,
    text: str,
    purpose: str,
    key: Callable[[int], str],
    now: datetime,
    request_id: int | None = None,
) -> None:
    """The same note to every organiser's chat; `key(admin)` keeps each one idempotent."""
    for admin in admin_ids:
        outbox.enqueue(
            session,
            channel=channel,
            address=str(admin),
            text=text,
            purpose=purpose,
            key=key(admin),
            request_id=request_id,
            now=now,
        )


# ── makers ──


def sms_maker(
    session: Session,
    maker: Maker,
    text: str,
    *,
    purpose: str,
    key: str,
    now: datetime,
    request_id: int | None = None,
    followup: bool = False,
) -> None:
    """An SMS to a maker. A follow-up goes in the bulk lane, so quiet hours hold it until the maker's morning;
    what answers something the buyer just did goes in the reply lane."""
    outbox.enqueue(
        session,
        channel="sms",
        address=maker.phone,
        text=text,
        purpose=purpose,
        key=key,
        lane="bulk" if followup else "reply",
        priority=1 if followup else 0,
        maker_id=maker.id,
        request_id=request_id,
        timezone=maker.timezone,
        now=now,
    )


def not_chosen(session: Session, e: QuoteRejected) -> None:
    maker = session.get(Maker, e.invitation.maker_id)
    if maker is not None:
        request = e.request
        text = catalogue(maker.language).SMS_NOT_CHOSEN.format(code=request.code)
        key = f"not_chosen:{request.id}:{maker.id}:{e.source}"
        sms_maker(session, maker, text, purpose="not_chosen", key=key, now=e.now, request_id=request.id)


def invitation_sms_what(request: Request, quantity: int | None = None, t: Catalogue | None = None) -> str:
    """“500 face shields”, “200 boxes of gloves”, “face shields (quantity open)”, in catalogue `t`'s language
    (the item and unit keep the directory's English names)."""
    t = t or catalogue(None)
    item = request.item_label or request.text[:60]
    quantity = quantity or request.quantity
    if not quantity:
        return t.SMS_QUANTITY_UNKNOWN.format(item=item)
    if request.unit:
        return t.SMS_WHAT_UNIT.format(quantity=quantity, unit=unit_label(request.unit, quantity), item=item)
    return t.SMS_WHAT.format(quantity=quantity, item=item)


def summary_when(request: Request, t: Catalogue | None = None) -> str:
    """“Fri Dec 4”, “ASAP”, or "" when the buyer gave no deadline, in catalogue `t`'s language."""
    t = t or catalogue(None)
    if request.deadline:
        return t.short_date(request.deadline, weekday=True)
    if request.urgency == "asap":
        return t.WHEN_ASAP
    return ""


def _when(request: Request, t: Catalogue) -> str:
    if request.deadline:
        return t.SMS_WHEN_BY.format(date=summary_when(request, t))
    if request.urgency == "asap":
        return t.SMS_WHEN_ASAP
    return ""


def invitation_sms(request: Request, distance_miles: float | None, language: str | None = None) -> str:
    """The invitation a maker receives, in their language: item, quantity, deadline, distance and area; never
    who is asking. Cut to MAX_SEGMENTS where it can be (MAX_SEGMENTS_UCS2 when the language needs UCS-2)."""
    t = catalogue(language)
    area = request.place_name.split(",")[0] if request.place_name else ""
    area = f"{area} {request.zip}".strip()
    if distance_miles is not None:
        where = t.SMS_WHERE.format(distance=t.MILES.format(miles=distance_miles), area=area)
    else:
        where = t.SMS_WHERE_AREA.format(area=area)
    fields = {
        "code": request.code,
        "what": invitation_sms_what(request, t=t),
        "when": _when(request, t),
        "where": where,
    }
    # Spanish "días" alone would make it UCS-2 (70 characters a segment): spelt "dias" where that saves one.
    text = cheapest(t.SMS_INVITATION.format(**fields))
    budget = MAX_SEGMENTS if is_gsm7(text) else MAX_SEGMENTS_UCS2
    if count_segments(text) > budget:
        text = cheapest(t.SMS_INVITATION_SHORT.format(**fields))
    what = fields["what"]
    while count_segments(text) > budget and len(what) > 20:
        # A long item list is cut at a word, never the how-to. "..." keeps GSM-7 (160 a segment); "…" would not.
        what = what[: len(what) - 10].rsplit(" ", 1)[0].rstrip(" ,;")
        fields["what"] = what + "..."
        text = cheapest(t.SMS_INVITATION_SHORT.format(**fields))
    return text


# ── closing a request ──


def withdraw_invitations(session: Session, request: Request, now: datetime) -> set[int]:
    """The request closed: invitations still waiting in the outbox (quiet hours, rate) are not sent any more.

    Returns the makers whose invitation did go out; only they need to hear that the job is gone.
    """
    rows = session.exec(
        select(OutboundMessage).where(
            OutboundMessage.request_id == request.id,
            col(OutboundMessage.purpose).in_(("invitation", "nudge", "checkin")),  # follow-ups held with them
        )
    ).all()
    reached: set[int] = set()
    went_out = (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED)
    for row in rows:
        if row.status in (MessageStatus.QUEUED, MessageStatus.ERRORED):
            row.status = MessageStatus.CANCELLED.value
            row.error_code = "request_closed"
            row.error_reason = texts.REASON_REQUEST_CLOSED
            row.updated_at = now
        elif row.purpose == "invitation" and row.status in went_out and row.maker_id:
            reached.add(row.maker_id)
    return reached


# Why a job closed → what a maker who answered reads, and what a maker who never answered reads.
# By the names of the texts, read in each maker's language.
CLOSING_SMS = {
    Closing.FILLED: ("SMS_FILLED", "SMS_FILLED_UNANSWERED"),
    Closing.CANCELLED: ("SMS_CANCELLED", "SMS_CANCELLED_UNANSWERED"),
    Closing.EXPIRED: ("SMS_REQUEST_CLOSED", "SMS_REQUEST_CLOSED_UNANSWERED"),
}


def close_request(session: Session, event: RequestClosed) -> None:
    """The request closed to new answers (`event.why`: filled, cancelled or expired): its open invitations close
    with it and each maker who heard of the job is told, so nobody keeps working on it.

    Only a maker who answered is thanked for answering; one who never did is told the job is gone, so they need
    not answer. An invitation never answered expires; one answered is lost. A covered request keeps its orders;
    a cancelled one ends them too. Closed by a follow-up (expired), the SMS waits for the maker's morning.
    """
    request, why, now = event.request, event.why, event.now
    statuses = (*AWAITING, InvitationStatus.ACCEPTED) if why == Closing.CANCELLED else AWAITING
    thanks, no_need = CLOSING_SMS[why]
    reached = withdraw_invitations(session, request, now)
    rows = session.exec(
        select(Invitation, Maker)
        .join(Maker, col(Maker.id) == Invitation.maker_id)
        .where(Invitation.request_id == request.id, col(Invitation.status).in_(statuses))
        .order_by(col(Invitation.rank))
    ).all()
    for invitation, maker in rows:
        answered = invitation.status != InvitationStatus.INVITED
        move(invitation, InvitationStatus.LOST if answered else InvitationStatus.EXPIRED, now)
        if maker.id not in reached:  # never tell a maker about a job they have not heard of
            continue
        text = catalogue(maker.language).text(thanks if answered else no_need).format(code=request.code)
        if why == Closing.EXPIRED:
            purpose = f"{event.purpose}:{maker.id}"
            key = f"{purpose}:{event.source}"
            sms_maker(session, maker, text, purpose=purpose, key=key, now=now, request_id=request.id, followup=True)
        else:
            key = f"{why}:{request.id}:{maker.id}:{event.source}"
            sms_maker(session, maker, text, purpose=why.value, key=key, now=now, request_id=request.id)
