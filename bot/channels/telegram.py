"""The Telegram channel: python-telegram-bot turns updates into `ChatEvent`s for the buyer service, and sends the
outbox's Telegram messages.

Receiving: `POST /telegram/webhook` (secret token checked in constant time) or polling feed updates to one
handler, which records the update once (its update_id is unique), acts on it in one transaction and only
then answers. A button press is acknowledged directly (answerCallbackQuery is an acknowledgement, not a
message); every message to a person goes through the outbox.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

import sqlalchemy as sa
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from telegram import (
    Bot,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    PhotoSize,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ContextTypes, TypeHandler

from bot import media, outbox, texts
from bot.channels.inbound import BodyTooLarge, Inbound, read_capped, receive
from bot.config import Settings
from bot.db import Database
from bot.models import utcnow
from bot.outbox import EDITED_LATER, Outgoing, SendError, SendResult
from bot.phones import masked
from bot.services.buyers import SHARE_CONTACT, SHARE_LOCATION, Answer, ChatConfig, ChatEvent, handle_chat
from matching.directory import Directory
from matching.taxonomy import Taxonomy

CHANNEL = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_UPDATE_BYTES = 1024 * 1024
MAX_MESSAGE = 4096  # Telegram refuses longer texts outright
MAX_CAPTION = 1024  # a photo's caption; a longer text follows the photo as a message of its own
ALLOWED_UPDATES = ["message", "callback_query"]
log = logging.getLogger(__name__)


def webhook_secret(settings: Settings) -> str:
    """The configured secret, or one derived from the token: the same in every web process, and secret."""
    if settings.telegram_webhook_secret is not None:
        return settings.telegram_webhook_secret.get_secret_value()
    assert settings.telegram_token is not None
    token = settings.telegram_token.get_secret_value()
    return hashlib.sha256(f"makerlink-webhook:{token}".encode()).hexdigest()


def build_application(settings: Settings, *, polling: bool, request=None, updates_request=None) -> Application:
    """A python-telegram-bot Application; without an Updater when updates arrive by webhook."""
    assert settings.telegram_token is not None
    builder = Application.builder().token(settings.telegram_token.get_secret_value())
    builder = builder.base_url(settings.telegram_api_url).base_file_url(
        settings.telegram_api_url.replace("/bot", "/file/bot")
    )
    if request is not None:
        builder = builder.request(request)
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    elif polling:
        # At stop the updater calls get_updates once more to mark what it fetched as read; with python-telegram-bot's
        # one-connection pool that call can find the last long poll still holding it ("Pool timeout"), logged as a
        # traceback at every such shutdown. A second connection leaves room for it.
        builder = builder.get_updates_connection_pool_size(2)
    if not polling:
        builder = builder.updater(None)
    return builder.build()


class _Sender(TypedDict):
    """The fields of a ChatEvent that every update gives: who, in which chat."""

    channel: str
    event_id: str
    user_id: int
    chat_id: int
    first_name: str
    username: str | None
    language_code: str | None


class _Share(TypedDict, total=False):
    """What makes a reply-keyboard button share the buyer's location or phone number."""

    request_location: bool
    request_contact: bool


