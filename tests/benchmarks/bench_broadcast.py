"""Broadcast speed: an alert to every maker of a national directory, previewed, queued and sent.

    python tests/benchmarks/bench_broadcast.py [--makers 50000] [--rate 50] [--send-seconds 20] [--json]

On SQLite, and on PostgreSQL too when MAKERLINK_TEST_POSTGRES_URL is set, with a directory of N makers (written
straight into the tables, so that the import's own speed is not measured here):

1. Preview: the audience and its counts (`broadcasts.create`). Target: under 1 s for 50,000 makers. Baseline in
   the same run: reading the same makers' columns with one SELECT, the least any preview must do.
2. Queue: the confirmation (`broadcasts.confirm`), which reads the audience again and inserts one outbox row per
   person in one transaction. Target: under 10 s. Baseline: inserting as many outbox rows with one executemany.
3. Send: the real dispatcher at a configured SMS rate R, with a zero-latency sender, from the whole queue (so every
   claim faces the full backlog) for about `--send-seconds`; the rate achieved between the first and the last
   send, against R. Target: within 5% of R, never above it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT))

from bot.db import Database, table_of  # noqa: E402
from bot.models import Maker, MakerCapability, OutboundMessage  # noqa: E402
from bot.outbox import text_hash  # noqa: E402
from bot.services import broadcasts  # noqa: E402
from matching import geo  # noqa: E402
from matching.taxonomy import load_taxonomy  # noqa: E402
from tests.benchmarks.bench_outbox import paced_run  # noqa: E402

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
TARGETS = {"preview_s": 1.0, "queue_s": 10.0, "rate_tolerance": 0.05}


@dataclass
class BroadcastRun:
    database: str
    makers: int
    recipients: int
    preview_s: float
    preview_baseline_s: float  # one SELECT of the makers' columns
    queue_s: float
    queue_baseline_s: float  # one executemany of as many outbox rows
    rate: float
    sent: int
    achieved: float  # units per second between the first and the last send
    fastest_window: float  # the fastest 5 consecutive sends, units per second

    @property
    def rate_ok(self) -> bool:
        within = abs(self.achieved / self.rate - 1) <= TARGETS["rate_tolerance"]
        return within and self.fastest_window <= self.rate * 1.001

    @property
    def ok(self) -> bool:
        return self.preview_s < TARGETS["preview_s"] and self.queue_s < TARGETS["queue_s"] and self.rate_ok


def directory(db: Database, n: int, seed: int = 1) -> None:
    """n makers with two capability phrases each, tagged as the import tags them, written in bulk."""
    rng = random.Random(seed)
    taxonomy = load_taxonomy()
    concepts = {phrase: " ".join(sorted({tag.id for tag in taxonomy.tag(phrase)})) for phrase in PHRASES}
    places = {code: geo.lookup_zip(code) for code in ZIPS}
    now = datetime.now(UTC)
    makers, capabilities = [], []
    for i in range(n):
        place = places[rng.choice(ZIPS)]
        assert place is not None
        makers.append(
            {
                "id": i + 1,
                "name": f"Shop {i}",
                "phone": f"+1313{5550000 + i:07d}",
                "zip": place.zip,
                "lat": place.lat,
                "lon": place.lon,
                "timezone": place.timezone,
                "created_at": now,
                "updated_at": now,
            }
        )
        for position, phrase in enumerate(rng.sample(PHRASES, 2)):
            capabilities.append(
                {"maker_id": i + 1, "position": position, "phrase": phrase, "concepts": concepts[phrase]}
            )
    with db.transaction() as session:
        for table, rows in ((table_of(Maker), makers), (table_of(MakerCapability), capabilities)):
            for start in range(0, len(rows), 5000):
                session.execute(sa.insert(table), rows[start : start + 5000])


def preview_baseline(db: Database) -> float:
    mk = table_of(Maker).c
    started = time.perf_counter()
    with db.read() as session:
        session.execute(sa.select(mk.id, mk.name, mk.phone, mk.lat, mk.lon, mk.status, mk.timezone)).all()
    return time.perf_counter() - started


def queue_baseline(db: Database, n: int) -> float:
    """Inserting n outbox rows with one executemany and nothing else, then taking them out again."""
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
    table = table_of(OutboundMessage)
    started = time.perf_counter()
    with db.transaction() as session:
        session.execute(sa.insert(table), rows)
    took = time.perf_counter() - started
    with db.transaction() as session:
        session.execute(sa.delete(table).where(table.c.idempotency_key.like("baseline:%")))
    return took


def send_for(db: Database, rate: float, seconds: float) -> tuple[int, float, float]:
    """The dispatcher's run loop at `rate` over the queued broadcast until about `seconds` of sends went out:
    (sends, achieved units/s between the first and the last, fastest units/s over 5 consecutive sends)."""
    return paced_run(db, rate, max(10, int(rate * seconds)))


def measure(name: str, url: str, makers: int, rate: float, seconds: float) -> BroadcastRun:
    db = Database(url)
    db.upgrade()
    taxonomy = load_taxonomy()
    directory(db, makers)
    base_preview = preview_baseline(db)
    started = time.perf_counter()
    draft, _ = broadcasts.create(db, taxonomy, TEXT, broadcasts.Audience(), "bench", 0.0079)
    previewed = time.perf_counter() - started
    base_queue = queue_baseline(db, makers)
    started = time.perf_counter()
    queued = broadcasts.confirm(db, taxonomy, draft.id, "bench")
    queuing = time.perf_counter() - started
    sent, achieved, fastest = send_for(db, rate, seconds)
    db.dispose()
    return BroadcastRun(
        name, makers, queued, previewed, base_preview, queuing, base_queue, rate, sent, achieved, fastest
    )


def databases(stack: ExitStack) -> list[tuple[str, str]]:
    tmp = stack.enter_context(tempfile.TemporaryDirectory())
    found = [("sqlite", f"sqlite:///{tmp}/bench.db")]
    if os.environ.get("MAKERLINK_TEST_POSTGRES_URL"):
        from tests.conftest import fresh_postgres_schema

        found.append(("postgresql", stack.enter_context(fresh_postgres_schema())))
    return found


def runs(makers: int = 50_000, rate: float = 50.0, seconds: float = 20.0) -> list[BroadcastRun]:
    with ExitStack() as stack:
        return [measure(name, url, makers, rate, seconds) for name, url in databases(stack)]


def rows(makers: int = 50_000, rate: float = 50.0, seconds: float = 20.0) -> list[tuple[str, str, str, bool]]:
    """For `make bench-scale`: (measurement, value, target, met) rows, baselines in the same run."""
    table = []
    for r in runs(makers, rate, seconds):
        on = f"broadcast to {r.recipients:,} makers, {r.database}"
        table += [
            (
                f"{on}: preview",
                f"{r.preview_s:.2f} s (one SELECT: {r.preview_baseline_s:.2f} s)",
                f"< {TARGETS['preview_s']:g} s",
                r.preview_s < TARGETS["preview_s"],
            ),
            (
                f"{on}: queued",
                f"{r.queue_s:.2f} s (one executemany: {r.queue_baseline_s:.2f} s)",
                f"< {TARGETS['queue_s']:g} s",
                r.queue_s < TARGETS["queue_s"],
            ),
            (
                f"{on}: sent at {r.rate:g} SMS/s",
                f"{r.achieved:.2f}/s over {r.sent} sends, fastest 5 {r.fastest_window:.2f}/s",
                f"within {TARGETS['rate_tolerance']:.0%} of {r.rate:g}/s, never above",
                r.rate_ok,
            ),
        ]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--makers", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--send-seconds", type=float, default=20.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = runs(args.makers, args.rate, args.send_seconds)
    for r in results:
        if args.json:
            print(json.dumps({**r.__dict__, "ok": r.ok}))
            continue
        print(
            f"{r.database}: {r.recipients:,} recipients of {r.makers:,} makers: preview {r.preview_s:.2f} s "
            f"(one SELECT of the makers: {r.preview_baseline_s:.2f} s; target < 1 s), queued in {r.queue_s:.2f} s (one "
            f"executemany of as many rows: {r.queue_baseline_s:.2f} s; target < 10 s); sent {r.sent} at "
            f"{r.achieved:.2f}/s against {r.rate:g}/s ({r.achieved / r.rate:.2%}), fastest 5 sends "
            f"{r.fastest_window:.2f}/s"
        )
    sys.exit(0 if all(r.ok for r in results) else 1)


if __name__ == "__main__":
    main()
