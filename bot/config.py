"""Settings from the environment (prefix MAKERLINK_) or a .env file; bad ones fail at start in one sentence."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from matching.emissions import Factors, ImportRoute

ENV_PREFIX = "MAKERLINK_"
# MAKERLINK_TIMEZONE when unset. Every caller in bot/ hands the services the configured zone
# (tests/unit/test_lifecycle.py checks it); the services fall back on this one only when called bare, as tests do.
DEFAULT_TIMEZONE = "America/Detroit"
_QUIET_HOURS = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)-([01]?\d|2[0-3]):([0-5]\d)$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MIN_SECRET_KEY_LENGTH = 32
SANDBOX_DATABASE_URL = "sqlite:///makerlink-sandbox.db"  # its own file: the sandbox's Reset never touches real data


class ConfigError(Exception):
    """A setting is missing, malformed or contradicts another; the message is one sentence for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///makerlink.db"
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: SecretStr | None = None
    # Signs the organisers' console login links and session cookies (bot/signing.py); without it the console is off.
    secret_key: SecretStr | None = None
    # The bot's username, once BotFather's /setdomain names PUBLIC_URL's domain: the console's login page then offers
    # the Telegram Login Widget (docs/console.md); the bot token checks what it sends back.
    telegram_login_bot: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    public_url: str | None = None
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = DEFAULT_TIMEZONE
    quiet_hours: str = "21:00-08:00"
    sms_per_second: float = Field(default=1.0, gt=0, le=1000)
    match_radius_miles: float = Field(default=50.0, gt=0, le=3000)
    max_invites: int = Field(default=5, ge=1, le=100)
    sms_price_per_segment: float = Field(default=0.0079, ge=0, le=10)  # USD, for a broadcast's cost estimate
    telegram_mode: Literal["auto", "webhook", "polling"] = "auto"  # auto: webhook when PUBLIC_URL is set
    telegram_poll_timeout: int = Field(default=30, ge=0, le=50)  # long-polling seconds (no public URL)
    telegram_poll_interval: float = Field(default=0.0, ge=0, le=60)  # pause between polls
    # Follow-ups (see bot/services/reminders.py and docs/follow-ups.md).
    nudge_maker_after_hours: float = Field(default=4.0, gt=0, le=24 * 30)
    expire_invitation_after_hours: float = Field(default=24.0, gt=0, le=24 * 60)
    nudge_buyer_after_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    quiet_request_after_days: float = Field(default=3.0, gt=0, le=90)
    checkin_maker_days_before: float = Field(default=2.0, ge=0, le=60)
    checkin_buyer_days_after: float = Field(default=1.0, ge=0, le=60)
    checkin_buyer_again_days: float = Field(default=2.0, gt=0, le=60)  # after the buyer's "not yet"
    expire_request_after_days: float = Field(default=14.0, gt=0, le=365)
    freshness_days: float = Field(default=28.0, gt=0, le=365)
    freshness_grace_days: float = Field(default=7.0, gt=0, le=90)
    reminder_tick_seconds: float = Field(default=30.0, ge=1, le=3600)
    # How long a worker's claim on a message lasts (renewed while it sends): after a crash, another worker sends
    # the message once this runs out. Each send may take at most half of it.
    outbox_lease_seconds: float = Field(default=60.0, ge=4, le=3600)
    # Transport emissions, an estimate (matching/emissions.py has the sources): kg CO2e per tonne-km by mode, and the
    # import route the same goods would otherwise take (sea, then road).
    impact_van_kg_per_tonne_km: float = Field(default=0.5907, ge=0, le=100)
    impact_truck_kg_per_tonne_km: float = Field(default=0.12631, ge=0, le=100)
    impact_ship_kg_per_tonne_km: float = Field(default=0.01536, ge=0, le=100)
    impact_import_sea_km: float = Field(default=10_500.0, ge=0, le=50_000)
    impact_import_road_km: float = Field(default=3_800.0, ge=0, le=20_000)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Pictures and drawings (bot/media.py): where they are kept (unset: a media/ folder beside the SQLite file, or in
    # the working directory), and for how many days.
    media_dir: str | None = None
    media_retention_days: float = Field(default=90.0, gt=0, le=3650)
    # Where a process keeps the directory it built, so the next one starts in a moment (unset: ~/.cache/makerlink).
    cache_dir: str | None = None

    @field_validator(
        "telegram_token",
        "telegram_webhook_secret",
        "secret_key",
        "telegram_login_bot",
        "twilio_account_sid",
        "twilio_auth_token",
        "twilio_from_number",
        "twilio_messaging_service_sid",
        "public_url",
        "cache_dir",
        "media_dir",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token: 1-256 characters from A-Z, a-z, 0-9, _ and -.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("may only use letters, digits, _ and - (at most 256 characters), as Telegram requires")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # A short key can be guessed offline from one signed cookie; 32 characters of token_urlsafe are 192 bits.
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"must be at least {MIN_SECRET_KEY_LENGTH} characters; make one with "
                'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'
            )
        return value

    @field_validator("telegram_login_bot")
    @classmethod
    def _bot_username(cls, value: str | None) -> str | None:
        # Telegram's rule for a bot's username: 5-32 letters, digits and _, ending in "bot"; the @ is not part of it.
        name = value.strip().removeprefix("@") if value is not None else None
        if name is not None and not re.fullmatch(r"[a-z][a-z0-9_]{1,28}bot", name, re.IGNORECASE):
            raise ValueError(f"must be the bot's username, such as makerlink_detroit_bot, not {value!r}")
        return name

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value):
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            for part in parts:
                if not part.lstrip("-").isdigit():
                    raise ValueError(f"must be Telegram user ids (numbers) separated by commas; {part!r} is not one")
            return [int(p) for p in parts]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"must be an IANA time zone such as America/Detroit, not {value!r}") from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        value = value.strip()
        if value and not _QUIET_HOURS.match(value):
            raise ValueError(f"must look like 21:00-08:00 (or be empty for none), not {value!r}")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^(sqlite|postgres|postgresql)(\+\w+)?://", value):
            raise ValueError("must start with sqlite:/// or postgresql://")
        authority = value.split("://", 1)[1].split("/", 1)[0]
        if authority.count("@") > 1:
            # Otherwise part of the password would be taken for the host, and shown in messages.
            raise ValueError("has an @ in its password: write it as %40")
        return value

    @field_validator("public_url", "telegram_api_url", "twilio_api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"must be an http(s) URL, not {value!r}")
        return value.rstrip("/") if value else value

    @field_validator("twilio_from_number")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is not None and not _E164.match(value):
            raise ValueError(f"must be a phone number in E.164 form such as +13135550100, not {value!r}")
        return value

    @model_validator(mode="after")
    def _channels_are_whole(self) -> Settings:
        twilio = {
            "TWILIO_ACCOUNT_SID": self.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": self.twilio_auth_token,
        }
        sender = self.twilio_from_number or self.twilio_messaging_service_sid
        if any(twilio.values()) or sender:
            missing = [name for name, value in twilio.items() if not value]
            if missing:
                raise ValueError(f"{ENV_PREFIX}{missing[0]} is required once any Twilio setting is set")
            if not sender:
                raise ValueError(
                    f"{ENV_PREFIX}TWILIO_FROM_NUMBER or {ENV_PREFIX}TWILIO_MESSAGING_SERVICE_SID is required "
                    "to send SMS"
                )
            if not self.public_url:
                raise ValueError(
                    f"{ENV_PREFIX}PUBLIC_URL is required with Twilio: it is the https address where Twilio "
                    "posts incoming SMS (/twilio/sms) and delivery reports (/twilio/status)"
                )
        if self.twilio_from_number and self.twilio_messaging_service_sid:
            raise ValueError(
                f"set {ENV_PREFIX}TWILIO_FROM_NUMBER or {ENV_PREFIX}TWILIO_MESSAGING_SERVICE_SID, not both"
            )
        if self.telegram_mode == "webhook" and self.telegram_token and not self.public_url:
            raise ValueError(
                f"{ENV_PREFIX}TELEGRAM_MODE=webhook needs {ENV_PREFIX}PUBLIC_URL, where Telegram posts updates"
            )
        if self.telegram_webhook_secret and not self.telegram_token:
            raise ValueError(f"{ENV_PREFIX}TELEGRAM_WEBHOOK_SECRET is set but {ENV_PREFIX}TELEGRAM_TOKEN is not")
        if self.telegram_login_bot and not (self.telegram_token and self.public_url):
            raise ValueError(
                f"{ENV_PREFIX}TELEGRAM_LOGIN_BOT needs {ENV_PREFIX}TELEGRAM_TOKEN (it checks what the widget sends) "
                f"and {ENV_PREFIX}PUBLIC_URL (the domain set with BotFather's /setdomain)"
            )
        return self

    def emission_factors(self) -> Factors:
        return Factors(
            van=self.impact_van_kg_per_tonne_km,
            truck=self.impact_truck_kg_per_tonne_km,
            ship=self.impact_ship_kg_per_tonne_km,
        )

    def import_route(self) -> ImportRoute:
        return ImportRoute(sea_km=self.impact_import_sea_km, road_km=self.impact_import_road_km)

    def cache_path(self) -> Path | None:
        """MAKERLINK_CACHE_DIR; else the one systemd's CacheDirectory= made; else makerlink in the user's cache folder
        (XDG_CACHE_HOME, or ~/.cache); None for a user with no home, who goes without."""
        if self.cache_dir:
            return Path(self.cache_dir).expanduser()
        if os.environ.get("CACHE_DIRECTORY"):
            return Path(os.environ["CACHE_DIRECTORY"].split(":")[0])
        if os.environ.get("XDG_CACHE_HOME"):
            return Path(os.environ["XDG_CACHE_HOME"]) / "makerlink"
        try:
            return Path.home() / ".cache" / "makerlink"
        except RuntimeError:
            return None

    def media_path(self) -> Path:
        """MAKERLINK_MEDIA_DIR; else media/ beside the SQLite file; else media/ in the working directory."""
        if self.media_dir:
            return Path(self.media_dir).expanduser()
        if self.database_url.startswith("sqlite") and ":memory:" not in self.database_url:
            path = self.database_url.split(":///", 1)[-1].split("?", 1)[0]
            if path:
                return Path(path).expanduser().parent / "media"
        return Path("media")

    def media_secret(self) -> str | None:
        """What signs the links to pictures: MAKERLINK_SECRET_KEY, else a key derived from a provider's secret."""
        from bot.media import signing_secret

        token = self.twilio_auth_token.get_secret_value() if self.twilio_auth_token else None
        telegram = self.telegram_token.get_secret_value() if self.telegram_token else None
        return signing_secret(self.secret_key.get_secret_value() if self.secret_key else None, token, telegram)

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def telegram_configured(self) -> bool:
        return self.telegram_token is not None

    @property
    def telegram_polling(self) -> bool:
        return self.telegram_mode == "polling" or (self.telegram_mode == "auto" and not self.public_url)

    @property
    def console_configured(self) -> bool:
        """The organisers' console is served: it has a key to sign its links and cookies with."""
        return self.secret_key is not None

    @property
    def is_sandbox(self) -> bool:
        """No accounts at all: run locally, nothing leaves the machine."""
        return not (self.twilio_configured or self.telegram_configured)

    def for_sandbox(self) -> Settings:
        """The sandbox keeps to its own SQLite file, unless MAKERLINK_DATABASE_URL names one explicitly."""
        if "database_url" in self.model_fields_set:
            return self
        return self.model_copy(update={"database_url": SANDBOX_DATABASE_URL})


def _sentence(error: ValidationError) -> str:
    first = error.errors()[0]
    message = str(first.get("msg", "is invalid")).removeprefix("Value error, ")
    loc = [str(part) for part in first.get("loc", ()) if isinstance(part, str)]
    if not loc:
        return message[:1].upper() + message[1:] + "."
    name = ENV_PREFIX + loc[0].upper()
    given = first.get("input")
    secret = "token" in loc[0] or "secret" in loc[0] or isinstance(given, dict | SecretStr)
    shown = "" if secret else f" (got {given!r})"
    kind = first.get("type", "")
    limits = {k: f"{v:g}" if isinstance(v, int | float) else v for k, v in (first.get("ctx") or {}).items()}
    plain = {
        "float_parsing": "must be a number",
        "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
        "greater_than": f"must be greater than {limits.get('gt')}",
        "greater_than_equal": f"must be at least {limits.get('ge')}",
        "less_than": f"must be less than {limits.get('lt')}",
        "less_than_equal": f"must be at most {limits.get('le')}",
    }
    if kind in plain:
        return f"{name} {plain[kind]}{shown}."
    return f"{name} {message}."


def load_settings(**overrides) -> Settings:
    """Read the settings once at start-up; raise ConfigError with one sentence naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_sentence(error)) from None
