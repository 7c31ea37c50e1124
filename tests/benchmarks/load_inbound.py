"""Inbound load: Twilio-signed SMS posts against real makerlink processes, each counted once, with latencies.

    python tests/benchmarks/load_inbound.py [--posts 2000] [--concurrency 50] [--retry-share 0.05] [--json]

1. `makerlink serve` on a temporary SQLite file.
2. When MAKERLINK_TEST_POSTGRES_URL is set: two `makerlink web` processes on a fresh PostgreSQL schema, the posts
   alternated between them as a reverse proxy would, and one `makerlink worker` sending the replies.

Both send through the fake Twilio API (tests/fakes/twilio_api.py: zero latency, writes down every message). The
traffic is realistic: the demo directory's makers answering open requests and using their commands, strangers
asking what this is or signing up by text, and a share of each post delivered twice with the same MessageSid
(Twilio's retry). Afterwards: every MessageSid recorded once (zero lost, zero duplicated), every answered post
queued its reply, and every outbox row reached Twilio exactly once. Reported: p50 / p95 / max latency of the
posts and throughput; the baseline, in the same run against the same processes, is GET /healthz (one database
read) at the same concurrency. Reply latency is from a post leaving the client to its reply reaching Twilio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))

from tests.benchmarks.roles import (
    AUTH_TOKEN,
    Role,
    account,
    conversations,
    drive,
    fake_twilio,
    hammer,
    prepare_database,
    quantiles,
    role_env,
    running,
    wait_settled,
)

SETUPS = ("serve-sqlite", "web-postgres")


def run_setup(
    setup: str,
    database_url: str,
    workdir: Path,
    posts: int,
    concurrency: int,
    retry_share: float,
    after: Callable[[list[Role]], None] | None = None,
) -> dict:
    """One deployment under the load; returns its figures and its account. `after(roles)` runs once the load is
    done, while the processes still run (the tests look at them)."""
    jobs = prepare_database(database_url)
    convs = conversations(jobs, posts)
    with fake_twilio(workdir) as twilio:
        env = role_env(database_url, twilio)
        if setup == "serve-sqlite":
            roles = [Role("serve", env, workdir)]
        else:
            roles = [Role("web", env, workdir, "web1"), Role("web", env, workdir, "web2"), Role("worker", env, workdir)]
        with running(roles):
            targets = [role.url for role in roles if role.port]
            started = time.perf_counter()
            baseline = asyncio.run(hammer(targets, "/healthz", posts, concurrency))
            base_seconds = time.perf_counter() - started
            run = drive(targets, convs, concurrency=concurrency, retry_share=retry_share, retry_failures=True)
            traffic = asyncio.run(run)
            settled = wait_settled(database_url, twilio)
            report = account(database_url, twilio, traffic)
            if after is not None:
                after(roles)
        logs = "".join(role.log.read_text(errors="replace") for role in roles)
    latencies = [a.seconds for a in traffic.attempts]
    seconds = traffic.finished - traffic.started
    posts_latency, base_latency = quantiles(latencies), quantiles(baseline)
    return {
        "setup": setup,
        "posts": posts,
        "concurrency": concurrency,
        "seconds": round(seconds, 2),
        "posts_per_s": round(len(latencies) / seconds, 1),
        "latency": posts_latency,
        "baseline_healthz": {**base_latency, "per_s": round(len(baseline) / base_seconds, 1)},
        "p50_vs_baseline": round(posts_latency["p50_ms"] / max(base_latency["p50_ms"], 0.1), 2),
        "p95_vs_baseline": round(posts_latency["p95_ms"] / max(base_latency["p95_ms"], 0.1), 2),
        "settled": settled,
        "tracebacks_in_logs": logs.count("Traceback"),
        "secret_in_logs": AUTH_TOKEN in logs,
        "account": asdict(report),
        "exactly_once": report.exactly_once,
    }


def passed(result: dict) -> bool:
    a = result["account"]
    return result["exactly_once"] and result["settled"] and not (a["posts_without_reply"] or a["unanswered"])


def describe(result: dict) -> str:
    a = result["account"]
    lat, base = result["latency"], result["baseline_healthz"]
    return (
        f"{result['setup']}: {a['posts']} posts (+{a['retries']} Twilio retries) at {result['concurrency']} concurrent "
        f"in {result['seconds']} s = {result['posts_per_s']} requests/s; latency p50 {lat['p50_ms']} ms, p95 "
        f"{lat['p95_ms']} ms, max {lat['max_ms']} ms; GET /healthz baseline p50 {base['p50_ms']} ms, p95 "
        f"{base['p95_ms']} ms ({base['per_s']}/s): ratio p50 {result['p50_vs_baseline']}, p95 "
        f"{result['p95_vs_baseline']}.\n"
        f"  failed requests (retried with the same MessageSid) {a['failed_requests'] or 'none'}; "
        f"recorded {a['recorded']}/{a['posts']}, lost {a['lost']}, duplicated {a['inbound_duplicates']}, "
        f"without a reply {a['posts_without_reply']}; outbox {a['outbound']} rows {a['outbound_by_status']}, "
        f"Twilio asked {a['twilio_sends']} times: sent once {a['sent_once']}, twice {a['sent_twice_or_more']}, "
        f"never {a['never_sent']}, stray {a['stray_sends']}; reply latency p50 {a['reply_latency']['p50_ms']} ms, "
        f"p95 {a['reply_latency']['p95_ms']} ms"
    )


P95_TARGETS = {"serve-sqlite": 3.0, "web-postgres": 2.0}  # post p95 ÷ /healthz p95, same run (issue 18)


def rows(posts: int = 2000, concurrency: int = 50) -> list[tuple[str, str, str, bool | None]]:
    """For `make bench-scale`: each set-up's post p95 against its /healthz p95 in the same run."""
    table: list[tuple[str, str, str, bool | None]] = []
    for setup in SETUPS:
        name = {"serve-sqlite": "`serve` on SQLite", "web-postgres": "2 × `web` + `worker` on PostgreSQL"}[setup]
        postgres = os.environ.get("MAKERLINK_TEST_POSTGRES_URL")
        if setup == "web-postgres" and not postgres:
            table.append((f"burst of webhooks, {name}", "skipped: no PostgreSQL reachable", "", None))
            continue
        with tempfile.TemporaryDirectory() as tmp:
            if setup == "serve-sqlite":
                result = run_setup(setup, f"sqlite:///{tmp}/load.db", Path(tmp), posts, concurrency, 0.05)
            else:
                from tests.conftest import fresh_postgres_schema

                with fresh_postgres_schema() as url:
                    result = run_setup(setup, url, Path(tmp), posts, concurrency, 0.05)
        lat, base = result["latency"], result["baseline_healthz"]
        ratio, target = result["p95_vs_baseline"], P95_TARGETS[setup]
        table.append(
            (
                f"{posts:,} signed webhooks at {concurrency} concurrent, {name}: p95 ÷ /healthz p95",
                f"{ratio:.2f} ({lat['p95_ms']:,.0f} ÷ {base['p95_ms']:,.0f} ms); each recorded and answered once: "
                f"{'yes' if passed(result) else 'NO'}",
                f"≤ {target:g}",
                ratio <= target and passed(result),
            )
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--retry-share", type=float, default=0.05)
    parser.add_argument("--setup", choices=SETUPS, action="append", help="Run only this setup (repeatable).")
    parser.add_argument("--json", action="store_true", help="One JSON object per setup.")
    args = parser.parse_args()
    chosen = args.setup or list(SETUPS)
    results = []
    for setup in chosen:
        with tempfile.TemporaryDirectory() as tmp:
            if setup == "serve-sqlite":
                url = f"sqlite:///{tmp}/load.db"
                results.append(run_setup(setup, url, Path(tmp), args.posts, args.concurrency, args.retry_share))
                continue
            if not os.environ.get("MAKERLINK_TEST_POSTGRES_URL"):
                print(f"{setup}: skipped (set MAKERLINK_TEST_POSTGRES_URL)", file=sys.stderr)
                continue
            from tests.conftest import fresh_postgres_schema

            with fresh_postgres_schema() as url:
                results.append(run_setup(setup, url, Path(tmp), args.posts, args.concurrency, args.retry_share))
    for result in results:
        print(json.dumps(result) if args.json else describe(result))
    if not all(passed(r) for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
