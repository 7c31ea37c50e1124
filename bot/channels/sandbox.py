"""The sandbox channel: a page in the browser stands in for Telegram and for the makers' phones, on this machine.

It is a channel like the others: what the person does on the page becomes the same `ChatEvent` for the buyer
service or the same incoming SMS for the inbox, recorded once and acted on in one transaction; what the bot says
goes through the same outbox and dispatcher, whose senders here only stamp the message delivered. The page shows
the outbox rows those senders delivered. A sandbox clock (real time plus what "skip ahead" added) is handed to
the dispatcher, the reminder ticks and every service call, so follow-ups and quiet hours play out as they would.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import dataclasses
import json
import logging
import math
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot import media, outbox, texts
from bot.channels.inbound import BodyTooLarge, Inbound, read_capped, receive
from bot.config import Settings
from bot.db import Database, table_of
from bot.models import (
    Buyer,
    InboundMessage,
    Invitation,
    Maker,
    MakerCapability,
    MakerTrait,
    Media,
    MessageStatus,
    OutboundMessage,
    as_utc,
    utcnow,
)
from bot.models import Request as JobRequest
from bot.outbox import Outgoing, SendResult, parse_quiet_hours, quiet_until
from bot.phones import to_e164
from bot.segments import count_segments
from bot.services import broadcasts, buyers, console_access, impact, sms_inbox
from bot.services import makers as maker_service
from bot.services.ticker import Ticker
from matching.directory import Directory
from matching.taxonomy import Taxonomy

CHANNELS = ("telegram", "sms")  # the sandbox stands in for both
PROVIDER_PREFIX = "sandbox-"  # provider ids of what the sandbox senders delivered
APPLICATION_ID = 0x4D4B4C53  # "MKLS" in the SQLite header: this file belongs to the sandbox
MAX_BODY_BYTES = 16 * 1024
MAX_PICTURE_BODY_BYTES = (media.MAX_BYTES * 4) // 3 + 64 * 1024  # a picture's bytes as base64, with the JSON around
MAX_SKIP_HOURS = 24 * 30
MAX_ID = 2**62  # larger ids exist in no table (and would overflow SQLite's integers)
# The buyer on the page: a Telegram user with a username, so accepting a quote needs no phone number.
# The sandbox's organiser: the Telegram id its page logs in to the console as (bot/bootstrap.py adds it to the
# console's organisers, in the sandbox only); what it does there is audited as telegram:700000000.
ORGANISER_ID = 700_000_000
BUYER = {"user_id": 700_000_001, "chat_id": 700_000_001, "first_name": "Dana", "username": "dana_sandbox"}
# Inbound provider ids say what the person did, so the page can draw it (a button press is not a bubble).
KIND_TEXT, KIND_BUTTON, KIND_LOCATION, KIND_CONTACT, KIND_SMS = "msg", "btn", "loc", "tel", "sms"
KIND_PICTURE = "pic"  # a picture a side sent, shown on its own side
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
log = logging.getLogger(__name__)


class SandboxRefused(Exception):
    """The database is not the sandbox's to use; the message is one sentence for the operator."""


class BadInput(Exception):
    """The page (or a script) sent something the sandbox cannot act on; answered with a 4xx and this sentence."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# ── the clock ──


class SandboxClock:
    """Sandbox time: real time plus an offset that only grows ("skip ahead"), or starts afresh on Reset."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return utcnow() + self._offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def skip(self, by: timedelta) -> datetime:
        with self._lock:
            self._offset += by
            return self.now()

    def restart(self, offset: timedelta) -> None:
        with self._lock:
            self._offset = offset


