"""An organiser's guided /broadcast, end to end: `makerlink serve` against telegram-test-api (as the Bot API) and
Prism (as Twilio). The organiser picks the audience with buttons, sees the preview, presses Send twice, and
watches the progress message being edited in place until it shows the outcome; each maker gets one SMS."""

from __future__ import annotations

import json
import os

from tests.e2e.processes import clean_env, cli_runner, serving
from tests.e2e.test_buyer_journey import ACCOUNT_SID, AUTH_TOKEN, FROM, _button
from tests.integration.peers import free_port

ADMIN = 4101


def test_guided_broadcast_with_a_progress_message_edited_to_the_outcome(tmp_path, prism_url, telegram_peer):
    token = f"{8_100_000_000 + os.getpid() % 100_000}:broadcast"
    port = free_port()
    env = clean_env(
        MAKERLINK_DATABASE_URL=f"sqlite:///{tmp_path}/bot.db",
        MAKERLINK_TELEGRAM_TOKEN=token,
        MAKERLINK_TELEGRAM_API_URL=telegram_peer.api_url,
        MAKERLINK_TELEGRAM_MODE="polling",
        MAKERLINK_TELEGRAM_POLL_TIMEOUT="0",
        MAKERLINK_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        MAKERLINK_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        MAKERLINK_TWILIO_FROM_NUMBER=FROM,
        MAKERLINK_TWILIO_API_URL=prism_url,
        MAKERLINK_PUBLIC_URL=f"http://127.0.0.1:{port}",
        MAKERLINK_ADMIN_TELEGRAM_IDS=str(ADMIN),
        MAKERLINK_QUIET_HOURS="",
        MAKERLINK_SMS_PER_SECOND="4",
        MAKERLINK_REMINDER_TICK_SECONDS="1",  # the progress message is edited at least this often
    )
    run = cli_runner(env, tmp_path)

    def cli(*args: str) -> str:
        return run(*args).stdout

    cli("makers", "import", "--demo")
    log_path = tmp_path / "serve.log"
    with serving(env, tmp_path, port, log_path):
        ola = telegram_peer.user(token, ADMIN, "Ola", username="organiser")

        def text_of(message) -> str:
            return message.get("text") or ""

        ola.command("/broadcast")
        ask = ola.wait_bot_message(lambda m: "Who should get it?" in text_of(m))
        ola.press(ask, _button(ask, "bc:to:makers"))
        ask = ola.wait_bot_message(lambda m: "Only makers who can do something?" in text_of(m))
        ola.send("sewing")
        ola.wait_bot_message(lambda m: "Only people near a ZIP?" in text_of(m))
        ola.send("48201 25")
        ola.wait_bot_message(lambda m: "send the text of the alert" in text_of(m))
        ola.send("Hospitals need isolation gowns this week: who can sew? Reply YES and how many.")
        preview = ola.wait_bot_message(lambda m: text_of(m).startswith("Broadcast #"))
        count = int(text_of(preview).split("Reaches ")[1].split(" ")[0])
        assert count > 0
        send = _button(preview, "bc:send:")
        ola.press(preview, send)
        ola.press(preview, send)  # a double tap

        done = ola.wait_bot_message(lambda m: "done:" in text_of(m), timeout=60)
        assert f"done: {count} of {count} sent" in text_of(done)
        progress = [m for m in ola.bot_messages() if text_of(m).startswith("📣 Broadcast #")]
        assert len(progress) == 1  # one message, edited in place from "queued" to "done"

        alerts = [m for m in json.loads(cli("messages", "list", "--json")) if m["purpose"] == "alert"]
        assert len(alerts) == count and len({m["address"] for m in alerts}) == count
        assert {m["status"] for m in alerts} == {"sent"}
        edits = [m for m in json.loads(cli("messages", "list", "--json")) if m["purpose"] == "broadcast_progress"]
        assert len(edits) >= 2 and {m["status"] for m in edits} == {"sent"}
    log = log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
