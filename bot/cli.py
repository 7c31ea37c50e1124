"""The `makerlink` command: run the bot, manage the database and the maker directory, try the matcher."""

from __future__ import annotations

import json
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated

import alembic.util
import sqlalchemy.exc
import typer

from bot import __version__, bootstrap, texts
from bot.config import ConfigError
from bot.db import SchemaOutOfDate, safe_url
from bot.services import makers as maker_service
from matching.matcher import Matcher, MatchResult

app = typer.Typer(
    help="makerlink: a Telegram and SMS bot that connects buyers with local makers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
makers_app = typer.Typer(help="The maker directory.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(makers_app, name="makers")

DEMO_EXAMPLE_REQUEST = "need 500 face shields by Friday near 48201"


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _runtime(ensure_schema: bool = True) -> bootstrap.Runtime:
    try:
        return bootstrap.start(ensure_schema=ensure_schema)
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
            typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    result = matcher.match(text, zip=zip_code, now=today)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    wanted_zip = result.request.zip or zip_code
    if wanted_zip and result.place is None:
        typer.echo(texts.MATCH_UNKNOWN_ZIP.format(zip=wanted_zip), err=True)
    _print_result(result)


# ── serve ──


@app.command("serve")
def serve() -> None:
    """Run the bot. With no Telegram or Twilio settings it runs locally on SQLite (today: the matcher demo)."""
    runtime = _runtime()
    if not runtime.settings.is_sandbox:
        raise _fail(texts.CHANNELS_NOT_YET)
    if maker_service.count_makers(runtime.db) == 0:
        data, name = _demo_csv()
        report = maker_service.import_makers(runtime.db, data, name, runtime.taxonomy)
        typer.echo(texts.DEMO_LOADED.format(count=report.imported))
    directory = maker_service.active_directory(runtime.db, runtime.taxonomy)
    matcher = Matcher(directory, radius_miles=runtime.settings.match_radius_miles)
    typer.echo(texts.DEMO_BANNER.format(version=__version__, count=len(directory), url=safe_url(runtime.db.url)))
    typer.echo("")
    typer.echo(texts.DEMO_EXAMPLE.format(text=DEMO_EXAMPLE_REQUEST))
    _print_result(matcher.match(DEMO_EXAMPLE_REQUEST, now=date.today()))
    if not sys.stdin.isatty():
        return
    while True:
        typer.echo("")
        try:
            line = input(texts.DEMO_PROMPT)
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            break
        if not line.strip():
            break
        _print_result(matcher.match(line, now=date.today()))
    typer.echo(texts.DEMO_BYE)


def main() -> None:
    try:
        app()
    except (sqlalchemy.exc.SQLAlchemyError, alembic.util.CommandError) as error:
        # The database went away mid-command: one sentence, no traceback (which could show the URL).
        typer.echo(texts.DATABASE_ERROR.format(problem=_db_problem(error)), err=True)
        sys.exit(2)
