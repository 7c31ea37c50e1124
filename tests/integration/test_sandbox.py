"""The sandbox through its JSON API, with the real app running (dispatcher, delivery reports, scheduler): the
journey, skip-ahead, reset, broadcasts, and what bad input gets."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import select
from starlette.testclient import TestClient

from bot import bootstrap, texts
from bot.channels import sandbox
from bot.config import SANDBOX_DATABASE_URL, load_settings
from bot.db import Database
from bot.models import InboundMessage, Maker, OutboundMessage
from bot.services import makers as maker_service
from tests.conftest import DEMO_MAKERS, demo_csv


def _settings(tmp_path, **overrides):
    values = {
        "database_url": f"sqlite:///{tmp_path}/sandbox.db",
        "quiet_hours": "",
        "sms_per_second": 200,
        "max_invites": 3,
        **overrides,
    }
    return load_settings(**values)


@pytest.fixture
def client(tmp_path):
    runtime = bootstrap.start(_settings(tmp_path))
    server, count = bootstrap.build_sandbox(runtime)
    assert count == DEMO_MAKERS
    # Nothing leaves the machine: the only senders are the sandbox's.
    assert sorted(server.dispatcher.senders) == ["sms", "telegram"]
    assert all(isinstance(s, sandbox.SandboxSender) for s in server.dispatcher.senders.values())
    with TestClient(server.app) as test_client:
        test_client.runtime = runtime
        yield test_client
    runtime.db.dispose()


def wait_for(client: TestClient, predicate, what: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get("/sandbox/state").json()
        found = predicate(state)
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def bot_says(state: dict, words: str) -> dict | None:
    return next((m for m in state["buyer"]["messages"] if m["from"] == "bot" and words in m["text"]), None)


def button(message: dict, prefix: str) -> str:
    return next(b["data"] for row in message["buttons"] for b in row if b["data"].startswith(prefix))


def invited(state: dict) -> list[dict]:
    return [m for m in state["makers"] if any(x.get("purpose") == "invitation" for x in m["messages"])]


def chat(client: TestClient, **body) -> dict:
    answer = client.post("/sandbox/chat", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def open_request(client: TestClient) -> list[dict]:
    """The buyer asks for face shields near 48201 and sends the request; returns the invited makers' rows."""
    chat(client, text="/start")
    welcome = wait_for(client, lambda s: bot_says(s, "First, where are you?"), "the welcome")
    assert welcome["buttons"] == [[{"label": texts.BUTTON_SHARE_LOCATION, "data": "@location"}]]
    chat(client, location={"latitude": 42.3456, "longitude": -83.06})
    wait_for(client, lambda s: bot_says(s, "Got it: 48201"), "the ZIP from the shared location")
    chat(client, text="need 500 face shields by Friday")
    summary = wait_for(client, lambda s: bot_says(s, "Here is what I understood"), "the summary")
    assert "500" in summary["text"] and "face shields" in summary["text"]
    answer = chat(client, callback=button(summary, "send:"))
    assert answer["toast"] == texts.BUYER_SENT_TOAST
    wait_for(client, lambda s: bot_says(s, "Sent to 3 makers"), "the buyer's confirmation")
    return wait_for(client, lambda s: (lambda rows: rows if len(rows) == 3 else None)(invited(s)), "3 invitations")


