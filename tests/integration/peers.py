"""Starts the npm test peers (installed by `make peers`, part of `make test`) on 127.0.0.1 for the integration tests.

A missing peer skips its tests on a developer's machine and fails them where MAKERLINK_REQUIRE_PEERS=1 (CI).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.telegram_user import TelegramUser

ROOT = Path(__file__).parents[2]
PEERS = ROOT / "tests" / "peers"
PRISM = PEERS / "node_modules" / ".bin" / "prism"
TWILIO_SPEC = PEERS / "spec" / "twilio_api_v2010.json"
TELEGRAM_TEST_API = PEERS / "node_modules" / "telegram-test-api"
TELEGRAM_FRONT = PEERS / "telegram_front.js"
REQUIRE_ENV = "MAKERLINK_REQUIRE_PEERS"
READY_SECONDS = 30.0


def peer_missing(what: str) -> None:
    """Fail (peers required) or skip (a developer who has not run `make test` yet)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(
            f"{what} is missing but {REQUIRE_ENV}=1: run `make peers` to install the npm test peers", pytrace=False
        )
    pytest.skip(f"{what} is missing: run `make test` to install the npm test peers")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def running(command: list[str], port: int, log_path: Path, name: str) -> Iterator[None]:
    """Run a peer in its own process group until the block ends; it is ready once its port accepts connections."""
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + READY_SECONDS
        while not _accepting(port):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                state = f"exited with {process.returncode}" if process.returncode is not None else "is not listening"
                pytest.fail(f"{name} {state} after start on port {port}; its output:\n{tail}", pytrace=False)
            time.sleep(0.1)
        yield
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue


@contextmanager
def prism_twilio(log_dir: Path) -> Iterator[str]:
    """Prism mocking Twilio's API v2010 from Twilio's own OpenAPI description; yields its base URL."""
    if not PRISM.exists():
        peer_missing(f"Prism ({PRISM.relative_to(ROOT)})")
    if not TWILIO_SPEC.exists():
        peer_missing(f"Twilio's OpenAPI description ({TWILIO_SPEC.relative_to(ROOT)})")
    port = free_port()
    command = [str(PRISM), "mock", str(TWILIO_SPEC), "-h", "127.0.0.1", "-p", str(port)]
    with running(command, port, log_dir / "prism.log", "Prism"):
        yield f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class TelegramPeer:
    """telegram-test-api behind tests/peers/telegram_front.js, which the real python-telegram-bot can drive."""

    url: str  # the front's base URL; the user-side API lives at its root (/sendMessage, /getUpdates, ...)

    @property
    def api_url(self) -> str:
        """The Bot API base for python-telegram-bot's `base_url` (and makerlink's `telegram_api_url`)."""
        return f"{self.url}/bot"

    def user(
        self, token: str, user_id: int, first_name: str, username: str | None = None, chat_id: int | None = None
    ) -> TelegramUser:
        """A Telegram user talking to the bot with this token, in a private chat (chat id = user id by default)."""
        return TelegramUser(self.url, token, user_id, first_name, username=username, chat_id=chat_id)


@contextmanager
def telegram_test_api(log_dir: Path) -> Iterator[TelegramPeer]:
    """telegram-test-api with its compatibility front for python-telegram-bot 22; yields the peer."""
    node = shutil.which("node")
    if node is None:
        peer_missing("Node.js (`node` on PATH)")
    if not TELEGRAM_TEST_API.exists():
        peer_missing(f"telegram-test-api ({TELEGRAM_TEST_API.relative_to(ROOT)})")
    port = free_port()
    command = [node, str(TELEGRAM_FRONT), "--port", str(port)]
    with running(command, port, log_dir / "telegram.log", "telegram-test-api"):
        yield TelegramPeer(f"http://127.0.0.1:{port}")
