"""deploy/ as an operator uses it: the files parse, name every setting makerlink has and no other, and wire the
roles, the health check and the proxy together as deploy/README.md says. (Docker cannot run here.)"""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from bot.config import ENV_PREFIX, Settings
from tests.integration.peers import free_port

DEPLOY = Path(__file__).parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("makerlink*"))
SETTINGS = {ENV_PREFIX + name.upper() for name in Settings.model_fields}


def _env_example() -> dict[str, str]:
    text = (DEPLOY / "makerlink.env.example").read_text()
    return dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, re.MULTILINE))


def test_the_env_example_lists_every_setting_and_nothing_makerlink_does_not_read():
    listed = {name for name in _env_example() if name.startswith(ENV_PREFIX)}
    assert SETTINGS - listed == set(), "settings missing from deploy/makerlink.env.example"
    assert listed - SETTINGS == set(), "deploy/makerlink.env.example names settings makerlink does not have"


def test_the_env_example_has_a_comment_for_each_setting_and_loads_as_it_stands(tmp_path, monkeypatch):
    lines = (DEPLOY / "makerlink.env.example").read_text().splitlines()
    for number, line in enumerate(lines):
        if line.startswith(ENV_PREFIX):
            above = next(lines[i] for i in range(number - 1, -1, -1) if not lines[i].startswith(ENV_PREFIX))
            assert above.startswith("# "), f"no comment above {line}"
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=DEPLOY / "makerlink.env.example")
    assert settings.public_url == "https://bot.example.org" and settings.is_sandbox
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    # The values shown are the defaults, so the example documents them (except the two meant to be edited).
    for name, value in settings.model_dump().items():
        if name not in ("database_url", "public_url", "admin_telegram_ids"):
            assert value == defaults[name], name


def _dockerfile() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())  # join continued lines
    return re.findall(r"^([A-Z]+)\s+(.*)$", text, re.MULTILINE)


def test_the_dockerfile_runs_as_a_user_checks_health_and_migrates_before_the_role():
    instructions = _dockerfile()
    names = [name for name, _ in instructions]
    assert names.count("FROM") == 2 and all("python:3.11-slim" in arg for n, arg in instructions if n == "FROM")
    user = [arg for name, arg in instructions if name == "USER"][-1]
    assert user.split(":")[0] not in ("root", "0")
    assert names.index("USER") > max(i for i, n in enumerate(names) if n == "RUN")  # nothing runs as root after
    assert [arg for name, arg in instructions if name == "ENTRYPOINT"] == ['["makerlink-entrypoint"]']
    copies = [arg for name, arg in instructions if name == "COPY"]
    assert "--chmod=0755 deploy/entrypoint.sh /usr/local/bin/makerlink-entrypoint" in copies


def _healthcheck_command() -> list[str]:
    [health] = [arg for name, arg in _dockerfile() if name == "HEALTHCHECK"]
    return json.loads(health[health.index("CMD") + 3 :])


def _serving(app, port: int):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.02)
    return server, thread


def test_the_image_healthcheck_passes_on_a_healthy_app_and_fails_on_a_503(sqlite_db, tmp_path):
    from bot.db import Database
    from bot.web import create_app

    command = _healthcheck_command()
    assert command[0] == "python" and "urllib.request" in command[-1]
    command[0] = sys.executable
    for db, expected in ((sqlite_db, 0), (Database(f"sqlite:///{tmp_path}/missing/dir/x.db"), 1)):
        port = free_port()
        server, thread = _serving(create_app(db), port)
        try:
            env = {"MAKERLINK_PORT": str(port), "PATH": "/usr/bin:/bin"}
            result = subprocess.run(command, env=env, capture_output=True, timeout=30)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
        assert result.returncode == expected, result.stderr


