"""A dispatcher process with a zero-latency sender that appends each message id it sends to a file.

    python -m tests.fakes.outbox_worker DATABASE_URL LOG_FILE [--lease S] [--batch N] [--per-second R] [--lookup]

Used by the fault tests and the outbox benchmark: the log shows exactly what was sent, and how often, even
when the process is killed with SIGKILL (each line is one write(2) to a file opened for appending). With
--lookup the sender can also answer `find_sent` from its log, as Twilio answers it from its message list.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from bot.db import Database
from bot.outbox import ChannelPolicy, Dispatcher, Outgoing, SendResult


class AppendingSender:
    channel = "sms"

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def send(self, message: Outgoing) -> SendResult:
        os.write(self.fd, f"{message.id}\n".encode())
        return SendResult(provider_id=f"SM{message.id:032x}")

    async def aclose(self) -> None:
        os.close(self.fd)


class LookingUpSender(AppendingSender):
    """A provider that can say whether a message went out, answering exactly from its own log: this exercises
    the dispatcher's side of `find_sent`. How the Twilio sender recognises a message in Twilio's list (number,
    text, time, origin) is tested in tests/integration/test_twilio_sender.py."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path

    async def find_sent(self, message: Outgoing) -> SendResult | None:
        with open(self.path, "rb") as log:
            sent = set(log.read().split())
        return SendResult(provider_id=f"SM{message.id:032x}") if str(message.id).encode() in sent else None


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("log_file")
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--per-second", type=float, default=None)
    parser.add_argument("--lookup", action="store_true", help="let the dispatcher ask the log before a resend")
    args = parser.parse_args()
    db = Database(args.database_url)
    sender = (LookingUpSender if args.lookup else AppendingSender)(args.log_file)
    dispatcher = Dispatcher(
        db,
        {"sms": sender},
        {"sms": ChannelPolicy(per_second=args.per_second)},
        lease_seconds=args.lease,
        send_timeout=args.lease / 3,
        max_batch=args.batch,
        poll_interval=0.05,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    os.write(1, b"ready\n")
    await dispatcher.run(stop)
    await sender.aclose()
    db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
