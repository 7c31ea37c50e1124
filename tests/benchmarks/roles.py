"""Real makerlink processes for the load and fault scripts, and the checks that every message counted once.

The fake Twilio API (tests/fakes/twilio_api.py), `makerlink serve`, `web` and `worker` run as subprocesses on
127.0.0.1; Twilio-signed SMS posts are driven at them with httpx; afterwards the database and the fake's log
are compared: each MessageSid recorded once, each outbound row sent once.
"""

from __future__ import annotations

import asyncio
import collections
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot import __version__, texts  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.models import InboundMessage, OutboundMessage  # noqa: E402
from bot.services import makers as maker_service  # noqa: E402
from bot.services import requests as request_service  # noqa: E402
from matching.taxonomy import load_taxonomy  # noqa: E402
from tests.conftest import demo_csv  # noqa: E402
from tests.fakes.twilio_api import read_log  # noqa: E402
from tests.fixtures.twilio import inbound_sms  # noqa: E402
from tests.integration.peers import free_port  # noqa: E402

ACCOUNT_SID = "AC" + "7b" * 16
AUTH_TOKEN = "load-test-auth-token-5c0ffee5"
OUR_NUMBER = "+13135559100"
PUBLIC_URL = "https://makerlink.example.org"  # what Twilio signs; the proxy in front of the web processes
SMS_PATH = "/twilio/sms"
UNSETTLED = ("queued", "sending", "errored")


# ── processes ──


@dataclass
class FakeTwilio:
    url: str
    log: Path
    pid: int = 0  # its process, for its CPU time (`cpu_seconds`)

    def sent(self) -> list[dict]:
        return read_log(self.log)

    def count(self) -> int:
        try:
            return self.log.read_bytes().count(b"\n")
        except FileNotFoundError:
            return 0


