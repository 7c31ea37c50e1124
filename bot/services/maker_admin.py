"""What organisers do to a maker's listing, from the bot's /pause or the console: pause and resume (the maker is
told by SMS either way), and finding makers by name, capability and place. The caller records the admin audit."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import outbox, texts
from bot.locales import catalogue
from bot.models import AdminAction, Invitation, Maker, MakerCapability, MakerStatus, MakerTrait, Request
from bot.services.maker_csv import OPTIONAL_COLUMNS, TRAIT_COLUMNS, read_makers_csv
from bot.services.makers import ImportReport, save_makers_in
from bot.services.request_admin import NotAllowed
from matching import geo
from matching.taxonomy import Taxonomy

MAX_FOUND = 100
RECENT_INVITATIONS = 20
DEGREE_MILES = 69.0  # miles per degree of latitude: the box the radius search reads before measuring


def pause(session: Session, maker: Maker, now: datetime) -> None:
    """Pause a maker's listing for the organisers: no job requests until they text RESUME (they are told how)."""
    if maker.status == MakerStatus.PAUSED:
        raise NotAllowed(texts.ADMIN_ALREADY_PAUSED.format(name=maker.name))
    if maker.status == MakerStatus.STOPPED:
        raise NotAllowed(texts.ADMIN_STOPPED.format(name=maker.name))
    maker.status, maker.paused_until, maker.updated_at = MakerStatus.PAUSED.value, None, now
    _tell(session, maker, catalogue(maker.language).SMS_PAUSED_BY_ORGANISERS, "admin_pause", now)


def resume(session: Session, maker: Maker, now: datetime) -> None:
    """Take a paused maker back: job requests come again, and they are told so. A maker who texted STOP stays
    stopped: only they can come back, by texting START."""
    if maker.status == MakerStatus.ACTIVE:
        raise NotAllowed(texts.CONSOLE_NOT_PAUSED.format(name=maker.name))
    if maker.status == MakerStatus.STOPPED:
        raise NotAllowed(texts.ADMIN_STOPPED.format(name=maker.name))
    maker.status, maker.paused_until, maker.updated_at = MakerStatus.ACTIVE.value, None, now
    _tell(session, maker, catalogue(maker.language).SMS_RESUMED_BY_ORGANISERS, "admin_resume", now)


def audit(session: Session, actor: str, action: str, maker: Maker, now: datetime) -> None:
    session.add(AdminAction(actor=actor, action=action, detail=audit_detail(maker), created_at=now))


def audit_detail(maker: Maker) -> str:
    return f"maker {maker.id} {maker.name}"[:1000]


def _tell(session: Session, maker: Maker, text: str, purpose: str, now: datetime) -> None:
    outbox.enqueue(
        session,
        channel="sms",
        address=maker.phone,
        text=text,
        purpose=purpose,
        key=f"{purpose}:{maker.id}:{int(now.timestamp())}",
        maker_id=maker.id,
        now=now,
    )


# ── finding makers ──


@dataclass(frozen=True)
class Found:
    maker: Maker
    distance_miles: float | None


def search(
    session: Session, words: str = "", zip_code: str | None = None, radius_miles: float = 25.0, status: str = ""
) -> list[Found]:
    """Makers whose name or a capability holds every word, near a ZIP if one is given (nearest first), else by name."""
    query = select(Maker)
    for word in words.split()[:8]:
        pattern = "%" + word.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
        capable = select(MakerCapability.maker_id).where(sa.func.lower(MakerCapability.phrase).like(pattern))
        query = query.where(sa.or_(sa.func.lower(Maker.name).like(pattern), col(Maker.id).in_(capable)))
    if status in tuple(MakerStatus):
        query = query.where(Maker.status == status)
    place = geo.lookup_zip(zip_code) if zip_code else None
    if place is None:
        return [Found(m, None) for m in session.exec(query.order_by(col(Maker.name)).limit(MAX_FOUND)).all()]
    box = radius_miles / DEGREE_MILES
    query = query.where(
        col(Maker.lat).between(place.lat - box, place.lat + box),
        col(Maker.lon).between(place.lon - box * 2, place.lon + box * 2),  # generous: a degree of longitude is shorter
    )
    found = []
    for maker in session.exec(query).all():
        if maker.lat is None or maker.lon is None:
            continue
        miles = geo.distance_miles(place.lat, place.lon, maker.lat, maker.lon)
        if miles <= radius_miles:
            found.append(Found(maker, miles))
    return sorted(found, key=lambda f: f.distance_miles or 0.0)[:MAX_FOUND]


