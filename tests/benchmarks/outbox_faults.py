"""Fault figures for the outbox: dispatchers killed mid-queue, and several dispatchers over one PostgreSQL.

    python tests/benchmarks/outbox_faults.py                 # SQLite kill test
    MAKERLINK_TEST_POSTGRES_URL=postgresql://… python tests/benchmarks/outbox_faults.py   # adds PostgreSQL
    python tests/benchmarks/outbox_faults.py --broadcast 50000   # a real worker SIGKILLed mid-broadcast (below)

The broadcast scenario (`kill_mid_broadcast`, also a row of `make bench-scale`) is the fault test at size: an
alert to N makers queued by `broadcasts.confirm`, sent by a real `makerlink worker` through the fake Twilio; the
worker gets SIGKILL once a third went out and is started again. Counted at the fake Twilio: every maker must get
the alert exactly once (the restarted worker asks Twilio's message list about the messages the killed one may have
sent unrecorded) and nothing may be left unsent. It takes N ÷ (the worker's rate) plus the lease (6 s here), about
two minutes for 50,000 on the 2-core machine, so it is a script, not part of the test suite (whose fault tests run
the same kill over 1,000 messages: tests/integration/test_outbox_faults.py).

Each scenario queues messages, runs `tests/fakes/outbox_worker.py` processes (a zero-latency sender that logs
every send), and counts how often each message was sent. The integration tests call the same functions.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT))

from bot.db import Database  # noqa: E402
from bot.models import OutboundMessage  # noqa: E402
from bot.outbox import text_hash  # noqa: E402
from bot.segments import count_segments  # noqa: E402


@dataclass
class FaultReport:
    scenario: str
    messages: int
    sent_once: int
    sent_twice_or_more: int
    never_sent: int
    max_sends_of_one: int
    kill_after: int | None
    seconds: float


def queue(db: Database, n: int, prefix: str = "fault") -> None:
    """Insert n due SMS messages in one go (the bulk path a broadcast will use)."""
    now = datetime.now(UTC)
    rows = [
        {
            "channel": "sms",
            "address": f"+1313555{i % 10000:04d}",
            "text": f"fault test message {i}",
            "purpose": "alert",
            "lane": "bulk",
            "priority": 5,
            "idempotency_key": f"{prefix}:{i}",
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "segments": count_segments(f"fault test message {i}"),
            "text_hash": text_hash(f"fault test message {i}"),
            "created_at": now,
            "updated_at": now,
        }
        for i in range(n)
    ]
    with db.transaction() as session:
        for start in range(0, n, 2000):
            session.execute(sa.insert(OutboundMessage.__table__), rows[start : start + 2000])


def _worker(url: str, log: Path, *extra: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.outbox_worker", url, str(log), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    process.stdout.readline()  # "ready"
    return process


def _lines(log: Path) -> int:
    try:
        return log.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _unsent(db: Database) -> int:
    with db.read() as session:
        return session.execute(
            sa.select(sa.func.count()).select_from(OutboundMessage).where(OutboundMessage.status != "sent")
        ).scalar_one()


def _wait_drained(db: Database, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _unsent(db) and time.monotonic() < deadline:
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _report(scenario: str, log: Path, n: int, kill_after: int | None, seconds: float) -> FaultReport:
    counts = collections.Counter(int(line) for line in log.read_text().split())
    return FaultReport(
        scenario=scenario,
        messages=n,
        sent_once=sum(1 for c in counts.values() if c == 1),
        sent_twice_or_more=sum(1 for c in counts.values() if c > 1),
        never_sent=n - len(counts),
        max_sends_of_one=max(counts.values(), default=0),
        kill_after=kill_after,
        seconds=round(seconds, 2),
    )


def kill_and_restart(
    url: str, workdir: Path, n: int = 1000, kill_after: int = 300, batch: int = 50, lookup: bool = False
) -> FaultReport:
    """One dispatcher is SIGKILLed once it has sent `kill_after` messages; a new one finishes the queue.

    Without `lookup` this measures the dispatcher's own at-least-once window (sends it had not recorded yet go
    out again); with it, the restarted dispatcher asks the provider first (`find_sent`), as with Twilio."""
    db = Database(url)
    db.upgrade()
    queue(db, n)
    report = kill_mid_queue(db, url, workdir, n, kill_after, batch, lookup)
    db.dispose()
    return report


def kill_mid_queue(
    db: Database, url: str, workdir: Path, n: int, kill_after: int, batch: int = 50, lookup: bool = False
) -> FaultReport:
    """Send what is queued with a dispatcher that is SIGKILLed after `kill_after` sends, then restarted."""
    log = workdir / "sends.log"
    extra = ("--lookup",) if lookup else ()
    started = time.monotonic()
    first = _worker(url, log, "--lease", "1", "--batch", str(batch), *extra)
    while _lines(log) < kill_after and first.poll() is None:
        time.sleep(0.001)
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = _lines(log)
    second = _worker(url, log, "--lease", "1", "--batch", str(batch), *extra)
    try:
        _wait_drained(db, 120)
    finally:
        _stop(second)
    scenario = "SIGKILL mid-queue, then restart" + (", asking the provider before a resend" if lookup else "")
    return _report(scenario, log, n, killed_at, time.monotonic() - started)


def parallel_workers(url: str, workdir: Path, n: int = 10_000, workers: int = 2, batch: int = 100) -> FaultReport:
    """Several dispatcher processes drain one queue together."""
    db = Database(url)
    db.upgrade()
    queue(db, n)
    log = workdir / "sends.log"
    started = time.monotonic()
    processes = [_worker(url, log, "--lease", "30", "--batch", str(batch)) for _ in range(workers)]
    try:
        _wait_drained(db, 300)
    finally:
        for process in processes:
            _stop(process)
    report = _report(f"{workers} dispatchers in parallel", log, n, None, time.monotonic() - started)
    db.dispose()
    return report


@dataclass
class BroadcastKill:
    database: str
    makers: int
    queued: int
    killed_after: int  # sends the fake Twilio had got when the worker was killed
    sent_once: int
    sent_twice_or_more: int
    never_sent: int
    unsettled_rows: int  # outbox rows not sent at the end
    seconds: float

    @property
    def exactly_once(self) -> bool:
        return self.sent_once == self.queued and not (self.sent_twice_or_more or self.never_sent or self.unsettled_rows)


def kill_mid_broadcast(url: str, workdir: Path, makers: int = 50_000, lease: float = 6.0) -> BroadcastKill:
    """An alert to `makers` makers; the worker sending it is SIGKILLed once a third went out, then restarted."""
    from bot.services import broadcasts
    from matching.taxonomy import load_taxonomy
    from tests.benchmarks.bench_broadcast import TEXT, directory
    from tests.benchmarks.roles import Role, fake_twilio, role_env, wait_settled

    db = Database(url)
    db.upgrade()
    directory(db, makers)
    taxonomy = load_taxonomy()
    draft, _ = broadcasts.create(db, taxonomy, TEXT, broadcasts.Audience(), "fault", 0.0079)
    with fake_twilio(workdir) as twilio:
        worker = Role("worker", role_env(url, twilio, outbox_lease_seconds=f"{lease:g}"), workdir, "worker")
        worker.start()
        try:
            worker.wait_ready()
            started = time.monotonic()
            queued = broadcasts.confirm(db, taxonomy, draft.id, "fault")
            while twilio.count() < queued // 3 and worker.process is not None and worker.process.poll() is None:
                time.sleep(0.01)
            worker.signal(signal.SIGKILL)
            worker.wait()
            killed_after = twilio.count()
            worker.start()
            worker.wait_ready()
            wait_settled(url, twilio, timeout=max(300.0, makers / 50))
        finally:
            worker.stop()
        seconds = time.monotonic() - started
        counts = collections.Counter(send["to"] for send in twilio.sent())  # only the alert goes by SMS here
    with db.read() as session:
        m = OutboundMessage
        unsettled = session.execute(
            sa.select(sa.func.count()).where(m.status != "sent", m.purpose == "alert")
        ).scalar_one()
    db.dispose()
    return BroadcastKill(
        database=db.engine.dialect.name,
        makers=makers,
        queued=queued,
        killed_after=killed_after,
        sent_once=sum(1 for n in counts.values() if n == 1),
        sent_twice_or_more=sum(1 for n in counts.values() if n > 1),
        never_sent=queued - len(counts),
        unsettled_rows=unsettled,
        seconds=round(seconds, 1),
    )


def broadcast_rows(makers: int = 50_000) -> list[tuple[str, str, str, bool | None]]:
    """For `make bench-scale`: the kill mid-broadcast, on PostgreSQL when there is one, else on SQLite."""
    from tests.conftest import fresh_postgres_schema

    with tempfile.TemporaryDirectory() as tmp:
        if os.environ.get("MAKERLINK_TEST_POSTGRES_URL"):
            with fresh_postgres_schema() as url:
                report = kill_mid_broadcast(url, Path(tmp), makers)
        else:
            report = kill_mid_broadcast(f"sqlite:///{tmp}/broadcast.db", Path(tmp), makers)
    return [
        (
            f"worker SIGKILLed mid-broadcast to {report.queued:,} makers, then restarted ({report.database})",
            f"killed after {report.killed_after:,} sends; sent once {report.sent_once:,}, twice "
            f"{report.sent_twice_or_more}, never {report.never_sent}, rows left unsent {report.unsettled_rows}; "
            f"{report.seconds:g} s",
            "each exactly once, nothing lost",
            report.exactly_once,
        )
    ]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.conftest import fresh_postgres_schema

    if "--broadcast" in sys.argv:
        makers = int(sys.argv[sys.argv.index("--broadcast") + 1])
        for row in broadcast_rows(makers):
            print(" | ".join(str(cell) for cell in row))
        return
    results = []
    for lookup in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(("sqlite", kill_and_restart(f"sqlite:///{tmp}/kill.db", Path(tmp), lookup=lookup)))
    if os.environ.get("MAKERLINK_TEST_POSTGRES_URL"):
        scenarios = (
            lambda url, tmp: kill_and_restart(url, tmp),
            lambda url, tmp: kill_and_restart(url, tmp, lookup=True),
            parallel_workers,
        )
        for scenario in scenarios:
            with tempfile.TemporaryDirectory() as tmp, fresh_postgres_schema() as url:
                results.append(("postgresql", scenario(url, Path(tmp))))
    for database, report in results:
        print(json.dumps({"database": database, **asdict(report)}))


if __name__ == "__main__":
    main()
