"""The Telegram channel offline: real python-telegram-bot, a recording BaseRequest in place of the Bot API, real
update JSON posted to /telegram/webhook. One table for receiving, one for sending."""

from __future__ import annotations

import json
import re
import time

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from bot import bootstrap
from bot.config import Settings
from bot.models import Buyer, InboundMessage, OutboundMessage
from bot.services import makers as maker_service
from tests.conftest import demo_csv
from tests.fakes.senders import RecordingSender
from tests.fixtures.telegram import (
    TOKEN,
    RecordingRequest,
    callback_update,
    contact_update,
    location_update,
    message_update,
    user,
)

PUBLIC = "https://bot.example.org"


@pytest.fixture
def bot(tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/tg.db",
        telegram_token=TOKEN,
        public_url=PUBLIC,
        admin_telegram_ids=[999],
        _env_file=None,
    )
    runtime = bootstrap.start(settings)
    maker_service.import_makers(runtime.db, demo_csv(), "demo", runtime.taxonomy)
    request = RecordingRequest()
    server = bootstrap.build_server(
        runtime, {"sms": RecordingSender()}, telegram_request=request, telegram_updates_request=RecordingRequest()
    )
    with TestClient(server.app) as client:
        client.request_log = request
        client.runtime = runtime
        client.secret = bootstrap_secret(settings)
        yield client


def bootstrap_secret(settings):
    from bot.channels.telegram import webhook_secret

    return webhook_secret(settings)


def post(client, update, secret=None):
    return client.post(
        "/telegram/webhook",
        content=json.dumps(update) if not isinstance(update, bytes) else update,
        headers={
            "X-Telegram-Bot-Api-Secret-Token": client.secret if secret is None else secret,
            "Content-Type": "application/json",
        },
    )


def sent_texts(client, chat_id=1001, wait=3.0) -> list[str]:
    """What the bot sent to a chat through the Bot API (the dispatcher runs beside the app)."""
    deadline = time.monotonic() + wait
    while True:
        with client.runtime.db.read() as session:
            pending = session.exec(
                select(OutboundMessage).where(
                    OutboundMessage.channel == "telegram", OutboundMessage.status.in_(("queued", "sending"))
                )
            ).all()
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return [p["text"] for p in client.request_log.calls_to("sendMessage") if int(p["chat_id"]) == chat_id]


def test_start_up_sets_the_webhook_with_its_secret(bot):
    [params] = bot.request_log.calls_to("setWebhook")
    assert params["url"] == PUBLIC + "/telegram/webhook"
    assert params["secret_token"] == bot.secret and len(bot.secret) >= 32
    assert params["allowed_updates"] == ["message", "callback_query"]