def test_the_whole_journey_on_the_page(client):
    makers = open_request(client)
    maker = makers[-1]
    invitation = maker["messages"][0]
    assert "Dana" not in invitation["text"] and invitation["from"] == "bot"

    reply = client.post("/sandbox/sms", json={"phone": maker["phone"], "text": "YES $2.50 each 5 days"})
    assert reply.status_code == 200, reply.text
    quote = wait_for(client, lambda s: bot_says(s, "$2.50 each"), "the quote in the buyer's chat")
    assert maker["phone"] not in quote["text"]
    chat(client, callback=button(quote, "accept:"))

    state = wait_for(client, lambda s: bot_says(s, "You accepted Maker") and s, "the buyer's introduction")
    assert maker["phone"] in bot_says(state, "You accepted Maker")["text"]
    thread = wait_for(
        client,
        lambda s: (
            next(m for m in s["makers"] if m["phone"] == maker["phone"])["messages"][-1]["purpose"] == "introduction"
            and s
        ),
        "the maker's introduction",
    )
    intro = next(m for m in thread["makers"] if m["phone"] == maker["phone"])["messages"][-1]
    assert "@dana_sandbox" in intro["text"] and "$2.50 each" in intro["text"]
    # The admin panel's impact card counts the order: 500 at $2.50 with a maker working for the first time.
    impact = thread["impact"]
    counted = {key: impact["figures"][key] for key in ("orders", "spent_cents", "makers", "first_time_makers")}
    assert counted == {"orders": 1, "spent_cents": 125000, "makers": 1, "first_time_makers": 1}
    assert impact["text"].startswith("Local impact, all time:\nOrders accepted: 1 (0 delivered).")
    assert "Spent with local makers: $1,250." in impact["text"] and "(estimated)" in impact["text"]
    # The maker's own text shows in their thread, between the invitation and the answers.
    assert [m["from"] for m in next(m for m in thread["makers"] if m["phone"] == maker["phone"])["messages"]][:2] == [
        "bot",
        "maker",
    ]
    # What the page shows went through the outbox, and the sandbox reported it delivered.
    wait_for(
        client,
        lambda s: all(m["status"] == "delivered" for m in s["buyer"]["messages"] if m["from"] == "bot"),
        "delivery reports",
    )
    with client.runtime.db.read() as session:
        rows = session.exec(select(OutboundMessage)).all()
        assert rows and all(
            r.provider_id and r.provider_id.startswith("sandbox-") for r in rows if r.status != "queued"
        )
        assert len(session.exec(select(InboundMessage).where(InboundMessage.channel == "sms")).all()) == 1


def test_a_repeated_action_acts_once(client):
    chat(client, text="/start", id="first-start")
    chat(client, text="/start", id="first-start")
    wait_for(client, lambda s: bot_says(s, "First, where are you?"), "the welcome")
    time.sleep(0.5)
    state = client.get("/sandbox/state").json()
    assert [m["from"] for m in state["buyer"]["messages"]] == ["buyer", "bot"]


def test_an_action_the_services_choke_on_is_kept_as_failed_and_answered_once(client, monkeypatch):
    from bot.services import buyers, sms_inbox

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(buyers, "handle_chat", broken)
    monkeypatch.setattr(sms_inbox, "handle_sms", broken)
    for _ in range(2):  # the page retrying: one failure kept, one apology
        assert chat(client, text="need 500 face shields", id="choked")["ok"]
        sent = client.post("/sandbox/sms", json={"phone": "+13135550199", "text": "JOIN", "id": "choked-too"})
        assert sent.status_code == 200
    with client.runtime.db.read() as session:
        kept = session.exec(select(InboundMessage).order_by(InboundMessage.id)).all()
        sorry = session.exec(select(OutboundMessage).where(OutboundMessage.text == texts.SMS_ERROR)).all()
    assert [(k.channel, k.status, k.error, k.text) for k in kept] == [
        ("telegram", "failed", "ValueError", "need 500 face shields"),
        ("sms", "failed", "ValueError", "JOIN"),
    ]
    assert sorted((m.channel, m.address) for m in sorry) == [
        ("sms", "+13135550199"),
        ("telegram", str(sandbox.BUYER["chat_id"])),
    ]


def test_skip_ahead_fires_the_maker_nudge(client):
    makers = open_request(client)
    before = client.get("/sandbox/state").json()["clock"]
    skipped = client.post("/sandbox/clock", json={"hours": 5})
    assert skipped.status_code == 200 and skipped.json()["reminders_fired"] >= 3
    assert skipped.json()["reminders_sent"] >= 3 and "sent" in skipped.json()["notice"]
    state = wait_for(
        client,
        lambda s: (
            s
            if all(
                any(x.get("purpose") == "nudge" for x in m["messages"])
                for m in s["makers"]
                if m["phone"] in {x["phone"] for x in makers}
            )
            else None
        ),
        "a nudge in every invited maker's thread",
    )
    nudge = next(x for x in state["makers"] if x["phone"] == makers[0]["phone"])["messages"][-1]
    assert nudge["text"].startswith("makerlink reminder: job ")
    assert state["clock"]["skipped_hours"] == 5
    moved = datetime.fromisoformat(state["clock"]["now"]) - datetime.fromisoformat(before["now"])
    assert timedelta(hours=5) <= moved < timedelta(hours=5, minutes=1)
    assert datetime.fromisoformat(nudge["at"]) >= datetime.fromisoformat(before["now"]) + timedelta(hours=5)