def _event(update: Update) -> ChatEvent | None:
    """What the buyer did, or None for updates the bot does not act on (edits, joins, other chats)."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    base: _Sender = {
        "channel": CHANNEL,
        "event_id": str(update.update_id),
        "user_id": user.id,
        "chat_id": chat.id,
        "first_name": user.first_name or "",
        "username": user.username,
        "language_code": user.language_code,
    }
    if update.callback_query is not None:
        return ChatEvent(**base, callback=update.callback_query.data or "")
    message = update.message
    if message is None:
        return None
    if message.location is not None:
        return ChatEvent(**base, location=(message.location.latitude, message.location.longitude))
    if message.contact is not None:
        # Only the buyer's own number: a contact card of somebody else is not theirs to give.
        if message.contact.user_id not in (None, user.id):
            return ChatEvent(**base, contact_phone="")
        return ChatEvent(**base, contact_phone=message.contact.phone_number or "")
    text = message.text or message.caption
    if text is None:
        return ChatEvent(**base, text="")
    if text.startswith("/"):
        words = text[1:].split(maxsplit=1)
        command = words[0].split("@", 1)[0].lower() if words else ""
        return ChatEvent(**base, command=command, args=words[1] if len(words) > 1 else "")
    return ChatEvent(**base, text=text)


@dataclass
class TelegramChannel:
    """Turns updates into service calls; the same handler serves webhook and polling."""

    db: Database
    taxonomy: Taxonomy
    directory: Callable[[], Directory]
    config: ChatConfig
    application: Application
    secret: str
    clock: Callable[[], datetime] = utcnow
    on_enqueued: Callable[[], None] | None = None
    store: media.MediaStore | None = None  # where buyers' pictures are kept; without one they are not taken

    def __post_init__(self) -> None:
        self.application.add_handler(TypeHandler(Update, self.on_update))

    # ── receiving ──

    async def on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB's entry (polling): an update that still cannot be stored after retries is logged, not raised."""
        try:
            await self.handle(update)
        except sa.exc.OperationalError:
            log.exception("telegram: the database stayed unavailable; update %s not handled", update.update_id)

    async def handle(self, update: Update) -> None:
        """Act on one update; raises OperationalError only if the database stays unavailable."""
        chat = update.effective_chat
        if chat is not None and chat.type != ChatType.PRIVATE:
            await self._with_retries(self._group, update)
            return
        event = _event(update)
        if event is None:
            return
        if update.message is not None and event.command is None:
            picture, refused = await self._picture(update.message)
            if picture is not None or refused is not None:
                event = dataclasses.replace(event, picture=picture, picture_refused=refused)
        answer = await self._with_retries(self._receive, update.update_id, event)
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(
                    text=answer.toast if answer else None, show_alert=bool(answer and answer.alert)
                )
            except TelegramError as error:  # a late or duplicate press: the acknowledgement may be refused
                log.info("telegram: could not acknowledge a button press (%s)", type(error).__name__)
        if self.on_enqueued is not None:
            self.on_enqueued()

    async def _picture(self, message: Message) -> tuple[media.Stored | None, media.Refused | None]:
        """A photo or document the buyer sent: fetched (getFile), checked and cleaned on its bytes, kept; or why not.
        Nothing when the message carries neither."""
        found: PhotoSize | Document | None = message.photo[-1] if message.photo else message.document
        if found is None or self.store is None:
            return None, None
        if found.file_size and found.file_size > media.MAX_BYTES:  # refused before a byte is fetched
            return None, media.Refused("PICTURE_TOO_BIG", limit_mb=media.MAX_BYTES // (1024 * 1024))
        try:
            telegram_file = await found.get_file()
            data = bytes(await telegram_file.download_as_bytearray())
        except TelegramError as error:
            log.warning("telegram: a picture could not be fetched (%s)", type(error).__name__)
            return None, media.Refused("PICTURE_NOT_FETCHED")
        try:
            cleaned = await asyncio.to_thread(media.clean, data)
        except media.Refused as refused:
            log.info("telegram: a picture was refused (%s)", refused.name)
            return None, refused
        return await asyncio.to_thread(self.store.save, cleaned), None

    async def _with_retries(self, work, *args):
        """A database blip (a restart, a failover) should not lose a buyer's message: try again a few times."""
        for attempt in range(4):
            try:
                return await asyncio.to_thread(work, *args)
            except sa.exc.OperationalError:
                if attempt == 3:
                    raise
                log.warning("telegram: database unavailable, retrying update %s", args[0] if args else "?")
                await asyncio.sleep(0.2 * 2**attempt)
        return None

    def _receive(self, update_id: int, event: ChatEvent):
        what = (event.text or event.callback or (f"/{event.command}" if event.command else "")).replace("\x00", "")
        now = self.clock()
        message = Inbound(
            CHANNEL,
            str(update_id),
            str(event.user_id),
            what,
            reply_to=str(event.chat_id),
            label=f"telegram: update {update_id} from {masked(event.user_id)}",
        )

        def act(session: Session) -> Answer:
            return handle_chat(session, self.taxonomy, self.directory, self.config, event, now)

        return receive(self.db, message, now, act).result

    def _group(self, update: Update) -> None:
        """Groups and channels: only a command or a mention gets an answer, pointing to a private chat."""
        message = update.message
        if message is None or not message.text or update.effective_chat is None:
            return
        try:
            username = self.application.bot.username
        except RuntimeError:  # not initialised: no getMe yet
            username = None
        addressed = message.text.startswith("/") or (username and f"@{username}".lower() in message.text.lower())
        if not addressed:
            return
        chat_id, now = str(update.effective_chat.id), self.clock()
        label = f"telegram: group update {update.update_id}"
        inbound = Inbound(CHANNEL, str(update.update_id), chat_id, message.text, reply_to=chat_id, label=label)

        def point_to_a_private_chat(session: Session) -> None:
            outbox.enqueue(
                session,
                channel=CHANNEL,
                address=chat_id,
                text=texts.BUYER_GROUP_POINTER,
                purpose="reply",
                key=f"{CHANNEL}-group:{update.update_id}",
                now=now,
            )

        receive(self.db, inbound, now, point_to_a_private_chat)

    # ── POST /telegram/webhook ──

    async def webhook(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.secret.encode()):
            log.warning("telegram: refused a webhook post with a missing or wrong secret token")
            return PlainTextResponse("Invalid secret token.", status_code=403)
        try:
            body = await read_capped(request, MAX_UPDATE_BYTES)
            data = json.loads(body)
            update = Update.de_json(data, self.application.bot)
        except BodyTooLarge:
            return PlainTextResponse("Request body too large.", status_code=413)
        except Exception:
            log.warning("telegram: a webhook post was not a Telegram update")
            return PlainTextResponse("Not a Telegram update.", status_code=400)
        if update is None:
            return PlainTextResponse("Not a Telegram update.", status_code=400)
        # Handled here rather than through Application.process_update, which would swallow a database outage:
        # then the answer must be 503, so that Telegram delivers the update again.
        try:
            await self.handle(update)
        except sa.exc.OperationalError:
            log.exception("telegram: the database is unavailable; update %s not handled", update.update_id)
            return PlainTextResponse("Temporarily unavailable.", status_code=503)
        except Exception:
            # Kept as failed by the handler where it could be; a 5xx would only make Telegram retry a poison update.
            log.exception("telegram: update %s failed", update.update_id)
        return Response(status_code=200)


def _markup(buttons: list[list[tuple[str, str]]] | None):
    if not buttons:
        # A share-location/contact keyboard must not linger under the input box once its question is over.
        return ReplyKeyboardRemove()
    special: dict[str, _Share] = {SHARE_LOCATION: {"request_location": True}, SHARE_CONTACT: {"request_contact": True}}
    if any(data in special for row in buttons for _, data in row):
        # Location and contact buttons exist only on the reply keyboard, which shows once and then hides.
        rows = [[KeyboardButton(label, **special.get(data, {})) for label, data in row] for row in buttons]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in buttons]
    )


