"""The `makerlink` command: run the bot, manage the database and the maker directory, try the matcher."""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated

import alembic.util
import sqlalchemy.exc
import typer

from bot import __version__, bootstrap, logs, outbox, texts
from bot.config import ConfigError, Settings, load_settings
from bot.db import SchemaOutOfDate, safe_url
from bot.models import MESSAGE_STATUSES
from bot.services import broadcasts as broadcast_service
from bot.services import makers as maker_service
from bot.services import reminders
from bot.services import requests as request_service
from bot.services import stats as stats_service
from matching.matcher import Matcher, MatchResult

app = typer.Typer(
    help="makerlink: a Telegram and SMS bot that connects buyers with local makers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
makers_app = typer.Typer(help="The maker directory.", no_args_is_help=True)
requests_app = typer.Typer(help="Buyers' requests and the makers invited to them.", no_args_is_help=True)
messages_app = typer.Typer(help="The outbox: every message makerlink sends.", no_args_is_help=True)
LOOPBACK = ("127.0.0.1", "localhost", "::1")  # the sandbox has no login: this machine only
app.add_typer(db_app, name="db")
app.add_typer(makers_app, name="makers")
app.add_typer(requests_app, name="requests")
app.add_typer(messages_app, name="messages")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _runtime(ensure_schema: bool = True, *, sandbox: bool = False, live: bool = False) -> bootstrap.Runtime:
    """`sandbox`: with no accounts configured, the sandbox's own database (see Settings.for_sandbox).
    `live`: a role that talks to real people, which refuses the sandbox's database (fictional makers)."""
    from bot.channels.sandbox import is_sandbox_database

    try:
        settings = load_settings()
        if sandbox and settings.is_sandbox:
            settings = settings.for_sandbox()
        runtime = bootstrap.start(settings, ensure_schema=ensure_schema)
        if (live or (sandbox and not settings.is_sandbox)) and is_sandbox_database(runtime.db):
            raise _fail(texts.LIVE_ON_SANDBOX_DATABASE.format(url=safe_url(runtime.db.url)))
        return runtime
    except ConfigError as error:
        raise _fail(texts.CONFIG_ERROR.format(problem=error)) from None
    except SchemaOutOfDate as error:
        raise _fail(str(error)) from None
    except (sqlalchemy.exc.SQLAlchemyError, alembic.util.CommandError) as error:
        raise _fail(texts.DATABASE_ERROR.format(problem=_db_problem(error))) from None


def _db_problem(error: Exception) -> str:
    # Driver messages can carry the connection string; keep only the first line, which names the cause.
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0][:300] if str(original).strip() else type(error).__name__


def _demo_csv() -> tuple[bytes, str]:
    resource = resources.files("bot.data") / "demo_makers.csv"
    return resource.read_bytes(), texts.DEMO_DIRECTORY_NAME


