"""A Telegram user in a private chat with a bot, acting through telegram-test-api's user-side API.

The peer is tests/peers/telegram_front.js (`tests.integration.peers.telegram_test_api`, fixture `telegram_peer`).
The user side answers before the bot has seen anything: what the bot does in return has to be polled for
(`replies`, `wait_bot_message`). These calls block; from a coroutine use `areplies` / `await_bot_message` (or
`asyncio.to_thread`) so that a bot running on the same event loop keeps going meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

POLL_SECONDS = 0.05


class TelegramUser:
    def __init__(
        self,
        base_url: str,
        token: str,
        user_id: int,
        first_name: str,
        username: str | None = None,
        chat_id: int | None = None,
        language_code: str = "en",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.user_id = user_id
        self.first_name = first_name
        self.username = username
        self.chat_id = user_id if chat_id is None else chat_id
        self.language_code = language_code

    # ------------------------------------------------------------------------------------------ who and where

    @property
    def user(self) -> dict[str, Any]:
        """The `from` of this user's messages, as Telegram sends it."""
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        user["language_code"] = self.language_code
        return user

    @property
    def chat(self) -> dict[str, Any]:
        """The private chat with the bot, as Telegram describes it."""
        chat: dict[str, Any] = {"id": self.chat_id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        return chat

    # ------------------------------------------------------------------------------------------ acting

    def send(self, text: str, **fields: Any) -> dict[str, Any]:
        """Send a text message (extra Message fields allowed); returns the message as posted."""
        return self._message("/sendMessage", {"text": text, **fields})

    def command(self, command: str, args: str = "") -> dict[str, Any]:
        """Send a command such as "/start" (with its bot_command entity), optionally followed by arguments."""
        if not command.startswith("/"):
            command = f"/{command}"
        text = f"{command} {args}" if args else command
        entity = {"type": "bot_command", "offset": 0, "length": len(command)}
        return self._message("/sendCommand", {"text": text, "entities": [entity]})

    def location(self, latitude: float, longitude: float) -> dict[str, Any]:
        """Share a location (what a `request_location` keyboard button sends)."""
        return self._message("/sendMessage", {"location": {"latitude": latitude, "longitude": longitude}})

    def contact(self, phone_number: str, first_name: str | None = None, user_id: int | None = None) -> dict[str, Any]:
        """Share a contact; by default the user's own (what a `request_contact` keyboard button sends)."""
        contact = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
            "user_id": self.user_id if user_id is None else user_id,
        }
        return self._message("/sendMessage", {"contact": contact})

    def press(self, message: dict[str, Any], data: str) -> dict[str, Any]:
        """Press the inline button carrying callback `data` on a bot message (from `replies` or `bot_messages`)."""
        keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        offered = [button.get("callback_data") for row in keyboard for button in row]
        if data not in offered:
            raise AssertionError(f"message {message.get('message_id')} has no button with data {data!r}: {offered}")
        shown = {key: value for key, value in message.items() if value is not None}
        shown.setdefault("chat", self.chat)
        shown.setdefault("date", int(time.time()))
        payload = {
            "botToken": self.token,
            "from": self.user,
            "message": shown,
            "chat_instance": str(self.chat_id),
            "data": data,
            "date": int(time.time()),
        }
        self._post("/sendCallback", payload)
        return payload

    # ------------------------------------------------------------------------------------------ seeing

    def replies(self, timeout: float = 10.0, count: int = 1) -> list[dict[str, Any]]:
        """The bot's new messages to this chat (each returned once), polled until `count` arrived or `timeout`.

        Each is a Message dict: message_id, chat, date (seconds), text, reply_markup (inline or reply keyboard, as
        the bot sent it), plus whatever else the bot sent (parse_mode, ...). May hold fewer than `count`, or more.
        """
        deadline = time.monotonic() + timeout
        found: list[dict[str, Any]] = []
        while True:
            entries = self._post("/getUpdates", {"token": self.token, "chatId": self.chat_id})
            found.extend(self._bot_message(entry) for entry in entries)
            if len(found) >= count or time.monotonic() >= deadline:
                return found
            time.sleep(POLL_SECONDS)

    async def areplies(self, timeout: float = 10.0, count: int = 1) -> list[dict[str, Any]]:
        """`replies` without blocking the event loop (a bot on the same loop keeps running)."""
        return await asyncio.to_thread(self.replies, timeout, count)

    def history(self) -> list[dict[str, Any]]:
        """telegram-test-api's raw history for this bot (all chats, oldest first, edits applied in place).

        Entries: {time (ms), botToken, updateId, messageId, isRead} plus `message` (the user's Message, or the bot's
        request parameters: chat_id, text, reply_markup, ...) or `callbackQuery` (what `press` posted).
        """
        return self._post("/getUpdatesHistory", {"token": self.token})

    def bot_messages(self) -> list[dict[str, Any]]:
        """The bot's messages in this chat as they are now (edits applied), oldest first, shaped as by `replies`."""
        return [
            self._bot_message(entry)
            for entry in self.history()
            if "message" in entry and str(entry["message"].get("chat_id")) == str(self.chat_id)
        ]

    def wait_bot_message(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        """The first bot message in this chat (see `bot_messages`) satisfying `predicate`, polled until `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.bot_messages()
            for message in messages:
                if predicate(message):
                    return message
            if time.monotonic() >= deadline:
                raise AssertionError(f"no matching bot message within {timeout} s; the bot's messages: {messages}")
            time.sleep(POLL_SECONDS)

    async def await_bot_message(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """`wait_bot_message` without blocking the event loop."""
        return await asyncio.to_thread(self.wait_bot_message, predicate, timeout)

    # ------------------------------------------------------------------------------------------ plumbing

    def _message(self, path: str, fields: dict[str, Any]) -> dict[str, Any]:
        payload = {"botToken": self.token, "from": self.user, "chat": self.chat, "date": int(time.time()), **fields}
        self._post(path, payload)
        return payload

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.base_url}{path}", json=payload, timeout=10.0)
        if response.status_code != 200:
            raise RuntimeError(f"telegram-test-api {path} answered {response.status_code}: {response.text}")
        body = response.json()
        if not body.get("ok"):
            raise RuntimeError(f"telegram-test-api {path} failed: {body}")
        return body.get("result")

    def _bot_message(self, entry: dict[str, Any]) -> dict[str, Any]:
        raw = dict(entry["message"])
        for key in ("chat_id", "botToken"):
            raw.pop(key, None)
        for key in ("reply_markup", "entities"):
            if isinstance(raw.get(key), str):
                raw[key] = json.loads(raw[key])
        return {**raw, "message_id": entry["messageId"], "chat": self.chat, "date": entry["time"] // 1000}
