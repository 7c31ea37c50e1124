"""Several containers or units start together and each runs `makerlink db upgrade` (deploy/entrypoint.sh): on
PostgreSQL one migrates and the others wait for it, so none fails on a half-made schema."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.db import Database
from tests.conftest import fresh_postgres_schema

pytestmark = pytest.mark.real_clock  # makerlink runs as another process here


@pytest.mark.postgres
def test_concurrent_upgrades_of_an_empty_postgres_all_succeed(tmp_path):
    with fresh_postgres_schema() as url:
        env = {"MAKERLINK_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", "db", "upgrade"],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        results = [(process.wait(timeout=120), process.stderr.read()) for process in processes]
        assert all(code == 0 for code, _ in results), results
        db = Database(url)
        try:
            assert db.current_revision() == db.head_revision()
        finally:
            db.dispose()
