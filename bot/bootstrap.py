"""The one place where settings, database, taxonomy, channels, outbox and web app are wired together."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.applications import Starlette

from bot.config import Settings, load_settings
from bot.db import Database
from bot.outbox import ChannelPolicy, Dispatcher, Sender, parse_quiet_hours
from bot.services import sms_inbox
from matching.taxonomy import Taxonomy, load_taxonomy


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


def channel_policies(settings: Settings) -> dict[str, ChannelPolicy]:
    return {
        "sms": ChannelPolicy(
            per_second=settings.sms_per_second,
            quiet_hours=parse_quiet_hours(settings.quiet_hours),
            concurrency=4,
        ),
    }


def make_dispatcher(runtime: Runtime, senders: dict[str, Sender], **options) -> Dispatcher:
    return Dispatcher(
        runtime.db,
        senders,
        channel_policies(runtime.settings),
        default_timezone=runtime.settings.timezone,
        on_recipient_gone=sms_inbox.mark_unreachable,
        **options,
    )


@dataclass
class Server:
    app: Starlette
    dispatcher: Dispatcher
    channels: list[str] = field(default_factory=list)


def build_server(runtime: Runtime, senders: dict[str, Sender] | None = None) -> Server:
    """The web app with the configured channels' webhooks, and the dispatcher running beside it."""
    from bot.channels.sms import TwilioWebhooks
    from bot.web import create_app

    settings = runtime.settings
    if senders is None:
        senders = {}
        if settings.twilio_configured:
            from bot.channels.sms_sender import TwilioSender

            senders["sms"] = TwilioSender(settings)
    dispatcher = make_dispatcher(runtime, senders)
    twilio = None
    if settings.twilio_configured and settings.twilio_auth_token and settings.public_url:
        twilio = TwilioWebhooks(
            runtime.db,
            runtime.taxonomy,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            public_url=settings.public_url,
            default_timezone=settings.timezone,
            on_enqueued=dispatcher.notify,
        )
    app = create_app(
        runtime.db,
        twilio=twilio,
        dispatcher=dispatcher,
        background=[dispatcher.run],
        on_shutdown=[sender.aclose for sender in senders.values()],
    )
    return Server(app=app, dispatcher=dispatcher, channels=sorted(senders))