def test_skip_ahead_says_what_came_due_what_was_sent_and_why_the_rest_was_skipped(client):
    nothing = client.post("/sandbox/clock", json={"hours": 0.5}).json()
    assert nothing["notice"] == "Skipped ahead 0.5 h: no follow-up came due."
    makers = open_request(client)
    client.post("/sandbox/sms", json={"phone": makers[0]["phone"], "text": "YES $2.50 each 5 days"})
    quote = wait_for(client, lambda s: bot_says(s, "$2.50 each"), "the quote in the buyer's chat")
    chat(client, callback=button(quote, "accept:"))
    others = {m["phone"] for m in makers[1:]}
    before = wait_for(
        client,
        lambda s: (
            s
            if all(
                any(x.get("purpose") == "filled" for x in m["messages"]) for m in s["makers"] if m["phone"] in others
            )
            else None
        ),
        "the other makers told the job is filled",
    )

    skipped = client.post("/sandbox/clock", json={"hours": 5}).json()
    # The two silent makers' nudges came due after the job was filled: skipped, so nothing shows on the page
    # for them — and the notice says so instead of only counting them.
    assert skipped["reminders_skipped"] == {"closed": 2}
    fired, sent = skipped["reminders_fired"], skipped["reminders_sent"]
    assert fired == sent + 2
    assert skipped["notice"].startswith(f"Skipped ahead 5 h: {fired} follow-ups came due — ")
    assert skipped["notice"].endswith("2 skipped because the job was already filled or closed.")
    assert skipped["notice"] == texts.skip_ahead_notice(5, sent, {"closed": 2})
    after = client.get("/sandbox/state").json()

    def thread(state: dict, phone: str) -> list[str]:
        return [m["id"] for m in next(m for m in state["makers"] if m["phone"] == phone)["messages"]]

    assert all(thread(after, phone) == thread(before, phone) for phone in others)


def test_reset_gives_a_fresh_database_with_the_demo_makers(client):
    makers = open_request(client)
    stop = client.post("/sandbox/sms", json={"phone": makers[0]["phone"], "text": "STOP"})
    assert stop.status_code == 200
    wait_for(
        client,
        lambda s: next(m for m in s["makers"] if m["phone"] == makers[0]["phone"])["status"] == "stopped",
        "STOP",
    )
    client.post("/sandbox/clock", json={"hours": 30})

    reset = client.post("/sandbox/reset", json={})
    assert reset.status_code == 200 and reset.json()["makers"] == DEMO_MAKERS
    state = client.get("/sandbox/state").json()
    assert state["buyer"]["messages"] == [] and state["clock"]["skipped_hours"] == 0
    assert len(state["makers"]) == DEMO_MAKERS and all(
        m["status"] == "active" and not m["messages"] for m in state["makers"]
    )
    assert state["makers"][0]["id"] == 1  # ids start again
    with client.runtime.db.read() as session:
        for table in (OutboundMessage, InboundMessage):
            assert session.exec(select(sa.func.count()).select_from(table)).one() == 0

    chat(client, text="/start")  # and the bot works on the fresh database
    wait_for(client, lambda s: bot_says(s, "First, where are you?"), "the welcome after reset")


