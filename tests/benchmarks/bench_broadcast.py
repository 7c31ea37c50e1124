"""Broadcast speed: preparing and queueing an alert to 10,000 makers, and how long the outbox then needs.

    python tests/benchmarks/bench_broadcast.py [--makers 10000] [--rate 50] [--json]

1. Preparing (audience + preview) and queueing (confirm) a broadcast to every maker of a directory of N
   makers, on SQLite. Target: under 2 s for 10,000. Baseline in the same run: inserting the same N outbox
   rows with one executemany and nothing else, the floor for any durable queue.
2. Sending it: with a zero-latency sender at a configured SMS rate R, the time the outbox needs, against the
   rate limit's arithmetic (segments / R), on a sample of the queue (R × 20 s worth of messages).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT))

from bot.db import Database  # noqa: E402
from bot.models import OutboundMessage  # noqa: E402
from bot.outbox import ChannelPolicy, Dispatcher, text_hash  # noqa: E402
from bot.services import broadcasts, makers  # noqa: E402
from matching.taxonomy import load_taxonomy  # noqa: E402
from tests.benchmarks.bench_outbox import TimedSender  # noqa: E402

PHRASES = [
    "cut and sew",
    "seamstress",
    "3D printing",
    "laser cutting",
    "hand sanitizer",
    "CNC machining",
    "face shields",
    "isolation gowns",
    "injection molding",
    "woodworking",
]
ZIPS = ["48201", "48207", "48126", "48104", "49503", "60601", "10001", "94103"]
TEXT = "Hospitals need isolation gowns this week. Can you sew? Reply YES with how many, or ignore this alert."


def directory(db: Database, n: int) -> None:
    rng = random.Random(1)
    rows = ["name,phone,zip,capabilities"]
    for i in range(n):
        rows.append(f"Shop {i},+1313{5550000 + i:07d},{rng.choice(ZIPS)},{'; '.join(rng.sample(PHRASES, 2))}")
    makers.import_makers(db, "\n".join(rows).encode(), "bench.csv")


def baseline(db: Database, n: int) -> float:
    now = datetime.now(UTC)
    rows = [
        {
            "channel": "sms",
            "address": f"+1999{i:07d}",
            "text": TEXT,
            "purpose": "alert",
            "lane": "bulk",
            "priority": 5,
            "idempotency_key": f"baseline:{i}",
            "status": "cancelled",
            "attempts": 0,
            "next_attempt_at": now,
            "segments": 1,
            "text_hash": text_hash(TEXT),
            "created_at": now,
            "updated_at": now,
        }
        for i in range(n)
    ]
    started = time.perf_counter()
    with db.transaction() as session:
        session.execute(sa.insert(OutboundMessage.__table__), rows)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--makers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.upgrade()
        directory(db, args.makers)
        floor = baseline(db, args.makers)
        started = time.perf_counter()
        draft, preview = broadcasts.create(db, taxonomy, TEXT, broadcasts.Audience(), "bench", 0.0079)
        prepared = time.perf_counter() - started
        queued = broadcasts.confirm(db, taxonomy, draft.id, "bench")
        total = time.perf_counter() - started
        # Sending: a sample of R × 20 s worth, through the real dispatcher at rate R.
        sample = int(args.rate * 20)
        with db.transaction() as session:
            keep = (
                session.execute(
                    sa.select(OutboundMessage.id)
                    .where(OutboundMessage.broadcast_id == draft.id)
                    .order_by(OutboundMessage.id)
                    .limit(sample)
                )
                .scalars()
                .all()
            )
            session.execute(
                sa.update(OutboundMessage.__table__)
                .where(OutboundMessage.broadcast_id == draft.id, OutboundMessage.id.not_in(keep))
                .values(status="cancelled")
            )
        sender = TimedSender()
        dispatcher = Dispatcher(db, {"sms": sender}, {"sms": ChannelPolicy(per_second=args.rate)})
        sent_started = time.perf_counter()
        asyncio.run(dispatcher.drain())
        sending = time.perf_counter() - sent_started
        arithmetic = (len(sender.times) - 1) * preview.segments / args.rate
        first, last = sender.times[0][0], sender.times[-1][0]
        db.dispose()
    result = {
        "makers": args.makers,
        "recipients": queued,
        "prepare_s": round(prepared, 3),
        "prepare_and_queue_s": round(total, 3),
        "baseline_insert_s": round(floor, 3),
        "vs_baseline": round(total / floor, 1),
        "rate_per_s": args.rate,
        "sample_messages": len(sender.times),
        "send_span_s": round(last - first, 3),
        "rate_arithmetic_s": round(arithmetic, 3),
        "span_vs_arithmetic": round((last - first) / arithmetic, 4),
        "drain_s": round(sending, 3),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{result['recipients']:,} recipients of {args.makers:,} makers: prepared in {result['prepare_s']} s, "
        f"prepared and queued in {result['prepare_and_queue_s']} s (target < 2 s); a bare insert of as many rows "
        f"took {result['baseline_insert_s']} s (ratio {result['vs_baseline']})"
    )
    print(
        f"sending {result['sample_messages']} at {args.rate:g}/s took {result['send_span_s']} s between the first and "
        f"last send; the rate's arithmetic says {result['rate_arithmetic_s']} s "
        f"(ratio {result['span_vs_arithmetic']})"
    )


if __name__ == "__main__":
    main()