# ── db ──


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest revision."""
    runtime = _runtime(ensure_schema=False)
    try:
        revision = runtime.db.upgrade()
    except (sqlalchemy.exc.SQLAlchemyError, alembic.util.CommandError) as error:
        raise _fail(texts.DATABASE_ERROR.format(problem=_db_problem(error))) from None
    typer.echo(texts.DB_AT_REVISION.format(url=safe_url(runtime.db.url), revision=revision))


# ── makers ──


@makers_app.command("import")
def makers_import(
    file: Annotated[Path | None, typer.Argument(help="CSV with a header: name,phone,zip,capabilities[,…].")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Import the demo directory shipped with makerlink.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import makers from CSV; re-importing updates makers by phone. Exit code 1 if any row was skipped."""
    if demo == (file is not None):
        raise _fail(texts.IMPORT_NEEDS_SOURCE)
    if file is not None:
        if not file.is_file():
            raise _fail(texts.FILE_NOT_FOUND.format(path=file))
        if file.stat().st_size > maker_service.MAX_FILE_BYTES:
            raise _fail(texts.FILE_TOO_BIG.format(path=file, limit_mb=maker_service.MAX_FILE_BYTES // 2**20))
        data, name = file.read_bytes(), str(file)
    else:
        data, name = _demo_csv()
    runtime = _runtime()
    try:
        report = maker_service.import_makers(runtime.db, data, name, runtime.taxonomy)
    except maker_service.ImportFileError as error:
        raise _fail(str(error)) from None
    except sqlalchemy.exc.SQLAlchemyError as error:
        raise _fail(texts.DATABASE_ERROR.format(problem=_db_problem(error))) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        typer.echo(
            texts.IMPORT_DONE.format(
                path=name,
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
            )
        )
        if report.ignored_columns:
            typer.echo(texts.IMPORT_IGNORED_COLUMNS.format(columns=", ".join(report.ignored_columns)))
        if report.skipped:
            typer.echo(texts.IMPORT_SKIPPED.format(count=len({p.line for p in report.skipped})))
            for problem in report.skipped:
                typer.echo(texts.IMPORT_SKIPPED_ROW.format(line=problem.line, reason=problem.reason))
    if report.skipped:
        raise typer.Exit(1)


@makers_app.command("list")
def makers_list(
    status: Annotated[
        str | None, typer.Option("--status", help="Only makers with this status: active, paused, stopped.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array of makers.")] = False,
) -> None:
    """List the makers in the directory."""
    runtime = _runtime()
    views = maker_service.list_makers(runtime.db, status=status)
    if as_json:
        typer.echo(json.dumps([v.as_dict() for v in views], ensure_ascii=False))
        return
    if not views:
        typer.echo(texts.MAKERS_EMPTY)
        return
    typer.echo(texts.MAKERS_HEADER.format(count=len(views)))
    for view in views:
        m = view.maker
        caps = "; ".join(c.phrase for c in view.capabilities)
        typer.echo(f"{m.id:>5}  {m.name[:40]:<40}  {m.phone:<13}  {m.zip}  {m.status:<7}  {caps}")


# ── match ──


def _summary(result: MatchResult) -> str:
    req = result.request
    return texts.request_summary(
        req.item,
        req.quantity,
        req.unit,
        req.deadline.strftime("%a %d %b %Y") if req.deadline else None,
        req.urgency,
        result.place.zip if result.place else req.zip,
        result.radius_miles,
    )


def _print_result(result: MatchResult) -> None:
    typer.echo(texts.MATCH_UNDERSTOOD.format(summary=_summary(result)))
    if not result.request.item:
        typer.echo(texts.MATCH_NO_ITEM)
        return
    if not result.matches:
        where = ""
        if result.place and result.radius_miles:
            where = texts.MATCH_NONE_WHERE.format(radius=result.radius_miles, zip=result.place.zip)
        typer.echo(texts.MATCH_NONE.format(where=where))
        return
    for rank, match in enumerate(result.matches, 1):
        typer.echo(texts.MATCH_LINE.format(rank=rank, name=match.name, score=match.score, why=match.why))


def match_json(result: MatchResult) -> dict:
    """`match --json`: the matcher's result, its request also saying how urgent, the product, by what process
    and in what material (null when the text does not say)."""
    out = result.as_dict()
    req = result.request
    out["request"].update(urgency=req.urgency, product=req.product, process=req.process, material=req.material)
    return out


@app.command("match")
def match(
    text: Annotated[str, typer.Argument(help="The request, e.g. “500 face shields near 48201”; - reads stdin lines.")],
    zip_code: Annotated[str | None, typer.Option("--zip", help="The buyer's ZIP when the text names none.")] = None,
    radius_miles: Annotated[
        float | None,
        typer.Option("--radius-miles", min=0.1, max=3000, help="Search radius (default MAKERLINK_MATCH_RADIUS_MILES)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many makers at most.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output (always JSON lines with -).")] = False,
) -> None:
    """Match a request against the maker directory, best first."""
    runtime = _runtime()
    directory = maker_service.active_directory(runtime.db, runtime.taxonomy)
    matcher = Matcher(directory, radius_miles=radius_miles or runtime.settings.match_radius_miles, limit=limit)
    if len(directory) == 0:
        typer.echo(texts.MATCH_EMPTY_DIRECTORY, err=True)
    today = date.today()
    if text == "-":
        for line in sys.stdin:
            result = matcher.match(line.strip(), zip=zip_code, now=today)
            typer.echo(json.dumps(match_json(result), ensure_ascii=False))
        return
    result = matcher.match(text, zip=zip_code, now=today)
    if as_json:
        typer.echo(json.dumps(match_json(result), ensure_ascii=False))
        return
    wanted_zip = result.request.zip or zip_code
    if wanted_zip and result.place is None:
        typer.echo(texts.MATCH_UNKNOWN_ZIP.format(zip=wanted_zip), err=True)
    _print_result(result)


# ── requests ──


@requests_app.command("invite")
def requests_invite(
    text: Annotated[str, typer.Argument(help="The request, e.g. “500 face shields by Friday near 48201”.")],
    zip_code: Annotated[
        str | None, typer.Option("--zip", help="Where it is needed, when the text names no ZIP.")
    ] = None,
    radius_miles: Annotated[
        float | None,
        typer.Option("--radius-miles", min=0.1, max=3000, help="Search radius (default MAKERLINK_MATCH_RADIUS_MILES)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, max=100, help="Makers to ask (default MAKERLINK_MAX_INVITES).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the request as JSON.")] = False,
) -> None:
    """Open a request on a buyer's behalf and queue SMS invitations to the best makers (sent by `serve`)."""
    runtime = _runtime()
    settings = runtime.settings
    try:
        opened = request_service.open_request(
            runtime.db,
            runtime.taxonomy,
            text,
            zip_code=zip_code,
            radius_miles=radius_miles or settings.match_radius_miles,
            max_invites=limit or settings.max_invites,
            timezone=settings.timezone,
            followups=reminders.FollowUpPolicy.from_settings(settings),
        )
    except request_service.RequestProblem as problem:
        raise _fail(str(problem), 1) from None
    view = request_service.list_requests(runtime.db, code=opened.request.code)[0]
    if as_json:
        typer.echo(json.dumps(view.as_dict(), ensure_ascii=False))
        return
    request = opened.request
    typer.echo(texts.REQUEST_OPENED.format(code=request.code, summary=request_service.summary(request)))
    if not opened.invited:
        typer.echo(texts.REQUEST_NONE_INVITED.format(radius=request.radius_miles))
        return
    typer.echo(texts.REQUEST_INVITED.format(count=len(opened.invited), radius=request.radius_miles))
    for invitation, maker in opened.invited:
        typer.echo(texts.REQUEST_INVITED_LINE.format(rank=invitation.rank, name=maker.name, why=invitation.why))


@requests_app.command("list")
def requests_list(
    status: Annotated[str | None, typer.Option("--status", help="Only requests with this status.")] = None,
    code: Annotated[str | None, typer.Option("--code", help="Only the request with this code.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array of requests.")] = False,
) -> None:
    """Requests, newest first, with every invited maker's answer."""
    runtime = _runtime()
    views = request_service.list_requests(runtime.db, status=status, code=code)
    if as_json:
        typer.echo(json.dumps([v.as_dict() for v in views], ensure_ascii=False))
        return
    if not views:
        typer.echo(texts.REQUEST_NOT_FOUND.format(code=code) if code else texts.REQUESTS_EMPTY)
        return
    for view in views:
        r = view.request
        typer.echo(f"{r.code}  {r.status:<9}  {request_service.summary(r)}")
        for invitation, maker in view.invitations:
            answer = (
                texts.terms(
                    invitation.quantity_offered,
                    invitation.price_cents,
                    invitation.total_cents,
                    invitation.lead_time_days,
                )
                if invitation.status == "quoted"
                else ""
            )
            typer.echo(f"    {invitation.rank}. {maker.name[:40]:<40}  {invitation.status:<9}  {answer}")


# ── messages ──


@messages_app.command("list")
def messages_list(
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only messages with this status: queued, sending, sent, delivered, failed, …"),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000, help="How many, newest first.")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array of messages.")] = False,
) -> None:
    """Messages in the outbox, newest first, with their status and any error."""
    runtime = _runtime()
    if status and status not in MESSAGE_STATUSES:
        raise _fail(texts.MESSAGES_BAD_STATUS.format(status=status, statuses=", ".join(MESSAGE_STATUSES)))
    rows = outbox.list_messages(runtime.db, status=status, limit=limit)
    if as_json:
        typer.echo(json.dumps([outbox.message_dict(row) for row in rows], ensure_ascii=False))
        return
    if not rows:
        typer.echo(texts.MESSAGES_EMPTY.format(where=f" with status {status}" if status else ""))
        return
    for row in rows:
        error = f"  [{row.error_code}: {row.error_reason}]" if row.error_code else ""
        text = " ".join(row.text.split())
        typer.echo(
            f"{row.id:>6}  {row.created_at:%Y-%m-%d %H:%M}  {row.channel:<8} {row.address:<14} {row.status:<9} "
            f"{row.purpose:<11} {text[:60]}{'…' if len(text) > 60 else ''}{error}"
        )


# ── broadcasts and stats ──


@app.command("broadcast")
def broadcast(
    text: Annotated[
        str, typer.Argument(help="The alert, e.g. “Hospitals need isolation gowns this week: who can sew?”")
    ],
    to: Annotated[str, typer.Option("--to", help="makers, buyers or all.")] = "makers",
    capability: Annotated[
        str | None, typer.Option("--capability", help="Only makers who can do this (through the taxonomy).")
    ] = None,
    zip_code: Annotated[str | None, typer.Option("--zip", help="Only people near this ZIP.")] = None,
    radius_miles: Annotated[
        float | None, typer.Option("--radius-miles", min=0.1, max=3000, help="With --zip (default 50).")
    ] = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Makers' statuses to include (default: active).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show who would get it, and send nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Send without asking for confirmation.")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Watch the sending with a progress bar until it is done.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the preview (and report) as JSON.")] = False,
) -> None:
    """Send an alert to many makers and/or buyers: previewed first, then sent through the outbox's bulk lane."""
    runtime = _runtime()
    who = broadcast_service.Audience(
        to=to, capability=capability, zip=zip_code, radius_miles=radius_miles, statuses=tuple(status or ("active",))
    )
    try:
        draft, preview = broadcast_service.create(
            runtime.db, runtime.taxonomy, text, who, "cli", runtime.settings.sms_price_per_segment
        )
    except broadcast_service.BroadcastProblem as problem:
        raise _fail(texts.BROADCAST_PROBLEM.format(problem=problem), 1) from None
    summary = preview.as_dict()
    if as_json:
        typer.echo(json.dumps({"broadcast": draft.id, "preview": summary}, ensure_ascii=False))
    else:
        typer.echo(
            texts.BROADCAST_PREVIEW.format(
                id=draft.id,
                count=summary["recipients"],
                channels=", ".join(f"{n} by {c}" for c, n in summary["by_channel"].items()) or "-",
                excluded=", ".join(f"{n} {why}" for why, n in summary["excluded"].items()) or "none",
                segments=summary["sms_segments"],
                cost=summary["estimated_cost_usd"],
                sample=", ".join(summary["sample"]) or "-",
            )
        )
    if dry_run or not preview.recipients:
        return
    if not yes and not typer.confirm(texts.BROADCAST_CONFIRM.format(count=len(preview.recipients))):
        typer.echo(texts.BROADCAST_NOT_SENT)
        return
    queued = broadcast_service.confirm(runtime.db, runtime.taxonomy, draft.id, "cli")
    if not as_json:
        typer.echo(texts.BROADCAST_QUEUED.format(id=draft.id, count=queued))
    if wait:
        import time

        with typer.progressbar(length=queued, label=texts.BROADCAST_PROGRESS) as bar:
            shown = 0
            while True:
                result = broadcast_service.report(runtime.db, draft.id)
                finished = sum(n for s, n in result.by_status.items() if s not in ("queued", "sending", "errored"))
                bar.update(finished - shown)
                shown = finished
                if result.done:
                    break
                time.sleep(1.0)
    result = broadcast_service.report(runtime.db, draft.id)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    elif wait:
        typer.echo(
            texts.BROADCAST_REPORT.format(
                id=draft.id,
                messages=", ".join(f"{n} {s}" for s, n in sorted(result.by_status.items())),
                failures=", ".join(f"{n} {code}" for code, n in result.failures.items()) or "none",
            )
        )


@app.command("stats")
def stats(as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False) -> None:
    """Makers, requests, answers, messages and broadcasts at a glance."""
    runtime = _runtime()
    figures = stats_service.collect(runtime.db)
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False))
        return
    typer.echo(texts.stats_text(figures))


