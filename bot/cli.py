"""The `makerlink` command: run the bot, manage the database and the maker directory, try the matcher."""

from __future__ import annotations

import errno
import json
import logging
import socket
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated

import alembic.util
import sqlalchemy.exc
import typer

from bot import __version__, bootstrap, browser, logs, outbox, texts
from bot.config import ConfigError, Settings, load_settings
from bot.db import SchemaOutOfDate, safe_url, saved_id
from bot.models import MESSAGE_STATUSES, MakerStatus
from bot.services import broadcasts as broadcast_service
from bot.services import impact as impact_service
from bot.services import makers as maker_service
from bot.services import requests as request_service
from bot.services import stats as stats_service
from bot.services.broadcasts import UNFINISHED
from bot.services.followups import FollowUpPolicy
from bot.services.orders import InvitationStatus
from matching.directory import Directory
from matching.matcher import Matcher, MatchResult
from matching.parse import parse
from matching.quantities import unit_label
from matching.taxonomy import load_taxonomy

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
        try:
            data, name = file.read_bytes(), str(file)
        except OSError as error:
            raise _fail(texts.FILE_CANNOT_OPEN.format(path=file, problem=error.strerror or error)) from None
    else:
        data, name = _demo_csv()
    # The file is read before the database is opened: a file that is not a maker CSV creates no SQLite file.
    try:
        rows, problems, ignored = maker_service.read_makers_csv(data, name)
    except maker_service.ImportFileError as error:
        raise _fail(str(error)) from None
    if rows:
        runtime = _runtime()
        try:
            report = maker_service.save_makers(runtime.db, rows, problems, ignored, runtime.taxonomy)
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise _fail(texts.DATABASE_ERROR.format(problem=_db_problem(error))) from None
    else:
        report = maker_service.ImportReport(skipped=problems, ignored_columns=ignored)  # nothing to write
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
        unit_label(req.unit, req.quantity) if req.unit else None,
        req.deadline.strftime("%a %d %b %Y") if req.deadline else None,
        req.urgency,
        result.place.zip if result.place else req.zip,
        result.radius_miles,
    )


def _print_result(result: MatchResult) -> None:
    typer.echo(texts.MATCH_UNDERSTOOD.format(summary=_summary(result)))
    if result.hidden:
        only = " and ".join(w.replace("-", " ") for w in result.request.only)
        typer.echo(texts.MATCH_HIDDEN.format(hidden=result.hidden, only=only))
    if not result.matches:
        where = ""
        if result.place and result.radius_miles:
            where = texts.MATCH_NONE_WHERE.format(radius=result.radius_miles, zip=result.place.zip)
        typer.echo(texts.MATCH_NONE.format(where=where))
        return
    for rank, match in enumerate(result.matches, 1):
        typer.echo(texts.MATCH_LINE.format(rank=rank, name=match.name, score=match.score, why=match.why))


NO_ITEM, NOT_UTF8 = "no_item", "not_utf8"  # why a request could not be used, as `match --json` names it
_UNUSABLE = {NO_ITEM: texts.MATCH_NO_ITEM, NOT_UTF8: texts.MATCH_NOT_UTF8}


