"""Broadcast alerts from the organisers: choose an audience, preview it, confirm, and queue one message per person.

Sending is the outbox's bulk lane, so opt-outs, alerts-off, quiet hours and rate limits hold as for every
message. Queuing is one transaction with one idempotency key per person and broadcast: a double confirmation,
or a crash and a retry, never gives anyone the same broadcast twice.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import texts
from bot.db import Database, insert_skipping_conflicts, table_of
from bot.locales import catalogue, english_name, language_of
from bot.models import (
    AdminAction,
    Broadcast,
    BroadcastStatus,
    Buyer,
    Maker,
    MakerCapability,
    MakerStatus,
    MessageStatus,
    OptOut,
    OutboundMessage,
    utcnow,
)
from bot.outbox import enqueue, text_hash, wake_dispatchers
from bot.segments import beyond_gsm7, count_segments, encoding
from matching import geo
from matching.taxonomy import Taxonomy

AUDIENCES = ("makers", "buyers", "all")
SAMPLE = 5
UNFINISHED = (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.ERRORED)  # a broadcast still running
WENT_OUT = (MessageStatus.SENT, MessageStatus.DELIVERED)
GAVE_UP = (MessageStatus.FAILED, MessageStatus.CANCELLED)
ALERT = "alert"  # the purpose of a broadcast's messages to its audience
PROGRESS = "broadcast_progress"  # the progress line in the organiser's chat, and its edits
PROGRESS_WINDOW = timedelta(days=1)  # delivery reports keep arriving for a while after the last send


class BroadcastProblem(Exception):
    """The broadcast cannot go as asked; the message says why, for the organiser."""


class NobodyToReach(BroadcastProblem):
    """Nobody matches the audience: there is nothing to send, and no draft was kept."""

    def __init__(self, preview: Preview) -> None:
        super().__init__(texts.BROADCAST_NOBODY)
        self.preview = preview


class AudienceChanged(Exception):
    """At confirmation the audience is no longer the size the organiser saw in the preview."""

    def __init__(self, preview: Preview) -> None:
        super().__init__(f"the audience is now {len(preview.recipients)} people")
        self.preview = preview


@dataclass(frozen=True)
class Audience:
    to: str = "makers"
    capability: str | None = None  # through the taxonomy: "sewing" finds "cut and sew", "seamstress"…
    zip: str | None = None
    radius_miles: float | None = None
    statuses: tuple[str, ...] = (MakerStatus.ACTIVE.value,)  # makers' statuses to include

    def as_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Audience:
        data = json.loads(text)
        data["statuses"] = tuple(data.get("statuses") or (MakerStatus.ACTIVE.value,))
        return cls(**data)


@dataclass(frozen=True)
class Recipient:
    channel: str
    address: str
    name: str
    maker_id: int | None = None
    buyer_id: int | None = None
    timezone: str | None = None
    language: str = "en"  # a maker's catalogue language: the SMS footer's


@dataclass(frozen=True)
class SmsVersion:
    """The broadcast SMS in one language (the organiser's words, the footer translated) and what it costs."""

    language: str
    recipients: int
    encoding: str  # GSM-7, or UCS-2: Arabic, emoji and other characters GSM-7 lacks, 70 to a segment
    segments: int  # each

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "language_name": english_name(self.language)}


@dataclass
class Preview:
    recipients: list[Recipient]
    excluded: Counter[str] = field(default_factory=Counter)  # reason → people
    segments: int = 1  # per SMS, the most any language's version takes
    cost_usd: float = 0.0
    versions: list[SmsVersion] = field(default_factory=list)  # one per language among the SMS recipients
    beyond_gsm7: str = ""  # the organiser's own characters that GSM-7 lacks

    @property
    def by_channel(self) -> Counter[str]:
        return Counter(r.channel for r in self.recipients)

    def as_dict(self) -> dict[str, Any]:
        return {
            "recipients": len(self.recipients),
            "by_channel": dict(self.by_channel),
            "excluded": dict(self.excluded),
            "sms_segments": self.segments,
            "sms_versions": [v.as_dict() for v in self.versions],
            "sms_beyond_gsm7": self.beyond_gsm7,
            "sms_summary": self.sms_text(),
            "estimated_cost_usd": round(self.cost_usd, 2),
            "sample": [r.name for r in self.recipients[:SAMPLE]],
        }

    def sms_text(self) -> str:
        """“English: GSM-7, 1 segment each, to 40; Arabic: UCS-2, 2 segments each, to 3”, for the organisers."""
        return texts.sms_versions_text([v.as_dict() for v in self.versions], self.beyond_gsm7)