class TelegramSender:
    """Sends the outbox's Telegram messages; implements bot.outbox.Sender."""

    channel = CHANNEL

    def __init__(self, bot: Bot, store: media.MediaStore | None = None) -> None:
        self.bot = bot
        self.store = store  # the pictures a message may carry (Outgoing.media_key)

    async def send(self, message: Outgoing) -> SendResult:
        try:
            chat_id = int(message.address)
        except ValueError:
            raise SendError(texts.REASON_BAD_CHAT, retryable=False, code="bad_address") from None
        try:
            text = message.text if len(message.text) <= MAX_MESSAGE else message.text[: MAX_MESSAGE - 1] + "…"
            if message.edit_of is not None:
                return await self._edit(chat_id, int(message.edit_of), text, message)
            markup = None if message.purpose in EDITED_LATER and not message.buttons else _markup(message.buttons)
            picture = self._picture(message)
            if picture is not None:
                sent = await self._send_picture(chat_id, picture, message.media_key or "", text, markup)
            else:
                sent = await self.bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
        except RetryAfter as error:
            with warnings.catch_warnings():  # PTB 22 warns that this becomes a timedelta; both are read below
                warnings.simplefilter("ignore")
                retry = error.retry_after
            seconds = retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            raise SendError(texts.REASON_SLOW_DOWN, retryable=True, code="429", retry_after=seconds) from None
        except Forbidden as error:
            # "bot was blocked by the user", "user is deactivated", "bot was kicked": nobody to send to any more.
            raise SendError(error.message[:200], retryable=False, code="403", recipient_gone=True) from None
        except BadRequest as error:
            raise SendError(error.message[:200], retryable=False, code="400") from None
        except (TimedOut, NetworkError) as error:
            raise SendError(type(error).__name__, retryable=True, code="network") from None
        except TelegramError as error:
            raise SendError(type(error).__name__, retryable=True, code="telegram") from None
        log.info("telegram: message %s to chat %s sent", message.id, masked(message.address))
        return SendResult(provider_id=str(sent.message_id))

    def _picture(self, message: Outgoing) -> bytes | None:
        """The stored file a message carries; None without one, or once retention has deleted it (the text
        still goes)."""
        if message.media_key is None or self.store is None:
            return None
        return self.store.read(message.media_key)

    async def _send_picture(self, chat_id: int, data: bytes, key: str, text: str, markup) -> Message:
        """sendPhoto (a PDF: sendDocument) with the text as its caption; a text too long for a caption follows as a
        message with the buttons."""
        fits = len(text) <= MAX_CAPTION
        caption = text if fits else None
        if media.content_type_of(key) == "application/pdf":
            sent = await self.bot.send_document(
                chat_id=chat_id,
                document=data,
                filename="drawing.pdf",
                caption=caption,
                reply_markup=markup if fits else None,
            )
        else:
            sent = await self.bot.send_photo(
                chat_id=chat_id, photo=data, caption=caption, reply_markup=markup if fits else None
            )
        if fits:
            return sent
        return await self.bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)

    async def _edit(self, chat_id: int, message_id: int, text: str, message: Outgoing) -> SendResult:
        # Only inline keyboards can be edited in; a message without buttons keeps none.
        markup = _markup(message.buttons)
        try:
            await self.bot.edit_message_text(
                chat_id=chat_id,
                message_id=message_id,
                text=text,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            )
        except BadRequest as error:
            # Telegram refuses an edit that changes nothing; the text shown is already the wanted one.
            if "not modified" not in error.message.lower():
                raise
        log.info("telegram: message %s edited in chat %s", message.id, masked(message.address))
        return SendResult(provider_id=str(message_id))

    async def aclose(self) -> None:
        return None
