"""The run roles as real processes: `makerlink web` + `makerlink worker` on PostgreSQL, `makerlink serve` on SQLite,
each under a small version of the load and fault scripts (tests/benchmarks/load_*.py, restart_all.py).

The PostgreSQL parts skip without MAKERLINK_TEST_POSTGRES_URL (.ci/run sets it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.benchmarks.load_inbound import run_setup
from tests.benchmarks.load_workers import drain
from tests.benchmarks.restart_all import restart_all
from tests.benchmarks.roles import Post, Role, fake_twilio, role_env, running, signed_post
from tests.conftest import fresh_postgres_schema

pytestmark = pytest.mark.real_clock  # makerlink runs as another process here


def _check_inbound(result: dict) -> None:
    a = result["account"]
    assert result["settled"], a
    assert a["recorded"] == a["posts"] and a["lost"] == 0 and a["inbound_duplicates"] == 0, a
    assert a["retries"] > 0  # some posts were delivered twice, and changed nothing
    assert a["posts_without_reply"] == 0, a
    assert a["sent_once"] == a["outbound"] == a["twilio_sends"], a
    assert a["sent_twice_or_more"] == a["never_sent"] == a["stray_sends"] == 0, a
    assert result["tracebacks_in_logs"] == 0 and not result["secret_in_logs"]


def test_web_refuses_telegram_polling_and_warns_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKERLINK_")}
    env.update({"MAKERLINK_DATABASE_URL": f"sqlite:///{tmp_path}/w.db", "MAKERLINK_TELEGRAM_TOKEN": "123:abc"})
    out = subprocess.run(
        [sys.executable, "-m", "bot", "web"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
    )
    assert out.returncode == 2 and "webhook only" in out.stderr and "Traceback" not in out.stderr
    env.pop("MAKERLINK_TELEGRAM_TOKEN")
    out = subprocess.run(
        [sys.executable, "-m", "bot", "web"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
    )
    assert out.returncode == 2 and "makerlink serve" in out.stderr
    with fake_twilio(tmp_path) as twilio:
        web = Role("web", role_env(f"sqlite:///{tmp_path}/w.db", twilio), tmp_path)
        with running([web]):
            assert httpx.get(web.url + "/healthz", timeout=5).status_code == 200
        assert "is on SQLite" in web.log.read_text()


def test_inbound_load_on_serve_with_sqlite(tmp_path):
    result = run_setup("serve-sqlite", f"sqlite:///{tmp_path}/load.db", tmp_path, posts=100, concurrency=20,
                       retry_share=0.1)  # fmt: skip
    print(json.dumps(result))
    _check_inbound(result)


def test_two_web_processes_record_each_sms_once_and_a_worker_sends_each_reply(tmp_path):
    """`makerlink web` ×2 on PostgreSQL take the posts; only `makerlink worker` sends."""
    seen = {}

    def look(roles: list[Role]) -> None:
        web = roles[0]
        seen["health"] = httpx.get(web.url + "/healthz", timeout=5).json()
        content, headers = signed_post(Post("SM" + "4b" * 16, "+13135550100", "HELP"))
        forged = {**headers, "X-Twilio-Signature": "forged"}
        seen["forged"] = httpx.post(web.url + "/twilio/sms", content=content, headers=forged, timeout=5).status_code

    with fresh_postgres_schema() as url:
        result = run_setup("web-postgres", url, tmp_path, posts=100, concurrency=20, retry_share=0.1, after=look)
    print(json.dumps(result))
    _check_inbound(result)
    assert seen["health"]["ok"] and "dispatcher" not in seen["health"]  # the web role runs no dispatcher
    assert seen["forged"] == 403
    webs = (tmp_path / "web1.log").read_text() + (tmp_path / "web2.log").read_text()
    assert "Nothing is sent from here" in webs and "accepted as SM" not in webs
    assert (tmp_path / "worker.log").read_text().count("accepted as SM") == result["account"]["twilio_sends"]


def test_two_workers_send_each_message_once(tmp_path):
    with fresh_postgres_schema() as url:
        result = drain(url, tmp_path, messages=500, workers=2)
    print(json.dumps(result))
    assert result["sent_once"] == 500 and result["settled"], result
    assert result["sent_twice_or_more"] == result["never_sent"] == result["stray_sends"] == 0
    assert result["statuses"] == {"sent": 500} and result["tracebacks_in_logs"] == 0


def test_sigkill_of_every_process_mid_traffic_loses_nothing(tmp_path):
    with fresh_postgres_schema() as url:
        result = restart_all(
            "web-postgres", url, tmp_path, "SIGKILL", posts=80, queued=200, sms_per_second=50, at=0.3, webs=1, workers=1
        )
    print(json.dumps(result))
    a = result["account"]
    assert result["sent_before_restart"] < a["outbound"]  # killed with messages still to send
    assert result["nothing_lost"] and result["settled"], a
    assert a["recorded"] == a["posts"] and a["inbound_duplicates"] == 0
    assert a["never_sent"] == 0 and a["stray_sends"] == 0
    # What the killed worker had sent but not recorded is looked up at Twilio (the fake lists what it sent)
    # before a resend, so nothing goes out twice.
    assert a["sent_twice_or_more"] == 0


def test_sigterm_of_serve_mid_traffic_sends_nothing_twice(tmp_path):
    result = restart_all("serve-sqlite", f"sqlite:///{tmp_path}/r.db", tmp_path, "SIGTERM", posts=80, queued=200,
                         sms_per_second=50, at=0.3)  # fmt: skip
    print(json.dumps(result))
    a = result["account"]
    assert result["sent_before_restart"] < a["outbound"]  # stopped with messages still to send
    assert result["nothing_lost"] and result["settled"], a
    assert a["sent_twice_or_more"] == 0 and a["never_sent"] == 0 and a["inbound_duplicates"] == 0