def sms_text(text: str, language: str | None) -> str:
    """A broadcast as a maker gets it: the organiser's words as written, the fixed footer in the maker's language."""
    return text + catalogue(language).SMS_BROADCAST_FOOTER


def _price(preview: Preview, text: str, price_per_segment: float) -> None:
    """Count each language's version of the SMS: its encoding, its segments, and the cost of them all."""
    languages = Counter(r.language for r in preview.recipients if r.channel == "sms")
    preview.versions = []
    for language, count in sorted(languages.items(), key=lambda item: (-item[1], item[0])):
        version = sms_text(text, language)
        preview.versions.append(SmsVersion(language, count, encoding(version), count_segments(version)))
    preview.segments = max((v.segments for v in preview.versions), default=count_segments(text))
    preview.cost_usd = sum(v.recipients * v.segments for v in preview.versions) * price_per_segment
    preview.beyond_gsm7 = beyond_gsm7(text)


def _near(place: geo.Place | None, radius: float | None, lat: float | None, lon: float | None) -> bool:
    if place is None:
        return True
    if lat is None or lon is None:
        return False
    return geo.distance_miles(place.lat, place.lon, lat, lon) <= (radius or 50.0)


def _capable(session: Session, taxonomy: Taxonomy, capability: str) -> set[int]:
    """Makers whose listed capabilities name the same taxonomy concepts, or contain the words themselves."""
    wanted = {tag.id for tag in taxonomy.tag(capability)}
    words = capability.casefold().strip()
    found: set[int] = set()
    for maker_id, phrase, concepts in session.exec(
        select(MakerCapability.maker_id, MakerCapability.phrase, MakerCapability.concepts)
    ).all():
        if (wanted and wanted & set(concepts.split())) or (words and words in phrase.casefold()):
            found.add(maker_id)
    return found


def _place(who: Audience) -> geo.Place | None:
    """Where the audience is (None: anywhere); raises BroadcastProblem for an unknown audience or ZIP."""
    if who.to not in AUDIENCES:
        raise BroadcastProblem(texts.BROADCAST_BAD_AUDIENCE.format(choices=", ".join(AUDIENCES)))
    if not who.zip:
        return None
    place = geo.lookup_zip(who.zip)
    if place is None:
        raise BroadcastProblem(texts.REQUEST_UNKNOWN_ZIP.format(zip=who.zip).rstrip("."))
    return place


def check(text: str, who: Audience) -> None:
    """The problems a broadcast has whoever is in the database (no text, an unknown audience or ZIP), found
    without it: raises BroadcastProblem."""
    if not text.strip():
        raise BroadcastProblem(texts.BROADCAST_NO_TEXT)
    _place(who)


