"""What happens when someone texts makerlink: a maker answering a job, managing their listing, or a stranger joining.

`handle_sms` runs inside the webhook's transaction: every state change and every reply it queues commits
together, or not at all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from bot import outbox, texts
from bot.config import DEFAULT_TIMEZONE
from bot.db import insert_skipping_conflicts, saved_id, table_of
from bot.locales import LANGUAGES, Catalogue, catalogue, language_of
from bot.media import Refused, Stored
from bot.models import Maker, MakerCapability, MakerStatus, OptOut, Request, utcnow
from bot.services import makers as maker_service
from bot.services import notices
from bot.services.broadcasts import recent_broadcast_to
from bot.services.conversations import ConversationStore, Flow, Pending
from bot.services.followups import FollowUpPolicy
from bot.services.maker_jobs import JobAnswers
from bot.services.maker_listing import ListingEdits
from bot.services.notices import Buttons
from bot.services.orders import (
    InvitationStatus,
)
from bot.services.replies import TWILIO_OPT_OUT_WORDS, Reply, guess_language, opt_out_word, parse_reply, split_phrases
from matching import geo
from matching.taxonomy import Taxonomy

CHANNEL = "sms"
BROADCAST_REPLY_WINDOW = timedelta(days=3)  # a reply this soon after an alert may be an answer to it
CONVERSATION_TTL = timedelta(days=2)  # a half-finished sign-up or question older than this is forgotten
log = logging.getLogger(__name__)


class Inbox(JobAnswers, ListingEdits):
    """One incoming SMS and everything it may touch, in the caller's transaction."""

    def __init__(
        self,
        session: Session,
        taxonomy: Taxonomy,
        *,
        phone: str,
        text: str,
        message_id: str,
        now: datetime,
        default_timezone: str = DEFAULT_TIMEZONE,
        policy: FollowUpPolicy | None = None,
        admin_ids: tuple[int, ...] = (),
    ) -> None:
        self.session = session
        self.admin_ids = admin_ids
        self.taxonomy = taxonomy
        self.phone = phone
        self.text = text
        self.message_id = message_id
        self.now = now
        self.maker = session.exec(select(Maker).where(Maker.phone == phone)).first()
        self.policy = policy or FollowUpPolicy()
        if self.maker is not None:
            self.maker.last_seen_at = now  # any text proves the listing is alive (see the freshness follow-up)
        zone_name = (self.maker.timezone if self.maker else None) or default_timezone
        try:
            self.zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            self.zone = ZoneInfo(default_timezone)
        self._replies = 0
        # A stranger is answered in the language their texts look like, until they say or sign up.
        self.language = language_of(self.maker.language if self.maker else guess_language(text))

    # ── replies and notes to the buyer ──

    def reply(self, text: str) -> None:
        self._replies += 1
        outbox.enqueue(
            self.session,
            channel=CHANNEL,
            address=self.phone,
            text=text,
            purpose="reply",
            key=f"sms-reply:{self.message_id}:{self._replies}",
            lane="reply",
            maker_id=self.maker.id if self.maker else None,
            timezone=self.maker.timezone if self.maker else None,
            now=self.now,
        )

    def tell_buyer(
        self,
        request: Request,
        purpose: str,
        text: Callable[[Catalogue], str],
        buttons: Callable[[Catalogue], Buttons] | None = None,
    ) -> None:
        """Relay to the buyer in their chat and language (see notices.tell_buyer)."""
        notices.tell_buyer(self.session, request, purpose, f"{purpose}:{self.message_id}", text, buttons, self.now)

    # ── conversation state ──

    def conversation(self) -> Pending | None:
        return self._conversations().get()

    def remember(self, state: str, **data: object) -> None:
        self._conversations().remember(state, data)

    def forget(self) -> None:
        self._conversations().forget()

    def _conversations(self) -> ConversationStore:
        return ConversationStore(self.session, Flow.SMS_INBOX, CHANNEL, self.phone, self.now, CONVERSATION_TTL)

    # ── the entry point ──

    def handle(self, opt_out_type: str | None = None) -> None:
        today = self.now.astimezone(self.zone).date()
        reply = parse_reply(self.text, today=today)
        # Twilio's Advanced Opt-Out tells us which keyword it acted on; it is the authority where it speaks.
        forced = {"STOP": "stop", "START": "start", "HELP": "help"}.get((opt_out_type or "").strip().upper())
        if forced == "start" and not self.opted_out():
            forced = None  # YES is an opt-in word too: from someone not opted out it answers a job
        if forced:
            reply = Reply(kind=forced, text=reply.text)
        pending = self.conversation()
        joining = pending is not None and pending.state.startswith("join_") and self.maker is None
        if joining and pending is not None and pending.data.get("language"):
            self.language = language_of(str(pending.data["language"]))
        # While signing up, "End Grain Woodworks" is a shop name; only the bare keyword opts out.
        if reply.kind in ("stop", "start") and (forced or not joining or len(self.text.split()) == 1):
            if reply.kind == "start":
                return self.start()
            # Twilio answers its own bare keywords; a sentence, or PARAR, BAJA, إيقاف, passes it by: we confirm.
            ours = opt_out_word(self.text) not in TWILIO_OPT_OUT_WORDS
            return self.stop(confirm=not forced and (ours or len(self.text.split()) > 1))
        if joining and pending is not None:
            if reply.kind in ("help", "join") and len(self.text.split()) == 1:
                self.forget()
            elif reply.kind == "lang" and reply.language:  # else "Language Arts Studio" is a name
                return self.choose_language(reply, pending)
            else:
                return self.join_step(pending)
        if pending is not None and pending.state == "which":
            self.forget()
            if reply.kind == "code" and reply.code:
                return self.answer(Reply(**{**pending.data, "code": reply.code}))
        maker = self.maker
        if maker is None:
            return self.choose_language(reply) if reply.kind == "lang" else self.stranger(reply)
        handler = {
            "yes": self.answer,
            "no": self.answer,
            "done": self.answer,
            "late": self.answer,
            "my": self.my_jobs,
            "pause": self.pause,
            "resume": self.resume,
            **dict.fromkeys(("caps", "green", "teach"), self.show_list),
            **dict.fromkeys(("caps_add", "green_add", "teach_add"), self.add_to_list),
            **dict.fromkeys(("caps_remove", "green_remove", "teach_remove"), self.remove_from_list),
            "badge": self.refuse_badge,
            "alerts_off": self.alerts,
            "alerts_on": self.alerts,
            "help": lambda _r: self.reply(self.t.SMS_HELP),
            "lang": self.choose_language,
            "join": lambda _r: self.reply(self.t.SMS_ALREADY_JOINED.format(name=maker.name)),
            "code": self.code_alone,
        }.get(reply.kind, self.not_understood)
        handler(reply)

    # ── opt-out ──

    def opted_out(self) -> bool:
        found = self.session.exec(
            select(OptOut.id).where(OptOut.channel == CHANNEL, OptOut.address == self.phone)
        ).first()
        return found is not None or (self.maker is not None and self.maker.status == MakerStatus.STOPPED)

    def stop(self, confirm: bool = False) -> None:
        """STOP and its synonyms: nothing more is sent. Twilio confirms a bare keyword itself; a sentence
        ("stop sending me these") passes Twilio by, so we confirm that one, once."""
        keyword = (self.text.strip().split() or ["STOP"])[0].upper().strip(".,!?")[:64] or "STOP"
        record_opt_out(self.session, self.phone, keyword, self.now)
        if self.maker is not None:
            self.maker.status = MakerStatus.STOPPED.value
            self.maker.updated_at = self.now
        self.forget()
        if confirm:
            outbox.enqueue(
                self.session,
                channel=CHANNEL,
                address=self.phone,
                text=self.t.SMS_STOPPED,
                purpose=outbox.OPT_OUT_CONFIRMATION,
                key=f"sms-reply:{self.message_id}:stop",
                maker_id=self.maker.id if self.maker else None,
                now=self.now,
            )

    def start(self) -> None:
        found = self.session.exec(select(OptOut).where(OptOut.channel == CHANNEL, OptOut.address == self.phone)).first()
        if found is not None:
            self.session.delete(found)
            self.session.flush()
        if self.maker is None:
            self.reply(self.t.SMS_STRANGER)
            return
        if self.maker.status == MakerStatus.STOPPED:
            self.maker.status = MakerStatus.ACTIVE.value
            self.maker.paused_until = None
            self.maker.updated_at = self.now
        self.reply(self.t.SMS_RESUBSCRIBED)

    # ── language ──

    def choose_language(self, reply: Reply, pending: Pending | None = None) -> None:
        """LANG ES, IDIOMA EN, لغة عربي: the language every text to this number is written in from now on."""
        choices = language_choices()
        if reply.language is None or reply.language not in LANGUAGES:
            self.reply(self.t.SMS_LANGUAGE_UNKNOWN.format(choices=choices))
            return
        self.language = reply.language
        if self.maker is not None:
            self.maker.language = reply.language
            self.maker.updated_at = self.now
        elif pending is not None:  # half-way through signing up: the next question, in the language chosen
            self.remember(pending.state, **{**pending.data, "language": reply.language})
        self.reply(self.t.SMS_LANGUAGE_SET.format(choices=choices))

    # ── strangers and joining ──

    def stranger(self, reply: Reply) -> None:
        if reply.kind == "join":
            self.remember("join_name", language=self.language)
            welcome = self.t.SMS_JOIN_NAME
            if self.language != "en":  # guessed from the text: said once, with how to change it
                welcome = f"{welcome} {self.t.SMS_LANGUAGE_GUESSED.format(choices=language_choices())}"
            self.reply(welcome)
        else:
            self.reply(self.t.SMS_STRANGER)

    def join_step(self, pending: Pending) -> None:
        data = pending.data
        answer = " ".join(self.text.split())
        if pending.state == "join_name":
            if not answer or len(answer) > maker_service.MAX_NAME:
                self.reply(self.t.SMS_JOIN_NAME_BAD.format(limit=maker_service.MAX_NAME))
                return
            self.remember("join_zip", name=answer, language=self.language)
            self.reply(self.t.SMS_JOIN_ZIP.format(name=answer))
        elif pending.state == "join_zip":
            digits = re.findall(r"(?<!\d)\d{5}(?!\d)", answer)  # "48207.", "Detroit, MI 48207", "48207-1234"
            place = geo.lookup_zip(digits[0] if digits else answer)
            if place is None:
                self.reply(self.t.SMS_JOIN_ZIP_BAD.format(value=answer[:20]))
                return
            self.remember("join_caps", name=data.get("name", ""), zip=place.zip, language=self.language)
            self.reply(self.t.SMS_JOIN_CAPS)
        else:
            phrases = [p[: maker_service.MAX_CAPABILITY] for p in split_phrases(self.text)]
            phrases = phrases[: maker_service.MAX_CAPABILITIES]
            if not phrases:
                self.reply(self.t.SMS_JOIN_CAPS_BAD)
                return
            place = geo.lookup_zip(data.get("zip"))
            if place is None:  # the stored ZIP went bad: start the ZIP question again
                self.remember("join_zip", name=data.get("name", ""), language=self.language)
                self.reply(self.t.SMS_JOIN_ZIP.format(name=data.get("name", "")))
                return
            maker = Maker(
                name=data.get("name", "")[: maker_service.MAX_NAME] or self.phone,
                phone=self.phone,
                zip=place.zip,
                lat=place.lat,
                lon=place.lon,
                timezone=place.timezone,
                language=self.language,
                created_at=self.now,
                updated_at=self.now,
            )
            self.session.add(maker)
            self.session.flush()
            self.maker = maker
            for position, phrase in enumerate(phrases):
                self.session.add(
                    MakerCapability(
                        maker_id=saved_id(maker),
                        position=position,
                        phrase=phrase,
                        concepts=maker_service.capability_concepts(self.taxonomy, phrase),
                    )
                )
            self.forget()
            self.reply(
                self.t.SMS_JOINED.format(name=maker.name, zip=maker.zip, understood=self.understood(phrases)).strip()
            )
            log.info("sms: a new maker joined by text (maker %s)", maker.id)

    def understood(self, phrases: list[str]) -> str:
        """“I understood: face shields, sewing. Kept as written: …” — what the taxonomy made of the phrases."""
        labels: list[str] = []
        unknown: list[str] = []
        for phrase in phrases:
            found = maker_service.capability_concepts(self.taxonomy, phrase).split()
            if found:
                labels.extend(self.taxonomy.label(concept) for concept in found)
            else:
                unknown.append(phrase)
        parts = []
        if labels:
            parts.append(self.t.SMS_UNDERSTOOD.format(labels=", ".join(dict.fromkeys(labels))))
        if unknown:
            parts.append(self.t.SMS_NOT_RECOGNISED.format(phrases="; ".join(unknown)))
        return " ".join(parts)

    def forward_broadcast_reply(self) -> bool:
        """A reply to a recent alert ("YES I can sew 200") is meant for the organisers: pass it on."""
        if self.maker is None or not self.admin_ids:
            return False
        broadcast_id = recent_broadcast_to(self.session, self.phone, self.now - BROADCAST_REPLY_WINDOW)
        if broadcast_id is None:
            return False
        notices.tell_organisers(
            self.session,
            self.admin_ids,
            channel="telegram",
            text=texts.ADMIN_BROADCAST_REPLY.format(
                name=self.maker.name, phone=self.maker.phone, id=broadcast_id, text=self.text[:500]
            ),
            purpose="broadcast_reply",
            key=lambda admin: f"broadcast-reply:{self.message_id}:{admin}",
            now=self.now,
        )
        self.reply(self.t.SMS_BROADCAST_FORWARDED)
        return True

    def not_understood(self, _reply: Reply) -> None:
        if self.forward_broadcast_reply():
            return
        jobs = self.jobs((InvitationStatus.INVITED,))
        hint = self.t.SMS_HINT_ONE_JOB.format(code=jobs[0][1].code) if len(jobs) == 1 else self.t.SMS_HINT
        answer = self.t.SMS_UNKNOWN.format(hint=hint)
        written_in = guess_language(self.text)
        if written_in is not None and written_in != self.language and written_in in LANGUAGES:
            # A maker imported without a language who writes Spanish or Arabic: say, in it, how to switch.
            answer = f"{answer} {catalogue(written_in).SMS_LANGUAGE_OFFER}"
        self.reply(answer)