def test_broadcast_from_the_admin_panel(client):
    preview = client.post(
        "/sandbox/broadcasts",
        json={"text": "Hospitals need isolation gowns: who can sew?", "to": "makers", "capability": "sewing"},
    )
    assert preview.status_code == 200, preview.text
    draft = preview.json()
    recipients = draft["preview"]["recipients"]
    assert 0 < recipients < DEMO_MAKERS and draft["preview"]["by_channel"] == {"sms": recipients}
    assert draft["preview"]["sample"]

    sent = client.post(f"/sandbox/broadcasts/{draft['broadcast']}/send", json={})
    assert sent.status_code == 200 and sent.json()["queued"] == recipients
    again = client.post(f"/sandbox/broadcasts/{draft['broadcast']}/send", json={})
    assert again.json()["queued"] == 0

    deadline = time.monotonic() + 15
    while True:
        report = client.get(f"/sandbox/broadcasts/{draft['broadcast']}").json()
        if report["done"] and report["messages"].get("delivered") == recipients:
            break
        assert time.monotonic() < deadline, report
        time.sleep(0.1)
    assert report["status"] == "sent" and report["failures"] == {}
    state = client.get("/sandbox/state").json()
    alerted = [m for m in state["makers"] if any(x.get("purpose") == "alert" for x in m["messages"])]
    assert len(alerted) == recipients
    # The sewing trades as the demo makers word them, in English, Spanish and Arabic.
    sewing = re.compile(r"sew|gown|stitch|upholster|knit|apparel|costura|confección|خياطة", re.IGNORECASE)
    assert all(sewing.search(m["capabilities"]) for m in alerted)


def test_quiet_hours_hold_a_broadcast_until_morning_and_skipping_ahead_sends_it(tmp_path):
    runtime = bootstrap.start(_settings(tmp_path, quiet_hours="21:00-08:00", timezone="America/Detroit"))
    server, _ = bootstrap.build_sandbox(runtime)
    with TestClient(server.app) as client:
        clock = client.get("/sandbox/state").json()["clock"]
        assert clock["quiet_now"] is False  # the sandbox starts in the daytime, whatever the hour
        local = datetime.fromisoformat(clock["now"]).astimezone(ZoneInfo("America/Detroit"))
        # 03:00 in Detroit is night for makers in every US time zone (quiet hours are the maker's local time).
        night = local.replace(hour=3, minute=0, second=0, microsecond=0)
        night += timedelta(days=1) if night <= local else timedelta(0)
        client.post("/sandbox/clock", json={"hours": (night - local).total_seconds() / 3600})
        assert client.get("/sandbox/state").json()["clock"]["quiet_now"] is True

        draft = client.post("/sandbox/broadcasts", json={"text": "Gowns needed", "capability": "sewing"}).json()
        client.post(f"/sandbox/broadcasts/{draft['broadcast']}/send", json={})
        time.sleep(1.5)
        held = client.get(f"/sandbox/broadcasts/{draft['broadcast']}").json()
        assert not held["done"] and held["messages"] == {"queued": held["recipients"]}
        morning = datetime.fromisoformat(held["held_until"]).astimezone(ZoneInfo("America/Detroit"))
        assert 8 <= morning.hour <= 11 and morning.minute == 0  # 08:00 where the westernmost of them lives

        client.post("/sandbox/clock", json={"hours": 12})
        deadline = time.monotonic() + 15
        while not (report := client.get(f"/sandbox/broadcasts/{draft['broadcast']}").json())["done"]:
            assert time.monotonic() < deadline, report
            time.sleep(0.1)
        assert report["messages"].get("failed", 0) == 0 and report["held_until"] is None
    runtime.db.dispose()


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        ("post", "/sandbox/chat", b"text=hello", 415, "application/json"),
        ("post", "/sandbox/chat", b"{not json", 400, "JSON"),
        ("post", "/sandbox/chat", b"[1, 2]", 400, "JSON object"),
        ("post", "/sandbox/chat", {"text": "hi", "callback": "send:1"}, 400, "exactly one"),
        ("post", "/sandbox/chat", {}, 400, "exactly one"),
        ("post", "/sandbox/chat", {"text": "x" * 5000}, 400, "at most 4096"),
        ("post", "/sandbox/chat", {"text": 12}, 400, "non-empty string"),
        ("post", "/sandbox/chat", {"location": {"latitude": 95, "longitude": 0}}, 400, "latitude"),
        ("post", "/sandbox/chat", {"location": "Detroit"}, 400, "latitude"),
        ("post", "/sandbox/chat", {"text": "hi", "id": "no spaces allowed"}, 400, "“id”"),
        ("post", "/sandbox/sms", {"phone": "call me", "text": "YES"}, 400, "phone number"),
        ("post", "/sandbox/sms", {"phone": "+13135550100"}, 400, "“text”"),
        ("post", "/sandbox/clock", {"hours": -2}, 400, "greater than 0"),
        ("post", "/sandbox/clock", {"hours": "soon"}, 400, "greater than 0"),
        ("post", "/sandbox/clock", {"hours": 100_000}, 400, "at most 720"),
        ("post", "/sandbox/clock", {"hours": True}, 400, "greater than 0"),
        ("post", "/sandbox/broadcasts", {"text": "hi", "to": "everyone"}, 400, "makers, buyers or all"),
        ("post", "/sandbox/broadcasts", {"text": "   "}, 400, "“text”"),
        ("post", "/sandbox/broadcasts", {"text": "hi", "radius_miles": "far"}, 400, "radius_miles"),
        ("post", "/sandbox/broadcasts/999/send", {}, 404, "999"),
        ("get", "/sandbox/broadcasts/999", None, 404, "999"),
        ("post", "/sandbox/chat", b"x" * 20_000, 413, "too large"),
        ("post", "/sandbox/clock", b'{"hours": 1' + b"0" * 400 + b"}", 400, "at most 720"),
        ("post", "/sandbox/chat", b'{"location": {"latitude": 1' + b"0" * 400 + b', "longitude": 0}}', 400, "latitude"),
        ("get", "/sandbox/broadcasts/99999999999999999999999", None, 404, "99999999999999999999999"),
        ("post", "/sandbox/broadcasts/99999999999999999999999/send", {}, 404, "99999999999999999999999"),
    ],
)
def test_bad_input_gets_a_clear_answer(client, method, path, body, status, words):
    if method == "get":
        answer = client.get(path)
    elif isinstance(body, bytes):
        content_type = "application/x-www-form-urlencoded" if status == 415 else "application/json"
        answer = client.post(path, content=body, headers={"Content-Type": content_type})
    else:
        answer = client.post(path, json=body)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["error"]
    assert client.get("/sandbox/state").status_code == 200  # and the sandbox carries on