# ── serve ──


def _configure_logging(settings: Settings | None = None) -> None:
    # One line per event, UTC, request ids; the configured secrets and full phone numbers masked everywhere.
    logs.configure(settings or load_settings())


def _run_http(asgi_app, host: str, port: int) -> None:
    """uvicorn until SIGTERM or Ctrl-C, then its graceful shutdown (requests answered, the app's lifespan closed),
    then exit code 0: uvicorn re-raises the signal once done, which would end the process as killed by it."""
    import signal

    import uvicorn

    def finished(signum, frame) -> None:
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, finished) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        uvicorn.run(asgi_app, host=host, port=port, access_log=False, log_config=None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default MAKERLINK_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Port to listen on (default MAKERLINK_PORT).")
    ] = None,
) -> None:
    """Run the bot with the channels that are configured; with none, the local sandbox in the browser."""
    runtime = _runtime(sandbox=True)
    settings = runtime.settings
    if not settings.is_sandbox:

        _configure_logging(settings)
        server = bootstrap.build_server(runtime)
        typer.echo(
            texts.SERVE_BANNER.format(
                version=__version__, channels=", ".join(server.channels), url=safe_url(runtime.db.url)
            )
        )
        if settings.twilio_configured:
            typer.echo(texts.SERVE_TWILIO.format(public=settings.public_url))
        else:
            typer.echo(texts.SERVE_NO_SMS, err=True)
        if server.telegram_mode:
            typer.echo(
                texts.SERVE_TELEGRAM_WEBHOOK if server.telegram_mode == "webhook" else texts.SERVE_TELEGRAM_POLLING
            )
        _run_http(server.app, host or settings.host, port or settings.port)
        return
    from bot.channels.sandbox import SandboxRefused

    if (host or settings.host) not in LOOPBACK:
        raise _fail(texts.SANDBOX_LOOPBACK_ONLY.format(host=host or settings.host))
    _configure_logging(settings)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a tick every 30 s is noise in a newcomer's terminal
    try:
        server, count = bootstrap.build_sandbox(runtime)
    except SandboxRefused as refused:
        raise _fail(str(refused)) from None
    host, port = host or settings.host, port or settings.port
    typer.echo(
        texts.SANDBOX_BANNER.format(
            version=__version__,
            url=f"http://{host if ':' not in host else f'[{host}]'}:{port}/",
            count=count,
            database=safe_url(runtime.db.url),
        )
    )
    _run_http(server.app, host, port)


