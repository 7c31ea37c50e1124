"""A buyer's conversation with the bot: post a request, confirm it, see makers' answers, accept, get introduced.

Channel-agnostic: a channel (Telegram, the sandbox) turns what the buyer did into a `ChatEvent`, and
`handle_chat` acts on it inside the caller's transaction. Every answer to the buyer, and every SMS to a maker,
is queued in the outbox in that same transaction. What the bot is waiting for (the draft request, the field
being asked) lives in the `conversation` table, so any web process can take the buyer's next message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot import outbox
from bot.db import insert_skipping_conflicts, table_of
from bot.locales import LANGUAGES, catalogue
from bot.media import Refused, Stored
from bot.models import Buyer, Maker, Request
from bot.phones import to_e164
from bot.services import admin_chat, pictures
from bot.services.buyer_orders import OrderActions
from bot.services.chat import SHARE_CONTACT as SHARE_CONTACT  # re-exported: the channels' (and tests') interface
from bot.services.chat import SHARE_LOCATION as SHARE_LOCATION
from bot.services.chat import Answer as Answer
from bot.services.chat import ChatConfig as ChatConfig
from bot.services.chat import ChatEvent as ChatEvent
from bot.services.conversations import ConversationStore, Flow
from bot.services.drafts import NOT_SURE, Drafting, set_place
from bot.services.orders import LIVE_REQUEST
from matching import geo
from matching.directory import Directory
from matching.taxonomy import Taxonomy

RADIUS_CHOICES = (10, 25, 50, 100)
log = logging.getLogger(__name__)

Buttons = list[list[tuple[str, str]]]


class BuyerChat(Drafting, OrderActions):
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
        table = table_of(Buyer)
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

    def state(self) -> tuple[str | None, dict[str, Any]]:
        found = self._conversation().get()
        return (found.state, found.data) if found else (None, {})

    def remember(self, state: str, **data: object) -> None:
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
            admin = admin_chat.handle(self.session, self.config, self.taxonomy, e.user_id, e.command, e.args, self.now)
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
        if e.picture is not None or e.picture_refused is not None:
            self.on_picture(e.picture, e.picture_refused, e.text or "")
        elif e.location is not None:
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
            if NOT_SURE.match(text):
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

    def on_place(self, place: geo.Place | None, problem: str) -> None:
        state, data = self.state()
        if place is None:
            self.say(problem, [[(self.t.BUTTON_SHARE_LOCATION, SHARE_LOCATION)]])
            return
        request = self._draft(data.get("request_id"))
        if request is not None and state not in ("ask_zip", "set_zip"):
            # A location shared while a draft is open places the draft (the keyboard may still be showing).
            set_place(request, place)
            if self.buyer.zip is None:
                self._set_buyer_zip(place)
            self.next_step(request)
            return
        self._set_buyer_zip(place)
        self.forget()
        self.say(self.t.BUYER_ZIP_SAVED.format(zip=place.zip, place=f"{place.city}, {place.state}"))

    # ── pictures ──

    def on_picture(self, picture: Stored | None, refused: Refused | None, caption: str) -> None:
        """A photo or document: its caption read as any message (a new request takes the picture along), the
        picture kept with the request in play; a refused one costs the buyer one sentence, never the words."""
        if refused is not None:
            self.say(refused.sentence(self.t))
        if not caption.strip():
            self.keep_picture(picture)
            return
        state, data = self.state()
        draft = self._draft(data.get("request_id")) if state else None
        if draft is not None and picture is not None:
            # Kept with the draft before the words are read, so that a summary they bring counts it; if the words
            # turn out to be a new request, that one takes the picture too.
            pictures.attach_to_request(self.session, draft, picture, self.now)
        self.pending_picture = picture
        self.on_text(caption)
        if self.pending_picture is not None and draft is None:
            self.keep_picture(picture)
        self.pending_picture = None

    def keep_picture(self, picture: Stored | None) -> None:
        if picture is None:
            return
        state, data = self.state()
        request = self._draft(data.get("request_id")) if state else None
        live = request is None
        if request is None:
            request = self._latest_live_request()
        if request is None:
            self.say(self.t.BUYER_PICTURE_NO_REQUEST)
            return
        if pictures.count_for_request(self.session, request.id) >= pictures.MAX_PER_REQUEST:
            self.say(self.t.PICTURE_TOO_MANY.format(limit=pictures.MAX_PER_REQUEST))
            return
        media = pictures.attach_to_request(self.session, request, picture, self.now)
        if live and media is not None and pictures.send_to_invited(self.session, request, media, self.now):
            self.say(self.t.BUYER_PICTURE_SENT_ON.format(code=request.code))
        elif state == "draft_ready":
            self.next_step(request)  # the summary again, now counting the picture
        else:
            self.say(self.t.BUYER_PICTURE_KEPT.format(code=request.code))

    def _latest_live_request(self) -> Request | None:
        return self.session.exec(
            select(Request)
            .where(Request.buyer_id == self.buyer.id, col(Request.status).in_(LIVE_REQUEST))
            .order_by(col(Request.id).desc())
        ).first()

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
            "prefer": self.press_prefer,
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

    def press_set(self, argument: str) -> Answer:
        if argument != "zip":
            return Answer(self.t.BUYER_STALE_BUTTON)
        self.remember("set_zip")
        self.say(self.t.BUYER_ASK_ZIP, [[(self.t.BUTTON_SHARE_LOCATION, SHARE_LOCATION)]])
        return Answer()


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
