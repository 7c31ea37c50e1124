"""The one place where settings, database, taxonomy, channels, outbox and web app are wired together."""

from __future__ import annotations

import gc
import logging
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session
from starlette.applications import Starlette

from bot.config import Settings, load_settings
from bot.console.telegram_login import TelegramLogin
from bot.db import Database
from bot.media import MediaLinks, MediaStore
from bot.models import utcnow
from bot.outbox import ChannelPolicy, Dispatcher, Sender, parse_quiet_hours
from bot.services import broadcasts, buyers, makers, pictures, sms_inbox
from bot.services.chat import ChatConfig
from bot.services.console_access import ConsoleLinks
from bot.services.followups import FollowUpPolicy
from bot.services.ticker import Ticker
from bot.signing import Signer
from matching.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)
PROGRESS_SECONDS = 5.0
PRUNE_MEDIA_SECONDS = 3600.0  # pictures past MAKERLINK_MEDIA_RETENTION_DAYS are deleted within the hour


@dataclass
class Runtime:
    settings: Settings
    db: Database
    taxonomy: Taxonomy


def start(settings: Settings | None = None, *, ensure_schema: bool = True) -> Runtime:
    """Read settings (raises ConfigError), open the database and bring a fresh SQLite file up to date."""
    settings = settings or load_settings()
    db = Database(settings.database_url)
    if ensure_schema:
        db.ensure_schema()
    return Runtime(settings=settings, db=db, taxonomy=load_taxonomy())


def settle_memory() -> None:
    """Call once a long-running role is built, in its own process. What is alive then (modules, the taxonomy, the
    app) lives until exit, yet every full collection walks it again, and so does the interpreter's last one at
    exit: about half a second on a busy machine, out of the few seconds a stop may take before SIGKILL."""
    gc.collect()  # start-up's own garbage first: what is frozen is never collected
    gc.freeze()


def channel_policies(settings: Settings) -> dict[str, ChannelPolicy]:
    return {
        "sms": ChannelPolicy(
            per_second=settings.sms_per_second,
            quiet_hours=parse_quiet_hours(settings.quiet_hours),
            concurrency=4,
        ),
        # Telegram's limits: about 30 messages a second overall, one a second per chat.
        "telegram": ChannelPolicy(per_second=30.0, concurrency=8, per_address_interval=1.0),
    }


def mark_unreachable(session: Session, channel: str, address: str, code: str | None) -> None:
    """A provider says nobody is there any more: the maker is stopped, or the buyer marked blocked."""
    if channel == "sms":
        sms_inbox.mark_unreachable(session, channel, address, code)
    else:
        buyers.mark_blocked(session, channel, address)


def media_store(settings: Settings) -> MediaStore:
    return MediaStore(settings.media_path())


def media_links(settings: Settings, secret: str | None = None, public_url: str | None = None) -> MediaLinks | None:
    """Signed links to pictures at PUBLIC_URL/media/…; None without a key to sign them with."""
    secret = secret or settings.media_secret()
    base = public_url if public_url is not None else settings.public_url
    if secret is None or base is None:
        return None
    return MediaLinks(secret, base)


def prune_media(runtime: Runtime, now: datetime) -> int:
    retention = timedelta(days=runtime.settings.media_retention_days)
    with runtime.db.transaction() as session:
        return pictures.prune(session, media_store(runtime.settings), now, retention)


def make_dispatcher(runtime: Runtime, senders: dict[str, Sender], **options) -> Dispatcher:
    lease = runtime.settings.outbox_lease_seconds
    return Dispatcher(
        runtime.db,
        senders,
        channel_policies(runtime.settings),
        default_timezone=runtime.settings.timezone,
        on_recipient_gone=mark_unreachable,
        **{"lease_seconds": lease, "send_timeout": min(20.0, lease / 2), **options},
    )


def chat_config(settings: Settings) -> ChatConfig:
    return ChatConfig(
        max_invites=settings.max_invites,
        radius_miles=settings.match_radius_miles,
        admin_ids=tuple(settings.admin_telegram_ids),
        timezone=settings.timezone,
        followups=FollowUpPolicy.from_settings(settings),
        sms_price_per_segment=settings.sms_price_per_segment,
        import_route=settings.import_route(),
        emission_factors=settings.emission_factors(),
        console=console_links(settings),
    )


