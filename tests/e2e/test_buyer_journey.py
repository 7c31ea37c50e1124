"""The whole journey with real peers on 127.0.0.1: `makerlink serve` talks to telegram-test-api (behind its
compatibility front) as the Telegram Bot API and to Prism as Twilio. A buyer asks on Telegram, makers get SMS,
a signed maker reply arrives at /twilio/sms, the buyer accepts, and both sides receive each other's contacts.
Once in webhook mode (with the secret), once in polling mode."""

from __future__ import annotations

import itertools
import json
import os
import re
import time

import httpx
import pytest

from tests.e2e.processes import clean_env, cli_runner, serving
from tests.fixtures.twilio import inbound_sms, signed
from tests.integration.peers import free_port

ACCOUNT_SID = "AC" + "7d" * 16
AUTH_TOKEN = "journey-auth-token-0123456789abcd"
FROM = "+13135559001"
_bots = itertools.count(1)


def _wait(predicate, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _button(message: dict, prefix: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button.get("callback_data", "").startswith(prefix):
                return button["callback_data"]
    raise AssertionError(f"no {prefix} button in {message}")


@pytest.mark.parametrize("mode", ["webhook", "polling"])
def test_buyer_to_maker_and_back(tmp_path, prism_url, telegram_peer, mode):
    token = f"{8_000_000_000 + next(_bots) + os.getpid() % 1000 * 10}:journey-{mode}"
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = clean_env(
        MAKERLINK_DATABASE_URL=f"sqlite:///{tmp_path}/bot.db",
        MAKERLINK_TELEGRAM_TOKEN=token,
        MAKERLINK_TELEGRAM_API_URL=telegram_peer.api_url,
        MAKERLINK_TELEGRAM_MODE=mode,
        MAKERLINK_TELEGRAM_POLL_TIMEOUT="1",
        MAKERLINK_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        MAKERLINK_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        MAKERLINK_TWILIO_FROM_NUMBER=FROM,
        MAKERLINK_TWILIO_API_URL=prism_url,
        MAKERLINK_PUBLIC_URL=public,
        MAKERLINK_QUIET_HOURS="",
        MAKERLINK_SMS_PER_SECOND="20",
        MAKERLINK_MAX_INVITES="3",
    )
    run = cli_runner(env, tmp_path)

    def cli(*args: str) -> str:
        return run(*args).stdout

    def messages(**where) -> list[dict]:
        rows = json.loads(cli("messages", "list", "--json"))
        return [r for r in rows if all(r.get(k) == v for k, v in where.items())]

    cli("makers", "import", "--demo")
    log_path = tmp_path / "serve.log"
    with serving(env, tmp_path, port, log_path) as server:
        dana = telegram_peer.user(token, 4001, "Dana", username="dana_hospital")

        dana.command("/start")
        welcome = dana.wait_bot_message(lambda m: "local makers" in (m.get("text") or ""))
        assert welcome["reply_markup"]["keyboard"][0][0]["request_location"] is True
        dana.send("48201")
        dana.wait_bot_message(lambda m: "Got it: 48201" in (m.get("text") or ""))
        dana.send("need 500 face shields by Friday")
        summary = dana.wait_bot_message(lambda m: "Here is what I understood" in (m.get("text") or ""))
        assert "500" in summary["text"] and "face shields" in summary["text"]
        dana.press(summary, _button(summary, "send:"))
        sent = dana.wait_bot_message(lambda m: "Sent to 3 makers" in (m.get("text") or ""))
        assert "within 50 miles" in sent["text"]

        invitations = _wait(
            lambda: (lambda rows: rows if len(rows) == 3 else None)(
                [m for m in messages(purpose="invitation") if m["status"] == "sent"]
            ),
            "three invitations sent through Twilio",
        )
        maker_phone = invitations[-1]["address"]
        assert "Dana" not in invitations[-1]["text"]

        reply = inbound_sms(
            "yes we can do 500 at $2.10 each, ready in 5 days", sender=maker_phone, sid="SM" + "9c" * 16, To=FROM
        )
        posted = httpx.post(
            public + "/twilio/sms",
            **signed("/twilio/sms", reply, url=public + "/twilio/sms", token=AUTH_TOKEN),
            timeout=10,
        )
        assert posted.status_code == 200

        quote = dana.wait_bot_message(lambda m: (m.get("text") or "").startswith("Maker "))
        assert "can make 500 at $2.10 each, ready in 5 days" in quote["text"]
        assert maker_phone not in quote["text"]
        dana.press(quote, _button(quote, "accept:"))

        intro = dana.wait_bot_message(lambda m: "You accepted Maker" in (m.get("text") or ""))
        assert maker_phone in intro["text"]
        maker_intro = _wait(
            lambda: [m for m in messages(purpose="introduction", address=maker_phone) if m["status"] == "sent"],
            "the maker's introduction SMS",
        )
        assert "@dana_hospital" in maker_intro[0]["text"] and "$2.10 each" in maker_intro[0]["text"]
    log = log_path.read_text()
    assert "Application shutdown complete" in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert token.split(":")[1] not in log and AUTH_TOKEN not in log
    assert not re.search(r"(\+|%2B)\d{10,15}", log), "a full phone number in the log"
    assert server.returncode == 0  # a graceful stop on SIGTERM
