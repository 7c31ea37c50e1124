"""Requests: open one from a buyer's words, send it to the best makers by SMS, read them back."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import outbox, texts
from bot.config import DEFAULT_TIMEZONE
from bot.db import Database, saved_id
from bot.metrics import MATCH_SECONDS
from bot.models import Invitation, Maker, Request, utcnow
from bot.services import handlers, pictures
from bot.services import makers as maker_service
from bot.services.followups import FollowUpPolicy
from bot.services.notices import invitation_sms
from bot.services.orders import MakerInvited, RequestOpened, RequestStatus
from bot.services.replies import new_code
from matching import geo
from matching.directory import Directory
from matching.matcher import Match, Matcher, MatchResult
from matching.parse import ParsedRequest
from matching.quantities import unit_label
from matching.taxonomy import Taxonomy

_rng = random.SystemRandom()
MAX_PREFERENCES = 300  # characters of Request.preferences


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
    timezone: str = DEFAULT_TIMEZONE,
    followups: FollowUpPolicy | None = None,
    directory: Directory | None = None,
) -> Opened:
    """Parse, match and, in one transaction, store the request and queue an SMS invitation per chosen maker.

    "By tomorrow" means the buyer's tomorrow: `today` is taken in `timezone` unless given. Without a `directory`
    (a DirectoryCache's), the active makers are read from the database.
    """
    now = now or utcnow()
    today = today or now.astimezone(ZoneInfo(timezone)).date()
    _check_zip(zip_code)
    if directory is None:
        directory = maker_service.active_directory(db, taxonomy, now)
    matcher = Matcher(directory, radius_miles=radius_miles, limit=max_invites)
    with MATCH_SECONDS.time():
        result = matcher.match(text, zip=zip_code, now=today)
    _check_understood(result)
    place = result.place
    assert place is not None  # _check_understood refuses a request without one
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
            zip=place.zip,
            place_name=f"{place.city}, {place.state}"[:100],
            lat=place.lat,
            lon=place.lon,
            radius_miles=result.radius_miles or radius_miles,
            preferences=with_words("", parsed.preferences),
            preferences_only=with_words("", parsed.only),
            status=RequestStatus.OPEN.value,
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        session.flush()
        policy = followups or FollowUpPolicy()
        invited = invite(session, request, result.matches, now, policy=policy)
        handlers.record(session, RequestOpened(now=now, request=request), policy)
    return Opened(request, invited, result)


def invite(
    session: Session,
    request: Request,
    matches: tuple[Match, ...],
    now: datetime,
    limit: int | None = None,
    policy: FollowUpPolicy | None = None,
) -> list[tuple[Invitation, Maker]]:
    """Invite each matched maker not invited yet (at most `limit`); the SMS is queued in this same transaction."""
    invited: list[tuple[Invitation, Maker]] = []
    already = set(session.exec(select(Invitation.maker_id).where(Invitation.request_id == request.id)).all())
    rank = len(already)
    picture = pictures.first_picture(session, request)
    for match in matches:
        if limit is not None and len(invited) >= limit:
            break
        maker = session.get(Maker, int(match.maker_id))
        if maker is None or maker.id in already:
            continue
        rank += 1
        invitation = Invitation(
            request_id=saved_id(request),
            maker_id=saved_id(maker),
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
        media_key, as_link = pictures.how_to_send(maker, picture) if picture is not None else (None, False)
        outbox.enqueue(
            session,
            channel="sms",
            address=maker.phone,
            text=invitation_sms(request, match.distance_miles, maker.language),
            purpose="invitation",
            key=f"invitation:{invitation.id}",
            lane="bulk",
            priority=0,
            maker_id=maker.id,
            request_id=request.id,
            timezone=maker.timezone,
            now=now,
            media_key=media_key,
            media_as_link=as_link,
        )
        handlers.record(session, MakerInvited(now=now, invitation=invitation), policy or FollowUpPolicy())
        invited.append((invitation, maker))
    return invited


def with_words(words: str, more: Sequence[str]) -> str:
    """Space-separated preference words (Request.preferences) with `more` added once each; the words as they were
    when all of them would not fit the column."""
    joined = " ".join(dict.fromkeys((*words.split(), *more)))
    return joined if len(joined) <= MAX_PREFERENCES else words


def stored_request(request: Request) -> ParsedRequest:
    """A stored request as the matcher reads it, the buyer's preferences included."""
    return ParsedRequest(
        text=request.text,
        item=request.item_label,
        items=tuple(request.concepts.split()),
        quantity=request.quantity,
        unit=request.unit,
        deadline=request.deadline,
        urgency=request.urgency,
        zip=request.zip,
        radius_miles=request.radius_miles,
        preferences=tuple(request.preferences.split()),
        only=tuple(request.preferences_only.split()),
    )


def match_for(session: Session, request: Request, directory: Directory, today: date) -> MatchResult:
    """The matcher's answer for a stored request, its matches only the makers not invited to it yet, best first;
    `hidden` counts the makers an "only …" preference left out."""
    already = set(session.exec(select(Invitation.maker_id).where(Invitation.request_id == request.id)).all())
    matcher = Matcher(directory, radius_miles=request.radius_miles, limit=len(already) + 20)
    with MATCH_SECONDS.time():
        result = matcher.match(stored_request(request), zip=request.zip, now=today)
    return replace(result, matches=tuple(m for m in result.matches if int(m.maker_id) not in already))


def rematch(session: Session, request: Request, directory: Directory, today: date) -> tuple[Match, ...]:
    """The best makers for a stored request who have not been invited to it yet, best first."""
    return match_for(session, request, directory, today).matches


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

    def as_dict(self) -> dict[str, Any]:
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
    db: Database, status: str | None = None, code: str | None = None, limit: int = 100, search: str | None = None
) -> list[RequestView]:
    """Newest first, each with its invitations in rank order. `search`: words found in the code, the buyer's
    text, the item or the place (each word somewhere)."""
    with db.read() as session:
        query = select(Request).order_by(col(Request.id).desc()).limit(limit)
        if status:
            query = query.where(Request.status == status)
        if code:
            query = query.where(Request.code == code.upper())
        for word in (search or "").split()[:8]:
            pattern = "%" + word.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
            fields = (Request.code, Request.text, Request.item_label, Request.zip, Request.place_name)
            query = query.where(sa.or_(*(sa.func.lower(sa.func.coalesce(f, "")).like(pattern) for f in fields)))
        requests = list(session.exec(query).all())
        ids = [r.id for r in requests]
        rows = session.exec(
            select(Invitation, Maker)
            .join(Maker, col(Maker.id) == Invitation.maker_id)
            .where(col(Invitation.request_id).in_(ids))
            .order_by(col(Invitation.rank))
        ).all()
    by_request: dict[int, list[tuple[Invitation, Maker]]] = {}
    for invitation, maker in rows:
        by_request.setdefault(invitation.request_id, []).append((invitation, maker))
    return [RequestView(r, tuple(by_request.get(r.id or 0, ()))) for r in requests]
