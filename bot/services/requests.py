"""Requests: open one from a buyer's words, send it to the best makers by SMS, read them back."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot import outbox, texts
from bot.db import Database
from bot.metrics import MATCH_SECONDS
from bot.models import Invitation, Maker, OutboundMessage, Request, utcnow
from bot.segments import count_segments
from bot.services import makers as maker_service
from bot.services import reminders
from bot.services.replies import new_code
from matching import geo
from matching.directory import Directory
from matching.matcher import Match, Matcher, MatchResult
from matching.parse import ParsedRequest
from matching.quantities import unit_label
from matching.taxonomy import Taxonomy

MAX_SEGMENTS = 2  # an invitation should cost at most this many SMS segments
_rng = random.SystemRandom()


class RequestProblem(Exception):
    """The request cannot be sent as it is; the message says what is missing, for the person who sent it."""


@dataclass(frozen=True)
class Opened:
    request: Request
    invited: list[tuple[Invitation, Maker]]
    result: MatchResult


def item_label(taxonomy: Taxonomy, result: MatchResult) -> str:
    """What makers read: the taxonomy's names for the items, else the buyer's own words."""
    labels = [taxonomy.label(concept) for concept in result.request.items]
    return ", ".join(dict.fromkeys(labels)) or (result.request.item or "")


def new_request_code(session: Session) -> str:
    for attempt in range(20):
        code = new_code(_rng, 4 if attempt < 10 else 6)
        if session.exec(select(Request.id).where(Request.code == code)).first() is None:
            return code
    raise RuntimeError("could not find a free request code")


def check(taxonomy: Taxonomy, text: str, zip_code: str | None = None, today: date | None = None) -> None:
    """The problems a request has whoever is in the directory (an unknown ZIP, no item, no place), found
    without the database: raises RequestProblem."""
    _check_zip(zip_code)
    _check_understood(Matcher(Directory((), taxonomy)).match(text, zip=zip_code, now=today))


def _check_zip(zip_code: str | None) -> None:
    if zip_code and geo.lookup_zip(zip_code) is None:
        raise RequestProblem(texts.REQUEST_UNKNOWN_ZIP.format(zip=zip_code))


def _check_understood(result: MatchResult) -> None:
    parsed = result.request
    if not parsed.items and not parsed.item:
        raise RequestProblem(texts.REQUEST_NO_ITEM)
    if result.place is None:
        if parsed.zip:
            raise RequestProblem(texts.REQUEST_UNKNOWN_ZIP.format(zip=parsed.zip))
        raise RequestProblem(texts.REQUEST_NO_PLACE)


def open_request(
    db: Database,
    taxonomy: Taxonomy,
    text: str,
    *,
    zip_code: str | None = None,
    radius_miles: float,
    max_invites: int,
    buyer_id: int | None = None,
    source: str = "cli",
    now: datetime | None = None,
    today: date | None = None,
    timezone: str = "America/Detroit",
    followups: reminders.FollowUpPolicy | None = None,
) -> Opened:
    """Parse, match and, in one transaction, store the request and queue an SMS invitation per chosen maker.

    "By tomorrow" means the buyer's tomorrow: `today` is taken in `timezone` unless given.
    """
    now = now or utcnow()
    today = today or now.astimezone(ZoneInfo(timezone)).date()
    _check_zip(zip_code)
    directory = maker_service.active_directory(db, taxonomy, now)
    matcher = Matcher(directory, radius_miles=radius_miles, limit=max_invites)
    with MATCH_SECONDS.time():
        result = matcher.match(text, zip=zip_code, now=today)
    _check_understood(result)
    parsed = result.request
    with db.transaction() as session:
        request = Request(
            code=new_request_code(session),
            buyer_id=buyer_id,
            source=source,
            text=text[:2000],
            item=parsed.items[0] if parsed.items else None,
            item_label=item_label(taxonomy, result)[:200],
            concepts=" ".join(parsed.items),
            quantity=parsed.quantity,
            unit=parsed.unit,
            deadline=parsed.deadline,
            urgency=parsed.urgency,
            zip=result.place.zip,
            place_name=f"{result.place.city}, {result.place.state}"[:100],
            lat=result.place.lat,
            lon=result.place.lon,
            radius_miles=result.radius_miles or radius_miles,
            status="open",
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        session.flush()
        invited = invite(session, request, result.matches, now, policy=followups)
        reminders.on_opened(session, request, followups or reminders.FollowUpPolicy(), now)
    return Opened(request, invited, result)


def invite(
    session: Session,
    request: Request,
    matches: tuple[Match, ...],
    now: datetime,
    limit: int | None = None,
    policy: reminders.FollowUpPolicy | None = None,
) -> list[tuple[Invitation, Maker]]:
    """Invite each matched maker not invited yet (at most `limit`); the SMS is queued in this same transaction."""
    invited: list[tuple[Invitation, Maker]] = []
    already = set(session.exec(select(Invitation.maker_id).where(Invitation.request_id == request.id)).all())
    rank = len(already)
    for match in matches:
        if limit is not None and len(invited) >= limit:
            break
        maker = session.get(Maker, int(match.maker_id))
        if maker is None or maker.id in already:
            continue
        rank += 1
        invitation = Invitation(
            request_id=request.id,
            maker_id=maker.id,
            rank=rank,
            score=match.score,
            why=match.why[:500],
            distance_miles=match.distance_miles,
            invited_at=now,
            updated_at=now,
        )
        session.add(invitation)
        session.flush()
        maker.invited_count += 1
        outbox.enqueue(
            session,
            channel="sms",
            address=maker.phone,
            text=invitation_sms(request, match.distance_miles),
            purpose="invitation",
            key=f"invitation:{invitation.id}",
            lane="bulk",
            priority=0,
            maker_id=maker.id,
            request_id=request.id,
            timezone=maker.timezone,
            now=now,
        )
        reminders.on_invited(session, invitation, policy or reminders.FollowUpPolicy(), now)
        invited.append((invitation, maker))
    return invited


def rematch(session: Session, request: Request, directory, today: date) -> tuple[Match, ...]:
    """The best makers for a stored request who have not been invited to it yet, best first."""
    parsed = ParsedRequest(
        text=request.text,
        item=request.item_label,
        items=tuple(request.concepts.split()),
        quantity=request.quantity,
        unit=request.unit,
        deadline=request.deadline,
        urgency=request.urgency,
        zip=request.zip,
        radius_miles=request.radius_miles,
    )
    already = set(session.exec(select(Invitation.maker_id).where(Invitation.request_id == request.id)).all())
    matcher = Matcher(directory, radius_miles=request.radius_miles, limit=len(already) + 20)
    with MATCH_SECONDS.time():
        result = matcher.match(parsed, zip=request.zip, now=today)
    return tuple(m for m in result.matches if int(m.maker_id) not in already)


def invitation_sms_what(request: Request, quantity: int | None = None) -> str:
    """“500 face shields”, “200 boxes of gloves”, “face shields (quantity open)”."""
    item = request.item_label or request.text[:60]
    quantity = quantity or request.quantity
    if not quantity:
        return texts.SMS_QUANTITY_UNKNOWN.format(item=item)
    unit = f" {unit_label(request.unit, quantity)} of" if request.unit else ""
    return f"{quantity:,}{unit} {item}"


def summary_when(request: Request) -> str:
    """“Fri Dec 4”, “ASAP”, or "" when the buyer gave no deadline."""
    if request.deadline:
        d = request.deadline
        return f"{d:%a %b} {d.day}"
    if request.urgency == "asap":
        return texts.WHEN_ASAP
    return ""


def _when(request: Request) -> str:
    if request.deadline:
        return texts.SMS_WHEN_BY.format(date=summary_when(request))
    if request.urgency == "asap":
        return texts.SMS_WHEN_ASAP
    return ""


def invitation_sms(request: Request, distance_miles: float | None) -> str:
    """The invitation a maker receives: item, quantity, deadline, distance and area; never who is asking."""
    area = request.place_name.split(",")[0] if request.place_name else ""
    area = f"{area} {request.zip}".strip()
    if distance_miles is not None:
        where = texts.SMS_WHERE.format(distance=texts.MILES.format(miles=distance_miles), area=area)
    else:
        where = texts.SMS_WHERE_AREA.format(area=area)
    fields = {"code": request.code, "what": invitation_sms_what(request), "when": _when(request), "where": where}
    text = texts.SMS_INVITATION.format(**fields)
    if count_segments(text) > MAX_SEGMENTS:
        text = texts.SMS_INVITATION_SHORT.format(**fields)
    what = fields["what"]
    while count_segments(text) > MAX_SEGMENTS and len(what) > 20:
        # A long item list is cut at a word, never the how-to. "..." keeps GSM-7 (160 a segment); "…" would not.
        what = what[: len(what) - 10].rsplit(" ", 1)[0].rstrip(" ,;")
        fields["what"] = what + "..."
        text = texts.SMS_INVITATION_SHORT.format(**fields)
    return text


def summary(request: Request) -> str:
    return texts.request_summary(
        request.item_label or None,
        request.quantity,
        unit_label(request.unit, request.quantity) if request.unit else None,
        f"{request.deadline:%a %d %b %Y}" if request.deadline else None,
        request.urgency,
        request.zip,
        request.radius_miles,
    )


# ── reading ──


@dataclass(frozen=True)
class RequestView:
    request: Request
    invitations: tuple[tuple[Invitation, Maker], ...]

    def as_dict(self) -> dict:
        r = self.request
        return {
            "code": r.code,
            "status": r.status,
            "text": r.text,
            "item": r.item,
            "item_label": r.item_label,
            "quantity": r.quantity,
            "unit": r.unit,
            "deadline": r.deadline.isoformat() if r.deadline else None,
            "zip": r.zip,
            "radius_miles": r.radius_miles,
            "quantity_committed": r.quantity_committed,
            "created_at": r.created_at.isoformat(),
            "invitations": [
                {
                    "rank": inv.rank,
                    "maker_id": maker.id,
                    "maker": maker.name,
                    "status": inv.status,
                    "score": inv.score,
                    "distance_miles": None if inv.distance_miles is None else round(inv.distance_miles, 1),
                    "quantity_offered": inv.quantity_offered,
                    "price_cents": inv.price_cents,
                    "total_cents": inv.total_cents,
                    "lead_time_days": inv.lead_time_days,
                    "answer": inv.answer_text,
                }
                for inv, maker in self.invitations
            ],
        }


def list_requests(
    db: Database, status: str | None = None, code: str | None = None, limit: int = 100
) -> list[RequestView]:
    """Newest first, each with its invitations in rank order."""
    with db.read() as session:
        query = select(Request).order_by(Request.id.desc()).limit(limit)
        if status:
            query = query.where(Request.status == status)
        if code:
            query = query.where(Request.code == code.upper())
        requests = list(session.exec(query).all())
        ids = [r.id for r in requests]
        rows = session.exec(
            select(Invitation, Maker)
            .join(Maker, Maker.id == Invitation.maker_id)
            .where(Invitation.request_id.in_(ids))
            .order_by(Invitation.rank)
        ).all()
    by_request: dict[int, list[tuple[Invitation, Maker]]] = {}
    for invitation, maker in rows:
        by_request.setdefault(invitation.request_id, []).append((invitation, maker))
    return [RequestView(r, tuple(by_request.get(r.id or 0, ()))) for r in requests]


def withdraw_invitations(session: Session, request: Request, now: datetime) -> set[int]:
    """The request closed: invitations still waiting in the outbox (quiet hours, rate) are not sent any more.

    Returns the makers whose invitation did go out; only they need to hear that the job is gone.
    """
    rows = session.exec(
        select(OutboundMessage).where(
            OutboundMessage.request_id == request.id,
            OutboundMessage.purpose.in_(("invitation", "nudge", "checkin")),  # follow-ups held with them
        )
    ).all()
    reached: set[int] = set()
    for row in rows:
        if row.status in ("queued", "errored"):
            row.status = "cancelled"
            row.error_code = "request_closed"
            row.error_reason = texts.REASON_REQUEST_CLOSED
            row.updated_at = now
        elif row.purpose == "invitation" and row.status in ("sending", "sent", "delivered") and row.maker_id:
            reached.add(row.maker_id)
    return reached


# Why a job closed → what a maker who answered reads, and what a maker who never answered reads.
CLOSING_SMS = {
    "filled": (texts.SMS_FILLED, texts.SMS_FILLED_UNANSWERED),
    "cancelled": (texts.SMS_CANCELLED, texts.SMS_CANCELLED_UNANSWERED),
    "expired": (texts.SMS_REQUEST_CLOSED, texts.SMS_REQUEST_CLOSED_UNANSWERED),
}


def close_invitations(
    session: Session,
    request: Request,
    now: datetime,
    why: str,
    tell: Callable[[Maker, str], None],
    statuses: tuple[str, ...] = ("invited", "quoted"),
) -> None:
    """The request closed (`why`: filled, cancelled or expired): its invitations in `statuses` close with it and
    each maker who heard of the job gets `tell(maker, text)`.

    Only a maker who answered is thanked for answering; one who never did is told the job is gone, so they need
    not answer. An invitation never answered expires; one answered is lost.
    """
    thanks, no_need = CLOSING_SMS[why]
    reached = withdraw_invitations(session, request, now)
    rows = session.exec(
        select(Invitation, Maker)
        .join(Maker, Maker.id == Invitation.maker_id)
        .where(Invitation.request_id == request.id, Invitation.status.in_(statuses))
        .order_by(Invitation.rank)
    ).all()
    for invitation, maker in rows:
        answered = invitation.status != "invited"
        invitation.status = "lost" if answered else "expired"
        invitation.updated_at = now
        if maker.id in reached:  # never tell a maker about a job they have not heard of
            tell(maker, (thanks if answered else no_need).format(code=request.code))