def test_the_page_is_served_with_its_banner_and_nothing_from_elsewhere(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "SANDBOX — nothing leaves this machine" in page.text
    for asset in ("/sandbox/static/sandbox.js", "/sandbox/static/sandbox.css"):
        body = client.get(asset)
        assert body.status_code == 200 and "http://" not in body.text and "https://" not in body.text
    assert "http://" not in page.text and "https://" not in page.text
    assert client.get("/healthz").json()["ok"] is True


def test_the_clock_starts_outside_quiet_hours_and_never_before_the_database(sqlite_db, tmp_path):
    settings = _settings(tmp_path, quiet_hours="21:00-08:00", timezone="America/Detroit")
    night = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)  # 23:00 in Detroit
    assert night + sandbox.start_offset(sqlite_db, settings, night) == datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    evening = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)  # 20:30 in Detroit: quiet hours would cut the try short
    assert evening + sandbox.start_offset(sqlite_db, settings, evening) == datetime(2026, 11, 28, 13, 0, tzinfo=UTC)
    day = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert sandbox.start_offset(sqlite_db, settings, day) == timedelta(0)
    with sqlite_db.transaction() as session:
        session.add(
            InboundMessage(
                channel="sms",
                provider_id="x",
                sender="+1",
                text="hi",
                status="processed",
                received_at=day + timedelta(days=2),
            )
        )
    assert sandbox.start_offset(sqlite_db, settings, day) == timedelta(days=2)
    # After Reset a row that a send under way wrote after the wipe must not keep the clock days ahead.
    assert sandbox.start_offset(sqlite_db, settings, day, fresh=True) == timedelta(0)


def test_the_sandbox_keeps_to_its_own_database(tmp_path):
    assert load_settings().for_sandbox().database_url == SANDBOX_DATABASE_URL
    explicit = _settings(tmp_path)
    assert explicit.for_sandbox().database_url == explicit.database_url

    real = Database(f"sqlite:///{tmp_path}/real.db")
    real.upgrade()
    maker_service.import_makers(real, demo_csv(), "demo")
    with pytest.raises(sandbox.SandboxRefused, match="did not create"):
        sandbox.claim_database(real)
    with real.read() as session:
        assert session.exec(select(sa.func.count()).select_from(Maker)).one() == DEMO_MAKERS  # untouched

    fresh = Database(f"sqlite:///{tmp_path}/fresh.db")
    fresh.upgrade()
    sandbox.claim_database(fresh)
    maker_service.import_makers(fresh, demo_csv(), "demo")
    sandbox.claim_database(fresh)  # its own file, with data in it, is fine on the next start
    real.dispose()
    fresh.dispose()