@app.command("web")
def web(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default MAKERLINK_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Port to listen on (default MAKERLINK_PORT).")
    ] = None,
) -> None:
    """Run the web role only: the webhooks and /healthz, no dispatcher, no scheduler (scale-out on PostgreSQL)."""
    runtime = _runtime(live=True)
    settings = runtime.settings
    if settings.is_sandbox:
        raise _fail(texts.WEB_NEEDS_CHANNEL)
    if settings.telegram_configured and settings.telegram_polling:
        raise _fail(texts.WEB_NEEDS_WEBHOOK)
    _configure_logging(settings)
    server = bootstrap.build_server(runtime, background_work=False)
    typer.echo(
        texts.WEB_BANNER.format(version=__version__, channels=", ".join(server.channels), url=safe_url(runtime.db.url))
    )
    if runtime.db.is_sqlite:
        typer.echo(texts.WEB_ON_SQLITE, err=True)
    if settings.twilio_configured:
        typer.echo(texts.SERVE_TWILIO.format(public=settings.public_url))
    if server.telegram_mode:
        typer.echo(texts.SERVE_TELEGRAM_WEBHOOK)
    _run_http(server.app, host or settings.host, port or settings.port)


@app.command("worker")
def worker() -> None:
    """Run a worker: the outbox dispatcher and the reminder ticks, without the web app (scale-out on PostgreSQL)."""
    import asyncio
    import signal

    runtime = _runtime(live=True)
    _configure_logging(runtime.settings)
    typer.echo(texts.WORKER_BANNER.format(version=__version__, url=safe_url(runtime.db.url)))

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await bootstrap.run_worker(runtime, stop)

    asyncio.run(run())
    typer.echo(texts.WORKER_STOPPED)


def main() -> None:
    try:
        app()
    except (sqlalchemy.exc.SQLAlchemyError, alembic.util.CommandError) as error:
        # The database went away mid-command: one sentence, no traceback (which could show the URL).
        typer.echo(texts.DATABASE_ERROR.format(problem=_db_problem(error)), err=True)
        sys.exit(2)
