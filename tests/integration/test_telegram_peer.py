"""The real python-telegram-bot 22 against telegram-test-api behind tests/peers/telegram_front.js.

Polling and webhook mode, inline and reply keyboards, callbacks and edits, shared locations and contacts: what the
end-to-end tests of the Telegram bot rely on. Each test uses its own bot token, so the session's peer is shared.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from tests.integration.peers import free_port

SECRET = "s3cret"
WAIT = 10.0


def telegram_errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("telegram") and r.levelno >= logging.ERROR]


def application(peer, token: str, *, updater: bool = True) -> Application:
    builder = Application.builder().token(token).base_url(peer.api_url)
    if not updater:
        builder = builder.updater(None)
    return builder.build()


@asynccontextmanager
async def polling(app: Application, **options) -> AsyncIterator[Application]:
    await app.initialize()
    await app.start()
    await app.updater.start_polling(**options)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


class WebhookReceiver:
    """A bot's own webhook endpoint (Starlette on uvicorn): checks the secret header, feeds PTB's update queue."""

    def __init__(self, app: Application | None = None, fail_first: int = 0) -> None:
        self.app = app
        self.fail_first = fail_first
        self.posts: list[tuple[dict[str, str], dict]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram"
        self.server = uvicorn.Server(
            uvicorn.Config(
                Starlette(routes=[Route("/telegram", self.receive, methods=["POST"])]),
                port=self.port,
                host="127.0.0.1",
                log_level="warning",
                lifespan="off",
            )
        )

    async def receive(self, request: Request) -> Response:
        payload = await request.json()
        self.posts.append((dict(request.headers), payload))
        if len(self.posts) <= self.fail_first:
            return Response(status_code=500)
        if request.headers.get("x-telegram-bot-api-secret-token") != SECRET:
            return Response(status_code=403)
        if self.app is not None:
            await self.app.update_queue.put(Update.de_json(payload, self.app.bot))
        return Response()

    async def wait_posts(self, count: int, timeout: float = WAIT) -> None:
        for _ in range(int(timeout / 0.05)):
            if len(self.posts) >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{len(self.posts)} webhook posts within {timeout} s, expected {count}")

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[WebhookReceiver]:
        task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        try:
            yield self
        finally:
            self.server.should_exit = True
            await task


def test_initialize_and_get_me(telegram_peer, caplog):
    async def scenario():
        app = application(telegram_peer, "7100001:get-me")
        await app.initialize()
        try:
            me = await app.bot.get_me()
            assert (me.id, me.is_bot, me.username) == (7100001, True, "TestNameBot")
            assert app.bot.username == "TestNameBot"
            info = await app.bot.get_webhook_info()
            assert (info.url, info.pending_update_count) == ("", 0)
            assert await app.bot.set_my_commands([("start", "Start over")]) is True
            with pytest.raises(BadRequest, match=r"(?i)senddice.*not supported"):
                await app.bot.send_dice(chat_id=1)  # unknown to the peer: a 400 at once, not retried 500s
        finally:
            await app.shutdown()

    asyncio.run(scenario())
    assert telegram_errors(caplog) == []


def test_polling_inline_keyboard_callback_and_edit(telegram_peer, caplog):
    token = "7100002:polling"
    user = telegram_peer.user(token, 501, "Ann", username="ann")
    seen: dict[str, object] = {}

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen["text"] = update.message.text
        seen["from"] = update.effective_user
        keyboard = [[InlineKeyboardButton("Yes", callback_data="yes"), InlineKeyboardButton("No", callback_data="no")]]
        sent = await update.message.reply_text("Pick one", reply_markup=InlineKeyboardMarkup(keyboard))
        seen["sent"] = sent

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        seen["data"] = query.data
        seen["answered"] = await query.answer()
        seen["edited"] = await query.edit_message_text("done")

    async def scenario():
        app = application(telegram_peer, token)
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
        app.add_handler(CallbackQueryHandler(on_press))
        async with polling(app, poll_interval=0.1, timeout=0):
            user.send("a birthday cake")
            [reply] = await user.areplies(timeout=WAIT)
            assert reply["text"] == "Pick one"
            buttons = reply["reply_markup"]["inline_keyboard"][0]
            assert [(b["text"], b["callback_data"]) for b in buttons] == [("Yes", "yes"), ("No", "no")]
            assert reply["message_id"] == seen["sent"].message_id

            user.press(reply, "yes")
            edited = await user.await_bot_message(
                lambda m: (m["message_id"], m["text"]) == (reply["message_id"], "done")
            )
            assert "reply_markup" not in edited  # edited without reply_markup: the inline keyboard is gone
            for _ in range(100):
                if "edited" in seen:
                    break
                await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert seen["text"] == "a birthday cake"
    assert (seen["from"].id, seen["from"].username, seen["from"].is_bot) == (501, "ann", False)
    assert seen["data"] == "yes"
    assert seen["answered"] is True
    assert (seen["edited"].text, seen["edited"].chat.id) == ("done", 501)
    assert telegram_errors(caplog) == []


def test_reply_keyboard_location_and_contact_long_polling(telegram_peer, caplog):
    token = "7100003:keyboards"
    user = telegram_peer.user(token, 502, "Bea")
    shared: asyncio.Queue

    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = [[KeyboardButton("Share location", request_location=True)]]
        keyboard.append([KeyboardButton("Share phone", request_contact=True)])
        markup = ReplyKeyboardMarkup(keyboard, resize_keyboard=True, one_time_keyboard=True)
        await update.message.reply_text(f"Hi {context.args}", reply_markup=markup)

    async def on_shared(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await shared.put(update.message)

    async def scenario():
        nonlocal shared
        shared = asyncio.Queue()
        app = application(telegram_peer, token)
        app.add_handler(CommandHandler("start", on_start))
        app.add_handler(MessageHandler(filters.LOCATION | filters.CONTACT, on_shared))
        async with polling(app, timeout=5):  # the front long-polls, as Telegram does: PTB's defaults do not spin
            user.command("/start", "ref42")
            [reply] = await user.areplies(timeout=WAIT)
            assert reply["text"] == "Hi ['ref42']"
            markup = reply["reply_markup"]
            assert markup["keyboard"] == [
                [{"text": "Share location", "request_location": True}],
                [{"text": "Share phone", "request_contact": True}],
            ]
            assert markup["resize_keyboard"] is True

            user.location(40.7128, -74.006)
            located = await asyncio.wait_for(shared.get(), WAIT)
            assert (located.location.latitude, located.location.longitude) == (40.7128, -74.006)
            assert located.chat.type == "private" and located.from_user.id == 502

            user.contact("+15551234567")
            contacted = await asyncio.wait_for(shared.get(), WAIT)
            assert (contacted.contact.phone_number, contacted.contact.user_id) == ("+15551234567", 502)

    asyncio.run(scenario())
    assert telegram_errors(caplog) == []


def test_webhook_delivers_with_secret_until_deleted(telegram_peer, caplog):
    token = "7100004:webhook"
    user = telegram_peer.user(token, 503, "Cy")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    async def scenario():
        app = application(telegram_peer, token, updater=False)
        app.add_handler(MessageHandler(filters.TEXT, echo))
        receiver = WebhookReceiver(app)
        async with receiver.serving():
            await app.initialize()
            await app.start()
            try:
                assert await app.bot.set_webhook(receiver.url, secret_token=SECRET) is True
                assert (await app.bot.get_webhook_info()).url == receiver.url
                with pytest.raises(Conflict):
                    await app.bot.get_updates(timeout=0)

                user.send("over the webhook")
                [reply] = await user.areplies(timeout=WAIT)
                assert reply["text"] == "echo: over the webhook"
                [(headers, payload)] = receiver.posts
                assert headers["x-telegram-bot-api-secret-token"] == SECRET
                assert headers["content-type"].startswith("application/json")
                assert payload["message"]["text"] == "over the webhook"

                assert await app.bot.delete_webhook() is True
                user.send("after the webhook")
                await asyncio.sleep(0.6)
                assert len(receiver.posts) == 1
                [update] = await app.bot.get_updates(timeout=0)  # kept for getUpdates, as on Telegram
                assert update.message.text == "after the webhook"
                assert await app.bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
            finally:
                await app.stop()
                await app.shutdown()

    asyncio.run(scenario())
    assert telegram_errors(caplog) == []


def test_failed_webhook_deliveries_neither_crash_nor_lose_retried_updates(telegram_peer):
    token = "7100005:broken-webhook"
    user = telegram_peer.user(token, 504, "Dee")

    async def scenario():
        async with Bot(token, base_url=telegram_peer.api_url) as bot:
            await bot.set_webhook(f"http://127.0.0.1:{free_port()}/closed", secret_token=SECRET)
            user.send("nobody listens")
            for _ in range(100):
                info = await bot.get_webhook_info()
                if info.last_error_message:
                    break
                await asyncio.sleep(0.05)
            assert info.last_error_message and info.last_error_date is not None
            assert (await bot.get_me()).id == 7100005

            flaky = WebhookReceiver(fail_first=1)  # answers 500 once: the front retries the same update
            async with flaky.serving():
                await bot.set_webhook(flaky.url, secret_token=SECRET, drop_pending_updates=True)
                user.send("second try")
                await flaky.wait_posts(2)
                (_, first), (headers, second) = flaky.posts
                assert first == second and second["message"]["text"] == "second try"
                assert headers["x-telegram-bot-api-secret-token"] == SECRET
                await bot.delete_webhook(drop_pending_updates=True)

    asyncio.run(scenario())
    response = httpx.get(f"{telegram_peer.url}/bot{token}/getMe", timeout=5)
    assert response.json()["ok"] is True
