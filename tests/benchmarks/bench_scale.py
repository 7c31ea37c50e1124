"""A national directory that changes all day, in one table (issue 18): `make bench-scale`.

    python tests/benchmarks/bench_scale.py                  # 100,000 makers × 5 phrases
    python tests/benchmarks/bench_scale.py --makers 20000   # quicker
    python tests/benchmarks/bench_scale.py --json           # the rows as JSON

The directory: `--makers` makers of five phrases each in general wording (bench_match.build_phrases: the official
NAICS index phrases interleaved with the demo directory's, with maker-style qualifiers such as "custom …"), at ZIP
codes drawn from the whole United States, written as a maker CSV. Everything is measured on real `makerlink`
processes, each figure beside its baseline from the same run:

- import: `makerlink makers import` of the CSV into an empty database (new makers), then of the same file with two
  columns changed on every row (minimum order and lead time: every maker updated), on SQLite and on PostgreSQL
  (MAKERLINK_TEST_POSTGRES_URL, else the machine's postgresql://postgres@127.0.0.1:5432/test, in a schema of its
  own, dropped afterwards). Baseline: the same process importing nothing (its start: Python, modules, ZIP table);
- the first answer of a fresh `makerlink match -` over the SQLite directory: with no saved directory (it builds one
  from the database and saves it) and with one (MAKERLINK_CACHE_DIR). Baseline: a fresh process answering over an
  empty directory;
- a maker's change visible to another process: a `makerlink match -` keeps running while this process pauses the
  maker at the top of its answer, then resumes them; the time from the commit to the first answer of the running
  process that shows the change (it must be that very next answer);
- match p95 end to end: the 595 requests of bench_match (general and PPE) written to that running process one at a
  time, each timed from write to answer. Baseline: the matcher alone in this process over the same requests;
- peak resident memory (VmHWM) of that process, which holds the whole directory.

The other parts of issue 18 add their rows, each script's `rows()` with its baseline from the same run (PostgreSQL
as above; its rows say "skipped" without one):

- the outbox's bookkeeping against a bare queue, SQLite and PostgreSQL (bench_outbox.py);
- two `makerlink worker` processes against one through the fake Twilio, with where the CPU went (load_workers.py);
- bursts of signed webhooks: post p95 against /healthz p95, `serve` on SQLite and `web` + `worker` on PostgreSQL
  (load_inbound.py);
- a broadcast to 50,000 makers: preview, queueing, sending at the provider's rate (bench_broadcast.py);
- the fault test at size: a worker SIGKILLed mid-broadcast to as many makers, then restarted: every maker gets the
  alert exactly once (outbox_faults.py).

    python tests/benchmarks/bench_scale.py --quick           # every row, small sizes: a check that all runs
    python tests/benchmarks/bench_scale.py --parts outbox,workers   # only some parts
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_match import build_phrases, requests  # noqa: E402

POSTGRES_ENV = "MAKERLINK_TEST_POSTGRES_URL"
MACHINE_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PAUSE_ROUNDS = 5


@dataclass(frozen=True)
class Row:
    """One line of the table: what, the figure, the target (empty: a baseline or a note) and whether it is met."""

    name: str
    value: str
    target: str = ""
    ok: bool | None = None


@dataclass
class Setup:
    makers: int
    folder: Path
    csv_new: Path
    csv_changed: Path
    sqlite_url: str
    sizes: Sizes


@dataclass(frozen=True)
class Sizes:
    """How big the other parts' runs are: full (the issue's figures) or quick (a check that everything runs)."""

    outbox_messages: int = 5000
    outbox_repeats: int = 3
    worker_messages: int = 10_000
    webhook_posts: int = 2000
    broadcast_makers: int = 50_000
    broadcast_send_seconds: float = 20.0


QUICK = Sizes(
    outbox_messages=2000, worker_messages=2000, webhook_posts=300, broadcast_makers=5000, broadcast_send_seconds=3.0
)


# ── the directory ──


def write_directories(makers: int, folder: Path) -> tuple[Path, Path]:
    """The maker CSV, and the same with the minimum order and the lead time changed on every row."""
    from matching import geo

    phrases = build_phrases(makers * 5)
    zips = sorted(geo._places())
    rng = random.Random(18)
    rows = [
        [
            f"Maker {n + 1}",
            f"({201 + n // 10_000}) 555-{n % 10_000:04d}",
            rng.choice(zips),
            "; ".join(phrases[n * 5 : n * 5 + 5]),
            rng.choice(["", "10", "100"]),
            rng.choice(["", "3", "14"]),
        ]
        for n in range(makers)
    ]
    paths = folder / "makers.csv", folder / "makers-changed.csv"
    header = ["name", "phone", "zip", "capabilities", "min_order", "lead_time_days"]
    for path, changed in zip(paths, (False, True), strict=True):
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow([*row[:4], "25", "7"] if changed else row)
    return paths


# ── running makerlink ──


def _env(url: str, cache: Path) -> dict[str, str]:
    return {**os.environ, "MAKERLINK_DATABASE_URL": url, "MAKERLINK_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}


def _makerlink(*args: str, url: str, cache: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args], env=_env(url, cache), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"makerlink {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return elapsed, done.stdout


def _import(path: Path, url: str, expect: str, makers: int) -> float:
    elapsed, out = _makerlink("makers", "import", str(path), "--json", url=url, cache=path.parent / "cache")
    report = json.loads(out)
    assert report[expect] == makers and not report["skipped"], report
    return elapsed


def import_rows(setup: Setup, database: str, url: str) -> list[Row]:
    n = setup.makers
    empty = setup.folder / "empty.csv"
    empty.write_text("name,phone,zip,capabilities\n", encoding="utf-8")
    start, _ = _makerlink("makers", "import", str(empty), url=url, cache=setup.folder / "cache")
    new = _import(setup.csv_new, url, "created", n)
    changed = _import(setup.csv_changed, url, "updated", n)
    target = "≥ 5,000 makers/s" + (f" (≤ {n / 5000:,.0f} s)" if n >= 50_000 else "")
    return [
        Row(f"import {n:,} new makers, {database}", f"{new:.1f} s ({n / new:,.0f} makers/s)", target, n / new >= 5000),
        Row(
            f"re-import changing 2 columns of every maker, {database}",
            f"{changed:.1f} s ({n / changed:,.0f} makers/s)",
            target,
            n / changed >= 5000,
        ),
        Row(f"  baseline: the import command on a file of no makers (its start), {database}", f"{start:.1f} s"),
    ]


@contextmanager
def postgres_schema() -> Iterator[str | None]:
    """A URL whose tables land in a fresh schema of the test PostgreSQL, dropped afterwards; None without one."""
    base = os.environ.get(POSTGRES_ENV) or MACHINE_POSTGRES
    from bot.db import normalize_url

    admin = sa.create_engine(normalize_url(base))
    schema = f"mk_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except sa.exc.OperationalError:
        admin.dispose()
        yield None
        return
    try:
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def measure_import(setup: Setup) -> list[Row]:
    rows = import_rows(setup, "SQLite", setup.sqlite_url)
    with postgres_schema() as url:
        if url is None:
            return [*rows, Row("import on PostgreSQL", "skipped: no PostgreSQL reachable")]
        _makerlink("db", "upgrade", url=url, cache=setup.folder / "cache")
        rows += import_rows(setup, "PostgreSQL", url)
    return rows


# ── a running matcher ──


class Matching:
    """A `makerlink match -` process, asked one request at a time."""

    def __init__(self, url: str, cache: Path) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "match", "-", "--zip", "48201"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # "the directory is empty", for the baseline
            env=_env(url, cache),
            text=True,
        )

    def ask(self, request: str) -> tuple[float, dict]:
        assert self.process.stdin is not None and self.process.stdout is not None
        started = time.perf_counter()
        self.process.stdin.write(request.replace("\n", " ") + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        return time.perf_counter() - started, json.loads(answer)

    def peak_memory_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _first_answer(url: str, cache: Path) -> float:
    matching = Matching(url, cache)
    try:
        matching.ask("bread, 40 loaves")
        return time.perf_counter() - matching.started
    finally:
        matching.close()


def measure_start(setup: Setup) -> list[Row]:
    cache = setup.folder / "cache"
    empty = f"sqlite:///{setup.folder}/empty.db"
    baseline = _first_answer(empty, setup.folder / "empty-cache")
    building = _first_answer(setup.sqlite_url, cache)
    saved = _first_answer(setup.sqlite_url, cache)
    return [
        Row("first answer of a fresh `makerlink match -`, saved directory", f"{saved:.2f} s", "≤ 5 s", saved <= 5),
        Row(
            "  the same with no saved directory yet (builds it from the database, saves it)",
            f"{building:.2f} s ({setup.makers * 5 / (building - baseline):,.0f} phrases/s beyond the baseline)",
        ),
        Row("  baseline: a fresh process answering over an empty directory", f"{baseline:.2f} s"),
    ]


def _pause(url: str, name: str, paused: bool) -> float:
    """Pause or resume a maker as `makerlink` does (an ORM change, committed); the time of the commit."""
    from sqlmodel import select

    from bot.db import Database
    from bot.models import Maker, MakerStatus

    db = Database(url)
    try:
        with db.transaction() as session:
            maker = session.exec(select(Maker).where(Maker.name == name)).one()
            maker.status = MakerStatus.PAUSED.value if paused else MakerStatus.ACTIVE.value
        return time.perf_counter()
    finally:
        db.dispose()


def measure_running(setup: Setup) -> list[Row]:
    every = [text for kind in requests().values() for text, _ in kind]
    matching = Matching(setup.sqlite_url, setup.folder / "cache")
    try:
        for text in every[:10]:
            matching.ask(text)
        end_to_end = [matching.ask(text)[0] * 1000 for text in every]
        visible = []
        request = next(text for text in every if matching.ask(text)[1]["matches"])  # one someone nearby makes
        for _ in range(PAUSE_ROUNDS):
            top = matching.ask(request)[1]["matches"][0]["name"]
            for paused in (True, False):
                committed = _pause(setup.sqlite_url, top, paused)
                _, answer = matching.ask(request)
                visible.append(time.perf_counter() - committed)
                names = [m["name"] for m in answer["matches"]]
                assert (top not in names) if paused else (top in names), (top, paused, names)
        memory = matching.peak_memory_mb()
    finally:
        matching.close()
    alone = _matcher_alone(setup, every)
    p95 = _percentile(end_to_end, 0.95)
    worst = max(visible)
    return [
        Row(
            f"a maker's change (pause, resume) in another process's next match, worst of {len(visible)}",
            f"{worst * 1000:.0f} ms (median {statistics.median(visible) * 1000:.0f} ms)",
            "≤ 1 s",
            worst <= 1.0,
        ),
        Row(f"match p95 end to end, {len(every)} requests one at a time", f"{p95:.1f} ms", "≤ 15 ms", p95 <= 15),
        Row("  baseline: the matcher alone in one process, p95", f"{_percentile(alone, 0.95):.1f} ms"),
        Row("peak resident memory of that process", f"{memory:.0f} MB", "≤ 600 MB", memory <= 600),
    ]


def _matcher_alone(setup: Setup, every: list[str]) -> list[float]:
    from bot.db import Database
    from bot.services.makers import DirectoryCache
    from matching.matcher import Matcher

    db = Database(setup.sqlite_url)
    try:
        matcher = Matcher(DirectoryCache(db, snapshots=setup.folder / "cache").get())
    finally:
        db.dispose()
    for text in every[:10]:
        matcher.match(text, zip="48201")
    timed = []
    for text in every:
        started = time.perf_counter()
        matcher.match(text, zip="48201")
        timed.append((time.perf_counter() - started) * 1000)
    return timed


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ── the outbox, the workers, bursts, broadcasts ──


def measure_outbox(setup: Setup) -> list[Row]:
    from tests.benchmarks import bench_outbox

    return [Row(*row) for row in bench_outbox.rows(setup.sizes.outbox_messages, setup.sizes.outbox_repeats)]


def measure_workers(setup: Setup) -> list[Row]:
    from tests.benchmarks import load_workers

    return [Row(*row) for row in load_workers.rows(setup.sizes.worker_messages)]


def measure_bursts(setup: Setup) -> list[Row]:
    from tests.benchmarks import load_inbound

    return [Row(*row) for row in load_inbound.rows(setup.sizes.webhook_posts)]


def measure_broadcast(setup: Setup) -> list[Row]:
    from tests.benchmarks import bench_broadcast

    sizes = setup.sizes
    return [Row(*row) for row in bench_broadcast.rows(sizes.broadcast_makers, seconds=sizes.broadcast_send_seconds)]


def measure_faults(setup: Setup) -> list[Row]:
    from tests.benchmarks import outbox_faults

    return [Row(*row) for row in outbox_faults.broadcast_rows(setup.sizes.broadcast_makers)]


@contextmanager
def postgres_for_the_scripts() -> Iterator[None]:
    """The other scripts find PostgreSQL through MAKERLINK_TEST_POSTGRES_URL: the machine's when it is not set and
    that one is reachable."""
    if os.environ.get(POSTGRES_ENV):
        yield
        return
    with postgres_schema() as url:
        reachable = url is not None
    if reachable:
        os.environ[POSTGRES_ENV] = MACHINE_POSTGRES
    try:
        yield
    finally:
        if reachable:
            del os.environ[POSTGRES_ENV]


# ── the table ──

PARTS: dict[str, list[Callable[[Setup], list[Row]]]] = {
    "directory": [measure_import, measure_start, measure_running],
    "outbox": [measure_outbox],
    "workers": [measure_workers],
    "bursts": [measure_bursts],
    "broadcast": [measure_broadcast],
    "faults": [measure_faults],
}


def load_row(when: str) -> Row:
    one, five, _ = os.getloadavg()
    return Row(f"machine load average {when} (1 / 5 min, {os.cpu_count()} cores)", f"{one:.1f} / {five:.1f}")


def print_table(rows: list[Row]) -> None:
    print("| measurement | value | target | met |")
    print("|---|---|---|---|")
    for row in rows:
        met = "" if row.ok is None else ("yes" if row.ok else "NO")
        print(f"| {row.name} | {row.value} | {row.target} | {met} |", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--makers", type=int, default=None, help="the directory's size (100,000; --quick: 10,000)")
    parser.add_argument("--quick", action="store_true", help="small sizes everywhere: a check that every row runs")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"which, comma-separated (default: {','.join(PARTS)})")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    if unknown := [part for part in parts if part not in PARTS]:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    makers = args.makers or (10_000 if args.quick else 100_000)
    rows = [load_row("at the start")]
    with tempfile.TemporaryDirectory(prefix="makerlink-bench-scale-") as tmp, postgres_for_the_scripts():
        folder = Path(tmp)
        csv_new, csv_changed = write_directories(makers, folder) if "directory" in parts else (folder, folder)
        sizes = QUICK if args.quick else Sizes()
        setup = Setup(makers, folder, csv_new, csv_changed, f"sqlite:///{folder}/scale.db", sizes)
        for part in parts:
            for measure in PARTS[part]:
                rows += measure(setup)
    rows.append(load_row("at the end"))
    if args.json:
        print(json.dumps([asdict(row) for row in rows], ensure_ascii=False))
    else:
        print_table(rows)
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