def make_console(
    runtime: Runtime,
    directory: makers.DirectoryCache | None = None,
    *,
    secret: str | None = None,
    extra_admins: tuple[int, ...] = (),
):
    """The organisers' console app for /console; without MAKERLINK_SECRET_KEY (or `secret`, the sandbox's key for
    this process), one that only says it is off. `extra_admins`: who else may log in (the sandbox's organiser)."""
    from bot.console.app import ConsoleConfig, build_console, console_off
    from bot.console.pages import Programme

    settings = runtime.settings
    key = secret or (settings.secret_key.get_secret_value() if settings.secret_key is not None else None)
    if key is None:
        return console_off()
    config = ConsoleConfig(
        signer=Signer(key),
        admin_ids=(*settings.admin_telegram_ids, *extra_admins),
        public_url=settings.public_url,
        telegram_login=telegram_login(settings),
        programme=Programme(
            policy=FollowUpPolicy.from_settings(settings),
            timezone=settings.timezone,
            max_invites=settings.max_invites,
            sms_price_per_segment=settings.sms_price_per_segment,
            import_route=settings.import_route(),
            emission_factors=settings.emission_factors(),
        ),
    )
    directory = directory or makers.DirectoryCache(runtime.db, runtime.taxonomy)
    return build_console(runtime.db, config, directory.get, runtime.taxonomy)


def telegram_login(settings: Settings) -> TelegramLogin | None:
    """The Telegram Login Widget's settings, where MAKERLINK_TELEGRAM_LOGIN_BOT is set (with the bot token)."""
    if settings.telegram_login_bot is None or settings.telegram_token is None:
        return None
    return TelegramLogin(settings.telegram_login_bot, settings.telegram_token.get_secret_value())


def console_links(settings: Settings) -> ConsoleLinks:
    secret = settings.secret_key
    return ConsoleLinks(
        public_url=settings.public_url, signer=Signer(secret.get_secret_value()) if secret is not None else None
    )


def make_ticker(runtime: Runtime, directory: makers.DirectoryCache | None = None, owner: str = "ticker"):
    settings = runtime.settings
    directory = directory or makers.DirectoryCache(runtime.db, runtime.taxonomy, snapshots=settings.cache_path())
    return Ticker(
        runtime.db,
        FollowUpPolicy.from_settings(settings),
        directory.get,
        owner=owner,
    )


def make_scheduler(runtime: Runtime, ticker: Ticker, clock: Callable[[], datetime] = utcnow):
    """APScheduler runs the reminder tick every MAKERLINK_REMINDER_TICK_SECONDS.

    coalesce=True and misfire_grace_time=None: ticks missed while the process was busy or suspended run once,
    late, never several at a time. Reminders missed while the bot was down need no catching-up run: they are
    rows whose due time has passed, and the first tick after a restart fires each once (or skips it if it no
    longer makes sense: see bot/services/reminders.py).
    """
    import asyncio

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(timezone="UTC")

    def run_in_thread(work: Callable[[], object], what: str, cancelled: str, failed: str):
        """A job doing `work` in a thread. One under way when the process stops is cancelled: its thread finishes
        its transaction, and the cancellation is the shutdown, not a failure to report."""

        async def job() -> None:
            try:
                await asyncio.to_thread(work)
            except asyncio.CancelledError:
                log.info("%s: %s under way at shutdown was cancelled", what, cancelled)
            except Exception:
                log.exception("%s: %s", what, failed)

        return job

    def tick() -> None:
        report = ticker.tick(clock())
        if report.fired:
            log.info("reminders: %s fired (%s sent, %s skipped)", report.fired, report.sent, report.skipped.total())

    def every(job, seconds: float, job_id: str, **first) -> None:
        scheduler.add_job(
            job, "interval", seconds=seconds, id=job_id, coalesce=True, max_instances=1, misfire_grace_time=None,
            **first,
        )  # fmt: skip

    # The organisers' progress line of a running broadcast is edited at most this often.
    every(
        run_in_thread(
            lambda: broadcasts.refresh_progress(runtime.db),
            "broadcasts",
            "a progress update",
            "updating the progress lines failed; the next run retries",
        ),
        min(PROGRESS_SECONDS, runtime.settings.reminder_tick_seconds),
        "broadcast-progress",
    )
    every(
        run_in_thread(
            lambda: prune_media(runtime, clock()), "pictures", "pruning", "pruning failed; the next run retries"
        ),
        PRUNE_MEDIA_SECONDS,
        "prune-media",
    )
    every(
        run_in_thread(tick, "reminders", "a tick", "the tick failed; the next one retries"),
        runtime.settings.reminder_tick_seconds,
        "reminders",
        next_run_time=utcnow(),
    )
    return scheduler


def stop_scheduler(scheduler, ticker: Ticker) -> None:
    """No new ticks; a tick under way stops between two reminders and hands back the ones it had claimed (its
    thread is waited for when the event loop closes)."""
    ticker.stopping.set()
    if scheduler.running:
        scheduler.shutdown(wait=False)


