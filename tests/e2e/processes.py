"""Running the real `makerlink` command in the end-to-end tests: one-off commands, and `serve` in the background."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx


def clean_env(**settings: str) -> dict[str, str]:
    """This machine's environment without any MAKERLINK_ setting, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKERLINK_")}
    env.update(settings)
    return env


def cli_runner(env: dict[str, str], cwd: Path) -> Callable[..., subprocess.CompletedProcess]:
    """`cli("messages", "list", "--json")` runs `makerlink …` and fails the test if it exits with an error."""

    def cli(*args: str) -> subprocess.CompletedProcess:
        out = subprocess.run(
            [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
        )
        assert out.returncode == 0, out.stderr
        return out

    return cli


def healthy(base_url: str) -> bool:
    try:
        return httpx.get(base_url + "/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextlib.contextmanager
def serving(
    env: dict[str, str], cwd: Path, port: int, log_path: Path, *, kill: bool = False
) -> Iterator[subprocess.Popen]:
    """`makerlink serve --port PORT` until /healthz answers 200; stopped afterwards with SIGTERM (or SIGKILL)."""
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not healthy(f"http://127.0.0.1:{port}"):
            assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.1)
        yield server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