def start_offset(db: Database, settings: Settings, now: datetime | None = None, *, fresh: bool = False) -> timedelta:
    """Where the sandbox clock starts: never before the latest thing in the database (it does not run backwards
    across restarts; `fresh`, after Reset, has nothing to keep up with, even if a send that was under way lands
    after the wipe), and at least an hour before quiet hours, so that a newcomer trying it at night still sees
    makers texted (the bot's time zone; makers further west may still be asleep, as they would be)."""
    now = now or utcnow()
    stamps = []
    if not fresh:
        with db.read() as session:
            stamps = [
                session.exec(select(sa.func.max(OutboundMessage.created_at))).one(),
                session.exec(select(sa.func.max(InboundMessage.received_at))).one(),
            ]
    latest = max((as_utc(s) for s in stamps if s is not None), default=now)
    start = max(now, latest)
    quiet = parse_quiet_hours(settings.quiet_hours)
    if quiet:
        # Not in quiet hours, nor within an hour of them: a first try should not be cut off half-way.
        for probe in (start, start + timedelta(hours=1)):
            if until := quiet_until(probe, ZoneInfo(settings.timezone), quiet):
                start = until
                break
    return start - now


# ── the database the sandbox may use ──


def claim_database(db: Database) -> None:
    """Mark a fresh SQLite file as the sandbox's; refuse any database holding data the sandbox did not make,
    since Reset empties it and the sandbox senders would mark real queued messages as delivered."""
    if not db.is_sqlite:
        raise SandboxRefused(texts.SANDBOX_NOT_SQLITE)
    with db.engine.connect() as connection:
        marked = connection.exec_driver_sql("PRAGMA application_id").scalar() == APPLICATION_ID
        if marked:
            return
        used = any(
            connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in (table_of(Maker), table_of(Buyer), table_of(OutboundMessage), table_of(InboundMessage))
        )
        if used:
            raise SandboxRefused(texts.SANDBOX_NOT_OURS)
        connection.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.commit()


def is_sandbox_database(db: Database) -> bool:
    """A SQLite file the sandbox has marked as its own (demo makers with fictional numbers)."""
    if not db.is_sqlite:
        return False
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("PRAGMA application_id").scalar() == APPLICATION_ID


def load_demo_makers(db: Database, taxonomy: Taxonomy) -> int:
    """The demo directory shipped with makerlink (fictional 555 numbers); returns how many makers it holds."""
    data = (resources.files("bot.data") / "demo_makers.csv").read_bytes()
    return maker_service.import_makers(db, data, texts.DEMO_DIRECTORY_NAME, taxonomy).imported


# ── sending ──