def audience(session: Session, taxonomy: Taxonomy, who: Audience, text: str, price_per_segment: float) -> Preview:
    """Everyone the broadcast would reach, once each, and who is left out and why."""
    place = _place(who)
    preview = Preview(recipients=[])
    seen: set[tuple[str, str]] = set()
    if who.to in ("makers", "all"):
        capable = _capable(session, taxonomy, who.capability) if who.capability else None
        opted_out = set(session.exec(select(OptOut.address).where(OptOut.channel == "sms")).all())
        # Plain columns, not Maker objects: a national directory is read in a fraction of a second.
        mk = table_of(Maker).c
        columns = (mk.id, mk.name, mk.phone, mk.lat, mk.lon, mk.status, mk.alerts_opt_out, mk.timezone, mk.language)
        for maker in session.execute(sa.select(*columns).order_by(mk.id)):
            if capable is not None and maker.id not in capable:
                continue
            if not _near(place, who.radius_miles, maker.lat, maker.lon):
                continue
            if maker.status == MakerStatus.STOPPED or maker.phone in opted_out:
                preview.excluded["stopped"] += 1
            elif maker.alerts_opt_out:
                preview.excluded["alerts off"] += 1
            elif maker.status not in who.statuses:
                preview.excluded[maker.status] += 1
            elif ("sms", maker.phone) not in seen:
                seen.add(("sms", maker.phone))
                preview.recipients.append(
                    Recipient(
                        "sms",
                        maker.phone,
                        maker.name,
                        maker_id=maker.id,
                        timezone=maker.timezone,
                        language=language_of(maker.language),
                    )
                )
    if who.to in ("buyers", "all"):
        for buyer in session.exec(select(Buyer).where(col(Buyer.chat_id).is_not(None)).order_by(col(Buyer.id))).all():
            if not _near(place, who.radius_miles, buyer.lat, buyer.lon):
                continue
            if buyer.blocked:
                preview.excluded["blocked"] += 1
            elif (buyer.channel, str(buyer.chat_id)) not in seen:
                seen.add((buyer.channel, str(buyer.chat_id)))
                preview.recipients.append(
                    Recipient(buyer.channel, str(buyer.chat_id), buyer.name or "", buyer_id=buyer.id)
                )
    _price(preview, text, price_per_segment)
    return preview


def create(
    db: Database,
    taxonomy: Taxonomy,
    text: str,
    who: Audience,
    author: str,
    price: float,
    now: datetime | None = None,
    *,
    keep_empty: bool = True,
) -> tuple[Broadcast, Preview]:
    """A draft broadcast and its preview; nothing is queued until `confirm`. With `keep_empty=False` an audience
    of nobody raises NobodyToReach and stores nothing."""
    with db.transaction() as session:
        return create_in(session, taxonomy, text, who, author, price, now, keep_empty=keep_empty)


def create_in(
    session: Session,
    taxonomy: Taxonomy,
    text: str,
    who: Audience,
    author: str,
    price: float,
    now: datetime | None = None,
    *,
    keep_empty: bool = True,
) -> tuple[Broadcast, Preview]:
    """`create` inside the caller's transaction (the organisers' chat)."""
    check(text, who)
    text = text.strip()
    now = now or utcnow()
    preview = audience(session, taxonomy, who, text, price)
    if not preview.recipients and not keep_empty:
        raise NobodyToReach(preview)
    broadcast = Broadcast(
        author=author[:64], text=text, audience=who.as_json(), recipients=len(preview.recipients), created_at=now
    )
    session.add(broadcast)
    session.flush()
    session.add(AdminAction(actor=author[:64], action="broadcast_draft", detail=f"#{broadcast.id}", created_at=now))
    return broadcast, preview


def confirm(db: Database, taxonomy: Taxonomy, broadcast_id: int, actor: str, now: datetime | None = None) -> int:
    """Queue the broadcast for its audience as it is now; a second confirmation queues nothing more."""
    with db.transaction() as session:
        return confirm_in(session, taxonomy, broadcast_id, actor, now)


