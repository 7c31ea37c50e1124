"""Crash safety of the outbox with real processes: SIGKILL mid-queue, and dispatchers racing on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.benchmarks.outbox_faults import kill_and_restart, parallel_workers
from tests.conftest import fresh_postgres_schema

pytestmark = pytest.mark.real_clock  # makerlink runs as another process here

# The most a kill can leave unrecorded: a batch's outcomes are written with the next claim (or RECORD_WITHIN after the
# first of them, which a zero-latency sender never reaches), and the fault worker claims 50 at a time.
MOST_UNRECORDED = 50


def test_sigkill_mid_queue_on_sqlite(tmp_path):
    report = kill_and_restart(f"sqlite:///{tmp_path}/kill.db", tmp_path)
    print(report)
    assert report.never_sent == 0
    assert report.kill_after is not None and report.kill_after < report.messages  # killed mid-queue
    assert report.max_sends_of_one <= 2
    assert report.sent_twice_or_more <= MOST_UNRECORDED


def test_sigkill_mid_queue_on_postgres(tmp_path):
    with fresh_postgres_schema() as url:
        report = kill_and_restart(url, tmp_path)
    print(report)
    assert report.never_sent == 0 and report.max_sends_of_one <= 2
    assert report.sent_twice_or_more <= MOST_UNRECORDED


def test_sigkill_with_the_provider_asked_before_a_resend_sends_each_once(tmp_path):
    report = kill_and_restart(f"sqlite:///{tmp_path}/kill.db", tmp_path, lookup=True)
    print(report)
    assert report.kill_after is not None and report.kill_after < report.messages
    assert report.never_sent == 0 and report.sent_twice_or_more == 0 and report.sent_once == report.messages


def test_two_dispatchers_on_postgres_never_send_twice(tmp_path):
    with fresh_postgres_schema() as url:
        report = parallel_workers(url, tmp_path, n=10_000, workers=2)
    print(report)
    assert report.never_sent == 0
    assert report.sent_twice_or_more == 0
