"""The `makerlink` command, run as a subprocess the way an operator runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import DEMO_MAKERS, fresh_postgres_schema
from tests.integration.peers import free_port

pytestmark = pytest.mark.real_clock  # makerlink runs as another process here


@pytest.fixture
def run(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKERLINK_")}
    env["MAKERLINK_DATABASE_URL"] = f"sqlite:///{tmp_path}/cli.db"

    def _run(*args: str, stdin: str | None = None, extra_env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=stdin,
            capture_output=True,
            text=True,
            errors="surrogateescape",  # a test can feed bytes that are not UTF-8 as "\udcff"
            cwd=tmp_path,
            env={**env, **(extra_env or {})},
            timeout=120,
        )

    return _run


def test_help_lists_the_commands(run):
    out = run("--help")
    assert out.returncode == 0
    for command in ("serve", "db", "makers", "match"):
        assert command in out.stdout


def test_db_upgrade(run, tmp_path):
    out = run("db", "upgrade")
    assert out.returncode == 0, out.stderr
    assert "is at revision 0013" in out.stdout
    assert (tmp_path / "cli.db").exists()


def test_import_list_match(run, tmp_path):
    imported = run("makers", "import", "--demo", "--json")
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert report["created"] >= 60 and report["skipped"] == []

    listed = json.loads(run("makers", "list", "--json").stdout)
    assert len(listed) == report["created"]
    lift = next(m for m in listed if m["name"] == "LIFT")
    assert lift["phone"] == "+13135550100" and "n95" in lift["concepts"]

    plain = run("makers", "list")
    assert plain.returncode == 0 and "Maker Works" in plain.stdout

    matched = run("match", "need 500 face shields by Friday near 48201", "--json")
    result = json.loads(matched.stdout)
    assert result["request"]["item"] == "face shields" and result["request"]["zip"] == "48201"
    assert result["matches"][0]["name"] in {"Neumann/Smith Architecture", "Xenith"}
    assert set(result["matches"][0]) == {
        "maker_id", "name", "score", "distance_miles", "matched", "why", "type", "badges", "practices", "emissions",
    }  # fmt: skip
    assert result["matches"][0]["emissions"]["estimate"] is True  # 500 face shields: a weight is known

    human = run("match", "Gowns", "--zip", "48126", "--limit", "3")
    assert human.returncode == 0
    assert human.stdout.count("score") == 3 and "Understood: Gowns · near 48126" in human.stdout

    nobody = run("match", "thermometers near 48201")
    assert "No maker fits this request within 50 miles of 48201." in nobody.stdout

    radius = json.loads(run("match", "Gowns", "--zip", "49544", "--radius-miles", "200", "--json").stdout)
    assert radius["matches"] and all(m["distance_miles"] <= 200 for m in radius["matches"])


def test_match_reads_stdin_one_json_line_per_request(run):
    run("makers", "import", "--demo")
    requests = ["N95s near 48201", "", "thermometers near 48201", "necesitamos 500 caretas cerca de 48201", "🙂"]
    out = run("match", "-", stdin="\n".join(requests) + "\n")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == len(requests)
    assert [m["name"] for m in lines[0]["matches"]] == ["LIFT"]
    assert lines[1]["matches"] == [] and lines[1]["request"]["item"] is None
    assert lines[2]["matches"] == []
    assert lines[3]["request"]["quantity"] == 500 and lines[3]["matches"]
    # The empty line and the emoji could not be used: their lines say so, the others were answered.
    assert [line.get("error", {}).get("code") for line in lines] == [None, "no_item", None, None, "no_item"]
    assert lines[1]["error"]["message"].startswith("I could not tell what is needed.")
    assert out.returncode == 1, out.stderr


def test_match_stdin_goes_on_after_a_line_that_is_not_utf8(run):
    run("makers", "import", "--demo")
    out = run("match", "-", stdin="N95s near 48201\n\udce9t\udce9 gowns\ngowns near 48126\n")
    assert "Traceback" not in out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line.get("error", {}).get("code") for line in lines] == [None, "not_utf8", None]
    assert "not UTF-8" in lines[1]["error"]["message"] and lines[2]["matches"]
    assert out.returncode == 1
    understood = run("match", "-", stdin="N95s near 48201\ngowns near 48126\n")
    assert understood.returncode == 0 and "error" not in understood.stdout


def test_match_with_nothing_to_look_for_is_exit_code_1(run, tmp_path):
    out = run("match", "")
    assert out.returncode == 1
    assert out.stderr.strip().startswith("I could not tell what is needed.") and out.stdout == ""
    as_json = run("match", "🙂", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["error"]["code"] == "no_item"
    assert not (tmp_path / "cli.db").exists()  # bad input: no database created for nothing
    assert "Exit codes" in run("match", "--help").stdout


def test_match_json_says_urgency_process_and_material(run):
    run("makers", "import", "--demo")
    made = json.loads(run("match", "CNC machined aluminum brackets, 50 pcs asap near 48201", "--json").stdout)
    assert made["request"] == {
        "item": "CNC machined aluminum brackets", "quantity": 50, "unit": "piece", "deadline": None,
        "zip": "48201", "urgency": "asap", "product": "brackets", "process": "CNC machining", "material": "aluminum",
        "preferences": [], "only": [],
    }  # fmt: skip
    plain = json.loads(run("match", "gowns near 48201", "--json").stdout)["request"]
    assert (plain["urgency"], plain["product"], plain["process"], plain["material"]) == (None, "gowns", None, None)


def test_match_json_says_what_the_buyer_prefers_and_who_each_maker_is(run):
    run("makers", "import", "--demo")
    answer = json.loads(run("match", "only Made in Detroit tote bags near 48201", "--json").stdout)
    assert answer["request"]["preferences"] == ["made-in-detroit"] and answer["request"]["only"] == ["made-in-detroit"]
    assert {"type", "badges", "practices"} <= set(answer["matches"][0]) if answer["matches"] else answer["hidden"] > 0
    text = run("match", "only Made in Detroit tote bags near 48201").stdout
    assert "left out" in text


def test_match_on_an_empty_directory_says_what_to_do(run):
    out = run("match", "gowns")
    assert out.returncode == 0
    assert "makerlink makers import" in out.stderr


def test_import_reports_bad_rows_by_line(run, tmp_path):
    path = tmp_path / "makers.csv"
    path.write_text(
        "name,phone,zip,capabilities\n"
        "Good,(313) 555-0100,48201,gowns\n"
        "No phone,,48201,gowns\n"
        "Bad zip,(313) 555-0101,00000,gowns\n",
        encoding="utf-8",
    )
    out = run("makers", "import", str(path))
    assert out.returncode == 1
    assert "1 new" in out.stdout
    assert "line 3: no phone number" in out.stdout
    assert "line 4: “00000” is not a known US ZIP code" in out.stdout
    again = run("makers", "import", str(path), "--json")
    assert json.loads(again.stdout)["unchanged"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "is not a CSV file"),
        (b"just some text\n", "is not a maker CSV"),
        (b"", "is empty"),
    ],
)
def test_import_refuses_a_file_that_is_not_a_maker_csv(run, tmp_path, content, message):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    out = run("makers", "import", str(path))
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("makers", "import", "missing.csv"),
        ("makers", "import", "photo.png"),
        ("makers", "import", "notes.txt"),
        ("makers", "import", "bad-rows.csv"),
        ("match", ""),
        ("requests", "invite", "🙂 near 48201"),
        ("requests", "invite", "gowns", "--zip", "00000"),
        ("broadcast", "   ", "--yes"),
        ("broadcast", "Gowns needed", "--to", "everyone"),
        ("messages", "list", "--status", "lost"),
    ],
    ids=lambda args: " ".join(args),
)
def test_bad_input_leaves_no_database_behind(tmp_path, args):
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "notes.txt").write_text("just some text\n", encoding="utf-8")
    (tmp_path / "bad-rows.csv").write_text("name,phone,zip,capabilities\nNo phone,,48201,gowns\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKERLINK_")}  # the default database
    out = subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    assert out.returncode in (1, 2) and (out.stdout + out.stderr).strip() and "Traceback" not in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("makerlink")) == []


def test_import_needs_exactly_one_source(run, tmp_path):
    assert "Give a CSV file" in run("makers", "import").stderr
    assert run("makers", "import", str(tmp_path / "missing.csv")).stderr.strip().endswith("does not exist.")


def test_bad_setting_is_one_sentence(run):
    out = run("makers", "list", extra_env={"MAKERLINK_SMS_PER_SECOND": "fast"})
    assert out.returncode == 2
    assert out.stderr.strip() == "Configuration error: MAKERLINK_SMS_PER_SECOND must be a number (got 'fast')."


def test_unreachable_database_is_one_sentence_without_password(run):
    out = run(
        "makers",
        "list",
        extra_env={"MAKERLINK_DATABASE_URL": "postgresql://bot:hunter2@127.0.0.1:1/nowhere"},
    )
    assert out.returncode == 2
    assert out.stderr.startswith("Database error:") and "hunter2" not in out.stderr and "Traceback" not in out.stderr


def test_serve_without_accounts_opens_the_sandbox_on_its_own_database(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKERLINK_")}
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        banner = "".join(server.stdout.readline() for _ in range(3))
        assert "sandbox" in banner and "nothing leaves this machine" in banner
        assert f"http://127.0.0.1:{port}/" in banner and f"{DEMO_MAKERS} demo makers" in banner
        deadline = time.monotonic() + 20
        while True:
            try:
                state = httpx.get(f"http://127.0.0.1:{port}/sandbox/state", timeout=2).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "the sandbox did not start"
                time.sleep(0.2)
        assert len(state["makers"]) == DEMO_MAKERS
        assert "SANDBOX" in httpx.get(f"http://127.0.0.1:{port}/", timeout=2).text
        assert (tmp_path / "makerlink-sandbox.db").exists() and not (tmp_path / "makerlink.db").exists()
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert "Application shutdown complete" in output and "Traceback" not in output, output


def test_serve_without_accounts_refuses_a_database_it_did_not_make(run):
    assert run("makers", "import", "--demo").returncode == 0
    out = run("serve")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "the sandbox did not create" in out.stderr


def test_the_sandbox_listens_on_this_machine_only(run, tmp_path):
    out = run("serve", "--host", "0.0.0.0")
    assert out.returncode == 2 and "listens on this machine only" in out.stderr
    assert out.stderr.strip().count("\n") == 0


def test_the_real_bot_refuses_the_sandboxs_database(run, tmp_path):
    from bot.channels import sandbox
    from bot.db import Database

    db = Database(f"sqlite:///{tmp_path}/cli.db")
    db.ensure_schema()
    sandbox.claim_database(db)  # as `serve` without accounts leaves it
    db.dispose()
    out = run("worker")
    assert out.returncode == 2 and "is the sandbox's database" in out.stderr
    out = run("web", extra_env={"MAKERLINK_TELEGRAM_TOKEN": "123456:abc", "MAKERLINK_PUBLIC_URL": "https://x.org"})
    assert out.returncode == 2 and "is the sandbox's database" in out.stderr
    assert "123456:abc" not in out.stderr


def test_serve_with_a_half_configured_channel_says_what_is_missing(run):
    out = run("serve", extra_env={"MAKERLINK_TWILIO_ACCOUNT_SID": "AC" + "1" * 32})
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "MAKERLINK_TWILIO_AUTH_TOKEN is required" in out.stderr


def test_python_dash_m_bot_is_the_same_command(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0 and "makerlink" in out.stdout


def test_postgres_through_the_url(run):
    with fresh_postgres_schema() as url:
        env = {"MAKERLINK_DATABASE_URL": url}
        refused = run("makers", "list", extra_env=env)
        assert refused.returncode == 2 and "makerlink db upgrade" in refused.stderr
        assert run("db", "upgrade", extra_env=env).returncode == 0
        assert run("makers", "import", "--demo", extra_env=env).returncode == 0
        out = json.loads(run("match", "N95s near 48201", "--json", extra_env=env).stdout)
        assert [m["name"] for m in out["matches"]] == ["LIFT"]


def test_ci_runs_the_readme_test_command():
    root = Path(__file__).parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    assert "make run " in readme and "make test " in readme
    assert "\nmake test\n" in ci
    assert "makerlink serve" in makefile and "pytest" in makefile and "ruff check" in makefile and "mypy" in makefile


def test_a_database_from_a_newer_makerlink_is_refused_in_one_sentence(run, tmp_path):
    assert run("db", "upgrade").returncode == 0
    import sqlite3

    conn = sqlite3.connect(tmp_path / "cli.db")
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    out = run("makers", "list")
    assert out.returncode == 2
    assert out.stderr.startswith("Database error:") and "9999_from_the_future" in out.stderr
    assert "Traceback" not in out.stderr


def test_worker_starts_and_stops_on_sigterm(tmp_path):
    import signal
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKERLINK_")}
    env["MAKERLINK_DATABASE_URL"] = f"sqlite:///{tmp_path}/w.db"
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    assert worker.stdout is not None
    line = worker.stdout.readline()
    assert "worker" in line, line
    time.sleep(1.0)
    assert worker.poll() is None and time.monotonic() < deadline
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "Worker stopped." in out and "Traceback" not in err


def test_broadcast_dry_run_then_send_and_stats(run):
    assert run("makers", "import", "--demo").returncode == 0
    dry = run("broadcast", "Hospitals need gowns this week: who can sew?", "--capability", "sewing", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would reach" in dry.stdout and "segment" in dry.stdout
    sent = run("broadcast", "Hospitals need gowns this week: who can sew?", "--capability", "sewing", "--yes", "--json")
    assert sent.returncode == 0, sent.stderr
    import json as _json

    preview, report = (_json.loads(line) for line in sent.stdout.strip().splitlines())
    assert preview["preview"]["recipients"] == report["recipients"] > 0
    assert report["messages"] == {"queued": report["recipients"]}
    stats = _json.loads(run("stats", "--json").stdout)
    assert stats["broadcasts"][0]["recipients"] == report["recipients"]
    bad = run("broadcast", "hello", "--to", "everyone")
    assert bad.returncode == 1 and "--to must be one of" in bad.stderr


def test_a_broadcast_to_nobody_is_refused_and_stores_nothing(run):
    assert run("makers", "import", "--demo").returncode == 0
    nobody = ("broadcast", "Hospitals need gowns this week: who can sew?", "--to", "buyers")  # no buyers yet
    dry = run(*nobody, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip() == "Nobody matches this audience, so nothing would be sent (left out: none)."
    sent = run(*nobody, "--yes")
    assert sent.returncode == 1
    assert sent.stderr.strip() == "Not sent: nobody matches this audience (left out: none)." and sent.stdout == ""
    assert run(*nobody).returncode == 1  # without --yes: refused, nothing to confirm
    as_json = run(*nobody, "--yes", "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout) == {
        "broadcast": None,
        "preview": {
            "recipients": 0,
            "by_channel": {},
            "excluded": {},
            "sms_segments": 1,
            "sms_versions": [],
            "sms_beyond_gsm7": "",
            "sms_summary": "none to send",
            "estimated_cost_usd": 0.0,
            "sample": [],
        },
    }
    assert json.loads(run("stats", "--json").stdout)["broadcasts"] == []  # no draft, no broadcast


def test_serve_and_web_on_a_busy_port_say_so_before_starting(run, tmp_path):
    import socket

    port = free_port()
    taken = socket.socket()
    taken.bind(("127.0.0.1", port))
    taken.listen()
    in_use = (
        f"Port {port} on 127.0.0.1 is already in use (another makerlink serve?). "
        "Stop it or choose another with --port."
    )
    try:
        sandbox = run("serve", "--port", str(port))
        bot = run(
            "web",
            "--port",
            str(port),
            extra_env={"MAKERLINK_TELEGRAM_TOKEN": "123456:abc", "MAKERLINK_PUBLIC_URL": "https://bot.example.org"},
        )
    finally:
        taken.close()
    for out in (sandbox, bot):
        assert out.returncode == 2
        assert out.stderr.strip() == in_use  # nothing before it: no start-up, no log lines
        assert out.stdout == ""  # no banner, no "Open http://…"


def _serve_on_a_terminal(tmp_path, *flags: str, terminal: bool = True) -> tuple[str, list[str]]:
    """`makerlink serve` (the sandbox) with its output on a pseudo-terminal, as after `make run`, and BROWSER set to
    a script that notes what it was asked to open; stopped once the banner is out. Returns the output and the notes."""
    import pty
    import select
    import signal
    import time

    opened = tmp_path / "opened.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKERLINK_") and k not in ("DISPLAY",)}
    env["BROWSER"] = str(script)
    port = free_port()
    primary, secondary = pty.openpty() if terminal else (None, None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(port), *flags],
            cwd=tmp_path,
            env=env,
            stdout=secondary if terminal else out,
            stderr=out,
        )
    if terminal:
        os.close(secondary)
    output = b""
    try:
        deadline = time.monotonic() + 60
        settled = None  # the browser is opened from a thread, right after the banner: read a little longer
        while time.monotonic() < (settled or deadline):
            if terminal:
                if select.select([primary], [], [], 0.2)[0]:
                    try:
                        output += os.read(primary, 4096)
                    except OSError:
                        break
            else:
                time.sleep(0.2)
                output = log.read_bytes()
            if settled is None and b"Ctrl-C stops" in output:
                settled = time.monotonic() + 1.5
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        if terminal:
            os.close(primary)
    return output.decode(errors="replace"), opened.read_text().split() if opened.exists() else []


def test_the_sandbox_opens_in_the_browser_of_the_person_at_the_terminal(tmp_path):
    output, opened = _serve_on_a_terminal(tmp_path)
    [url] = opened
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")
    assert f"Opening {url} in your browser" in output


def test_the_sandbox_opens_no_browser_when_asked_not_to_or_not_at_a_terminal(tmp_path):
    output, opened = _serve_on_a_terminal(tmp_path, "--no-browser")
    assert "Ctrl-C stops" in output and opened == [] and "Opening" not in output
    output, opened = _serve_on_a_terminal(tmp_path / "..", terminal=False)  # a test or a service manager
    assert "Ctrl-C stops" in output and opened == []