@pytest.mark.skipif(not shutil.which("sh"), reason="no POSIX shell")
@pytest.mark.parametrize(
    "args, expected",
    [
        (["web"], ["db upgrade", "web --host 0.0.0.0 --port 8000"]),
        (["worker"], ["db upgrade", "worker"]),
        ([], ["db upgrade", "serve --host 0.0.0.0 --port 8000"]),
        (["makers", "import", "/data/makers.csv"], ["makers import /data/makers.csv"]),
    ],
)
def test_the_entrypoint_migrates_then_becomes_the_role(tmp_path, args, expected):
    # A stand-in `makerlink` on PATH records how the entrypoint calls it.
    fake = tmp_path / "makerlink"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/calls\n')
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin"}
    subprocess.run(["sh", str(DEPLOY / "entrypoint.sh"), *args], env=env, check=True, timeout=10)
    assert (tmp_path / "calls").read_text().splitlines() == expected


def test_compose_has_postgres_web_worker_and_a_tls_proxy():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "web", "worker", "caddy"}
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in services["postgres"]["volumes"])
    assert services["web"]["command"] == ["web"] and services["worker"]["command"] == ["worker"]
    for role in ("web", "worker"):
        service = services[role]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["environment"]["MAKERLINK_DATABASE_URL"].startswith("postgresql://")
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "container_name" not in service and "ports" not in service  # so --scale works
    assert services["web"]["environment"]["MAKERLINK_HOST"] == "0.0.0.0"
    assert services["worker"]["healthcheck"] == {"disable": True}  # no HTTP in the worker role
    caddy = services["caddy"]
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert "MAKERLINK_PUBLIC_URL" in caddy["environment"]


def test_the_caddyfile_proxies_the_webhooks_to_web_and_keeps_metrics_inside():
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert caddyfile.count("{") == caddyfile.count("}")
    assert re.search(r"^\{\$MAKERLINK_PUBLIC_URL\} \{", caddyfile, re.MULTILINE)
    matcher = re.search(r"@bot path (.+)", caddyfile)
    assert matcher is not None
    assert set(matcher.group(1).split()) == {
        "/twilio/sms",
        "/twilio/status",
        "/telegram/webhook",
        "/healthz",
        "/console",
        "/console/*",
        "/media/*",
    }
    block = caddyfile[caddyfile.index("handle @bot") :]
    assert re.search(r"dynamic a \{\s+name web\s+port 8000", block)
    # Passive checks: Caddy's active ones (health_uri) skip dynamic upstreams.
    assert "fail_duration 30s" in block and "unhealthy_status 5xx" in block and "health_uri " not in block
    assert "/metrics" not in matcher.group(1)


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_systemd_units_parse_and_are_hardened(unit):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read_string(unit.read_text())
    assert "Unit" in parser and "Install" in parser
    if unit.suffix == ".target":
        return
    service = parser["Service"]
    assert service["User"] == "makerlink" and service["EnvironmentFile"] == "/etc/makerlink/makerlink.env"
    assert service["ExecStartPre"].endswith("makerlink db upgrade")
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["CapabilityBoundingSet"] == ""
    role = service["ExecStart"].split()[1]
    assert role in ("serve", "web", "worker")
    if role == "web":
        assert service["ExecStart"].endswith("--host 127.0.0.1 --port %i")


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed here")
def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    # The units name /opt/makerlink/venv and /etc/makerlink; point them at this checkout's makerlink for the check.
    makerlink = Path(sys.executable).with_name("makerlink")
    assert makerlink.exists(), "install makerlink into this virtualenv first"
    (tmp_path / "env").write_text("")
    for unit in UNITS:
        text = unit.read_text().replace("/opt/makerlink/venv/bin/makerlink", str(makerlink))
        (tmp_path / unit.name).write_text(text.replace("/etc/makerlink/makerlink.env", str(tmp_path / "env")))
    instances = {
        "makerlink-web@.service": "makerlink-web@8001.service",
        "makerlink-worker@.service": "makerlink-worker@1.service",
    }
    names = []
    for unit in UNITS:
        name = instances.get(unit.name, unit.name)
        if name != unit.name:
            (tmp_path / name).symlink_to(tmp_path / unit.name)
        names.append(str(tmp_path / name))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), result.stderr