@dataclass
class DeliveryReports:
    """What a provider's status callback would say: each message the sandbox delivered is marked delivered
    through the outbox's own `record_status`, once the dispatcher has recorded it sent."""

    db: Database
    clock: Callable[[], datetime]
    interval: float = 0.3
    _pending: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, provider id) → tries
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def expect(self, channel: str, provider_id: str) -> None:
        with self._lock:
            self._pending[(channel, provider_id)] = 0

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def apply(self) -> int:
        """Report what can be reported now; return how many messages became delivered."""
        with self._lock:
            pending = list(self._pending)
        if not pending:
            return 0
        done, delivered = [], 0
        with self.db.transaction() as session:
            for channel, provider_id in pending:
                if outbox.record_status(session, channel, provider_id, MessageStatus.DELIVERED, None, self.clock()):
                    delivered += 1
                    done.append((channel, provider_id))
        with self._lock:
            for key in done:
                self._pending.pop(key, None)
            for key in list(self._pending):
                self._pending[key] += 1
                if self._pending[key] > 50:  # never recorded as sent (reset meanwhile): nothing to report
                    del self._pending[key]
        return delivered

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.apply)
            except Exception:
                log.exception("sandbox: recording delivery reports failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)


class SandboxSender:
    """The outbox's sender for one channel in the sandbox: nothing leaves the machine; the message is delivered
    to the page, which reads it back from its outbox row."""

    def __init__(self, channel: str, reports: DeliveryReports) -> None:
        self.channel = channel
        self.reports = reports

    async def send(self, message: Outgoing) -> SendResult:
        provider_id = f"{PROVIDER_PREFIX}{self.channel}-{message.id}-{message.attempt}"
        self.reports.expect(self.channel, provider_id)
        segments = count_segments(message.text) if self.channel in outbox.SEGMENTED_CHANNELS else None
        return SendResult(provider_id=provider_id, segments=segments)

    async def aclose(self) -> None:
        return None


# ── acting on the page ──


@dataclass
class SandboxChannel:
    """Turns what is done on the page into the services' calls, and reads back what the page shows."""

    db: Database
    taxonomy: Taxonomy
    directory: Callable[[], Directory]
    config: buyers.ChatConfig
    settings: Settings
    clock: SandboxClock
    ticker: Ticker
    reports: DeliveryReports
    on_enqueued: Callable[[], None] | None = None
    console: console_access.ConsoleLinks | None = None  # the console's login links, when it is mounted
    store: media.MediaStore | None = None  # pictures the page sends, kept as the real channels keep them
    links: media.MediaLinks | None = None  # signed links on this site, to show pictures on the page

    # ── pictures (the page sends a file as base64 in its JSON) ──

    def _picture(self, body: dict) -> tuple[media.Stored | None, media.Refused | None]:
        raw = body.get("picture")
        if raw is None or self.store is None:
            return None, None
        if not isinstance(raw, str):
            return None, media.Refused("PICTURE_UNREADABLE")
        try:
            data = base64.b64decode(raw.split(",", 1)[-1], validate=True)  # a data: URL or bare base64
        except (ValueError, binascii.Error):
            return None, media.Refused("PICTURE_UNREADABLE")
        try:
            return self.store.save(media.clean(data)), None
        except media.Refused as refused:
            return None, refused

    def chat_picture(self, body: dict) -> dict:
        """A photo or drawing from the buyer, with or without words (its caption)."""
        picture, refused = self._picture(body)
        if picture is None and refused is None:
            raise BadInput(texts.SANDBOX_NEEDS_TEXT.format(field="picture"))
        caption = _string(body, "text", 4096, required=False)
        event = _chat_event({"text": caption or "-", "language": body.get("language")}, _client_id(body))
        event = dataclasses.replace(event, text=caption, picture=picture, picture_refused=refused)
        self._receive_chat(event)
        self._enqueued()
        return {"ok": True}

    def sms_picture(self, body: dict) -> dict:
        """An MMS from a maker's phone: its words and one picture."""
        picture, refused = self._picture(body)
        if picture is None and refused is None:
            raise BadInput(texts.SANDBOX_NEEDS_TEXT.format(field="picture"))
        return self.sms({**body, "text": body.get("text") or " "}, (picture,) if picture else (), refused)

    def picture_url(self, key: str | None) -> str | None:
        return self.links.url(key) if key and self.links is not None else None

    def _enqueued(self) -> None:
        if self.on_enqueued is not None:
            self.on_enqueued()

    # ── the buyer's chat ──

    def chat(self, body: dict) -> dict:
        """One thing the buyer did: typed text (or a /command), pressed a button, shared a place or a number."""
        event = _chat_event(body, _client_id(body))
        answer = self._receive_chat(event)
        self._enqueued()
        return {"ok": True, "toast": answer.toast if answer else None, "alert": bool(answer and answer.alert)}

    def _receive_chat(self, event: buyers.ChatEvent) -> buyers.Answer | None:
        channel, provider_id = event.channel, event.event_id
        what = (event.text or event.callback or (f"/{event.command}" if event.command else "")).replace("\x00", "")
        if event.location is not None:
            what = f"{event.location[0]:.5f},{event.location[1]:.5f}"
        elif event.contact_phone is not None:
            what = event.contact_phone
        now = self.clock.now()
        label = f"sandbox: chat action {provider_id}"
        message = Inbound(channel, provider_id, str(event.user_id), what, reply_to=str(event.chat_id), label=label)

        def act(session: Session) -> buyers.Answer:
            return buyers.handle_chat(session, self.taxonomy, self.directory, self.config, event, now)

        return receive(self.db, message, now, act).result

    # ── the makers' phones ──

    def sms(self, body: dict, pictures: tuple[media.Stored, ...] = (), refused: media.Refused | None = None) -> dict:
        """A text from a maker's phone (or any phone: a stranger may text JOIN), through the SMS inbox."""
        phone = to_e164(_string(body, "phone", 32))
        if phone is None:
            raise BadInput(texts.SANDBOX_BAD_PHONE)
        text = _string(body, "text", 1600, required=not (pictures or refused))
        provider_id = f"{KIND_SMS}-{_client_id(body)}"
        now = self.clock.now()
        label = f"sandbox: SMS {provider_id}"
        message = Inbound(sms_inbox.CHANNEL, provider_id, phone, text, reply_to=phone, label=label)

        def act(session: Session) -> None:
            sms_inbox.handle_sms(
                session,
                self.taxonomy,
                phone=phone,
                text=text,
                message_id=provider_id,
                now=now,
                default_timezone=self.settings.timezone,
                followups=self.config.followups,
                admin_ids=self.config.admin_ids,
                pictures=pictures,
                picture_refused=refused,
            )

        receive(self.db, message, now, act)
        self._enqueued()
        return {"ok": True, "phone": phone}

    # ── the clock, and starting over ──

    def skip(self, body: dict) -> dict:
        """Move the sandbox clock ahead and run the reminder tick at once, as the scheduler would then."""
        hours = body.get("hours")
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            raise BadInput(texts.SANDBOX_BAD_HOURS.format(limit=MAX_SKIP_HOURS))
        if not 0 < hours <= MAX_SKIP_HOURS:  # also refuses NaN, and integers too big for a float
            raise BadInput(texts.SANDBOX_BAD_HOURS.format(limit=MAX_SKIP_HOURS))
        now = self.clock.skip(timedelta(hours=hours))
        report = self.ticker.tick(now)
        self._enqueued()
        skipped = {str(why): count for why, count in report.skipped.items()}
        return {
            "ok": True,
            "now": now.isoformat(),
            "reminders_fired": report.fired,
            "reminders_sent": report.sent,
            "reminders_skipped": skipped,  # by kind of reason: bot/services/reminders.py Moot
            "notice": texts.skip_ahead_notice(hours, report.sent, skipped),
        }

    def reset(self) -> dict:
        """A fresh database with the demo makers, and the clock back to now."""
        with self.db.transaction() as session:
            for table in reversed(SQLModel.metadata.sorted_tables):
                session.execute(table.delete())
            if session.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
                session.execute(sa.text("DELETE FROM sqlite_sequence"))  # ids start from 1 again
        self.reports.clear()
        count = load_demo_makers(self.db, self.taxonomy)
        self.clock.restart(start_offset(self.db, self.settings, fresh=True))
        self._enqueued()
        return {"ok": True, "makers": count}

    # ── broadcasts ──

    def broadcast_preview(self, body: dict) -> dict:
        to = _string(body, "to", 10, required=False) or "makers"
        if to not in ("makers", "buyers", "all"):
            raise BadInput(texts.SANDBOX_BAD_AUDIENCE)
        radius = body.get("radius_miles")
        if radius is not None and (isinstance(radius, bool) or not isinstance(radius, int | float)):
            raise BadInput(texts.SANDBOX_BAD_RADIUS)
        if radius is not None and not 0.1 <= radius <= 3000:
            raise BadInput(texts.SANDBOX_BAD_RADIUS)
        who = broadcasts.Audience(
            to=to,
            capability=_string(body, "capability", 200, required=False) or None,
            zip=_string(body, "zip", 10, required=False) or None,
            radius_miles=float(radius) if radius is not None else None,
        )
        text = _string(body, "text", 1600)
        try:
            draft, preview = broadcasts.create(
                self.db,
                self.taxonomy,
                text,
                who,
                "sandbox",
                self.settings.sms_price_per_segment,
                now=self.clock.now(),
            )
        except broadcasts.BroadcastProblem as problem:
            raise BadInput(str(problem)) from None
        return {"broadcast": draft.id, "preview": preview.as_dict()}

    def broadcast_send(self, broadcast_id: int) -> dict:
        try:
            queued = broadcasts.confirm(self.db, self.taxonomy, broadcast_id, "sandbox", now=self.clock.now())
        except broadcasts.BroadcastProblem as problem:
            raise BadInput(str(problem), status=404) from None
        self._enqueued()
        return {"broadcast": broadcast_id, "queued": queued}

    def broadcast_report(self, broadcast_id: int) -> dict:
        try:
            result = broadcasts.report(self.db, broadcast_id)
        except broadcasts.BroadcastProblem as problem:
            raise BadInput(str(problem), status=404) from None
        return {**result.as_dict(), "done": result.done, "held_until": self._held_until(broadcast_id)}

    def _held_until(self, broadcast_id: int) -> str | None:
        """When quiet hours hold some of it: the time they end (sandbox time)."""
        m = OutboundMessage
        with self.db.read() as session:
            later = session.exec(
                select(sa.func.max(m.next_attempt_at)).where(
                    m.broadcast_id == broadcast_id,
                    m.status == MessageStatus.QUEUED,
                    m.next_attempt_at > self.clock.now(),
                )
            ).one()
        return as_utc(later).isoformat() if later else None

    # ── what the page shows ──

    def state(self) -> dict:
        now = self.clock.now()
        zone = ZoneInfo(self.settings.timezone)
        quiet = parse_quiet_hours(self.settings.quiet_hours)
        with self.db.read() as session:
            delivered = session.exec(
                select(OutboundMessage)
                .where(col(OutboundMessage.provider_id).like(f"{PROVIDER_PREFIX}%"))
                .order_by(col(OutboundMessage.sent_at), col(OutboundMessage.id))
            ).all()
            inbound = session.exec(
                select(InboundMessage).order_by(col(InboundMessage.received_at), col(InboundMessage.id))
            ).all()
            makers = session.exec(select(Maker).order_by(col(Maker.id))).all()
            sent_pictures = session.execute(
                sa.select(col(Media.id), col(Media.key), col(Media.created_at), col(Maker.phone))
                .join(JobRequest, col(JobRequest.id) == col(Media.request_id))
                .outerjoin(Invitation, col(Invitation.id) == col(Media.invitation_id))
                .outerjoin(Maker, col(Maker.id) == col(Invitation.maker_id))
                .order_by(col(Media.id))
            ).all()
            phrases: dict[int, list[str]] = {}
            for maker_id, phrase in session.exec(
                select(MakerCapability.maker_id, MakerCapability.phrase).order_by(col(MakerCapability.id))
            ).all():
                phrases.setdefault(maker_id, []).append(phrase)
            traits: dict[tuple[int, str], list[str]] = {}
            for maker_id, kind, phrase in session.exec(
                select(MakerTrait.maker_id, MakerTrait.kind, MakerTrait.phrase).order_by(
                    col(MakerTrait.maker_id), col(MakerTrait.position), col(MakerTrait.id)
                )
            ).all():
                traits.setdefault((maker_id, kind), []).append(phrase)
            waiting = session.exec(
                select(OutboundMessage.address, sa.func.count(), sa.func.max(OutboundMessage.next_attempt_at))
                .where(
                    OutboundMessage.channel == "sms",
                    col(OutboundMessage.status).in_(
                        (MessageStatus.QUEUED, MessageStatus.ERRORED, MessageStatus.SENDING)
                    ),
                )
                .group_by(OutboundMessage.address)
            ).all()
        chat_id, user_id = str(BUYER["chat_id"]), str(BUYER["user_id"])
        buyer_messages: list[dict] = []
        threads: dict[str, list[dict]] = {}
        for received in inbound:
            kind = received.provider_id.split("-", 1)[0]
            item: dict[str, Any] = {
                "id": f"in{received.id}",
                "at": _iso(received.received_at),
                "text": received.text,
                "kind": kind,
            }
            if received.channel == "telegram" and received.sender == user_id and kind != KIND_BUTTON:
                buyer_messages.append({**item, "from": "buyer"})
            elif received.channel == "sms":
                threads.setdefault(received.sender, []).append({**item, "from": "maker"})
        # The pictures each side sent, on their own side too, as the apps show what one sent.
        for sent in sent_pictures:
            shown: dict[str, Any] = {
                "id": f"media{sent.id}",
                "at": _iso(sent.created_at),
                "text": "",
                "kind": KIND_PICTURE,
            }
            shown |= {"picture": self.picture_url(sent.key), "picture_is_pdf": sent.key.endswith(".pdf")}
            if sent.phone is None:
                buyer_messages.append({**shown, "from": "buyer"})
            else:
                threads.setdefault(sent.phone, []).append({**shown, "from": "maker"})
        # An edit (a broadcast's progress line) shows as its message with the new text, as Telegram shows it.
        edits: dict[int | None, OutboundMessage] = {row.edit_of: row for row in delivered if row.edit_of is not None}
        for row in delivered:
            if row.edit_of is not None:
                continue
            edit = edits.get(row.id)
            item = {
                "id": f"out{row.id}" + (f"e{edit.id}" if edit else ""),  # a new id, so the page redraws it
                "at": _iso(row.sent_at or row.created_at),
                "text": edit.text if edit else row.text,
                "from": "bot",
                "purpose": row.purpose,
                "status": row.status,
                "picture": self.picture_url(row.media_key),
                "picture_is_pdf": bool(row.media_key and row.media_key.endswith(".pdf")),
            }
            if row.channel == "telegram" and row.address == chat_id:
                buyer_messages.append({**item, "buttons": _buttons(row.buttons)})
            elif row.channel == "sms":
                threads.setdefault(row.address, []).append(item)
        for messages in [buyer_messages, *threads.values()]:
            messages.sort(key=lambda m: (m["at"], m["from"] == "bot"))  # ISO times of one form sort as times
        held = {address: (count, as_utc(until)) for address, count, until in waiting}
        maker_rows = []
        for maker in makers:
            count, until = held.get(maker.phone, (0, None))
            maker_rows.append(
                {
                    "id": maker.id,
                    "name": maker.name,
                    "phone": maker.phone,
                    "zip": maker.zip,
                    "status": maker.status,
                    "capabilities": "; ".join(phrases.get(maker.id or 0, [])),
                    # Who the maker is, for the card: its kind, the organisers' labels, greener practices, classes.
                    "type": maker.kind,
                    "badges": traits.get((maker.id or 0, "badge"), []),
                    "practices": traits.get((maker.id or 0, "practice"), []),
                    "training": traits.get((maker.id or 0, "training"), []),
                    "messages": threads.pop(maker.phone, []),
                    "waiting": count,
                    "waiting_until": until.isoformat() if until and until > now else None,
                }
            )
        strangers = [{"phone": phone, "messages": messages} for phone, messages in threads.items()]
        local = now.astimezone(zone)
        return {
            "clock": {
                "now": now.isoformat(),
                "local": local.strftime("%a %d %b %Y, %H:%M"),
                "timezone": self.settings.timezone,
                "skipped_hours": round(self.clock.offset.total_seconds() / 3600, 2),
                "quiet_hours": self.settings.quiet_hours,
                "quiet_now": bool(quiet and quiet_until(now, zone, quiet)),
            },
            "buyer": {
                "name": BUYER["first_name"],
                "username": BUYER["username"],
                "messages": buyer_messages,
                "keyboard": _reply_keyboard(buyer_messages),
            },
            "makers": maker_rows,
            "strangers": strangers,
            "impact": self._impact(),
        }

    def _impact(self) -> dict:
        """The admin panel's impact card: all the sandbox's orders, as the organisers' figures and their text."""
        figures = impact.collect(self.db, impact.Basis.from_settings(self.taxonomy, self.settings))
        return {"text": texts.impact_text(figures, texts.IMPACT_HEADING_ALL), "figures": figures}

    # ── HTTP ──

    def routes(self) -> list[BaseRoute]:
        page = resources.files("bot") / "static"
        return [
            Route("/", self._page, methods=["GET"]),
            Mount("/sandbox/static", app=StaticFiles(directory=str(page)), name="sandbox-static"),
            Route("/sandbox/state", self._get(self.state), methods=["GET"]),
            Route("/sandbox/chat", self._post(self.chat), methods=["POST"]),
            Route("/sandbox/sms", self._post(self.sms), methods=["POST"]),
            Route("/sandbox/chat/picture", self._post(self.chat_picture, MAX_PICTURE_BODY_BYTES), methods=["POST"]),
            Route("/sandbox/sms/picture", self._post(self.sms_picture, MAX_PICTURE_BODY_BYTES), methods=["POST"]),
            Route("/sandbox/clock", self._post(self.skip), methods=["POST"]),
            Route("/sandbox/reset", self._post(lambda _body: self.reset()), methods=["POST"]),
            Route("/sandbox/broadcasts", self._post(self.broadcast_preview), methods=["POST"]),
            Route("/sandbox/broadcasts/{id:int}/send", self._post_id(self.broadcast_send), methods=["POST"]),
            Route("/sandbox/broadcasts/{id:int}", self._get_id(self.broadcast_report), methods=["GET"]),
            Route("/sandbox/console", self._console, methods=["GET"]),
        ]

    async def _console(self, _request: Request) -> Response:
        """The page's "Organisers' console" link: a one-time login link for the sandbox's organiser, as the bot's
        /console sends one, and on to it; the console's own page and its Log in button do the rest."""
        if self.console is None or self.console.signer is None:
            return JSONResponse({"ok": False, "error": texts.CONSOLE_OFF}, status_code=503)
        links = self.console

        def issue() -> str:
            with self.db.transaction() as session:
                return console_access.issue_link(session, links, ORGANISER_ID, utcnow())

        return RedirectResponse(await run_in_threadpool(issue), status_code=303)

    async def _page(self, _request: Request) -> Response:
        return FileResponse(str(resources.files("bot") / "static" / "sandbox.html"), media_type="text/html")

    def _get(self, action: Callable[[], dict]):
        async def endpoint(_request: Request) -> Response:
            return await _answer(action)

        return endpoint

    def _get_id(self, action: Callable[[int], dict]):
        async def endpoint(request: Request) -> Response:
            if request.path_params["id"] > MAX_ID:
                return _problem(BadInput(texts.BROADCAST_UNKNOWN.format(id=request.path_params["id"]), 404))
            return await _answer(action, request.path_params["id"])

        return endpoint

    def _post(self, action: Callable[[dict], dict], limit: int = MAX_BODY_BYTES):
        async def endpoint(request: Request) -> Response:
            try:
                body = await _json_body(request, limit)
            except BadInput as problem:
                return _problem(problem)
            return await _answer(action, body)

        return endpoint

    def _post_id(self, action: Callable[[int], dict]):
        async def endpoint(request: Request) -> Response:
            try:
                await _json_body(request)
                if request.path_params["id"] > MAX_ID:
                    raise BadInput(texts.BROADCAST_UNKNOWN.format(id=request.path_params["id"]), 404)
            except BadInput as problem:
                return _problem(problem)
            return await _answer(action, request.path_params["id"])

        return endpoint


async def _json_body(request: Request, limit: int = MAX_BODY_BYTES) -> dict:
    """A JSON object. Requiring the JSON content type also keeps other web sites out: a browser sends such a
    request to another origin only after a CORS preflight, which this app never grants."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise BadInput(texts.SANDBOX_NOT_JSON, status=415)
    try:
        raw = await read_capped(request, limit)
    except BodyTooLarge:
        raise BadInput(texts.SANDBOX_TOO_LARGE, status=413) from None
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise BadInput(texts.SANDBOX_NOT_JSON, status=400) from None
    if not isinstance(body, dict):
        raise BadInput(texts.SANDBOX_NOT_OBJECT)
    return body


async def _answer(action: Callable[..., dict], *args: Any) -> Response:
    try:
        return JSONResponse(await run_in_threadpool(action, *args))
    except BadInput as problem:
        return _problem(problem)
    except sa.exc.OperationalError:
        log.exception("sandbox: the database is unavailable")
        return JSONResponse({"error": texts.SANDBOX_BUSY}, status_code=503)


def _problem(problem: BadInput) -> Response:
    return JSONResponse({"error": str(problem)}, status_code=problem.status)


def _string(body: dict, name: str, limit: int, *, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadInput(texts.SANDBOX_NEEDS_TEXT.format(field=name))
    if len(value) > limit:
        raise BadInput(texts.SANDBOX_TOO_LONG.format(field=name, limit=limit))
    return value.replace("\x00", "").strip()


def _client_id(body: dict) -> str:
    """The page names each action, so a double click or a retried request acts once."""
    given = body.get("id")
    if given is None:
        return uuid.uuid4().hex
    if not isinstance(given, str) or not _CLIENT_ID.match(given):
        raise BadInput(texts.SANDBOX_BAD_ID)
    return given


def _chat_event(body: dict, client_id: str) -> buyers.ChatEvent:
    """The body names exactly one of text, callback, location, contact; the event is what Telegram would give.
    Its id (the inbound provider id too) starts with the kind of action, so that the page can draw it."""
    given = [name for name in ("text", "callback", "location", "contact") if body.get(name) is not None]
    if len(given) != 1:
        raise BadInput(texts.SANDBOX_ONE_ACTION)
    base = {
        "channel": "telegram",
        "event_id": client_id,
        "user_id": BUYER["user_id"],
        "chat_id": BUYER["chat_id"],
        "first_name": BUYER["first_name"],
        "username": BUYER["username"],
        "language_code": _string(body, "language", 10, required=False) or "en",
    }
    name = given[0]
    if name == "callback":
        data = _string(body, "callback", 64)  # Telegram's limit for callback data
        return _event(KIND_BUTTON, base, callback=data)
    if name == "location":
        place = body["location"]
        try:
            lat, lon = float(place["latitude"]), float(place["longitude"])
        except (TypeError, KeyError, ValueError, OverflowError):
            raise BadInput(texts.SANDBOX_BAD_LOCATION) from None
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise BadInput(texts.SANDBOX_BAD_LOCATION)
        return _event(KIND_LOCATION, base, location=(lat, lon))
    if name == "contact":
        return _event(KIND_CONTACT, base, contact_phone=_string(body, "contact", 32))
    text = _string(body, "text", 4096)
    if text.startswith("/"):
        words = text[1:].split(maxsplit=1)
        command = words[0].split("@", 1)[0].lower() if words else ""
        return _event(KIND_TEXT, base, command=command, args=words[1] if len(words) > 1 else "")
    return _event(KIND_TEXT, base, text=text)


def _event(kind: str, base: dict, **what: Any) -> buyers.ChatEvent:
    return buyers.ChatEvent(**{**base, "event_id": f"{kind}-{base['event_id']}"}, **what)


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="microseconds")


def _buttons(raw: str | None) -> list[list[dict]]:
    if not raw:
        return []
    return [[{"label": label, "data": data} for label, data in row] for row in json.loads(raw)]


def _reply_keyboard(messages: list[dict]) -> list[list[dict]]:
    """Telegram's reply keyboard (share location or contact): shown under the input box after the message that
    brought it, until the buyer answers anything (it is one-time) or the bot says something without buttons."""
    special = {buyers.SHARE_LOCATION, buyers.SHARE_CONTACT}
    for message in reversed(messages):
        if message["from"] != "bot":
            return []
        buttons = message.get("buttons") or []
        if any(b["data"] in special for row in buttons for b in row):
            return buttons
        return []
    return []