def test_postgresql_is_not_for_the_sandbox(postgres_db):
    with pytest.raises(sandbox.SandboxRefused, match="SQLite file"):
        sandbox.claim_database(postgres_db)


def test_an_organisers_guided_broadcast_shows_one_progress_message_edited_to_the_outcome(tmp_path):
    settings = _settings(tmp_path, admin_telegram_ids=str(sandbox.BUYER["user_id"]), reminder_tick_seconds=1)
    runtime = bootstrap.start(settings)
    server, _ = bootstrap.build_sandbox(runtime)
    with TestClient(server.app) as client:
        chat(client, text="/broadcast")
        ask = wait_for(client, lambda s: bot_says(s, "Who should get it?"), "the first question")
        chat(client, callback=button(ask, "bc:to:makers"))
        wait_for(client, lambda s: bot_says(s, "Only makers who can do something?"), "the capability question")
        chat(client, text="sewing")
        wait_for(client, lambda s: bot_says(s, "Only people near a ZIP?"), "the ZIP question")
        chat(client, text="48201 25")
        wait_for(client, lambda s: bot_says(s, "send the text of the alert"), "the text question")
        chat(client, text="Gowns needed this week: who can sew?")
        preview = wait_for(client, lambda s: bot_says(s, "Reaches "), "the preview")
        chat(client, callback=button(preview, "bc:send:"))
        state = wait_for(client, lambda s: bot_says(s, " done: ") and s, "the progress message at its outcome")
        progress = [m for m in state["buyer"]["messages"] if m["text"].startswith("📣 Broadcast #")]
        assert len(progress) == 1 and "e" in progress[0]["id"]  # one message, its text replaced by the edits
    runtime.db.dispose()


def test_maker_cards_carry_who_the_maker_is_and_the_preference_button_works_on_the_page(client):
    makers = client.get("/sandbox/state").json()["makers"]
    labelled = [m for m in makers if "Made in Detroit" in m["badges"]]
    greener = [m for m in makers if m["practices"]]
    assert labelled and greener and any(m["type"] == "makerspace" for m in makers)
    [plain] = [m for m in makers if m["name"] == "Commonwealth Sewing Company"]
    assert (plain["type"], plain["badges"], plain["practices"], plain["training"]) == ("business", [], [], [])

    chat(client, text="/start")
    wait_for(client, lambda s: bot_says(s, "First, where are you?"), "the welcome")
    chat(client, location={"latitude": 42.3456, "longitude": -83.06})
    wait_for(client, lambda s: bot_says(s, "Got it: 48201"), "the ZIP")
    chat(client, text="need 200 tote bags")
    summary = wait_for(client, lambda s: bot_says(s, "Here is what I understood"), "the summary")
    chat(client, callback=button(summary, "prefer:"))
    choices = wait_for(client, lambda s: bot_says(s, "come first"), "the preference choices")
    assert [row[0]["label"] for row in choices["buttons"]][:3] == [
        texts.BUTTON_PREFER_GREEN,
        texts.BUTTON_PREFER_MAKERSPACE,
        "Made in Detroit",
    ]
    green = next(b["data"] for row in choices["buttons"] for b in row if b["label"] == texts.BUTTON_PREFER_GREEN)
    assert chat(client, callback=green)["toast"] == texts.BUYER_PREFER_SAVED
    again = wait_for(client, lambda s: bot_says(s, "Prefer: greener practices"), "the summary with the preference")
    forged = chat(client, callback=green.rsplit(":", 1)[0] + ":anything")
    assert forged["toast"] == texts.BUYER_STALE_BUTTON
    chat(client, callback=button(again, "send:"))
    sent = wait_for(client, lambda s: bot_says(s, "Sent to "), "the buyer's confirmation")
    assert "Maker 1 — " in sent["text"] and "✓ greener: " in sent["text"] and "(estimate)" in sent["text"]