@dataclass(frozen=True)
class Card:
    maker: Maker
    capabilities: list[MakerCapability]
    traits: list[MakerTrait]
    invitations: list[tuple[Invitation, str]]  # the most recent, with the request's code
    audit: list[AdminAction]


def card(session: Session, maker_id: int) -> Card | None:
    maker = session.get(Maker, maker_id)
    if maker is None:
        return None
    caps = session.exec(
        select(MakerCapability).where(MakerCapability.maker_id == maker_id).order_by(col(MakerCapability.position))
    ).all()
    traits = session.exec(
        select(MakerTrait)
        .where(MakerTrait.maker_id == maker_id)
        .order_by(col(MakerTrait.kind), col(MakerTrait.position))
    ).all()
    invitations = session.exec(
        select(Invitation, Request.code)
        .join(Request, col(Request.id) == Invitation.request_id)
        .where(Invitation.maker_id == maker_id)
        .order_by(col(Invitation.id).desc())
        .limit(RECENT_INVITATIONS)
    ).all()
    actions = session.exec(
        select(AdminAction)
        .where(col(AdminAction.detail).startswith(f"maker {maker_id} "))
        .order_by(col(AdminAction.id).desc())
    ).all()
    return Card(maker, list(caps), list(traits), [(i, code) for i, code in invitations], list(actions))


# ── editing, by the maker CSV's own rules ──

EDITABLE = ("name", "zip", "capabilities", *OPTIONAL_COLUMNS)  # everything but the phone, which names the maker


def form_values(found: Card) -> dict[str, str]:
    """The maker as the edit form shows it: one text per column of the maker CSV."""
    m = found.maker
    values = {
        "name": m.name,
        "zip": m.zip,
        "capabilities": "; ".join(c.phrase for c in found.capabilities),
        "min_order": "" if m.min_order is None else str(m.min_order),
        "max_order": "" if m.max_order is None else str(m.max_order),
        "lead_time_days": "" if m.lead_time_days is None else str(m.lead_time_days),
        "website": m.website or "",
        "notes": m.notes or "",
        "language": m.language,
        "type": m.kind,
    }
    for column, kind in TRAIT_COLUMNS.items():
        values[column] = "; ".join(t.phrase for t in found.traits if t.kind == kind)
    return values


def edit_in(
    session: Session, taxonomy: Taxonomy, maker: Maker, fields: dict[str, str], actor: str, now: datetime
) -> list[str]:
    """Save the edit as a one-row import keyed by the maker's phone, so a form accepts exactly what a CSV does.
    Returns the problems, one sentence each (nothing saved), or [] once saved."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["phone", *EDITABLE])
    writer.writerow([maker.phone, *(fields.get(column, "") for column in EDITABLE)])
    rows, problems, _ = read_makers_csv(buffer.getvalue().encode(), "the form")
    if problems or not rows:
        return [problem.reason for problem in problems]
    save_makers_in(session, rows, [], [], taxonomy)
    audit(session, actor, "maker_edit", maker, now)
    return []


def upload_in(
    session: Session, taxonomy: Taxonomy, data: bytes, filename: str, actor: str, now: datetime
) -> ImportReport:
    """A maker CSV from the console, imported as `makerlink makers import` does; raises ImportFileError."""
    report = save_makers_in(session, *read_makers_csv(data, filename), taxonomy)
    summary = f"{filename}: {report.created} created, {report.updated} updated, {len(report.skipped)} rows skipped"
    session.add(AdminAction(actor=actor, action="makers_import", detail=summary[:1000], created_at=now))
    return report