def _wait_http(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{url} did not come up (exit {process.poll()}); its log ends:\n{tail}")
        time.sleep(0.1)


@contextmanager
def fake_twilio(workdir: Path, latency_ms: float = 0.0) -> Iterator[FakeTwilio]:
    """The fake Twilio API in its own process; `latency_ms`: how long it takes over each message, as a provider's
    round trip does (0: it answers at once, so the machine's CPU is all that limits a drain)."""
    port = free_port()
    log, out = workdir / "twilio_sent.jsonl", workdir / "twilio_api.log"
    with out.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.twilio_api", str(port), str(log), str(latency_ms)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz", process, out, 30)
        yield FakeTwilio(f"http://127.0.0.1:{port}", log, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def role_env(database_url: str, twilio: FakeTwilio, **settings: str) -> dict[str, str]:
    """The environment of every makerlink process of one deployment (no MAKERLINK_ variable leaks in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKERLINK_")}
    env.update(
        {
            "MAKERLINK_DATABASE_URL": database_url,
            "MAKERLINK_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "MAKERLINK_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "MAKERLINK_TWILIO_FROM_NUMBER": OUR_NUMBER,
            "MAKERLINK_TWILIO_API_URL": twilio.url,
            "MAKERLINK_PUBLIC_URL": PUBLIC_URL,
            "MAKERLINK_QUIET_HOURS": "",  # the scripts may run at night in Detroit
            "MAKERLINK_SMS_PER_SECOND": "1000",  # the highest the setting allows
        }
    )
    env.update({f"MAKERLINK_{name.upper()}": value for name, value in settings.items()})
    return env


class Role:
    """One `makerlink serve|web|worker` process, restartable on the same port."""

    def __init__(self, kind: str, env: dict[str, str], workdir: Path, name: str | None = None) -> None:
        self.kind = kind
        self.env = env
        self.workdir = workdir
        self.name = name or kind
        self.port = free_port() if kind != "worker" else None
        self.log = workdir / f"{self.name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Role:
        command = [sys.executable, "-m", "bot", self.kind]
        if self.port:
            command += ["--port", str(self.port)]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command, cwd=self.workdir, env=self.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        assert self.process is not None
        if self.port:
            _wait_http(f"{self.url}/healthz", self.process, self.log, timeout)
            return
        deadline = time.monotonic() + timeout
        banner = texts.WORKER_BANNER.split(";")[0].format(version=__version__).encode()
        while banner not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.05)

    def signal(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)

    def wait(self, timeout: float = 60) -> int | None:
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def stop(self) -> int | None:
        self.signal(signal.SIGTERM)
        return self.wait()


@contextmanager
def running(roles: Sequence[Role]) -> Iterator[Sequence[Role]]:
    try:
        for role in roles:
            role.start()
        for role in roles:
            role.wait_ready()
        yield roles
    finally:
        for role in roles:
            role.signal(signal.SIGTERM)
        for role in roles:
            role.wait(30)


# ── the directory and the traffic ──


def prepare_database(url: str, requests: int = 6) -> dict[str, list[str]]:
    """Schema, the demo directory, and a few open requests; returns each invited maker's request codes."""
    db = Database(url)
    db.upgrade()
    taxonomy = load_taxonomy()
    maker_service.import_makers(db, demo_csv(), "demo", taxonomy)
    texts = [
        "need 500 face shields by Friday near 48201",
        "2000 isolation gowns near 48207 asap",
        "hand sanitizer 200 gallons near 48216",
        "300 cloth masks near 48208 by next week",
        "need 1000 N95 masks near 48201",
        "50 intubation boxes near 48202",
    ]
    jobs: dict[str, list[str]] = collections.defaultdict(list)
    for text in texts[:requests]:
        opened = request_service.open_request(db, taxonomy, text, radius_miles=50, max_invites=5)
        for _invitation, maker in opened.invited:
            jobs[maker.phone].append(opened.request.code)
    for view in maker_service.list_makers(db):
        jobs.setdefault(view.maker.phone, [])
    db.dispose()
    return dict(jobs)


@dataclass(frozen=True)
class Post:
    sid: str
    phone: str
    body: str


_MAKER_TEXTS = (
    "HELP",
    "my jobs",
    "CAPS",
    "caps add laser cutting",
    "ALERTS OFF",
    "alerts on",
    "pause 3 days",
    "back",
    "Thanks, got it!",
    "Is this still open?",
    "yes",
    "Sorry, who is this?",
    "jobs",
    "info",
)
_JOB_TEXTS = (
    "yes {code} 500 at $2.10 each, ready in 5 days",
    "{code} yes 300 @ 1.25 in 7 days",
    "no {code} we are booked this month",
    "YES {code}",
)
_STRANGER_TEXTS = (
    "Hi, who is this?",
    "Do you make masks?",
    "wrong number",
    "I need 200 gowns near 48201",
    "hello",
    "What is makerlink?",
)
_SHOPS = ("Eastside Sew Co", "Corktown Print Lab", "Midtown Makers", "Rouge River Woodshop", "Dequindre Plastics")
_CAPS = ("face shields; 3D printing", "gowns; masks; sewing", "laser cutting; acrylic", "hand sanitizer")
_ZIPS = ("48201", "48207", "48226", "48216", "48208")


def conversations(jobs: dict[str, list[str]], total: int, seed: int = 7) -> list[list[Post]]:
    """`total` SMS from the directory's makers (60%) and unknown numbers (40%), one list per phone, in order.

    Makers answer their jobs and use their commands; strangers ask what this is, or JOIN and sign up in four
    texts. No phone gets the same reply anywhere near the loop guard's 20 in 5 minutes."""
    rng = random.Random(seed)

    def sid() -> str:
        return "SM" + f"{rng.getrandbits(128):032x}"

    by_phone: dict[str, list[Post]] = {}
    makers = sorted(jobs)
    maker_posts = round(total * 0.6)
    for index, phone in enumerate(makers):
        share = maker_posts // len(makers) + (1 if index < maker_posts % len(makers) else 0)
        pool = [t.format(code=code) for code in jobs[phone] for t in _JOB_TEXTS] + list(_MAKER_TEXTS)
        rng.shuffle(pool)
        if share:
            by_phone[phone] = [Post(sid(), phone, pool[n % len(pool)]) for n in range(share)]
    rest = total - maker_posts
    n = 0
    while rest > 0:
        phone = f"+1947555{n:04d}"  # an area code no demo maker has
        assert phone not in jobs
        if rest >= 4 and n % 2 == 0:
            texts = ["JOIN", rng.choice(_SHOPS), rng.choice(_ZIPS), rng.choice(_CAPS)]
        else:
            texts = [rng.choice(_STRANGER_TEXTS)]
        by_phone[phone] = [Post(sid(), phone, text) for text in texts]
        rest -= len(texts)
        n += 1
    return list(by_phone.values())


# ── posting ──


def _limits(concurrency: int) -> httpx.Limits:
    # Idle connections are dropped well before uvicorn's 5 s keep-alive timeout: otherwise a post sent as the
    # server closes the connection fails unread (a client-side race, not a lost message).
    return httpx.Limits(
        max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2, keepalive_expiry=1.0
    )


@dataclass
class Attempt:
    sid: str
    status: int | None  # None: no answer (connection refused or reset)
    seconds: float
    retry: bool  # a deliberate duplicate delivery of a post already answered


@dataclass
class Traffic:
    attempts: list[Attempt] = field(default_factory=list)
    answered: dict[str, float] = field(default_factory=dict)  # sid → epoch seconds of its first 2xx
    tried: dict[str, float] = field(default_factory=dict)  # sid → epoch seconds its first post left the client
    posts: dict[str, Post] = field(default_factory=dict)
    started: float = 0.0
    finished: float = 0.0

    @property
    def unanswered(self) -> list[str]:
        return [sid for sid in self.posts if sid not in self.answered]


def signed_post(post: Post) -> tuple[bytes, dict[str, str]]:
    form = inbound_sms(post.body, sender=post.phone, sid=post.sid, To=OUR_NUMBER, AccountSid=ACCOUNT_SID)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + SMS_PATH, form)
    return urlencode(form).encode(), {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
        "I-Twilio-Idempotency-Token": post.sid,
    }


