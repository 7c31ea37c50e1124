"""A buyer's conversation with the bot: post a request, confirm it, see makers' answers, accept, get introduced.

Channel-agnostic: a channel (Telegram, the sandbox) turns what the buyer did into a `ChatEvent`, and
`handle_chat` acts on it inside the caller's transaction. Every answer to the buyer, and every SMS to a maker,
is queued in the outbox in that same transaction. What the bot is waiting for (the draft request, the field
being asked) lives in the `conversation` table, so any web process can take the buyer's next message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot import outbox, texts
from bot.db import insert_skipping_conflicts
from bot.locales import LANGUAGES, Catalogue, catalogue
from bot.models import Buyer, Invitation, Maker, Request
from bot.phones import to_e164
from bot.services import admin_chat, reminders
from bot.services.conversations import ConversationStore, Flow
from bot.services.requests import (
    close_invitations,
    invitation_sms_what,
    invite,
    new_request_code,
    rematch,
    summary_when,
)
from matching import geo
from matching.directory import Directory
from matching.parse import ParsedRequest, parse
from matching.quantities import unit_label
from matching.taxonomy import Taxonomy
from matching.text import fold_chars

RADIUS_CHOICES = (10, 25, 50, 100)
WIDE_RADIUS = 100.0
SHARE_LOCATION = "@location"  # a button that sends the buyer's location (Telegram: request_location)
SHARE_CONTACT = "@contact"  # a button that shares the buyer's phone number (Telegram: request_contact)
_NOT_SURE = re.compile(r"^\s*(not sure|unsure|don'?t know|no idea|idk|no s[ée]|\?+)\s*[.!]*\s*$", re.IGNORECASE)
_REQUEST_LIVE = ("open", "matched")
log = logging.getLogger(__name__)

Buttons = list[list[tuple[str, str]]]


@dataclass(frozen=True)
class ChatEvent:
    """One thing a buyer did, as any chat channel reports it."""

    channel: str
    event_id: str  # unique per event (Telegram: update_id): makes replies idempotent
    user_id: int
    chat_id: int
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None
    text: str | None = None
    command: str | None = None  # "start", "help", … (without the slash)
    args: str = ""  # what follows the command: "/maker +13135550101"
    location: tuple[float, float] | None = None
    contact_phone: str | None = None
    callback: str | None = None  # a pressed button's data


@dataclass(frozen=True)
class ChatConfig:
    max_invites: int = 5
    radius_miles: float = 50.0
    admin_ids: tuple[int, ...] = ()
    timezone: str = "America/Detroit"
    sms_price_per_segment: float = 0.0079  # for the organisers' broadcast previews
    followups: reminders.FollowUpPolicy = field(default_factory=reminders.FollowUpPolicy)


@dataclass
class Answer:
    """What the channel shows the presser of a button at once (Telegram: the callback answer)."""

    toast: str | None = None
    alert: bool = False


class BuyerChat:
    def __init__(
        self,
        session: Session,
        taxonomy: Taxonomy,
        directory: Callable[[], Directory],
        config: ChatConfig,
        event: ChatEvent,
        now: datetime,
    ) -> None:
        self.session = session
        self.taxonomy = taxonomy
        self.directory = directory
        self.config = config
        self.event = event
        self.now = now
        self.today = now.astimezone(ZoneInfo(config.timezone)).date()
        self.buyer = self._buyer()
        self.t = catalogue(self.buyer.language)
        self._said = 0

    # ── who, and saying things ──

    def _buyer(self) -> Buyer:
        e = self.event
        table = Buyer.__table__
        postgres = self.session.get_bind().dialect.name == "postgresql"  # for the row lock below
        language = (e.language_code or "en").split("-")[0].lower()
        insert = insert_skipping_conflicts(self.session, table, "telegram_user_id").values(
            channel=e.channel,
            telegram_user_id=e.user_id,
            chat_id=e.chat_id,
            name=(e.first_name or "")[:200],
            username=e.username or None,
            language=language if language in LANGUAGES else "en",
            blocked=False,
            created_at=self.now,
            updated_at=self.now,
        )
        # Two first updates of one buyer may arrive at once: one creates the row, the other finds it. The row
        # lock then serialises everything one buyer does across web processes (SQLite: the write lock does).
        self.session.execute(insert)
        query = select(Buyer).where(Buyer.telegram_user_id == e.user_id)
        buyer = self.session.exec(query.with_for_update() if postgres else query).one()
        # Names and handles change; a buyer who writes again has evidently unblocked the bot.
        buyer.chat_id = e.chat_id
        buyer.name = (e.first_name or buyer.name)[:200]
        buyer.username = e.username or None
        buyer.blocked = False
        buyer.updated_at = self.now
        return buyer

    def say(self, text: str, buttons: Buttons | None = None, purpose: str = "chat") -> None:
        self._said += 1
        outbox.enqueue(
            self.session,
            channel=self.buyer.channel,
            address=str(self.buyer.chat_id),
            text=text,
            purpose=purpose,
            key=f"{self.buyer.channel}:{self.event.event_id}:{self._said}",
            buttons=buttons,
            buyer_id=self.buyer.id,
            now=self.now,
        )

    def text_maker(self, maker: Maker, text: str, purpose: str, request: Request) -> None:
        outbox.enqueue(
            self.session,
            channel="sms",
            address=maker.phone,
            text=text,
            purpose=purpose,
            key=f"{purpose}:{request.id}:{maker.id}:{self.event.event_id}",
            lane="reply",
            maker_id=maker.id,
            request_id=request.id,
            timezone=maker.timezone,
            now=self.now,
        )

    def wizard(self) -> admin_chat.BroadcastWizard:
        """The organisers' guided /broadcast, in this chat."""
        return admin_chat.BroadcastWizard(self, self.config.sms_price_per_segment)

    # ── conversation state ──

    def _conversation(self) -> ConversationStore:
        channel, address = self.buyer.channel, str(self.buyer.chat_id)
        return ConversationStore(self.session, Flow.BUYER_CHAT, channel, address, self.now)

    def state(self) -> tuple[str | None, dict]:
        found = self._conversation().get()
        return (found.state, found.data) if found else (None, {})

    def remember(self, state: str, **data) -> None:
        self._conversation().remember(state, data)

    def forget(self) -> None:
        self._conversation().forget()

    # ── entry point ──

    def handle(self) -> Answer:
        e = self.event
        if e.callback is not None:
            return self.on_button(e.callback)
        if e.command == "broadcast":
            self.wizard().start(e.args)
            return Answer()
        if e.command == "cancel" and self.wizard().state() is not None:
            self.wizard().cancel()
            return Answer()
        if e.command is not None:
            admin = admin_chat.handle(self.session, self.config.admin_ids, e.user_id, e.command, e.args, self.now)
            if admin is not None:
                self.say(admin, purpose="admin")
                return Answer()
            command = {
                "start": self.on_start,
                "help": self.on_help,
                "requests": self.on_requests,
                "cancel": self.on_cancel,
                "settings": self.on_settings,
            }.get(e.command)
            if command is None:
                self.say(self.t.BUYER_UNKNOWN_COMMAND)
            else:
                command()
            return Answer()
        if e.location is not None:
            self.on_place(geo.nearest_zip(*e.location), self.t.BUYER_LOCATION_FAR)
        elif e.contact_phone is not None:
            self.on_contact(e.contact_phone)
        elif e.text is not None:
            self.on_text(e.text)
        return Answer()

    # ── commands ──

    def on_start(self) -> None:
        self.forget()
        if self.buyer.zip:
            self.say(self.t.BUYER_WELCOME_BACK.format(name=self.buyer.name or "", zip=self.buyer.zip).strip())
            return
        self.remember("ask_zip")
        self.say(self.t.BUYER_WELCOME, [[(self.t.BUTTON_SHARE_LOCATION, SHARE_LOCATION)]])

    def on_help(self) -> None:
        self.say(self.t.BUYER_HELP)

    def on_settings(self) -> None:
        self.say(
            self.t.BUYER_SETTINGS.format(
                zip=self.buyer.zip or self.t.BUYER_NOT_SET,
                language=LANGUAGES.get(self.buyer.language, self.buyer.language),
                radius=self.buyer.radius_miles or self.config.radius_miles,
            ),
            [
                [(self.t.BUTTON_CHANGE_ZIP, "set:zip")],
                [(name, f"lang:{code}") for code, name in LANGUAGES.items()],
                [(self.t.BUTTON_RADIUS.format(miles=miles), f"radius:{miles}") for miles in RADIUS_CHOICES],
            ],
        )

    def my_requests(self, statuses: tuple[str, ...] | None = None) -> list[Request]:
        query = select(Request).where(Request.buyer_id == self.buyer.id, Request.status != "draft")
        if statuses:
            query = query.where(Request.status.in_(statuses))
        return list(self.session.exec(query.order_by(Request.id.desc()).limit(10)).all())

    def on_requests(self) -> None:
        requests = self.my_requests()
        if not requests:
            self.say(self.t.BUYER_NO_REQUESTS)
            return
        blocks = []
        for request in requests:
            lines = [
                self.t.BUYER_REQUEST_LINE.format(
                    code=request.code,
                    what=invitation_sms_what(request),
                    status=self.t.REQUEST_STATUS.get(request.status, request.status),
                )
            ]
            if request.quantity and request.status in _REQUEST_LIVE and request.quantity_committed:
                lines.append(self.t.BUYER_COMMITTED.format(done=request.quantity_committed, total=request.quantity))
            answers = self._answers(request)
            lines.extend(f"  {line}" for line in answers)
            blocks.append("\n".join(lines))
        self.say("\n\n".join(blocks))

    def _answers(self, request: Request) -> list[str]:
        rows = self.session.exec(
            select(Invitation, Maker)
            .join(Maker, Maker.id == Invitation.maker_id)
            .where(Invitation.request_id == request.id)
            .order_by(Invitation.rank)
        ).all()
        lines, declined, waiting = [], 0, 0
        for invitation, maker in rows:
            if invitation.status == "quoted":
                lines.append(quote_line(invitation, self.t))
            elif invitation.status in ("accepted", "delivered"):
                lines.append(
                    self.t.BUYER_ACCEPTED_LINE.format(rank=invitation.rank, name=maker.name, phone=maker.phone)
                )
            elif invitation.status == "declined":
                declined += 1
            elif invitation.status == "invited":
                waiting += 1
        if declined or waiting:
            lines.append(self.t.BUYER_ANSWER_COUNTS.format(declined=declined, waiting=waiting))
        return lines

    def on_cancel(self) -> None:
        self.forget()
        drafts = self.session.exec(
            select(Request).where(Request.buyer_id == self.buyer.id, Request.status == "draft")
        ).all()
        for draft in drafts:
            draft.status = "cancelled"
            draft.updated_at = self.now
        live = self.my_requests(_REQUEST_LIVE)
        if not live:
            self.say(self.t.BUYER_DROPPED if drafts else self.t.BUYER_NOTHING_TO_CANCEL)
            return
        self.say(
            self.t.BUYER_WHICH_CANCEL,
            [
                [(self.t.BUTTON_CANCEL_REQUEST.format(code=r.code, what=invitation_sms_what(r)[:40]), f"cancel:{r.id}")]
                for r in live
            ],
        )

    # ── free text: a new request, or the answer to the bot's question ──

    def on_text(self, text: str) -> None:
        # A NUL means nothing to a person, and PostgreSQL cannot store it in the replies that quote the text.
        text = text.replace("\x00", "")
        wizard = self.wizard()
        composing = wizard.state()
        if composing is not None:
            wizard.on_text(text, composing)
            return
        state, data = self.state()
        pending = self._draft(data.get("request_id")) if state else None
        if state not in (None, "draft_ready", "edit_item") and self._names_other_items(text, pending):
            # A whole new request typed while the bot waited for an answer: the buyer moved on, and so do we.
            self.new_request(text)
            return
        if state in ("ask_zip", "set_zip"):
            self.on_place(self._place_from_text(text), self.t.BUYER_ZIP_UNKNOWN.format(text=text[:40]))
            return
        request = self._draft(data.get("request_id")) if state else None
        if state == "ask_contact":
            number = to_e164(text)
            if number is not None:
                self.on_contact(number)
                return
            self.say(self.t.BUYER_NEED_CONTACT_AGAIN, [[(self.t.BUTTON_SHARE_CONTACT, SHARE_CONTACT)]])
            return
        if request is not None and state == "draft_place":
            self.on_place(self._place_from_text(text), self.t.BUYER_ZIP_UNKNOWN.format(text=text[:40]))
            return
        if request is not None and state == "draft_quantity":
            if _NOT_SURE.match(text):
                self.next_step(request, asked=("quantity",))
                return
            quantity = self._quantity(text)
            if quantity is None:
                self.say(self.t.BUYER_ASK_QUANTITY_AGAIN, [[(self.t.BUTTON_NOT_SURE, f"unsure:{request.id}")]])
                return
            request.quantity = quantity
            self.next_step(request, asked=("quantity",))
            return
        if request is not None and state and state.startswith("edit_"):
            self.edit(request, state.removeprefix("edit_"), text)
            return
        self.new_request(text)

    def _names_other_items(self, text: str, draft: Request | None) -> bool:
        """Whether `text` asks for things — other things than the draft's ("500 face shields" answering "how
        many face shields?" is an answer, not a new request)."""
        items = set(parse(text, self.today, self.taxonomy).items)
        return bool(items) and (draft is None or not items <= set(draft.concepts.split()))

    def _place_from_text(self, text: str) -> geo.Place | None:
        text = fold_chars(text)  # "٤٨٢٠١" is a ZIP too
        digits = re.findall(r"(?<![0-9])[0-9]{5}(?![0-9])", text)
        if digits:
            return geo.lookup_zip(digits[0])
        # The answer to "where?" is a place on its own ("Dearborn, MI"): read it as the parser reads "near …".
        parsed = parse(f"near {text.strip()}", self.today, self.taxonomy)
        return geo.lookup_zip(parsed.zip) if parsed.zip else None

    def _quantity(self, text: str) -> int | None:
        parsed = parse(text, self.today, self.taxonomy)
        if parsed.quantity:
            return parsed.quantity
        digits = re.sub(r"[,\s]", "", text)
        return int(digits) if digits.isdigit() and 0 < int(digits) < 1_000_000_000 else None

    def _draft(self, request_id) -> Request | None:
        if not isinstance(request_id, int):
            return None
        request = self.session.get(Request, request_id)
        if request is None or request.buyer_id != self.buyer.id or request.status != "draft":
            return None
        return request

    def new_request(self, text: str) -> None:
        parsed = parse(text, self.today, self.taxonomy)
        if not parsed.items:
            self.say(self.t.BUYER_EXAMPLE)
            return
        # Only one draft at a time: a new request replaces a draft the buyer walked away from.
        for old in self.session.exec(
            select(Request).where(Request.buyer_id == self.buyer.id, Request.status == "draft")
        ).all():
            old.status = "cancelled"
            old.updated_at = self.now
        place = geo.lookup_zip(parsed.zip) if parsed.zip else None
        if place is None and self.buyer.zip and not parsed.zip:
            # The home ZIP stands in only when the request names no place; a ZIP we do not know is asked about.
            place = geo.lookup_zip(self.buyer.zip)
        if place is not None and self.buyer.zip is None:
            self._set_buyer_zip(place)
        request = Request(
            code=new_request_code(self.session),
            buyer_id=self.buyer.id,
            source=self.buyer.channel,
            text=text[:2000],
            item=parsed.items[0],
            item_label=self._label(parsed)[:200],
            concepts=" ".join(parsed.items),
            quantity=parsed.quantity,
            unit=parsed.unit,
            deadline=parsed.deadline,
            urgency=parsed.urgency,
            radius_miles=parsed.radius_miles or self.buyer.radius_miles or self.config.radius_miles,
            status="draft",
            created_at=self.now,
            updated_at=self.now,
        )
        _set_place(request, place)
        self.session.add(request)
        self.session.flush()
        self.next_step(request)

    def _label(self, parsed: ParsedRequest) -> str:
        labels = [self.taxonomy.label(concept) for concept in parsed.items]
        return ", ".join(dict.fromkeys(labels)) or (parsed.item or "")

    def next_step(self, request: Request, asked: tuple[str, ...] = ()) -> None:
        """Ask for the first missing piece, one at a time; when nothing is missing, show the summary."""
        _, data = self.state()
        if data.get("request_id") == request.id:  # what was asked about another request does not count
            asked = tuple(dict.fromkeys((*data.get("asked", ()), *asked)))
        if request.zip is None:
            self.remember("draft_place", request_id=request.id, asked=list(asked))
            self.say(self.t.BUYER_ASK_PLACE, [[(self.t.BUTTON_SHARE_LOCATION, SHARE_LOCATION)]])
            return
        if request.quantity is None and "quantity" not in asked:
            self.remember("draft_quantity", request_id=request.id, asked=list(asked))
            self.say(
                self.t.BUYER_ASK_QUANTITY.format(what=request.item_label),
                [[(self.t.BUTTON_NOT_SURE, f"unsure:{request.id}")]],
            )
            return
        self.remember("draft_ready", request_id=request.id, asked=list(asked))
        self.say(
            self.t.BUYER_SUMMARY.format(summary=self.describe(request)),
            [
                [(self.t.BUTTON_SEND, f"send:{request.id}")],
                [(self.t.BUTTON_CHANGE, f"edit:{request.id}"), (self.t.BUTTON_DROP, f"drop:{request.id}")],
            ],
        )

    def describe(self, request: Request) -> str:
        lines = [self.t.BUYER_FIELD_WHAT.format(what=request.item_label)]
        quantity = f"{request.quantity:,}" if request.quantity else self.t.BUYER_QUANTITY_OPEN
        if request.quantity and request.unit:
            quantity += f" {unit_label(request.unit, request.quantity)}"
        lines.append(self.t.BUYER_FIELD_QUANTITY.format(quantity=quantity))
        lines.append(self.t.BUYER_FIELD_WHEN.format(when=summary_when(request) or self.t.BUYER_NO_DEADLINE))
        lines.append(
            self.t.BUYER_FIELD_WHERE.format(
                place=f"{request.place_name} {request.zip}" if request.place_name else request.zip,
                radius=request.radius_miles,
            )
        )
        return "\n".join(lines)

    def on_place(self, place: geo.Place | None, problem: str) -> None:
        state, data = self.state()
        if place is None:
            self.say(problem, [[(self.t.BUTTON_SHARE_LOCATION, SHARE_LOCATION)]])
            return
        request = self._draft(data.get("request_id"))
        if request is not None and state not in ("ask_zip", "set_zip"):
            # A location shared while a draft is open places the draft (the keyboard may still be showing).
            _set_place(request, place)
            if self.buyer.zip is None:
                self._set_buyer_zip(place)
            self.next_step(request)
            return
        self._set_buyer_zip(place)
        self.forget()
        self.say(self.t.BUYER_ZIP_SAVED.format(zip=place.zip, place=f"{place.city}, {place.state}"))

    def _set_buyer_zip(self, place: geo.Place) -> None:
        self.buyer.zip, self.buyer.lat, self.buyer.lon = place.zip, place.lat, place.lon
        self.buyer.timezone = place.timezone

    def edit(self, request: Request, name: str, text: str) -> None:
        if name == "place":
            self.on_place(self._place_from_text(text), self.t.BUYER_ZIP_UNKNOWN.format(text=text[:40]))
            return
        if name == "item":
            parsed = parse(text, self.today, self.taxonomy)
            if not parsed.items:
                self.say(self.t.BUYER_ITEM_UNKNOWN)
                return
            request.item, request.concepts = parsed.items[0], " ".join(parsed.items)
            request.item_label = self._label(parsed)[:200]
        elif name == "quantity":
            if _NOT_SURE.match(text):
                request.quantity = None
            else:
                quantity = self._quantity(text)
                if quantity is None:
                    self.say(self.t.BUYER_ASK_QUANTITY_AGAIN)
                    return
                request.quantity = quantity
        elif name == "deadline":
            parsed = parse(f"by {text}", self.today, self.taxonomy)
            if parsed.deadline is None and parsed.urgency is None:
                self.say(self.t.BUYER_DEADLINE_UNKNOWN)
                return
            request.deadline, request.urgency = parsed.deadline, parsed.urgency
        request.updated_at = self.now
        self.next_step(request, asked=("quantity",))

    # ── buttons ──

    def on_button(self, data: str) -> Answer:
        action, _, argument = data.partition(":")
        if action == "bc":
            return Answer(self.wizard().press(argument))
        handler = {
            "send": self.press_send,
            "edit": self.press_edit,
            "drop": self.press_drop,
            "unsure": self.press_unsure,
            "widen": self.press_widen,
            "organisers": self.press_organisers,
            "accept": self.press_accept,
            "reject": self.press_reject,
            "cancel": self.press_cancel,
            "lang": self.press_language,
            "radius": self.press_radius,
            "set": self.press_set,
            "reopen": self.press_reopen,
            "arrived": self.press_arrived,
            "notyet": self.press_not_yet,
            "problem": self.press_problem,
            "rate": self.press_rate,
        }.get(action)
        if handler is None:
            return Answer(self.t.BUYER_STALE_BUTTON)
        return handler(argument)

    def _own_request(self, argument: str) -> Request | None:
        request_id, _, _ = argument.partition(":")
        if not request_id.isdigit():
            return None
        request = self.session.get(Request, int(request_id))
        return request if request is not None and request.buyer_id == self.buyer.id else None

    def _own_invitation(self, argument: str) -> tuple[Invitation, Request] | None:
        if not argument.isdigit():
            return None
        invitation = self.session.get(Invitation, int(argument))
        if invitation is None:
            return None
        request = self.session.get(Request, invitation.request_id)
        if request is None or request.buyer_id != self.buyer.id:
            return None
        return invitation, request

    def press_send(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None:
            return Answer(self.t.BUYER_NOT_YOURS, alert=True)
        if request.status != "draft":
            return Answer(self.t.BUYER_ALREADY_SENT if request.status in _REQUEST_LIVE else self.t.BUYER_STALE_BUTTON)
        request.status = "open"
        request.updated_at = self.now
        self.forget()
        reminders.on_opened(self.session, request, self.config.followups, self.now)
        invited = self.match_and_invite(request)
        if invited:
            self.say(self.t.BUYER_SENT.format(count=invited, radius=request.radius_miles, code=request.code))
        else:
            self.say_nobody(request)
        return Answer(self.t.BUYER_SENT_TOAST)

    def match_and_invite(self, request: Request) -> int:
        matches = rematch(self.session, request, self.directory(), self.today)
        return len(
            invite(
                self.session, request, matches, self.now, limit=self.config.max_invites, policy=self.config.followups
            )
        )

    def say_nobody(self, request: Request) -> None:
        self.say(
            self.t.BUYER_NOBODY.format(what=request.item_label, radius=request.radius_miles, zip=request.zip),
            next_steps(request, self.t),
        )

    def press_edit(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None or request.status != "draft":
            return Answer(self.t.BUYER_STALE_BUTTON)
        _, _, name = argument.partition(":")
        prompts = {
            "item": self.t.BUYER_EDIT_ITEM,
            "quantity": self.t.BUYER_EDIT_QUANTITY,
            "deadline": self.t.BUYER_EDIT_DEADLINE,
            "place": self.t.BUYER_EDIT_PLACE,
        }
        if name not in prompts:
            self.say(
                self.t.BUYER_WHAT_TO_CHANGE,
                [
                    [
                        (self.t.BUTTON_EDIT_ITEM, f"edit:{request.id}:item"),
                        (self.t.BUTTON_EDIT_QUANTITY, f"edit:{request.id}:quantity"),
                    ],
                    [
                        (self.t.BUTTON_EDIT_DEADLINE, f"edit:{request.id}:deadline"),
                        (self.t.BUTTON_EDIT_PLACE, f"edit:{request.id}:place"),
                    ],
                ],
            )
            return Answer()
        _, data = self.state()
        self.remember(f"edit_{name}", request_id=request.id, asked=data.get("asked", []))
        buttons = [[(self.t.BUTTON_SHARE_LOCATION, SHARE_LOCATION)]] if name == "place" else None
        self.say(prompts[name], buttons)
        return Answer()

    def press_drop(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None or request.status != "draft":
            return Answer(self.t.BUYER_STALE_BUTTON)
        request.status = "cancelled"
        request.updated_at = self.now
        self.forget()
        self.say(self.t.BUYER_DROPPED)
        return Answer()

    def press_unsure(self, argument: str) -> Answer:
        request = self._own_request(argument)
        state, data = self.state()
        asking = state in ("draft_quantity", "edit_quantity") and data.get("request_id") == (request and request.id)
        if request is None or request.status != "draft" or not asking:
            return Answer(self.t.BUYER_STALE_BUTTON)
        request.quantity = None
        self.next_step(request, asked=("quantity",))
        return Answer()

    def press_widen(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None or request.status != "open":
            return Answer(self.t.BUYER_STALE_BUTTON)
        if request.radius_miles >= WIDE_RADIUS:
            return Answer(self.t.BUYER_ALREADY_WIDE.format(miles=int(WIDE_RADIUS)))
        request.radius_miles = WIDE_RADIUS
        request.updated_at = self.now
        invited = self.match_and_invite(request)
        if invited:
            self.say(self.t.BUYER_SENT.format(count=invited, radius=request.radius_miles, code=request.code))
        else:
            self.say_nobody(request)
        return Answer()

    def press_organisers(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None or request.status not in _REQUEST_LIVE:
            return Answer(self.t.BUYER_STALE_BUTTON)
        if request.escalated_at is not None:
            return Answer(self.t.BUYER_ORGANISERS_ALREADY)
        if not self.config.admin_ids:
            self.say(self.t.BUYER_NO_ORGANISERS)
            return Answer()
        request.escalated_at = self.now
        handle = f"@{self.buyer.username}" if self.buyer.username else self.t.BUYER_NO_HANDLE
        for admin in self.config.admin_ids:
            outbox.enqueue(
                self.session,
                channel=self.buyer.channel,
                address=str(admin),
                text=texts.ADMIN_UNSERVED.format(
                    code=request.code,
                    summary=self.describe(request),
                    name=self.buyer.name,
                    handle=handle,
                ),
                purpose="escalation",
                key=f"escalation:{request.id}:{admin}",
                request_id=request.id,
                now=self.now,
            )
        self.say(self.t.BUYER_ORGANISERS_TOLD)
        return Answer()

    def press_accept(self, argument: str) -> Answer:
        found = self._own_invitation(argument)
        if found is None:
            return Answer(self.t.BUYER_NOT_YOURS, alert=True)
        invitation, request = found
        if invitation.status != "quoted" or request.status not in _REQUEST_LIVE:
            return Answer(self.t.BUYER_ANSWER_GONE)
        if request.status == "matched":
            return Answer(self.t.BUYER_ALREADY_COVERED)
        if not self.buyer.username and not self.buyer.phone:
            # The maker must be able to reach the buyer: without a Telegram username, a phone number.
            self.remember("ask_contact", invitation_id=invitation.id)
            self.say(self.t.BUYER_NEED_CONTACT, [[(self.t.BUTTON_SHARE_CONTACT, SHARE_CONTACT)]])
            return Answer()
        self.accept(invitation, request)
        return Answer(self.t.BUYER_ACCEPTED_TOAST)

    def on_contact(self, phone: str) -> None:
        number = to_e164(phone) or to_e164("+" + phone.lstrip("+"))
        if number is None:
            self.say(self.t.BUYER_CONTACT_BAD)
            return
        self.buyer.phone = number
        state, data = self.state()
        self.forget()
        if state == "ask_contact" and isinstance(data.get("invitation_id"), int):
            found = self._own_invitation(str(data["invitation_id"]))
            if found and found[0].status == "quoted" and found[1].status == "open":
                self.accept(*found)
                return
        self.say(self.t.BUYER_CONTACT_SAVED)

    def accept(self, invitation: Invitation, request: Request) -> None:
        """Commit this maker's quantity, introduce both sides, and close the request once it is covered."""
        maker = self.session.get(Maker, invitation.maker_id)
        assert maker is not None
        remaining = (request.quantity - request.quantity_committed) if request.quantity else None
        share = invitation.quantity_offered or remaining
        if remaining is not None and share is not None and share > remaining:
            if invitation.total_cents is not None and share:
                # A total quoted for more than is still needed covers the part taken, pro rata.
                invitation.total_cents = round(invitation.total_cents * remaining / share)
            share = remaining
        invitation.status = "accepted"
        invitation.accepted_at = self.now
        invitation.quantity_offered = share
        invitation.updated_at = self.now
        request.quantity_committed += share or 0
        request.updated_at = self.now
        terms = texts.terms(share, invitation.price_cents, invitation.total_cents, invitation.lead_time_days, self.t)
        self.say(
            self.t.BUYER_INTRODUCTION.format(
                rank=invitation.rank,
                name=maker.name,
                phone=maker.phone,
                website=f"\n{maker.website}" if maker.website else "",
                terms=terms,
                code=request.code,
            ),
            purpose="introduction",
        )
        # The maker reads English SMS, whatever the buyer's language.
        contact = (
            texts.SMS_TELEGRAM_HANDLE.format(username=self.buyer.username) if self.buyer.username else self.buyer.phone
        )
        maker_terms = texts.terms(share, invitation.price_cents, invitation.total_cents, invitation.lead_time_days)
        self.text_maker(
            maker,
            texts.SMS_INTRODUCTION.format(
                code=request.code,
                name=self.buyer.name or texts.BUYER_ANONYMOUS,
                contact=contact,
                what=invitation_sms_what(request, share),
                terms=maker_terms,
            ),
            "introduction",
            request,
        )
        reminders.on_accepted(self.session, invitation, request, self.config.followups, self.now)
        covered = request.quantity is None or request.quantity_committed >= request.quantity
        if covered:
            request.status = "matched"
            self._close_others(request)
        else:
            self.say(self.t.BUYER_PARTLY.format(done=request.quantity_committed, total=request.quantity))

    def _close_others(self, request: Request) -> None:
        """The request is covered: the other makers are told, so nobody keeps working on it. The accepted
        invitations keep their orders."""
        close_invitations(
            self.session,
            request,
            self.now,
            "filled",
            lambda maker, text: self.text_maker(maker, text, "filled", request),
        )

    def press_reject(self, argument: str) -> Answer:
        found = self._own_invitation(argument)
        if found is None:
            return Answer(self.t.BUYER_NOT_YOURS, alert=True)
        invitation, request = found
        if invitation.status != "quoted":
            return Answer(self.t.BUYER_ANSWER_GONE)
        invitation.status = "lost"
        invitation.updated_at = self.now
        maker = self.session.get(Maker, invitation.maker_id)
        if maker is not None:
            self.text_maker(maker, texts.SMS_NOT_CHOSEN.format(code=request.code), "not_chosen", request)
        if nobody_left(self.session, request):
            self.say(uncovered_text(self.session, request, self.t), next_steps(request, self.t))
        return Answer(self.t.BUYER_REJECTED_TOAST)

    def press_cancel(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None:
            return Answer(self.t.BUYER_NOT_YOURS, alert=True)
        if request.status not in _REQUEST_LIVE:
            return Answer(self.t.BUYER_STALE_BUTTON)
        request.status = "cancelled"
        request.updated_at = self.now
        close_invitations(
            self.session,
            request,
            self.now,
            "cancelled",
            lambda maker, text: self.text_maker(maker, text, "cancelled", request),
            statuses=("invited", "quoted", "accepted"),
        )
        self.say(self.t.BUYER_CANCELLED.format(code=request.code))
        return Answer()

    def press_language(self, argument: str) -> Answer:
        if argument not in LANGUAGES:
            return Answer(self.t.BUYER_STALE_BUTTON)
        self.buyer.language = argument
        self.t = catalogue(argument)
        return Answer(self.t.BUYER_LANGUAGE_SAVED.format(language=LANGUAGES[argument]))

    def press_radius(self, argument: str) -> Answer:
        if not argument.isdigit() or int(argument) not in RADIUS_CHOICES:
            return Answer(self.t.BUYER_STALE_BUTTON)
        self.buyer.radius_miles = float(argument)
        return Answer(self.t.BUYER_RADIUS_SAVED.format(miles=int(argument)))

    def press_reopen(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None or request.status != "expired":
            return Answer(self.t.BUYER_STALE_BUTTON)
        request.status = "open"
        request.updated_at = self.now
        reminders.on_reopened(self.session, request, self.config.followups, self.now)
        invited = self.match_and_invite(request)
        if invited:
            self.say(self.t.BUYER_REOPENED.format(code=request.code, count=invited))
        else:
            self.say_nobody(request)
        return Answer()

    def _own_order(self, argument: str) -> tuple[Invitation, Request] | None:
        found = self._own_invitation(argument.split(":", 1)[0])
        if found is None or found[0].status not in ("accepted", "delivered"):
            return None
        return found

    def press_arrived(self, argument: str) -> Answer:
        """The buyer confirms delivery: the maker's record counts it (on time or not), then a rating is asked."""
        found = self._own_order(argument)
        if found is None or found[0].buyer_confirmed_at is not None:
            return Answer(self.t.BUYER_STALE_BUTTON)
        invitation, request = found
        record_delivery(self.session, invitation, request, self.now, by_buyer=True)
        invitation.buyer_confirmed_at = self.now
        maker = self.session.get(Maker, invitation.maker_id)
        assert maker is not None
        self.say(
            self.t.BUYER_RATE.format(name=maker.name),
            [[(str(n), f"rate:{invitation.id}:{n}") for n in range(1, 6)]],
        )
        return Answer()

    def press_not_yet(self, argument: str) -> Answer:
        found = self._own_order(argument)
        if found is None or found[0].buyer_confirmed_at is not None:
            return Answer(self.t.BUYER_STALE_BUTTON)
        invitation, _request = found
        policy = self.config.followups
        reminders.cancel(self.session, ("buyer_checkin",), invitation.id, "asked again later")
        reminders.schedule(
            self.session,
            "buyer_checkin",
            invitation.id,
            self.now + policy.ask_again_after,
            self.now,
            key=f"buyer_checkin:{invitation.id}:{self.event.event_id}",
        )
        return Answer(self.t.BUYER_NOT_YET_NOTED)

    def press_problem(self, argument: str) -> Answer:
        found = self._own_order(argument)
        if found is None:
            return Answer(self.t.BUYER_STALE_BUTTON)
        invitation, request = found
        maker = self.session.get(Maker, invitation.maker_id)
        handle = f"@{self.buyer.username}" if self.buyer.username else (self.buyer.phone or self.t.BUYER_NO_HANDLE)
        for admin in self.config.admin_ids:
            outbox.enqueue(
                self.session,
                channel=self.buyer.channel,
                address=str(admin),
                text=texts.ADMIN_PROBLEM.format(
                    code=request.code, maker=maker.name if maker else "?", name=self.buyer.name, handle=handle
                ),
                purpose="escalation",
                key=f"problem:{invitation.id}:{admin}:{self.event.event_id}",
                request_id=request.id,
                now=self.now,
            )
        self.say(self.t.BUYER_PROBLEM_TOLD if self.config.admin_ids else self.t.BUYER_NO_ORGANISERS)
        return Answer()

    def press_rate(self, argument: str) -> Answer:
        invitation_id, _, stars = argument.partition(":")
        found = self._own_order(invitation_id)
        if found is None or not stars.isdigit() or not 1 <= int(stars) <= 5 or found[0].rating is not None:
            return Answer(self.t.BUYER_STALE_BUTTON)
        invitation, _request = found
        invitation.rating = int(stars)
        maker = self.session.get(Maker, invitation.maker_id)
        if maker is not None:
            maker.rating_sum += int(stars)
            maker.rating_count += 1
            maker.updated_at = self.now
        return Answer(self.t.BUYER_THANKS_RATING)

    def press_set(self, argument: str) -> Answer:
        if argument != "zip":
            return Answer(self.t.BUYER_STALE_BUTTON)
        self.remember("set_zip")
        self.say(self.t.BUYER_ASK_ZIP, [[(self.t.BUTTON_SHARE_LOCATION, SHARE_LOCATION)]])
        return Answer()


def _set_place(request: Request, place: geo.Place | None) -> None:
    if place is None:
        request.zip = request.place_name = request.lat = request.lon = None
        return
    request.zip, request.lat, request.lon = place.zip, place.lat, place.lon
    request.place_name = f"{place.city}, {place.state}"[:100]


def record_delivery(
    session: Session, invitation: Invitation, request: Request, now: datetime, *, by_buyer: bool = False
) -> None:
    """An order arrived (the maker's DONE or the buyer's "yes"): counted once, on time or not.

    On time means by the deadline's date where the goods were needed. The buyer is asked after the deadline,
    so their "yes" counts as on time unless the maker had said LATE.
    """
    if invitation.status == "delivered":
        return
    invitation.status = "delivered"
    invitation.delivered_at = now
    invitation.updated_at = now
    maker = session.get(Maker, invitation.maker_id)
    if maker is not None:
        maker.delivered_count += 1
        place = geo.lookup_zip(request.zip) if request.zip else None
        local_day = now.astimezone(ZoneInfo(place.timezone)).date() if place and place.timezone else now.date()
        late = invitation.late_days is not None if by_buyer else (request.deadline and local_day > request.deadline)
        if not late:
            maker.on_time_count += 1
        maker.updated_at = now
    session.flush()
    still_open = session.exec(
        select(Invitation.id).where(Invitation.request_id == request.id, Invitation.status == "accepted")
    ).first()
    covered = request.quantity is None or request.quantity_committed >= request.quantity
    if still_open is None and covered and request.status == "matched":
        request.status = "fulfilled"
        request.updated_at = now


def notify(
    session: Session,
    request: Request,
    purpose: str,
    key: str,
    text: Callable[[Catalogue], str],
    buttons: Callable[[Catalogue], Buttons] | None,
    now: datetime,
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
    )
    return True


def nobody_left(session: Session, request: Request) -> bool:
    """An open request with no maker still to answer or to be chosen: the buyer should hear what next."""
    if request.status != "open":
        return False
    session.flush()
    waiting = session.exec(
        select(Invitation.id).where(Invitation.request_id == request.id, Invitation.status.in_(("invited", "quoted")))
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


def quote_line(invitation: Invitation, t: Catalogue) -> str:
    """“Maker 2 — 4.1 mi — can make 500 at $2.10 each, ready in 5 days”: no name or phone before acceptance."""
    distance = (
        t.MILES.format(miles=invitation.distance_miles) if invitation.distance_miles is not None else t.MILES_UNKNOWN
    )
    terms = texts.terms(
        invitation.quantity_offered, invitation.price_cents, invitation.total_cents, invitation.lead_time_days, t
    )
    return t.BUYER_QUOTE.format(rank=invitation.rank, distance=distance, terms=terms)


def handle_chat(
    session: Session,
    taxonomy: Taxonomy,
    directory: Callable[[], Directory],
    config: ChatConfig,
    event: ChatEvent,
    now: datetime,
) -> Answer:
    """Act on one thing a buyer did, in the caller's transaction; everything said is queued, not sent."""
    return BuyerChat(session, taxonomy, directory, config, event, now).handle()


def mark_blocked(session: Session, channel: str, address: str) -> None:
    """The buyer blocked the bot or deleted their account: nothing more goes to them."""
    try:
        chat_id = int(address)
    except ValueError:
        return
    for buyer in session.exec(select(Buyer).where(Buyer.channel == channel, Buyer.chat_id == chat_id)).all():
        buyer.blocked = True
    log.info("chat: a buyer on %s blocked the bot; marked blocked", channel)