def match_json(result: MatchResult, problem: str | None = None) -> str:
    """`match --json`, one answer as a JSON line: the matcher's result, its request also saying how urgent, the
    product, by what process and in what material (null when the text does not say) and what the buyer prefers
    of a maker; each match says who the maker is; an unusable request also says why, under "error"."""
    data = result.as_dict()
    req = result.request
    data["request"].update(
        urgency=req.urgency,
        product=req.product,
        process=req.process,
        material=req.material,
        preferences=list(req.preferences),
        only=list(req.only),
    )
    for shown, match in zip(data["matches"], result.matches, strict=True):
        shown.update(
            type=match.kind,
            badges=list(match.badges),
            practices=list(match.practices),
            emissions=match.emissions.as_dict() if match.emissions else None,
        )
    data["hidden"] = result.hidden
    if problem is not None:
        data["error"] = {"code": problem, "message": _UNUSABLE[problem]}
    return json.dumps(data, ensure_ascii=False)


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
    """Match a request against the maker directory, best first.

    Exit codes:
    0: the request was understood, even if no maker fits;
    1: it could not be (an empty text, or no item in it); with -, some line
       could not be: its JSON object says why under "error", and the other
       lines are still answered;
    2: the configuration or the database is unusable.
    """
    today = date.today()
    parsed = None
    if text != "-":
        taxonomy = load_taxonomy()
        parsed = parse(text, today, taxonomy)
        if not parsed.item:
            # Nothing to look for: say so before opening the database, which for SQLite would create a file.
            if not as_json:
                raise _fail(texts.MATCH_NO_ITEM, 1)
            nothing = Matcher(Directory((), taxonomy)).match(parsed, zip=zip_code, now=today)
            typer.echo(match_json(nothing, NO_ITEM))
            raise typer.Exit(1)
    runtime = _runtime()
    settings = runtime.settings
    # With -, each line is matched against the directory as it is then, give or take a second: the change counter is
    # read again at most once a second, which would otherwise cost more than many a match.
    directories = maker_service.DirectoryCache(
        runtime.db, runtime.taxonomy, snapshots=settings.cache_path(), recheck_seconds=1.0 if text == "-" else 0.0
    )
    matchers: dict[int, Matcher] = {}  # by the directory's identity: a matcher keeps what it read of its phrases

    def matcher() -> Matcher:
        directory = directories.get()
        found = matchers.get(id(directory))
        if found is None or found.directory is not directory:
            matchers.clear()
            found = matchers[id(directory)] = Matcher(
                directory,
                radius_miles=radius_miles or settings.match_radius_miles,
                limit=limit,
                import_route=settings.import_route(),
                factors=settings.emission_factors(),
            )
        return found

    if len(directories.get()) == 0:
        typer.echo(texts.MATCH_EMPTY_DIRECTORY, err=True)
    if parsed is None:
        unusable = 0
        for raw in sys.stdin.buffer:  # bytes: one line in another encoding must not end the stream
            try:
                line, problem = raw.decode("utf-8").lstrip("\ufeff").strip(), None
            except UnicodeDecodeError:
                line, problem = "", NOT_UTF8
            result = matcher().match(line, zip=zip_code, now=today)
            if problem is None and not result.request.item:
                problem = NO_ITEM
            unusable += problem is not None
            typer.echo(match_json(result, problem))
        if unusable:
            raise typer.Exit(1)
        return
    result = matcher().match(parsed, zip=zip_code, now=today)
    if as_json:
        typer.echo(match_json(result))
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
    try:
        request_service.check(load_taxonomy(), text, zip_code)  # before the database, which bad input must not create
        runtime = _runtime()
        settings = runtime.settings
        directory = maker_service.DirectoryCache(runtime.db, runtime.taxonomy, snapshots=settings.cache_path()).get()
        opened = request_service.open_request(
            runtime.db,
            runtime.taxonomy,
            text,
            directory=directory,
            zip_code=zip_code,
            radius_miles=radius_miles or settings.match_radius_miles,
            max_invites=limit or settings.max_invites,
            timezone=settings.timezone,
            followups=FollowUpPolicy.from_settings(settings),
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
                if invitation.status == InvitationStatus.QUOTED
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
    if status and status not in MESSAGE_STATUSES:
        raise _fail(texts.MESSAGES_BAD_STATUS.format(status=status, statuses=", ".join(MESSAGE_STATUSES)))
    runtime = _runtime()
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


def _left_out(summary: dict) -> str:
    return ", ".join(f"{n} {why}" for why, n in summary["excluded"].items()) or "none"


def _nobody_to_reach(preview: broadcast_service.Preview, *, dry_run: bool, as_json: bool) -> typer.Exit:
    """No draft was stored: a dry run says nobody matches; a broadcast meant to go is refused."""
    summary = preview.as_dict()
    if as_json:
        typer.echo(json.dumps({"broadcast": None, "preview": summary}, ensure_ascii=False))
    if dry_run:
        if not as_json:
            typer.echo(texts.BROADCAST_NOBODY_PREVIEW.format(excluded=_left_out(summary)))
        return typer.Exit(0)
    return _fail(texts.BROADCAST_NOBODY_NOT_SENT.format(excluded=_left_out(summary)), 1)


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
    """Send an alert to many makers and/or buyers: previewed first, then sent through the outbox's bulk lane.

    Exit code 1 when it cannot go as asked (no text, an unknown ZIP, nobody matches: nothing is stored);
    a --dry-run that finds nobody says so and exits 0.
    """
    who = broadcast_service.Audience(
        to=to,
        capability=capability,
        zip=zip_code,
        radius_miles=radius_miles,
        statuses=tuple(status or (MakerStatus.ACTIVE.value,)),
    )
    try:
        broadcast_service.check(text, who)  # before the database: bad input must not create a SQLite file
        runtime = _runtime()
        draft, preview = broadcast_service.create(
            runtime.db, runtime.taxonomy, text, who, "cli", runtime.settings.sms_price_per_segment, keep_empty=False
        )
    except broadcast_service.NobodyToReach as nobody:
        raise _nobody_to_reach(nobody.preview, dry_run=dry_run, as_json=as_json) from None
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
                excluded=_left_out(summary),
                sms=preview.sms_text(),
                cost=summary["estimated_cost_usd"],
                sample=", ".join(summary["sample"]) or "-",
            )
        )
    if dry_run:
        return
    if not yes and not typer.confirm(texts.BROADCAST_CONFIRM.format(count=len(preview.recipients))):
        typer.echo(texts.BROADCAST_NOT_SENT)
        return
    queued = broadcast_service.confirm(runtime.db, runtime.taxonomy, saved_id(draft), "cli")
    if not as_json:
        typer.echo(texts.BROADCAST_QUEUED.format(id=draft.id, count=queued))
    if wait:
        import time

        with typer.progressbar(length=queued, label=texts.BROADCAST_PROGRESS) as bar:
            shown = 0
            while True:
                result = broadcast_service.report(runtime.db, saved_id(draft))
                finished = sum(n for s, n in result.by_status.items() if s not in UNFINISHED)
                bar.update(finished - shown)
                shown = finished
                if result.done:
                    break
                time.sleep(1.0)
    result = broadcast_service.report(runtime.db, saved_id(draft))
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
def stats(
    impact: Annotated[
        bool,
        typer.Option(
            "--impact",
            help="What the bot did for the city: money spent with local makers, makers with work, requests served, "
            "distance, transport emissions avoided (estimated).",
        ),
    ] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="With --impact: orders from this day on (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Makers, requests, answers, messages and broadcasts at a glance; with --impact, the local impact instead.

    Days and months are in MAKERLINK_TIMEZONE. Exit code 2 for a --since that is not a date.
    """
    if since is not None and not impact:
        raise _fail(texts.IMPACT_SINCE_NEEDS_IMPACT)
    try:
        first_day = impact_service.parse_day(since) if since is not None else None
    except impact_service.BadPeriod as bad:
        raise _fail(str(bad)) from None
    runtime = _runtime()
    if impact:
        figures = impact_service.collect(runtime.db, _impact_basis(runtime), since=first_day)
        heading = texts.IMPACT_HEADING_SINCE.format(since=first_day) if first_day else texts.IMPACT_HEADING_ALL
        typer.echo(json.dumps(figures, ensure_ascii=False) if as_json else texts.impact_text(figures, heading))
        return
    figures = stats_service.collect(runtime.db)
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False))
        return
    typer.echo(texts.stats_text(figures))


def _impact_basis(runtime: bootstrap.Runtime) -> impact_service.Basis:
    """The impact figures' settings: estimates as `match` makes them (same taxonomy, route and factors)."""
    return impact_service.Basis.from_settings(runtime.taxonomy, runtime.settings)


@app.command("report")
def report(
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM (in MAKERLINK_TIMEZONE).")],
    as_csv: Annotated[
        bool, typer.Option("--csv", help="CSV on stdout with a header: one row per order accepted that month.")
    ] = False,
) -> None:
    """The orders accepted in a month, for funders and grant reports: maker, value, distance, delivery, emissions
    avoided (estimated), and nothing about the buyer. Without --csv, a short table.

    Exit code 2 for a month that is not YYYY-MM.
    """
    try:
        first_day = impact_service.parse_month(month)
    except impact_service.BadPeriod as bad:
        raise _fail(str(bad)) from None
    runtime = _runtime()
    rows = impact_service.report_rows(runtime.db, _impact_basis(runtime), first_day)
    if as_csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(impact_service.REPORT_COLUMNS)
        writer.writerows(impact_service.csv_cells(row) for row in rows)
        return
    name = f"{first_day:%B %Y}"
    if not rows:
        typer.echo(texts.REPORT_NO_ORDERS.format(month=name))
        return
    typer.echo(texts.REPORT_HEADING.format(month=name, count=len(rows)))
    for row in rows:
        typer.echo(texts.report_line(row))


# ── serve ──


def _configure_logging(settings: Settings | None = None) -> None:
    # One line per event, UTC, request ids; the configured secrets and full phone numbers masked everywhere.
    logs.configure(settings or load_settings())


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, taken before the banner and any start-up work, so a busy port is one sentence
    (exit code 2) rather than uvicorn's error after start-up; uvicorn then serves on this very socket, which
    leaves no moment for another process to take the port between the check and the serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a restart need not wait
    try:
        sock.bind((host, port))
        sock.listen(2048)  # at once: two processes may both bind with SO_REUSEADDR until one listens
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise _fail(texts.PORT_IN_USE.format(host=host, port=port)) from None
        raise _fail(texts.CANNOT_LISTEN.format(host=host, port=port, problem=error.strerror or error)) from None
    return sock


def _run_http(asgi_app, host: str, port: int, sock: socket.socket) -> None:
    """uvicorn on `sock` until SIGTERM or Ctrl-C, then its graceful shutdown (requests answered, or cut off after a
    few seconds; the app's lifespan closed), then exit code 0: uvicorn re-raises the signal once done, which would
    end the process as killed by it."""
    import signal

    import uvicorn

    from bot.web import REQUEST_GRACE_SECONDS

    def finished(signum, frame) -> None:
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, finished) for sig in (signal.SIGTERM, signal.SIGINT)}
    bootstrap.settle_memory()
    server = uvicorn.Server(
        uvicorn.Config(
            asgi_app,
            host=host,
            port=port,
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=REQUEST_GRACE_SECONDS,
        )
    )
    # uvicorn does not say where it listens when it is handed the socket: say it here.
    logging.getLogger(__name__).info("listening on http://%s:%d", f"[{host}]" if ":" in host else host, port)
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not server.started:
        raise SystemExit(3)  # the app's start-up failed (uvicorn.run's exit code for it)