async def drive(
    targets: Sequence[str],
    convs: list[list[Post]],
    *,
    concurrency: int = 50,
    retry_share: float = 0.05,
    retry_failures: bool = False,
    give_up_after: float = 120.0,
    seed: int = 11,
    on_progress=None,
) -> Traffic:
    """Post every conversation's texts in order, `concurrency` requests in flight, alternating between `targets`.

    A share of answered posts is delivered again with the same MessageSid, as Twilio does when it did not see
    the answer. With retry_failures, a post that got no 2xx is retried with its MessageSid until it gets one
    (Twilio's retry of a failed webhook), for at most give_up_after seconds."""
    rng = random.Random(seed)
    traffic = Traffic(posts={p.sid: p for conv in convs for p in conv})
    gate = asyncio.Semaphore(concurrency)
    turn = 0
    limits = _limits(concurrency)

    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def once(post: Post, retry: bool) -> int | None:
            nonlocal turn
            target = targets[turn % len(targets)]
            turn += 1
            content, headers = signed_post(post)
            async with gate:
                traffic.tried.setdefault(post.sid, time.time())
                started = time.perf_counter()
                try:
                    response = await client.post(target + SMS_PATH, content=content, headers=headers)
                    status: int | None = response.status_code
                except httpx.TransportError:
                    status = None
                seconds = time.perf_counter() - started
            traffic.attempts.append(Attempt(post.sid, status, seconds, retry))
            if status is not None and 200 <= status < 300:
                traffic.answered.setdefault(post.sid, time.time())
                if on_progress is not None:
                    on_progress(len(traffic.answered))
            return status

        async def deliver(post: Post) -> None:
            deadline = time.monotonic() + give_up_after
            pause = 0.25
            status = await once(post, retry=False)
            while retry_failures and not (status and 200 <= status < 300) and time.monotonic() < deadline:
                await asyncio.sleep(pause)
                pause = min(2.0, pause * 2)
                status = await once(post, retry=True)
            if status and 200 <= status < 300 and rng.random() < retry_share:
                await once(post, retry=True)

        async def talk(conv: list[Post]) -> None:
            for post in conv:
                await deliver(post)

        traffic.started = time.time()
        await asyncio.gather(*(talk(conv) for conv in convs))
        traffic.finished = time.time()
    return traffic


