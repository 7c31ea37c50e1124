"""Console speed: each page of the organisers' console over a large SQLite database, logged in.

    python tests/benchmarks/bench_console.py [--makers 20000] [--messages 100000] [--requests 5000] [--runs 40] [--json]

Builds a database with N makers (two capabilities each), R requests over the last 12 weeks (three makers asked
for each, some answered, some orders) and M outbox messages in every status, all with bulk inserts; logs in
through the one-time link as an organiser would; then times each console page (warm-up first) and /healthz, the
baseline, in the same process and run. Reports the first view, p50 / p95 per page and p95 as a ratio to
/healthz's p95 (the Figures page counts at most once a minute, so its first view is the count itself).
Target: every page under 300 ms at p95.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from bot.console.app import ConsoleConfig, build_console  # noqa: E402
from bot.console.pages import Programme  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.models import (  # noqa: E402
    MAKER_TYPES,
    Invitation,
    Maker,
    MakerCapability,
    MessageStatus,
    OutboundMessage,
    Request,
    utcnow,
)
from bot.outbox import text_hash  # noqa: E402
from bot.services import console_access  # noqa: E402
from bot.services import makers as maker_service  # noqa: E402
from bot.services.followups import FollowUpPolicy  # noqa: E402
from bot.services.orders import InvitationStatus, RequestStatus  # noqa: E402
from bot.signing import Signer  # noqa: E402
from bot.web import create_app  # noqa: E402
from matching.taxonomy import load_taxonomy  # noqa: E402

PUBLIC_URL = "https://console.example.org"
ORGANISER = 999
PAGES = {
    "Today": "/console/",
    "Requests": "/console/requests",
    "Makers": "/console/makers",
    "Messages": "/console/messages",
    "Broadcasts": "/console/broadcasts",
    "Figures": "/console/figures",
}
TARGET_MS = 300.0
PHRASES = ["cut and sew", "3D printing", "laser cutting", "CNC machining", "face shields", "woodworking", "welding"]
ZIPS = ["48201", "48207", "48126", "48104", "49503", "60601", "10001", "94103"]
BATCH = 5000


def _insert(db: Database, table: sa.Table, rows: list[dict]) -> None:
    with db.transaction() as session:
        for start in range(0, len(rows), BATCH):
            session.execute(sa.insert(table), rows[start : start + BATCH])


def fill(db: Database, makers: int, requests: int, messages: int) -> None:
    rng, now = random.Random(1), utcnow()
    _insert(
        db,
        Maker.__table__,
        [
            {
                "name": f"Shop {i}",
                "phone": f"+1313{5550000 + i:07d}",
                "zip": rng.choice(ZIPS),
                "language": "en",
                "status": "active",
                "alerts_opt_out": False,
                "kind": rng.choice(MAKER_TYPES),
                "created_at": now - timedelta(days=rng.randrange(365)),
                "updated_at": now,
            }
            for i in range(makers)
        ],
    )
    _insert(
        db,
        MakerCapability.__table__,
        [
            {"maker_id": m, "position": p, "phrase": phrase, "concepts": ""}
            for m in range(1, makers + 1)
            for p, phrase in enumerate(rng.sample(PHRASES, 2))
        ],
    )
    statuses = list(RequestStatus)
    _insert(
        db,
        Request.__table__,
        [
            {
                "code": f"B{i:06d}"[:8],
                "source": "telegram",
                "text": f"need {rng.randrange(10, 900)} face shields near 48201",
                "item_label": "face shields",
                "concepts": "face-shields",
                "quantity": 500,
                "zip": "48201",
                "radius_miles": 50.0,
                "status": rng.choice(statuses).value,
                "quantity_committed": 0,
                "created_at": now - timedelta(minutes=rng.randrange(12 * 7 * 24 * 60)),
                "updated_at": now,
            }
            for i in range(requests)
        ],
    )
    answers = list(InvitationStatus)
    _insert(
        db,
        Invitation.__table__,
        [
            {
                "request_id": r,
                "maker_id": (r * 7 + k * 1009) % makers + 1,  # three different makers per request
                "rank": k + 1,
                "score": 0.9,
                "why": "",
                "distance_miles": round(rng.uniform(0.5, 40), 1),
                "status": (status := rng.choice(answers)).value,
                "price_cents": 250,
                "invited_at": (invited := now - timedelta(minutes=rng.randrange(12 * 7 * 24 * 60))),
                "answered_at": invited + timedelta(minutes=30) if status != InvitationStatus.INVITED else None,
                "accepted_at": invited + timedelta(hours=2)
                if status in (InvitationStatus.ACCEPTED, InvitationStatus.DELIVERED)
                else None,
                "updated_at": now,
            }
            for r in range(1, requests + 1)
            for k in range(3)
        ],
    )
    text = "Hospitals need isolation gowns this week. Can you sew? Reply YES with how many."
    kinds = list(MessageStatus)
    _insert(
        db,
        OutboundMessage.__table__,
        [
            {
                "channel": "sms",
                "address": f"+1313{5550000 + i % makers:07d}",
                "maker_id": i % makers + 1,
                "text": text,
                "purpose": "invitation",
                "lane": "reply",
                "priority": 0,
                "idempotency_key": f"bench:{i}",
                "status": (state := rng.choice(kinds)).value,
                "attempts": 1,
                "next_attempt_at": now,
                "segments": 1,
                "text_hash": text_hash(text),
                "error_code": "30007" if state == MessageStatus.FAILED else None,
                "created_at": now - timedelta(seconds=rng.randrange(12 * 7 * 24 * 3600)),
                "updated_at": now,
            }
            for i in range(messages)
        ],
    )


def log_in(http: TestClient, db: Database) -> None:
    links = console_access.ConsoleLinks(public_url=PUBLIC_URL, signer=Signer("b" * 40))
    with db.transaction() as session:
        path = console_access.issue_link(session, links, ORGANISER, utcnow()).removeprefix(PUBLIC_URL)
    answer = http.post(path)
    assert answer.status_code == 303, answer.status_code


def timed(http: TestClient, path: str, runs: int) -> tuple[float, list[float]]:
    """The first view's time (templates compiled, the Figures page's once-a-minute count made), then `runs` more
    after two more warm-up views."""
    started = time.perf_counter()
    assert http.get(path).status_code == 200, path
    first = (time.perf_counter() - started) * 1000
    for _ in range(2):
        assert http.get(path).status_code == 200, path
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = http.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return first, times


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--makers", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.upgrade()
        started = time.perf_counter()
        fill(db, args.makers, args.requests, args.messages)
        filled = time.perf_counter() - started
        config = ConsoleConfig(
            signer=Signer("b" * 40),
            admin_ids=(ORGANISER,),
            public_url=PUBLIC_URL,
            programme=Programme(policy=FollowUpPolicy(), timezone="America/Detroit", max_invites=5),
        )
        cache = maker_service.DirectoryCache(db, taxonomy)
        app = create_app(db, console=build_console(db, config, cache.get, taxonomy))
        with TestClient(app, base_url=PUBLIC_URL, follow_redirects=False) as http:
            log_in(http, db)
            _first, baseline = timed(http, "/healthz", args.runs)
            pages = {name: timed(http, path, args.runs) for name, path in PAGES.items()}
        db.dispose()
    result = {
        "makers": args.makers,
        "requests": args.requests,
        "messages": args.messages,
        "fill_s": round(filled, 1),
        "runs": args.runs,
        "healthz_p95_ms": round(p95(baseline), 1),
        "pages": {
            name: {
                "first_ms": round(first, 1),
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(p95(times), 1),
                "vs_healthz": round(p95(times) / p95(baseline), 1),
            }
            for name, (first, times) in pages.items()
        },
        "at": datetime.now(UTC).isoformat(timespec="minutes"),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{args.makers:,} makers, {args.requests:,} requests, {args.messages:,} messages (filled in "
        f"{result['fill_s']} s); {args.runs} runs per page; /healthz p95 {result['healthz_p95_ms']} ms"
    )
    print(f"{'page':<12}{'first ms':>10}{'p50 ms':>9}{'p95 ms':>9}{'× healthz':>11}  target p95 < {TARGET_MS:g} ms")
    for name, row in result["pages"].items():
        verdict = "ok" if row["p95_ms"] < TARGET_MS else "SLOW"
        print(f"{name:<12}{row['first_ms']:>10}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['vs_healthz']:>11}  {verdict}")


if __name__ == "__main__":
    main()