@dataclass
class Server:
    app: Starlette
    dispatcher: Dispatcher | None  # None in the web role: workers send
    channels: list[str] = field(default_factory=list)
    telegram_mode: str | None = None  # "webhook" or "polling"


def build_server(
    runtime: Runtime,
    senders: dict[str, Sender] | None = None,
    *,
    telegram_request=None,
    telegram_updates_request=None,
    background_work: bool = True,
) -> Server:
    """The web app with the configured channels' webhooks, and the dispatcher (and Telegram polling) beside it.

    background_work=False is the web role (`makerlink web`): webhooks only, no dispatcher, no scheduler, no
    senders; `makerlink worker` processes send what it enqueues (woken on PostgreSQL by the outbox's NOTIFY).
    Telegram must then use its webhook, since polling needs exactly one poller.
    """
    from bot.channels.sms import TwilioWebhooks
    from bot.web import MediaFiles, create_app

    settings = runtime.settings
    senders = dict(senders or {})
    startup, shutdown, background = [], [], []
    store, links = media_store(settings), media_links(settings)
    if settings.twilio_configured and "sms" not in senders and background_work:
        from bot.channels.sms_sender import TwilioSender

        senders["sms"] = TwilioSender(settings, links=links)
    telegram = None
    mode = None
    if settings.telegram_configured:
        from bot.channels import telegram as tg

        mode = "polling" if settings.telegram_polling else "webhook"
        if mode == "polling" and not background_work:
            raise ValueError("the web role takes Telegram updates by webhook only")
        application = tg.build_application(
            settings, polling=mode == "polling", request=telegram_request, updates_request=telegram_updates_request
        )
        directory = makers.DirectoryCache(runtime.db, runtime.taxonomy, snapshots=runtime.settings.cache_path())
        telegram = tg.TelegramChannel(
            runtime.db,
            runtime.taxonomy,
            directory.get,
            chat_config(settings),
            application,
            secret=tg.webhook_secret(settings),
            store=store,
        )
        if background_work:
            senders.setdefault("telegram", tg.TelegramSender(application.bot, store))
        startup.append(application.initialize)
        if mode == "webhook":
            assert settings.public_url is not None
            webhook_url = settings.public_url + tg.WEBHOOK_PATH

            async def set_webhook() -> None:
                await application.bot.set_webhook(
                    url=webhook_url,
                    secret_token=telegram.secret,
                    allowed_updates=tg.ALLOWED_UPDATES,
                )

            startup.append(set_webhook)
        else:

            async def start_polling() -> None:
                await application.start()
                assert application.updater is not None
                await application.updater.start_polling(
                    poll_interval=settings.telegram_poll_interval,
                    timeout=settings.telegram_poll_timeout,
                    allowed_updates=tg.ALLOWED_UPDATES,
                )

            async def stop_polling() -> None:
                assert application.updater is not None
                if application.updater.running:
                    await application.updater.stop()
                if application.running:
                    await application.stop()

            startup.append(start_polling)
            shutdown.append(stop_polling)
        shutdown.append(application.shutdown)
    dispatcher = make_dispatcher(runtime, senders) if background_work else None
    if telegram is not None and dispatcher is not None:
        telegram.on_enqueued = dispatcher.notify
    twilio = None
    if settings.twilio_configured and settings.twilio_auth_token and settings.public_url:
        from bot.channels.mms import MmsFetcher

        assert settings.twilio_account_sid is not None
        fetcher = MmsFetcher(
            store, settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(), settings.twilio_api_url
        )
        shutdown.append(_closer(fetcher.close))
        twilio = TwilioWebhooks(
            runtime.db,
            runtime.taxonomy,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            public_url=settings.public_url,
            default_timezone=settings.timezone,
            on_enqueued=dispatcher.notify if dispatcher is not None else None,
            followups=FollowUpPolicy.from_settings(settings),
            admin_ids=tuple(settings.admin_telegram_ids),
            mms=fetcher,
        )
    if dispatcher is not None:
        background.append(dispatcher.run)
        ticker = make_ticker(runtime, owner=dispatcher.owner)
        scheduler = make_scheduler(runtime, ticker)

        async def start_scheduler() -> None:
            scheduler.start()

        async def stop_ticks() -> None:
            stop_scheduler(scheduler, ticker)

        startup.append(start_scheduler)
        shutdown.insert(0, stop_ticks)
    channels = sorted(senders) if background_work else configured_channels(settings)
    app = create_app(
        runtime.db,
        twilio=twilio,
        telegram=telegram,
        dispatcher=dispatcher,
        background=background,
        on_startup=startup,
        on_shutdown=[*shutdown, *(sender.aclose for sender in senders.values())],
        console=make_console(runtime),
        media=MediaFiles(store, links) if links is not None else None,
    )
    return Server(app=app, dispatcher=dispatcher, channels=channels, telegram_mode=mode)