def lock_in(session: Session, broadcast_id: int) -> Broadcast | None:
    """The broadcast, locked until the transaction ends (SQLite's write lock already is one)."""
    query = select(Broadcast).where(Broadcast.id == broadcast_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.exec(query).first()


def confirm_in(
    session: Session,
    taxonomy: Taxonomy,
    broadcast_id: int,
    actor: str,
    now: datetime | None = None,
    expect: int | None = None,
) -> int:
    """`confirm` inside the caller's transaction. The row lock (PostgreSQL) or the write lock (SQLite) makes two
    confirmations at once queue it once: the second sees it is no longer a draft. With `expect` (the previewed
    count), an audience that has changed since raises AudienceChanged and queues nothing."""
    now = now or utcnow()
    broadcast = lock_in(session, broadcast_id)
    if broadcast is None:
        raise BroadcastProblem(texts.BROADCAST_UNKNOWN.format(id=broadcast_id))
    if broadcast.status != BroadcastStatus.DRAFT:
        return 0
    preview = audience(session, taxonomy, Audience.from_json(broadcast.audience), broadcast.text, 0.0)
    if expect is not None and len(preview.recipients) != expect:
        raise AudienceChanged(preview)
    # One text per language for SMS (the footer translated); a chat gets the organiser's words alone.
    versions = {v.language: sms_text(broadcast.text, v.language) for v in preview.versions}

    def text_for(r: Recipient) -> str:
        return versions[r.language] if r.channel == "sms" else broadcast.text

    hashes = {text: text_hash(text) for text in (broadcast.text, *versions.values())}
    segments = {text: count_segments(text) for text in versions.values()}
    rows: list[dict[str, Any]] = [
        {
            "channel": r.channel,
            "address": r.address,
            "text": text_for(r),
            "purpose": ALERT,
            "lane": "bulk",
            "priority": 5,  # after invitations and follow-ups
            "idempotency_key": f"broadcast:{broadcast.id}:{r.channel}:{r.address}",
            "status": MessageStatus.QUEUED.value,
            "attempts": 0,
            "next_attempt_at": now,
            "segments": segments.get(text_for(r), 1),
            "text_hash": hashes[text_for(r)],
            "timezone": r.timezone,
            "maker_id": r.maker_id,
            "buyer_id": r.buyer_id,
            "broadcast_id": broadcast.id,
            "created_at": now,
            "updated_at": now,
        }
        for r in preview.recipients
    ]
    table = table_of(OutboundMessage)
    insert = insert_skipping_conflicts(session, table, "idempotency_key")
    for start in range(0, len(rows), 2000):
        session.execute(insert, rows[start : start + 2000])
    for channel in {row["channel"] for row in rows}:
        wake_dispatchers(session, channel)
    broadcast.status = BroadcastStatus.SENDING.value
    broadcast.recipients = len(rows)
    broadcast.confirmed_at = now
    session.add(
        AdminAction(actor=actor[:64], action="broadcast_send", detail=f"#{broadcast.id} to {len(rows)}", created_at=now)
    )
    return len(rows)


@dataclass
class Report:
    broadcast: Broadcast
    by_status: dict[str, int]
    failures: dict[str, int]

    @property
    def done(self) -> bool:
        return not any(self.by_status.get(s, 0) for s in UNFINISHED)

    def as_dict(self) -> dict[str, Any]:
        b = self.broadcast
        return {
            "id": b.id,
            "status": b.status,
            "recipients": b.recipients,
            "text": b.text,
            "audience": json.loads(b.audience),
            "messages": self.by_status,
            "failures": self.failures,
        }


def report(db: Database, broadcast_id: int) -> Report:
    """Progress while it runs, and the outcome: sent, delivered, failed with reasons."""
    with db.read() as session:
        result = report_in(session, broadcast_id)
    if result.broadcast.status == BroadcastStatus.SENDING and result.done:
        with db.transaction() as session:
            session.get_one(Broadcast, broadcast_id).status = BroadcastStatus.SENT.value
        result.broadcast.status = BroadcastStatus.SENT.value
    return result


def report_in(session: Session, broadcast_id: int) -> Report:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastProblem(texts.BROADCAST_UNKNOWN.format(id=broadcast_id))
    m = OutboundMessage
    mine = (m.broadcast_id == broadcast_id, m.purpose == ALERT)
    by_status = dict(session.exec(select(m.status, sa.func.count()).where(*mine).group_by(m.status)).all())
    failures = dict(
        session.exec(
            select(m.error_code, sa.func.count()).where(*mine, col(m.status).in_(GAVE_UP)).group_by(m.error_code)
        ).all()
    )
    return Report(broadcast, by_status, {str(k): v for k, v in failures.items()})


def cancel_in(session: Session, broadcast_id: int, actor: str, now: datetime | None = None) -> bool:
    """Drop a draft; False if it was already confirmed (or gone)."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status != BroadcastStatus.DRAFT:
        return False
    broadcast.status = BroadcastStatus.CANCELLED.value
    session.add(
        AdminAction(actor=actor[:64], action="broadcast_cancel", detail=f"#{broadcast_id}", created_at=now or utcnow())
    )
    return True


def progress_text(result: Report) -> str:
    """The organiser's progress line: counts while it runs, the outcome with the reasons once done."""
    b, counts = result.broadcast, result.by_status
    sent = sum(counts.get(status, 0) for status in WENT_OUT)
    failed = sum(counts.get(status, 0) for status in GAVE_UP)
    if not result.done:
        return texts.ADMIN_BC_PROGRESS.format(id=b.id, count=b.recipients, done=sent + failed, sent=sent, failed=failed)
    reasons = ", ".join(f"{n} {texts.FAILURE_NAMES.get(code, code)}" for code, n in sorted(result.failures.items()))
    return texts.ADMIN_BC_FINISHED.format(
        id=b.id,
        count=b.recipients,
        sent=sent,
        delivered=counts.get(MessageStatus.DELIVERED, 0),
        failed=failed,
        reasons=f" ({reasons})" if reasons else "",
    )


def start_progress(
    session: Session, broadcast: Broadcast, channel: str, address: str, buyer_id: int | None, now: datetime
) -> OutboundMessage:
    """The message in the organiser's chat that `update_progress` keeps editing as the broadcast goes out."""
    return enqueue(
        session,
        channel=channel,
        address=address,
        text=texts.ADMIN_BC_SENDING.format(id=broadcast.id, count=broadcast.recipients),
        purpose=PROGRESS,
        key=f"broadcast-progress:{broadcast.id}",
        buyer_id=buyer_id,
        broadcast_id=broadcast.id,
        now=now,
    )


def refresh_progress(db: Database, now: datetime | None = None) -> int:
    """The scheduler's job: `update_progress` in its own transaction, skipped cheaply when no line is recent."""
    now = now or utcnow()
    m = OutboundMessage
    recent = select(m.id).where(m.purpose == PROGRESS, col(m.edit_of).is_(None), m.created_at >= now - PROGRESS_WINDOW)
    with db.read() as session:
        if session.exec(recent.limit(1)).first() is None:
            return 0
    with db.transaction() as session:
        return update_progress(session, now)


def update_progress(session: Session, now: datetime) -> int:
    """Queue an edit of each recent progress line whose numbers changed; returns how many were queued.

    Run by every worker's scheduler: the edits' keys are derived from their text, so two workers queue one."""
    m = OutboundMessage
    lines = session.exec(
        select(m).where(m.purpose == PROGRESS, col(m.edit_of).is_(None), m.created_at >= now - PROGRESS_WINDOW)
    ).all()
    queued = 0
    for line in lines:
        if line.provider_id is None or line.broadcast_id is None:
            continue  # not on screen yet: nothing to edit
        result = report_in(session, line.broadcast_id)
        if result.broadcast.status == BroadcastStatus.SENDING and result.done:
            result.broadcast.status = BroadcastStatus.SENT.value
        text = progress_text(result)
        edits = session.exec(select(m.status, m.text).where(m.edit_of == line.id).order_by(col(m.id))).all()
        if any(status not in WENT_OUT for status, _ in edits):
            # One edit at a time, so they reach the chat in order; and none after one that failed for good
            # (the organiser deleted the message, say).
            continue
        shown = edits[-1][1] if edits else line.text
        if text == shown:
            continue
        enqueue(
            session,
            channel=line.channel,
            address=line.address,
            text=text,
            purpose=PROGRESS,
            key=f"broadcast-progress:{line.id}:{text_hash(text)}",
            buyer_id=line.buyer_id,
            edit_of=line.id,
            now=now,
        )
        queued += 1
    return queued


def recent_broadcast_to(session: Session, phone: str, since: datetime) -> int | None:
    """The broadcast this maker most recently got, if it is recent: their reply may be meant for it."""
    m = OutboundMessage
    return session.exec(
        select(m.broadcast_id)
        .where(
            m.address == phone,
            col(m.broadcast_id).is_not(None),
            m.purpose == ALERT,
            col(m.status).in_(WENT_OUT),
            col(m.sent_at) >= since,
        )
        .order_by(col(m.id).desc())
    ).first()
