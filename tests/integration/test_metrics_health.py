"""GET /metrics and GET /healthz as Prometheus and a load balancer see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from bot import bootstrap
from bot.channels.sms import TwilioWebhooks
from bot.config import load_settings
from bot.db import Database
from bot.models import OutboundMessage, utcnow
from bot.outbox import Dispatcher, enqueue
from bot.services import makers as maker_service
from bot.services import reminders
from bot.services import requests as request_service
from bot.web import create_app
from matching.taxonomy import load_taxonomy
from tests.conftest import demo_csv
from tests.fakes.senders import RecordingSender
from tests.fixtures.twilio import AUTH_TOKEN, PUBLIC_URL, inbound_sms, signed

MAKER = "+13135550101"  # in the demo directory


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} from the Prometheus text format."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _message(db: Database, key: str, *, channel: str = "sms", status: str = "queued", **values) -> None:
    with db.transaction() as session:
        row = enqueue(session, channel=channel, address=MAKER, text=key, purpose="reply", key=key)
        row.status = status
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)


@pytest.fixture
def db(any_db):
    maker_service.import_makers(any_db, demo_csv(), "demo")
    return any_db


def test_metrics_report_the_database_and_this_process(db):
    taxonomy = load_taxonomy()
    now = utcnow()
    request_service.open_request(
        db, taxonomy, "need 500 face shields by Friday near 48201", radius_miles=50, max_invites=3
    )
    _message(db, "a", channel="telegram", status="sent")
    _message(db, "b", status="failed", error_code="21211")
    _message(db, "c", status="errored", error_code="timeout", next_attempt_at=now - timedelta(seconds=90))
    _message(db, "held", lane="bulk", next_attempt_at=now + timedelta(hours=8))  # quiet hours hold it
    with db.transaction() as session:
        reminders.schedule(session, "nudge_maker", 1, now - timedelta(minutes=5), now, key="metrics-test:due")
    hooks = TwilioWebhooks(db, taxonomy, auth_token=AUTH_TOKEN, public_url=PUBLIC_URL)
    with TestClient(create_app(db, twilio=hooks), base_url="http://127.0.0.1:8000") as client:
        assert client.post("/twilio/sms", **signed("/twilio/sms", inbound_sms("HELP"))).status_code == 200
        client.get("/no/such/page")
        response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)

    assert found[("makerlink_database_up", ())] == 1
    assert found[("makerlink_messages", (("channel", "sms"), ("status", "queued")))] == 3 + 2  # invitations too
    assert found[("makerlink_messages", (("channel", "telegram"), ("status", "sent")))] == 1
    assert found[("makerlink_outbox_queue_depth", (("channel", "sms"),))] == 3 + 3  # + the HELP answer
    assert found[("makerlink_outbox_due", (("channel", "sms"),))] == 3 + 2  # "held" is not due
    assert 85 <= found[("makerlink_outbox_lag_seconds", (("channel", "sms"),))] < 200
    assert found[("makerlink_message_errors", (("channel", "sms"), ("code", "21211")))] == 1
    assert found[("makerlink_message_errors", (("channel", "sms"), ("code", "timeout")))] == 1
    assert found[("makerlink_reminders_due", ())] == 1
    assert found[("makerlink_reminders_pending", ())] > 1  # the invitations' follow-ups, not due yet
    assert found[("makerlink_makers", (("status", "active"),))] == maker_service.count_makers(db)
    assert found[("makerlink_requests", (("status", "open"),))] == 1
    assert found[("makerlink_match_seconds_count", ())] >= 1
    assert found[("makerlink_webhook_seconds_count", (("route", "/twilio/sms"),))] == 1
    assert found[("makerlink_webhook_requests_total", (("route", "/twilio/sms"), ("status", "200")))] == 1
    assert not any("/no/such/page" in str(labels) for _, labels in found)  # no label per stray URL


def test_two_apps_in_one_process_keep_their_own_counts(sqlite_db):
    def app():
        hooks = TwilioWebhooks(sqlite_db, load_taxonomy(), auth_token=AUTH_TOKEN, public_url=PUBLIC_URL)
        return create_app(sqlite_db, twilio=hooks)

    with TestClient(app(), base_url="http://127.0.0.1:8000") as one, TestClient(app()) as two:
        for n in range(3):
            post = signed("/twilio/sms", inbound_sms("HELP", sid=f"SM{n:032d}"))
            assert one.post("/twilio/sms", **post).status_code == 200
        first, second = samples(one.get("/metrics").text), samples(two.get("/metrics").text)
    assert first[("makerlink_webhook_seconds_count", (("route", "/twilio/sms"),))] == 3
    assert ("makerlink_webhook_seconds_count", (("route", "/twilio/sms"),)) not in second


def test_an_unreachable_database_is_a_503_and_a_zero(tmp_path):
    gone = Database(f"sqlite:///{tmp_path}/no/such/dir/makerlink.db")
    with TestClient(create_app(gone)) as client:
        health = client.get("/healthz")
        metrics = client.get("/metrics")
    assert health.status_code == 503 and health.json() == {"ok": False, "database": "unreachable"}
    assert metrics.status_code == 200
    assert samples(metrics.text)[("makerlink_database_up", ())] == 0


def test_health_of_a_web_only_process_with_a_backlog(any_db):
    now = utcnow()
    _message(any_db, "held", lane="bulk", created_at=now - timedelta(hours=9), next_attempt_at=now + timedelta(hours=2))
    with TestClient(create_app(any_db)) as client:
        quiet_night = client.get("/healthz")
        _message(any_db, "late", next_attempt_at=now - timedelta(minutes=20))
        behind = client.get("/healthz")
    # No dispatcher in this process: nothing to call stalled. Bulk SMS held overnight is not a fault.
    assert quiet_night.status_code == 200
    report = quiet_night.json()
    assert "dispatcher" not in report and report["ok"] is True
    assert report["outbox_depth"] == 1 and report["oldest_queued_seconds"] >= 9 * 3600 - 5
    assert report["outbox_lag_seconds"] == 0 and report["outbox"] == "ok"
    # Due messages going out late are reported, and left to the alerting on the metrics.
    assert behind.status_code == 200
    assert behind.json()["outbox"] == "behind" and behind.json()["outbox_lag_seconds"] >= 20 * 60 - 5


def test_health_follows_this_process_dispatcher(sqlite_db):
    dispatcher = Dispatcher(sqlite_db, {"sms": RecordingSender()})
    with TestClient(create_app(sqlite_db, dispatcher=dispatcher)) as client:
        never_ran = client.get("/healthz")
        dispatcher.last_loop_at = utcnow() - timedelta(seconds=5)
        alive = client.get("/healthz")
        dispatcher.last_loop_at = utcnow() - timedelta(minutes=2)
        stalled = client.get("/healthz")
        metrics = samples(client.get("/metrics").text)
    assert never_ran.status_code == 503 and never_ran.json()["dispatcher"] == "stalled"
    assert alive.status_code == 200 and alive.json()["dispatcher"] == "ok"
    assert stalled.status_code == 503 and stalled.json()["dispatcher"] == "stalled"
    assert 115 <= metrics[("makerlink_dispatcher_loop_age_seconds", ())] < 200


def test_a_dispatcher_busy_with_a_slow_provider_is_not_stalled(sqlite_db):
    import asyncio

    seen = []

    class Slow(RecordingSender):
        async def send(self, message):
            seen.append(dispatcher.last_loop_at)
            await asyncio.sleep(0.05)
            return await super().send(message)

    dispatcher = Dispatcher(sqlite_db, {"sms": Slow()})
    for n in range(3):
        _message(sqlite_db, f"m{n}")
    dispatcher.last_loop_at = utcnow() - timedelta(minutes=5)
    asyncio.run(dispatcher.drain())
    assert seen[0] < seen[-1]  # each finished send counts as progress
    assert utcnow() - dispatcher.last_loop_at < timedelta(seconds=5)
    with sqlite_db.read() as session:
        assert session.execute(sa.select(sa.func.count()).where(OutboundMessage.status == "sent")).scalar_one() == 3


def test_only_the_provider_webhooks_are_timed_as_webhooks(tmp_path):
    runtime = bootstrap.start(load_settings(database_url=f"sqlite:///{tmp_path}/sandbox.db", quiet_hours=""))
    server, _count = bootstrap.build_sandbox(runtime)
    with TestClient(server.app) as client:
        assert client.get("/").status_code == 200
        assert client.get("/sandbox/state").status_code == 200
        assert client.post("/sandbox/chat", json={"text": "/start"}).status_code == 200
        found = samples(client.get("/metrics").text)
    runtime.db.dispose()
    webhook_samples = [labels for name, labels in found if name.startswith("makerlink_webhook_")]
    assert webhook_samples == []  # the sandbox page and its API are not provider webhooks