def _closer(close: Callable[[], None]) -> Callable[[], Coroutine[Any, Any, None]]:
    async def closing() -> None:
        close()

    return closing


def configured_channels(settings: Settings) -> list[str]:
    flags = {"sms": settings.twilio_configured, "telegram": settings.telegram_configured}
    return sorted(name for name, configured in flags.items() if configured)


def build_sandbox(runtime: Runtime) -> tuple[Server, int]:
    """No accounts: the same services, outbox, dispatcher and reminder ticks, with the sandbox page standing in
    for Telegram and Twilio, all on one sandbox clock. Returns the server and how many makers the directory holds.
    Raises SandboxRefused for a database that is not the sandbox's own."""
    from bot.channels import sandbox
    from bot.web import MediaFiles, create_app

    db = runtime.db
    sandbox.claim_database(db)
    if makers.count_makers(db) == 0:
        sandbox.load_demo_makers(db, runtime.taxonomy)
    clock = sandbox.SandboxClock(sandbox.start_offset(db, runtime.settings))
    reports = sandbox.DeliveryReports(db, clock.now)
    senders: dict[str, Sender] = {name: sandbox.SandboxSender(name, reports) for name in sandbox.CHANNELS}
    dispatcher = make_dispatcher(runtime, senders, clock=clock.now)
    directory = makers.DirectoryCache(db, runtime.taxonomy, snapshots=runtime.settings.cache_path())
    ticker = make_ticker(runtime, directory, owner=dispatcher.owner)
    secret = sandbox_secret(runtime.settings)
    channel = sandbox.SandboxChannel(
        db,
        runtime.taxonomy,
        directory.get,
        chat_config(runtime.settings),
        runtime.settings,
        clock,
        ticker,
        reports,
        on_enqueued=dispatcher.notify,
        console=ConsoleLinks(public_url="", signer=Signer(secret)),  # links on this site: the sandbox's own page
        store=media_store(runtime.settings),
        links=MediaLinks(secret, ""),  # pictures on this site: /media/…
    )
    scheduler = make_scheduler(runtime, ticker, clock=clock.now)

    async def start_scheduler() -> None:
        scheduler.start()

    async def stop_ticks() -> None:
        stop_scheduler(scheduler, ticker)

    app = create_app(
        db,
        dispatcher=dispatcher,
        sandbox=channel,
        background=[dispatcher.run, reports.run],
        on_startup=[start_scheduler],
        on_shutdown=[stop_ticks],
        console=make_console(runtime, directory, secret=secret, extra_admins=(sandbox.ORGANISER_ID,)),
        media=MediaFiles(channel.store, channel.links) if channel.store and channel.links else None,
    )
    return Server(app=app, dispatcher=dispatcher, channels=sorted(senders)), makers.count_makers(db)


def sandbox_secret(settings: Settings) -> str:
    """MAKERLINK_SECRET_KEY if set; else a random key for this process (the sandbox's console logins end with it)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    return secrets.token_urlsafe(32)


async def run_worker(runtime: Runtime, stop, senders: dict[str, Sender] | None = None) -> None:
    """The worker role: the dispatcher and the reminder ticks, no web. Any number can run on PostgreSQL."""
    settings = runtime.settings
    senders = dict(senders or {})
    application = None
    if settings.twilio_configured and "sms" not in senders:
        from bot.channels.sms_sender import TwilioSender

        senders["sms"] = TwilioSender(settings, links=media_links(settings))
    if settings.telegram_configured and "telegram" not in senders:
        from bot.channels import telegram as tg

        application = tg.build_application(settings, polling=False)
        await application.initialize()
        senders["telegram"] = tg.TelegramSender(application.bot, media_store(settings))
    dispatcher = make_dispatcher(runtime, senders)
    ticker = make_ticker(runtime, owner=dispatcher.owner)
    scheduler = make_scheduler(runtime, ticker)
    scheduler.start()
    log.info("worker %s started: channels %s", dispatcher.owner, ", ".join(sorted(senders)) or "none")
    try:
        await dispatcher.run(stop)
    finally:
        log.info("worker %s stopping: in-flight sends finished, unsent claims handed back", dispatcher.owner)
        stop_scheduler(scheduler, ticker)
        for sender in senders.values():
            await sender.aclose()
        if application is not None:
            await application.shutdown()