def _say_console(settings: Settings) -> None:
    if settings.console_configured:
        typer.echo(texts.SERVE_CONSOLE.format(url=settings.public_url or f"http://{settings.host}:{settings.port}"))
    else:
        typer.echo(texts.SERVE_CONSOLE_OFF)


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default MAKERLINK_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Port to listen on (default MAKERLINK_PORT).")
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--browser/--no-browser", help="Open the sandbox in a desktop browser, where there is one.")
    ] = True,
) -> None:
    """Run the bot with the channels that are configured; with none, the local sandbox in the browser (opened
    for you where this terminal has a desktop browser)."""
    runtime = _runtime(sandbox=True)
    settings = runtime.settings
    if not settings.is_sandbox:
        sock = _listen(host or settings.host, port or settings.port)
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
        _say_console(settings)
        _run_http(server.app, host or settings.host, port or settings.port, sock)
        return
    from bot.channels.sandbox import SandboxRefused

    if (host or settings.host) not in LOOPBACK:
        raise _fail(texts.SANDBOX_LOOPBACK_ONLY.format(host=host or settings.host))
    sock = _listen(host or settings.host, port or settings.port)
    _configure_logging(settings)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a tick every 30 s is noise in a newcomer's terminal
    try:
        server, count = bootstrap.build_sandbox(runtime)
    except SandboxRefused as refused:
        raise _fail(str(refused)) from None
    host, port = host or settings.host, port or settings.port
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    database = safe_url(runtime.db.url)
    typer.echo(texts.SANDBOX_BANNER.format(version=__version__, url=url, count=count, database=database))
    # Only for a person at a terminal: a test or a service manager reads the address from the banner instead.
    if open_browser and sys.stdout.isatty() and browser.has_desktop_browser():
        typer.echo(texts.SANDBOX_OPENING.format(url=url))
        browser.open_in_background(url)  # the socket already listens, so the page's first request waits for it
    _run_http(server.app, host, port, sock)


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
    sock = _listen(host or settings.host, port or settings.port)
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
    _say_console(settings)
    _run_http(server.app, host or settings.host, port or settings.port, sock)


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

    bootstrap.settle_memory()
    asyncio.run(run())
    typer.echo(texts.WORKER_STOPPED)


def main() -> None:
    try:
        app()
    except (sqlalchemy.exc.SQLAlchemyError, alembic.util.CommandError) as error:
        # The database went away mid-command: one sentence, no traceback (which could show the URL).
        typer.echo(texts.DATABASE_ERROR.format(problem=_db_problem(error)), err=True)
        sys.exit(2)