# (name, update or raw body, secret override, expected HTTP status, a text the buyer then receives or None)
RECEIVE = [
    ("/start", lambda: message_update("/start"), None, 200, "local makers"),
    ("/start@botname", lambda: message_update("/start@makerlink_test_bot"), None, 200, "local makers"),
    ("/help", lambda: message_update("/help"), None, 200, "/requests"),
    ("unknown command", lambda: message_update("/frobnicate"), None, 200, "I don't know that command"),
    ("a request", lambda: message_update("need 500 face shields by Friday near 48201"), None, 200, "understood"),
    ("text it cannot use", lambda: message_update("hello?"), None, 200, "I could not tell what you need"),
    ("a location", lambda: location_update(42.3314, -83.0458), None, 200, "Got it: 48231"),
    ("someone else's contact", lambda: contact_update("+13135550123", owner_id=4242), None, 200, "does not look right"),
    (
        "a sticker (no text)",
        lambda: message_update(
            sticker={
                "file_id": "x",
                "file_unique_id": "y",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
        ),
        None,
        200,
        "could not tell",
    ),
    ("a stale button", lambda: callback_update("send:999999"), None, 200, None),
    ("wrong secret", lambda: message_update("/start"), "nope", 403, None),
    ("no secret", lambda: message_update("/start"), "", 403, None),
    ("not JSON", lambda: b"{not json", None, 400, None),
    ("JSON but no update", lambda: {"hello": "world"}, None, 400, None),
]


@pytest.mark.parametrize(("name", "update", "secret", "status", "reply"), RECEIVE, ids=[r[0] for r in RECEIVE])
def test_receive_table(bot, name, update, secret, status, reply):
    response = post(bot, update(), secret)
    assert response.status_code == status
    texts = sent_texts(bot)
    if reply is None:
        assert texts == []
    else:
        assert any(reply in text for text in texts), texts
    with bot.runtime.db.read() as session:
        recorded = session.exec(select(InboundMessage)).all()
    assert len(recorded) == (1 if status == 200 else 0)


def test_a_retried_update_is_handled_once(bot):
    update = message_update("/start")
    assert post(bot, update).status_code == post(bot, update).status_code == 200
    assert len([t for t in sent_texts(bot) if "local makers" in t]) == 1


def test_a_button_press_is_acknowledged_with_its_answer(bot):
    post(bot, callback_update("send:999999"))
    [answer] = bot.request_log.calls_to("answerCallbackQuery")
    assert answer["text"] == "That button belongs to someone else's request."


def test_groups_get_a_pointer_only_when_addressed(bot):
    group = {"id": -100123, "type": "supergroup", "title": "Hospital buyers"}
    post(bot, message_update("lovely weather", chat=group))
    post(bot, message_update("/start", chat=group))
    texts = sent_texts(bot, chat_id=-100123)
    assert texts == ["I work in private chats only — please message me directly."]
    with bot.runtime.db.read() as session:
        assert session.exec(select(Buyer)).all() == []  # nobody became a buyer from a group


def test_the_journey_reaches_makers_by_sms_and_buttons_render_as_keyboards(bot):
    post(bot, message_update("/start"))
    post(bot, message_update("48201"))
    post(bot, message_update("need 500 face shields by Friday"))
    sent_texts(bot)
    calls = bot.request_log.calls_to("sendMessage")
    welcome = calls[0]
    keyboard = (
        json.loads(welcome["reply_markup"]) if isinstance(welcome["reply_markup"], str) else welcome["reply_markup"]
    )
    assert keyboard["keyboard"][0][0]["request_location"] is True
    summary = calls[-1]
    markup = (
        json.loads(summary["reply_markup"]) if isinstance(summary["reply_markup"], str) else summary["reply_markup"]
    )
    send_data = markup["inline_keyboard"][0][0]["callback_data"]
    assert send_data.startswith("send:")
    post(bot, callback_update(send_data))
    assert any("Sent to 5 makers" in t for t in sent_texts(bot))
    with bot.runtime.db.read() as session:
        invitations = session.exec(select(OutboundMessage).where(OutboundMessage.purpose == "invitation")).all()
    assert len(invitations) == 5


def test_a_user_whose_telegram_is_in_arabic_is_answered_in_arabic_through_the_bot_api(bot):
    arabic = re.compile("[\u0600-\u06ff]")
    amal = user(user_id=1002, first_name="Amal", username="amal_d", language_code="ar")
    post(bot, message_update("/start", sender=amal))
    post(bot, message_update("48126", sender=amal))
    post(bot, message_update("أحتاج 200 معجنات بحلول الجمعة", sender=amal))
    sent_texts(bot, chat_id=1002)
    summary = [c for c in bot.request_log.calls_to("sendMessage") if int(c["chat_id"]) == 1002][-1]
    markup = summary["reply_markup"]
    markup = markup if isinstance(markup, dict) else json.loads(markup)
    post(bot, callback_update(markup["inline_keyboard"][0][0]["callback_data"], sender=amal))
    said = sent_texts(bot, chat_id=1002)
    assert len(said) >= 4 and all(arabic.search(text) for text in said), said
    assert said[0].startswith("مرحبًا!") and said[-1].startswith("أُرسل إلى")
    labels = [b["text"] for row in markup["inline_keyboard"] for b in row]
    assert all(arabic.search(label) for label in labels), labels


def test_the_preference_button_renders_inline_and_a_forged_choice_is_answered(bot):
    post(bot, message_update("/start"))
    post(bot, message_update("48201"))
    post(bot, message_update("need 200 tote bags"))
    sent_texts(bot)

    def keyboard(call: dict) -> list:
        markup = call["reply_markup"]
        return (json.loads(markup) if isinstance(markup, str) else markup)["inline_keyboard"]

    prefer = keyboard(bot.request_log.calls_to("sendMessage")[-1])[-1][0]
    assert prefer["text"].startswith("🌱") and prefer["callback_data"].startswith("prefer:")
    post(bot, callback_update(prefer["callback_data"]))
    sent_texts(bot)
    choices = [row[0]["callback_data"] for row in keyboard(bot.request_log.calls_to("sendMessage")[-1])]
    assert choices[0] == prefer["callback_data"] + ":green" and all(len(c.encode()) <= 64 for c in choices)
    post(bot, callback_update(prefer["callback_data"] + ":made-in-atlantis"))
    assert bot.request_log.calls_to("answerCallbackQuery")[-1]["text"] == "That button is out of date; nothing changed."
    post(bot, callback_update(choices[0]))
    assert "• Prefer: greener practices" in sent_texts(bot)[-1]


# ── sending: Bot API errors as the outbox sees them ──

SEND = [
    (
        "blocked",
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
        "failed",
        "403",
        True,
    ),
    (
        "deactivated",
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: user is deactivated"}),
        "failed",
        "403",
        True,
    ),
    (
        "flood",
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 7",
                "parameters": {"retry_after": 7},
            },
        ),
        "errored",
        "429",
        False,
    ),
    (
        "bad request",
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}),
        "failed",
        "400",
        False,
    ),
    (
        "server error",
        (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}),
        "errored",
        "network",
        False,
    ),
]


