"""Settings: sensible defaults, and one clear sentence naming the variable when something is wrong."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings

TWILIO = {
    "MAKERLINK_TWILIO_ACCOUNT_SID": "AC" + "a" * 32,
    "MAKERLINK_TWILIO_AUTH_TOKEN": "secret-token-value",
    "MAKERLINK_TWILIO_FROM_NUMBER": "+13135550100",
    "MAKERLINK_PUBLIC_URL": "https://makerlink.example.org",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("MAKERLINK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults():
    settings = load_settings()
    assert settings.database_url == "sqlite:///makerlink.db"
    assert settings.sms_per_second == 1.0
    assert settings.match_radius_miles == 50.0
    assert settings.max_invites == 5
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.is_sandbox is True


def test_env_and_dotenv(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("MAKERLINK_MATCH_RADIUS_MILES=25\nMAKERLINK_ADMIN_TELEGRAM_IDS=11, 22\n")
    monkeypatch.setenv("MAKERLINK_MAX_INVITES", "3")
    settings = load_settings()
    assert (settings.match_radius_miles, settings.max_invites, settings.admin_telegram_ids) == (25.0, 3, [11, 22])


def test_twilio_alone_is_an_sms_bot(monkeypatch):
    for name, value in TWILIO.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.twilio_configured and not settings.telegram_configured and not settings.is_sandbox


BAD = [
    ({"MAKERLINK_SMS_PER_SECOND": "abc"}, "MAKERLINK_SMS_PER_SECOND must be a number (got 'abc')."),
    ({"MAKERLINK_SMS_PER_SECOND": "0"}, "MAKERLINK_SMS_PER_SECOND must be greater than 0 (got '0')."),
    ({"MAKERLINK_MAX_INVITES": "x"}, "MAKERLINK_MAX_INVITES must be a whole number (got 'x')."),
    ({"MAKERLINK_PORT": "99999"}, "MAKERLINK_PORT must be at most 65535 (got '99999')."),
    ({"MAKERLINK_TIMEZONE": "Mars/Base"}, "MAKERLINK_TIMEZONE must be an IANA time zone"),
    ({"MAKERLINK_QUIET_HOURS": "late"}, "MAKERLINK_QUIET_HOURS must look like 21:00-08:00"),
    ({"MAKERLINK_DATABASE_URL": "mysql://x"}, "MAKERLINK_DATABASE_URL must start with sqlite:/// or postgresql://"),
    ({"MAKERLINK_ADMIN_TELEGRAM_IDS": "12,abc"}, "MAKERLINK_ADMIN_TELEGRAM_IDS must be Telegram user ids"),
    ({"MAKERLINK_PUBLIC_URL": "bot.example.org"}, "MAKERLINK_PUBLIC_URL must be an http(s) URL"),
    ({"MAKERLINK_TWILIO_ACCOUNT_SID": "AC123"}, "MAKERLINK_TWILIO_AUTH_TOKEN is required once any Twilio setting"),
    (
        {k: v for k, v in TWILIO.items() if "FROM" not in k},
        "MAKERLINK_TWILIO_FROM_NUMBER or MAKERLINK_TWILIO_MESSAGING_SERVICE_SID is required",
    ),
    ({**TWILIO, "MAKERLINK_TWILIO_MESSAGING_SERVICE_SID": "MG" + "b" * 32}, "not both"),
    (
        {k: v for k, v in TWILIO.items() if "PUBLIC" not in k},
        "MAKERLINK_PUBLIC_URL is required with Twilio: it is the https address where Twilio posts incoming SMS",
    ),
    ({**TWILIO, "MAKERLINK_TWILIO_FROM_NUMBER": "555-0100"}, "MAKERLINK_TWILIO_FROM_NUMBER must be a phone number"),
    ({"MAKERLINK_TELEGRAM_WEBHOOK_SECRET": "s3cret"}, "MAKERLINK_TELEGRAM_TOKEN is not"),
]


@pytest.mark.parametrize(("env", "sentence"), BAD)
def test_bad_settings_fail_in_one_sentence(monkeypatch, env, sentence):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert sentence in message
    assert message.count("\n") == 0 and message.endswith(".")


def test_secrets_never_show(monkeypatch):
    monkeypatch.setenv("MAKERLINK_TELEGRAM_TOKEN", "123456:very-secret")
    settings = load_settings()
    assert "very-secret" not in repr(settings) and "very-secret" not in str(settings.model_dump())


def test_an_at_sign_in_the_database_password_is_refused_before_it_leaks(monkeypatch):
    monkeypatch.setenv("MAKERLINK_DATABASE_URL", "postgresql://bob:s3cr@t-Pass@127.0.0.1/app")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "write it as %40" in str(caught.value) and "t-Pass" not in str(caught.value)


def test_the_secret_key_turns_the_console_on_and_a_short_one_is_refused_without_being_shown(monkeypatch):
    assert load_settings().console_configured is False
    monkeypatch.setenv("MAKERLINK_SECRET_KEY", "   ")
    assert load_settings().console_configured is False  # blank is unset
    monkeypatch.setenv("MAKERLINK_SECRET_KEY", "hunter2-too-short")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("MAKERLINK_SECRET_KEY must be at least 32 characters")
    assert "hunter2" not in message and "token_urlsafe" in message
    monkeypatch.setenv("MAKERLINK_SECRET_KEY", "x" * 43)
    settings = load_settings()
    assert settings.console_configured and settings.secret_key.get_secret_value() == "x" * 43


def test_the_telegram_login_bot_is_a_bot_username_and_needs_the_token_and_public_url(monkeypatch):
    from bot.bootstrap import telegram_login

    assert telegram_login(load_settings()) is None
    monkeypatch.setenv("MAKERLINK_TELEGRAM_LOGIN_BOT", "@makerlink_detroit_bot")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "MAKERLINK_TELEGRAM_LOGIN_BOT needs MAKERLINK_TELEGRAM_TOKEN" in str(caught.value)
    monkeypatch.setenv("MAKERLINK_TELEGRAM_TOKEN", "7012345678:AAF-widget")
    monkeypatch.setenv("MAKERLINK_PUBLIC_URL", "https://makerlink.example.org")
    widget = telegram_login(load_settings())
    assert widget is not None and widget.bot_username == "makerlink_detroit_bot"
    monkeypatch.setenv("MAKERLINK_TELEGRAM_LOGIN_BOT", "makerlink.example.org")  # a domain, not the bot
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith("MAKERLINK_TELEGRAM_LOGIN_BOT must be the bot's username")


def test_the_cache_folder_is_the_setting_else_systemds_else_the_users(monkeypatch, tmp_path):
    for name in ("MAKERLINK_CACHE_DIR", "CACHE_DIRECTORY", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_settings().cache_path() == tmp_path / ".cache" / "makerlink"
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert str(load_settings().cache_path()) == "/xdg/makerlink"
    monkeypatch.setenv("CACHE_DIRECTORY", "/var/cache/makerlink")
    assert str(load_settings().cache_path()) == "/var/cache/makerlink"
    monkeypatch.setenv("MAKERLINK_CACHE_DIR", "/srv/cache")
    assert str(load_settings().cache_path()) == "/srv/cache"
