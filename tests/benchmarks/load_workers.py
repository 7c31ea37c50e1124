"""Worker throughput on PostgreSQL: `makerlink worker` processes draining a queue through the fake Twilio API.

    MAKERLINK_TEST_POSTGRES_URL=postgresql://… python tests/benchmarks/load_workers.py [--messages 10000] [--json]

1. Drain: N queued SMS (distinct texts), sent by two worker processes; the baseline, in the same run on a fresh
   schema, is one worker. Each message must reach the fake Twilio API exactly once and end `sent`. Throughput is
   N over the time from the queue's commit to the last send. MAKERLINK_SMS_PER_SECOND is 1,000, the highest the
   setting allows; it paces all workers together, so it is also the ceiling.
2. Pick-up: how soon an idle worker sends a message another process queued. Queued through `outbox.enqueue`,
   which NOTIFYs the workers on commit, against the same message inserted without NOTIFY, which waits for the
   dispatcher's idle poll (every 0.5 s).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parents[2]))

from bot import outbox
from bot.db import Database
from bot.models import OutboundMessage, utcnow
from bot.segments import count_segments
from tests.benchmarks.outbox_faults import queue
from tests.benchmarks.roles import Role, fake_twilio, quantiles, role_env, running, wait_settled


def _wake(db: Database) -> None:
    with db.transaction() as session:
        outbox.wake_dispatchers(session, "sms")


def drain(url: str, workdir: Path, messages: int, workers: int, timeout: float = 600) -> dict:
    """Queue `messages` while `workers` worker processes wait; time until the fake Twilio got them all."""
    db = Database(url)
    db.upgrade()
    with fake_twilio(workdir) as twilio:
        roles = [Role("worker", role_env(url, twilio), workdir, f"worker{i + 1}") for i in range(workers)]
        with running(roles):
            time.sleep(1.0)  # past the dispatchers' first idle poll
            queue(db, messages, prefix="load")
            _wake(db)
            committed = time.time()
            deadline = time.monotonic() + timeout
            while twilio.count() < messages and time.monotonic() < deadline:
                time.sleep(0.05)
            settled = wait_settled(url, twilio, timeout=60)
        logs = "".join(role.log.read_text(errors="replace") for role in roles)
        sends = twilio.sent()
    with db.read() as session:
        statuses = collections.Counter(session.execute(sa.select(OutboundMessage.status)).scalars())
    db.dispose()
    expected = {f"fault test message {i}" for i in range(messages)}
    counts = collections.Counter(s["body"] for s in sends)
    seconds = max((s["t"] for s in sends), default=committed) - committed
    return {
        "workers": workers,
        "messages": messages,
        "seconds": round(seconds, 2),
        "per_s": round(len(sends) / seconds, 1) if seconds > 0 else 0.0,
        "sent_once": sum(1 for body in expected if counts[body] == 1),
        "sent_twice_or_more": sum(1 for body in expected if counts[body] > 1),
        "never_sent": sum(1 for body in expected if not counts[body]),
        "stray_sends": sum(n for body, n in counts.items() if body not in expected),
        "statuses": dict(statuses),
        "settled": settled,
        "tracebacks_in_logs": logs.count("Traceback"),
    }


def pickup(url: str, workdir: Path, samples: int = 20, seed: int = 3) -> dict:
    """Latency from commit to send for messages queued by another process, with and without NOTIFY."""
    rng = random.Random(seed)
    db = Database(url)
    db.upgrade()
    latencies: dict[str, list[float]] = {"notified": [], "polled": []}
    with fake_twilio(workdir) as twilio, running([Role("worker", role_env(url, twilio), workdir, "pickup")]):
        time.sleep(1.0)
        for i in range(samples * 2):
            how = "notified" if i % 2 == 0 else "polled"
            before = twilio.count()
            text = f"pick-up test {i}"
            with db.transaction() as session:
                if how == "notified":
                    outbox.enqueue(
                        session, channel="sms", address="+13135550188", text=text, purpose="reply", key=f"pickup:{i}"
                    )
                else:
                    now = utcnow()
                    session.execute(
                        sa.insert(OutboundMessage.__table__).values(
                            channel="sms", address="+13135550188", text=text, purpose="reply", lane="reply",
                            priority=0, idempotency_key=f"pickup:{i}", status="queued", attempts=0,
                            next_attempt_at=now, segments=count_segments(text), text_hash=outbox.text_hash(text),
                            created_at=now, updated_at=now,
                        )
                    )  # fmt: skip
            committed = time.time()
            deadline = time.monotonic() + 10
            while twilio.count() <= before and time.monotonic() < deadline:
                time.sleep(0.002)
            sent = [s for s in twilio.sent() if s["body"] == text]
            if sent:
                latencies[how].append(sent[0]["t"] - committed)
            time.sleep(rng.uniform(0.05, 0.3))
    db.dispose()
    return {"samples": samples, **{how: quantiles(values) for how, values in latencies.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pickup-samples", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not os.environ.get("MAKERLINK_TEST_POSTGRES_URL"):
        sys.exit("load_workers needs PostgreSQL: set MAKERLINK_TEST_POSTGRES_URL")
    from tests.conftest import fresh_postgres_schema

    results = []
    for workers in (1, args.workers):
        with tempfile.TemporaryDirectory() as tmp, fresh_postgres_schema() as url:
            results.append(drain(url, Path(tmp), args.messages, workers))
    with tempfile.TemporaryDirectory() as tmp, fresh_postgres_schema() as url:
        wake = pickup(url, Path(tmp), args.pickup_samples)
    one, many = results
    ratio = round(many["per_s"] / one["per_s"], 2)
    summary = {"measure": "drain", "baseline_one_worker": one, "workers": many, "ratio": ratio}
    if args.json:
        print(json.dumps(summary))
        print(json.dumps({"measure": "pickup", **wake}))
    else:
        for r in results:
            print(
                f"{r['workers']} worker(s): {r['messages']} messages in {r['seconds']} s = {r['per_s']}/s; sent once "
                f"{r['sent_once']}, twice {r['sent_twice_or_more']}, never {r['never_sent']}, stray {r['stray_sends']}"
                f"; statuses {r['statuses']}"
            )
        print(f"{many['workers']} workers vs 1: {summary['ratio']}× the throughput")
        print(
            f"pick-up by an idle worker ({wake['samples']} each): with NOTIFY p50 {wake['notified']['p50_ms']} ms, "
            f"p95 {wake['notified']['p95_ms']} ms; by polling alone p50 {wake['polled']['p50_ms']} ms, "
            f"p95 {wake['polled']['p95_ms']} ms"
        )
    ok = all(r["sent_once"] == r["messages"] and r["settled"] for r in results)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