async def hammer(targets: Sequence[str], path: str, total: int, concurrency: int) -> list[float]:
    """The baseline: `total` GETs of `path` at the same concurrency; returns each latency."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    limits = _limits(concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(i: int) -> None:
            async with gate:
                started = time.perf_counter()
                response = await client.get(targets[i % len(targets)] + path)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()

        await asyncio.gather(*(one(i) for i in range(total)))
    return latencies


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (Linux); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14 and 15


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values[:8]) - idle) / tick, sum(values[:8]) / tick


def quantiles(values: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / max in milliseconds."""
    if not values:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(values)
    cut = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {
        "p50_ms": round(cut[49] * 1000, 1),
        "p95_ms": round(cut[94] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


# ── checking ──


def wait_settled(url: str, twilio: FakeTwilio, timeout: float = 120) -> bool:
    """Until no message is waiting or being sent, and the fake has heard of every sent one."""
    db = Database(url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with db.read() as session:
                m = OutboundMessage
                waiting = session.execute(sa.select(sa.func.count()).where(m.status.in_(UNSETTLED))).scalar_one()
                sent = session.execute(sa.select(sa.func.count()).where(m.status == "sent")).scalar_one()
            if not waiting and twilio.count() >= sent:
                return True
            time.sleep(0.2)
        return False
    finally:
        db.dispose()


@dataclass
class Account:
    """What was posted against what was recorded; what the outbox holds against what Twilio was asked to send."""

    posts: int  # distinct MessageSids posted
    answered: int  # of those, answered 2xx at least once
    requests: int  # HTTP posts made, retries included
    retries: int  # posts delivered again with the same MessageSid
    recorded: int  # inbound rows for the posted MessageSids
    lost: int  # answered 2xx but not recorded
    unanswered: int  # never answered 2xx (only under faults)
    failed_requests: dict[str, int]  # requests not answered 2xx, by status ("none": refused or reset)
    inbound_duplicates: int  # MessageSids recorded more than once
    posts_without_reply: int  # answered posts that queued no reply
    outbound: int  # rows in the outbox
    outbound_by_status: dict[str, int]
    twilio_sends: int  # messages the fake Twilio was asked to send
    sent_once: int  # outbox rows sent exactly once
    sent_twice_or_more: int  # extra sends of outbox rows (a send whose outcome a killed process never recorded)
    never_sent: int  # outbox rows the fake never got
    stray_sends: int  # sends the fake got that match no outbox row
    reply_latency: dict[str, float]  # a post left the client → its first reply reached Twilio

    @property
    def exactly_once(self) -> bool:
        faults = (self.lost, self.inbound_duplicates, self.sent_twice_or_more, self.never_sent, self.stray_sends)
        return not any(faults)


def account(url: str, twilio: FakeTwilio, traffic: Traffic) -> Account:
    db = Database(url)
    with db.read() as session:
        inbound = collections.Counter(
            session.execute(sa.select(InboundMessage.provider_id).where(InboundMessage.channel == "sms")).scalars()
        )
        m = OutboundMessage
        rows = session.execute(sa.select(m.idempotency_key, m.address, m.text, m.status, m.provider_id)).all()
    db.dispose()
    sends = twilio.sent()
    by_sid = {s["sid"]: s for s in sends}
    # Each send has its own SID and a row keeps the SID of the send it recorded: a send whose SID no row kept
    # is a second send of a row (same recipient and text) or a stray one; a row whose SID Twilio never issued
    # was never sent.
    keys = {(r.address, r.text) for r in rows}
    kept = {r.provider_id for r in rows if r.provider_id}
    orphans = [s for s in sends if s["sid"] not in kept]
    twice = sum(1 for s in orphans if (s["to"], s["body"]) in keys)
    never = sum(1 for r in rows if r.provider_id not in by_sid)
    replied: dict[str, float] = {}
    for row in rows:
        if row.idempotency_key.startswith("sms-reply:") or row.idempotency_key.startswith("sms-error:"):
            post_sid = row.idempotency_key.split(":")[1]
            send = by_sid.get(row.provider_id or "")
            if send is not None and post_sid in traffic.answered:
                replied[post_sid] = min(replied.get(post_sid, float("inf")), send["t"])
            else:
                replied.setdefault(post_sid, float("inf"))
    delays = [at - traffic.tried[sid] for sid, at in replied.items() if at != float("inf")]
    answered = set(traffic.answered)
    return Account(
        posts=len(traffic.posts),
        answered=len(answered),
        requests=len(traffic.attempts),
        retries=sum(1 for a in traffic.attempts if a.retry),
        recorded=sum(1 for sid in traffic.posts if inbound[sid]),
        lost=sum(1 for sid in answered if not inbound[sid]),
        unanswered=len(traffic.unanswered),
        failed_requests=dict(
            collections.Counter(str(a.status or "none") for a in traffic.attempts if not (a.status and a.status < 300))
        ),
        inbound_duplicates=sum(1 for sid in traffic.posts if inbound[sid] > 1),
        posts_without_reply=sum(1 for sid in answered if sid not in replied),
        outbound=len(rows),
        outbound_by_status=dict(collections.Counter(r.status for r in rows)),
        twilio_sends=len(sends),
        sent_once=len(rows) - never - twice,
        sent_twice_or_more=twice,
        never_sent=never,
        stray_sends=len(orphans) - twice,
        reply_latency=quantiles(delays),
    )
