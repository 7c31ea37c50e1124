"""Restart of everything in the middle of traffic: every makerlink process killed (SIGKILL) or stopped (SIGTERM) at
once while SMS posts arrive and queued messages go out, then started again; afterwards nothing may be lost.

    python tests/benchmarks/restart_all.py [--posts 1000] [--queued 2000] [--json]

Setups: `makerlink serve` on SQLite; with MAKERLINK_TEST_POSTGRES_URL, two `makerlink web` and two `makerlink
worker` on PostgreSQL. The client behaves as Twilio: a post that gets no 2xx (refused, reset, 5xx) is posted
again with the same MessageSid until it is answered. Checked afterwards: every post answered and recorded once,
every answered post's reply queued, every outbox row sent. A SIGKILL may send again a message whose send
happened but whose outcome was not yet recorded (the outbox is at-least-once across crashes: see
docs/outbox.md); those are counted. SIGTERM must give none: in-flight sends finish and are recorded, claimed
but unsent ones are handed back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))

from bot.db import Database
from tests.benchmarks.outbox_faults import queue
from tests.benchmarks.roles import (
    AUTH_TOKEN,
    Role,
    Traffic,
    account,
    conversations,
    drive,
    fake_twilio,
    prepare_database,
    role_env,
    running,
    wait_settled,
)

SETUPS = ("serve-sqlite", "web-postgres")
SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGTERM": signal.SIGTERM}
LEASE_SECONDS = "6"  # so that messages a killed worker had claimed are taken over within seconds


def restart_all(
    setup: str,
    url: str,
    workdir: Path,
    how: str,
    posts: int = 1000,
    queued: int = 2000,
    sms_per_second: float = 200.0,
    concurrency: int = 20,
    at: float = 0.4,
    webs: int = 2,
    workers: int = 2,
) -> dict:
    """Traffic in, queue out; once `at` of the posts are answered, every process gets `how`, then all restart."""
    jobs = prepare_database(url)
    convs = conversations(jobs, posts, seed=list(SIGNALS).index(how) + 1)
    db = Database(url)
    queue(db, queued, prefix="restart")
    db.dispose()
    with fake_twilio(workdir) as twilio:
        env = role_env(url, twilio, sms_per_second=f"{sms_per_second:g}", outbox_lease_seconds=LEASE_SECONDS)
        if setup == "serve-sqlite":
            roles = [Role("serve", env, workdir)]
        else:
            roles = [Role("web", env, workdir, f"web{i + 1}") for i in range(webs)]
            roles += [Role("worker", env, workdir, f"worker{i + 1}") for i in range(workers)]
        with running(roles):
            answered = threading.Event()
            result: list[Traffic] = []

            def progress(count: int) -> None:
                if count >= posts * at:
                    answered.set()

            def traffic() -> None:
                targets = [role.url for role in roles if role.port]
                run = drive(targets, convs, concurrency=concurrency, retry_failures=True, on_progress=progress)
                result.append(asyncio.run(run))

            client = threading.Thread(target=traffic)
            client.start()
            answered.wait(timeout=300)
            sent_before = twilio.count()
            stopped = time.monotonic()
            for role in roles:
                role.signal(SIGNALS[how])
            exits, stop_seconds = [], {}
            for role in roles:  # all were signalled at once: each wait ends when that role has exited (or before)
                exits.append(role.wait(60))
                stop_seconds[role.name] = round(time.monotonic() - stopped, 2)
            for role in roles:
                role.start()
            for role in roles:
                role.wait_ready()
            downtime = time.monotonic() - stopped
            client.join()
            settled = wait_settled(url, twilio, timeout=180)
            report = account(url, twilio, result[0])
        logs = "".join(role.log.read_text(errors="replace") for role in roles)
    return {
        "setup": setup,
        "signal": how,
        "posts": posts,
        "queued": queued,
        "answered_before_restart": round(posts * at),
        "sent_before_restart": sent_before,
        "exit_codes": exits,
        "stop_seconds": stop_seconds,  # from the signal to each process's exit
        "downtime_seconds": round(downtime, 2),
        "settled": settled,
        "secret_in_logs": AUTH_TOKEN in logs,
        "account": asdict(report),
        "nothing_lost": not (report.lost or report.unanswered or report.never_sent or report.posts_without_reply),
    }


def describe(r: dict) -> str:
    a = r["account"]
    return (
        f"{r['setup']}, {r['signal']} to every process after {r['answered_before_restart']} of {r['posts']} posts "
        f"and {r['sent_before_restart']} sends (exits {r['exit_codes']}, stopped after {r['stop_seconds']} s), "
        f"back in {r['downtime_seconds']} s: "
        f"{a['requests']} requests for {a['posts']} posts ({a['retries']} retries); recorded {a['recorded']}, "
        f"lost {a['lost']}, unanswered {a['unanswered']}, duplicated {a['inbound_duplicates']}, without a reply "
        f"{a['posts_without_reply']}; outbox {a['outbound']} rows {a['outbound_by_status']}: sent once "
        f"{a['sent_once']}, twice {a['sent_twice_or_more']}, never {a['never_sent']}, stray {a['stray_sends']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--queued", type=int, default=2000)
    parser.add_argument("--setup", choices=SETUPS, action="append")
    parser.add_argument("--signal", choices=tuple(SIGNALS), action="append")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    for setup in args.setup or SETUPS:
        for how in args.signal or tuple(SIGNALS):
            with tempfile.TemporaryDirectory() as tmp:
                if setup == "serve-sqlite":
                    results.append(restart_all(setup, f"sqlite:///{tmp}/r.db", Path(tmp), how, args.posts, args.queued))
                    continue
                if not os.environ.get("MAKERLINK_TEST_POSTGRES_URL"):
                    print(f"{setup}: skipped (set MAKERLINK_TEST_POSTGRES_URL)", file=sys.stderr)
                    break
                from tests.conftest import fresh_postgres_schema

                with fresh_postgres_schema() as url:
                    results.append(restart_all(setup, url, Path(tmp), how, args.posts, args.queued))
    for result in results:
        print(json.dumps(result) if args.json else describe(result))
    ok = all(
        r["nothing_lost"] and r["settled"] and (r["signal"] == "SIGKILL" or not r["account"]["sent_twice_or_more"])
        for r in results
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