@pytest.mark.parametrize(("name", "failure", "status", "code", "blocked"), SEND, ids=[r[0] for r in SEND])
def test_send_table(tmp_path, name, failure, status, code, blocked):
    import asyncio

    from bot.channels.telegram import TelegramSender, build_application
    from bot.outbox import enqueue

    settings = Settings(database_url=f"sqlite:///{tmp_path}/s.db", telegram_token=TOKEN, _env_file=None)
    runtime = bootstrap.start(settings)
    with runtime.db.transaction() as session:
        buyer = Buyer(telegram_user_id=1001, chat_id=1001, name="Dana")
        session.add(buyer)
        session.flush()
        enqueue(session, channel="telegram", address="1001", text="hello", purpose="chat", key="k", buyer_id=buyer.id)
    request = RecordingRequest(fail={"sendMessage": failure})
    application = build_application(settings, polling=False, request=request)

    async def go():
        await application.initialize()
        dispatcher = bootstrap.make_dispatcher(runtime, {"telegram": TelegramSender(application.bot)})
        await dispatcher.drain()
        await application.shutdown()

    asyncio.run(go())
    with runtime.db.read() as session:
        message = session.exec(select(OutboundMessage)).one()
        buyer = session.exec(select(Buyer)).one()
    assert (message.status, message.error_code) == (status, code)
    assert buyer.blocked is blocked
    if name == "flood":
        assert (message.next_attempt_at - message.updated_at).total_seconds() == pytest.approx(7, abs=1)


def test_no_text_makes_the_webhook_fail(bot):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(text=st.text(max_size=500), user_id=st.integers(min_value=1, max_value=2**40))
    def check(text, user_id):
        update = message_update(text, sender=user(user_id=user_id, username=None))
        assert post(bot, update).status_code == 200

    check()


def test_a_database_outage_answers_503_so_telegram_retries(bot, monkeypatch):
    import sqlalchemy as sa

    from bot.channels import telegram as channel

    def down(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(channel, "handle_chat", down)
    update = message_update("/start")
    assert post(bot, update).status_code == 503
    monkeypatch.undo()
    assert post(bot, update).status_code == 200  # Telegram's retry is handled once the database is back
    assert any("local makers" in t for t in sent_texts(bot))


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (None, "sent"),
        ((400, {"ok": False, "error_code": 400, "description": "Bad Request: message is not modified"}), "sent"),
        ((400, {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"}), "failed"),
    ],
    ids=["edited", "unchanged-counts-as-done", "gone"],
)
def test_an_edit_goes_out_as_edit_message_text_of_the_sent_message(tmp_path, failure, status):
    import asyncio

    from bot.channels.telegram import TelegramSender, build_application
    from bot.outbox import enqueue

    settings = Settings(database_url=f"sqlite:///{tmp_path}/s.db", telegram_token=TOKEN, _env_file=None)
    runtime = bootstrap.start(settings)
    with runtime.db.transaction() as session:
        first = enqueue(
            session, channel="telegram", address="1001", text="0 of 9 sent", purpose="broadcast_progress", key="a"
        )
    request = RecordingRequest(fail={"editMessageText": failure} if failure else None)
    application = build_application(settings, polling=False, request=request)

    async def go():
        await application.initialize()
        dispatcher = bootstrap.make_dispatcher(runtime, {"telegram": TelegramSender(application.bot)})
        await dispatcher.drain()
        with runtime.db.transaction() as session:
            enqueue(
                session, channel="telegram", address="1001", text="9 of 9 sent", purpose="p", key="b", edit_of=first.id
            )
        await dispatcher.drain()
        await application.shutdown()

    asyncio.run(go())
    [sent] = request.calls_to("sendMessage")
    [edit] = request.calls_to("editMessageText")
    assert sent["text"] == "0 of 9 sent" and sent.get("reply_markup") is None  # or Telegram could not edit it
    with runtime.db.read() as session:
        original, edited = session.exec(select(OutboundMessage).order_by(OutboundMessage.id)).all()
    assert (edit["chat_id"], str(edit["message_id"]), edit["text"]) == (1001, original.provider_id, "9 of 9 sent")
    assert edited.status == status
