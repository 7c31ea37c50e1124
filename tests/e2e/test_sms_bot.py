"""`makerlink serve` as an SMS-only bot, end to end: the real twilio library against Prism serving Twilio's own
OpenAPI description, and Twilio-signed webhooks posted to the running server, all on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import time
from urllib.parse import urlencode

import httpx
import pytest

from tests.e2e.processes import clean_env, cli_runner, serving
from tests.fixtures.twilio import inbound_sms, signed, status_callback
from tests.integration.peers import free_port

ACCOUNT_SID = "AC" + "5e" * 16
AUTH_TOKEN = "e2e-auth-token-0123456789abcdef"
FROM = "+13135559000"  # not a demo maker's number


@pytest.fixture
def bot(tmp_path, prism_url, database_url):
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = clean_env(
        MAKERLINK_DATABASE_URL=database_url,
        MAKERLINK_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        MAKERLINK_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        MAKERLINK_TWILIO_FROM_NUMBER=FROM,
        MAKERLINK_TWILIO_API_URL=prism_url,
        MAKERLINK_PUBLIC_URL=public,
        MAKERLINK_QUIET_HOURS="",  # the test may run at night in Detroit
        MAKERLINK_SMS_PER_SECOND="20",
    )
    cli = cli_runner(env, tmp_path)
    cli("db", "upgrade")
    cli("makers", "import", "--demo")
    with serving(env, tmp_path, port, tmp_path / "serve.log", kill=True) as server:
        yield public, cli, server, tmp_path


def _messages(cli, **where) -> list[dict]:
    rows = json.loads(cli("messages", "list", "--json").stdout)
    return [row for row in rows if all(row.get(k) == v for k, v in where.items())]


def _wait(predicate, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _post(public: str, path: str, form: dict) -> httpx.Response:
    return httpx.post(public + path, **signed(path, form, url=public + path, token=AUTH_TOKEN), timeout=10)


def test_request_invitations_quote_and_delivery_report(bot):
    public, cli, server, tmp_path = bot
    opened = json.loads(cli("requests", "invite", "need 500 face shields by Friday near 48201", "--json").stdout)
    code = opened["code"]
    invited = opened["invitations"]
    assert len(invited) == 5

    # The running bot sends the invitations through the twilio library to Prism, which checks every request
    # against Twilio's OpenAPI description and answers with a Message resource.
    sent = _wait(
        lambda: (
            [m for m in _messages(cli, purpose="invitation") if m["status"] == "sent"]
            if len([m for m in _messages(cli, purpose="invitation") if m["status"] == "sent"]) == 5
            else None
        ),
        "invitations",
    )
    assert all(m["provider_id"].startswith("SM") and code in m["text"] for m in sent)
    maker_phone = sent[-1]["address"]

    # The maker answers by SMS; Twilio posts it, signed, to /twilio/sms.
    reply = inbound_sms(
        f"yes {code} we can do 500 at $2.10 each, ready in 5 days", sender=maker_phone, sid="SM" + "e2" * 16, To=FROM
    )
    response = _post(public, "/twilio/sms", reply)
    assert response.status_code == 200 and "<Response></Response>" in response.text
    assert _post(public, "/twilio/sms", reply).status_code == 200  # Twilio's retry changes nothing

    [request] = json.loads(cli("requests", "list", "--code", code, "--json").stdout)
    quoted = [inv for inv in request["invitations"] if inv["status"] == "quoted"]
    assert len(quoted) == 1
    assert (quoted[0]["quantity_offered"], quoted[0]["price_cents"], quoted[0]["lead_time_days"]) == (500, 210, 5)

    thanks = _wait(
        lambda: [m for m in _messages(cli, purpose="reply", address=maker_phone) if m["status"] == "sent"],
        "the thank-you SMS",
    )
    assert len(thanks) == 1 and "$2.10 each" in thanks[0]["text"]

    # Twilio reports delivery.
    sid = thanks[0]["provider_id"]
    assert _post(public, "/twilio/status", status_callback(sid, "delivered")).status_code == 200
    assert any(m["status"] == "delivered" for m in _messages(cli, provider_id=sid))

    # A forged post is refused and changes nothing.
    forged = httpx.post(
        public + "/twilio/sms",
        content=urlencode(inbound_sms("STOP", sender=maker_phone)),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert forged.status_code == 403

    # SIGTERM: the server and its dispatcher stop cleanly.
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    log = (tmp_path / "serve.log").read_text()
    assert "Application shutdown complete" in log and "Traceback" not in log
    assert AUTH_TOKEN not in log and maker_phone not in log


def test_a_spanish_speaking_maker_is_invited_in_spanish_and_answers_si_through_twilio(bot):
    public, cli, _server, _tmp_path = bot
    bakery = "+13135550165"  # Panadería La Esperanza: language es in the demo directory
    opened = json.loads(cli("requests", "invite", "need 200 conchas by Friday near 48209", "--json").stdout)
    code = opened["code"]
    invitation = _wait(
        lambda: [m for m in _messages(cli, purpose="invitation", address=bakery) if m["status"] == "sent"],
        "the Spanish invitation, accepted by Prism",
    )[0]
    assert f"trabajo {code}" in invitation["text"] and f"Responda SI {code}" in invitation["text"]

    reply = inbound_sms("SÍ 2.50 5 días", sender=bakery, sid="SM" + "e5" * 16, To=FROM)
    assert _post(public, "/twilio/sms", reply).status_code == 200
    [request] = json.loads(cli("requests", "list", "--code", code, "--json").stdout)
    [quoted] = [inv for inv in request["invitations"] if inv["status"] == "quoted"]
    assert (quoted["price_cents"], quoted["lead_time_days"]) == (250, 5)
    thanks = _wait(
        lambda: [m for m in _messages(cli, purpose="reply", address=bakery) if m["status"] == "sent"],
        "the Spanish thank-you SMS",
    )
    assert thanks[0]["text"].startswith("¡Gracias!") and "$2.50 cada uno" in thanks[0]["text"]