def language_choices() -> str:
    """“EN, ES, AR”: the codes LANG takes, in letters every SMS alphabet has."""
    return ", ".join(code.upper() for code in LANGUAGES)


def handle_sms(
    session: Session,
    taxonomy: Taxonomy,
    *,
    phone: str,
    text: str,
    message_id: str,
    now: datetime,
    opt_out_type: str | None = None,
    default_timezone: str = DEFAULT_TIMEZONE,
    followups: FollowUpPolicy | None = None,
    admin_ids: tuple[int, ...] = (),
    pictures: tuple[Stored, ...] = (),
    picture_refused: Refused | None = None,
) -> None:
    """Act on one incoming SMS in the caller's transaction; replies are queued, never sent from here. `pictures`:
    what an MMS carried, kept (they go to the buyer with a quote); `picture_refused`: why one was not, which the
    sender is told in one sentence after the answer to their words."""
    inbox = Inbox(
        session,
        taxonomy,
        phone=phone,
        text=text,
        message_id=message_id,
        now=now,
        default_timezone=default_timezone,
        policy=followups,
        admin_ids=admin_ids,
    )
    inbox.pictures = pictures
    if text.strip() or not pictures or opt_out_type:
        inbox.handle(opt_out_type)  # an MMS of pictures alone has no words to answer
    inbox.pictures_left_over()
    if picture_refused is not None:
        inbox.reply(picture_refused.sentence(inbox.t))


def record_opt_out(session: Session, address: str, reason: str, now: datetime) -> None:
    """Remember an SMS opt-out; a second one for the same number (a webhook racing a 21610) is a no-op."""
    table = table_of(OptOut)
    values = {"channel": CHANNEL, "address": address, "reason": reason[:64], "created_at": now}
    session.execute(insert_skipping_conflicts(session, table, "channel", "address").values(**values))


def mark_unreachable(session: Session, channel: str, address: str, code: str | None) -> None:
    """The provider says this address opted out (Twilio 21610): record it and stop the maker."""
    if channel != CHANNEL:
        return
    record_opt_out(session, address, code or "provider", utcnow())
    maker = session.exec(select(Maker).where(Maker.phone == address)).first()
    if maker is not None and maker.status != MakerStatus.STOPPED:
        maker.status = MakerStatus.STOPPED.value
        maker.updated_at = utcnow()
    log.info("sms: a recipient opted out at the carrier (%s); marked stopped", code)
