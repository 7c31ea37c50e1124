"""The conversation store (bot/services/conversations.py), and migration 0007 that keyed it by flow: rows written
before the upgrade, the broadcast wizard's above all, carry on after it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from bot.db import Database
from bot.services import makers as maker_service
from bot.services.conversations import ConversationStore, Flow, Pending
from tests.conftest import demo_csv, fresh_postgres_schema
from tests.integration.test_buyer_chat import NOW, TAXONOMY, Buyer_

# ── the store ──


def store(session, flow=Flow.BUYER_CHAT, address="1001", now=NOW, ttl=None):
    return ConversationStore(session, flow, "telegram", address, now, ttl)


def test_remember_then_get_then_forget(any_db):
    with any_db.transaction() as session:
        assert store(session).get() is None
        store(session).remember("draft_place", {"request_id": 7, "asked": ["place"]})
    with any_db.transaction() as session:
        assert store(session).get() == Pending("draft_place", {"request_id": 7, "asked": ["place"]})
        store(session).remember("draft_ready", {"note": "Café «Łódź» 👍", "nul": "a\x00b"})
    with any_db.transaction() as session:
        assert store(session).get() == Pending("draft_ready", {"note": "Café «Łódź» 👍", "nul": "a\x00b"})
        store(session).forget()
        store(session).forget()  # forgetting twice is harmless
    with any_db.read() as session:
        assert store(session).get() is None


def test_flows_of_one_person_are_kept_apart(any_db):
    with any_db.transaction() as session:
        store(session, Flow.BUYER_CHAT).remember("ask_zip")
        store(session, Flow.BROADCAST).remember("zip", {"to": "makers"})
        store(session, Flow.BUYER_CHAT, address="1002").remember("set_zip")
    with any_db.transaction() as session:
        store(session, Flow.BROADCAST).forget()
    with any_db.read() as session:
        assert store(session, Flow.BUYER_CHAT).get() == Pending("ask_zip", {})
        assert store(session, Flow.BROADCAST).get() is None
        assert store(session, Flow.BUYER_CHAT, address="1002").get() == Pending("set_zip", {})


def test_with_a_ttl_a_stale_conversation_is_forgotten_and_can_start_again(any_db):
    ttl = timedelta(days=2)
    with any_db.transaction() as session:
        store(session, Flow.SMS_INBOX, now=NOW, ttl=ttl).remember("join_zip", {"name": "Ada's Bakery"})
    later = NOW + timedelta(days=1)
    with any_db.transaction() as session:
        assert store(session, Flow.SMS_INBOX, now=later, ttl=ttl).get() == Pending("join_zip", {"name": "Ada's Bakery"})
        assert store(session, Flow.SMS_INBOX, now=later + ttl, ttl=None).get() is not None  # no ttl: kept
    much_later = NOW + timedelta(days=3)
    with any_db.transaction() as session:
        # Overwriting a stale row in place: a delete and an insert of the same key in one flush would collide.
        store(session, Flow.SMS_INBOX, now=much_later, ttl=ttl).remember("join_name")
    with any_db.transaction() as session:
        assert store(session, Flow.SMS_INBOX, now=much_later, ttl=ttl).get() == Pending("join_name", {})
    with any_db.transaction() as session:
        assert store(session, Flow.SMS_INBOX, now=much_later + ttl + timedelta(seconds=1), ttl=ttl).get() is None
    with any_db.read() as session:
        assert store(session, Flow.SMS_INBOX).get() is None  # the read that found it stale deleted it


# ── migration 0007 ──

ORGANISER = "999"  # an admin in test_buyer_chat.CONFIG
WIZARD_DATA = {"text": None, "to": "makers", "capability": "sewing"}


@pytest.fixture(params=["sqlite", "postgres"])
def db_at_0006(request, tmp_path) -> Iterator[Database]:
    """A database as makerlink left it before conversations had a flow."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path}/old.db")
        command.upgrade(db._alembic_config(), "0006")
        yield db
        db.dispose()
        return
    with fresh_postgres_schema() as url:
        db = Database(url)
        try:
            command.upgrade(db._alembic_config(), "0006")
            yield db
        finally:
            db.dispose()


def _insert_old(db: Database, rows: list[tuple[str, str, str, dict]]) -> None:
    with db.engine.begin() as conn:
        for channel, address, state, data in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO conversation (channel, address, state, data, updated_at) "
                    "VALUES (:channel, :address, :state, :data, :at)"
                ).bindparams(sa.bindparam("at", type_=sa.DateTime(timezone=True))),
                {"channel": channel, "address": address, "state": state, "data": json.dumps(data), "at": NOW},
            )


def _raw(db: Database) -> list[tuple]:
    """Every conversation row as stored, whatever the revision's columns, in a stable order."""
    with db.engine.connect() as conn:
        columns = [c["name"] for c in sa.inspect(conn).get_columns("conversation")]
        keep = [c for c in ("channel", "address", "flow", "state", "data") if c in columns]
        rows = conn.execute(sa.text(f"SELECT {', '.join(keep)} FROM conversation")).all()
    return sorted(
        (tuple(json.loads(v) if k == "data" else v for k, v in zip(keep, r, strict=True)) for r in rows), key=str
    )


def test_a_broadcast_being_composed_before_the_upgrade_carries_on_after_it(db_at_0006):
    db = db_at_0006
    which = {"kind": "yes", "quantity": 200, "code": None}
    _insert_old(
        db,
        [
            ("telegram", ORGANISER, "ask_zip", {}),  # the organiser's own buyer chat: /start, asked for a ZIP
            ("admin:telegram", ORGANISER, "broadcast", {**WIZARD_DATA, "step": "zip"}),  # and their wizard
            ("sms", "+13135550101", "which", which),  # a maker asked which job they meant
        ],
    )
    assert db.upgrade() == db.head_revision()
    assert _raw(db) == sorted(
        [
            ("telegram", ORGANISER, "buyer_chat", "ask_zip", {}),
            ("telegram", ORGANISER, "broadcast", "zip", WIZARD_DATA),
            ("sms", "+13135550101", "sms_inbox", "which", which),
        ],
        key=str,
    )
    with db.read() as session:
        sms = ConversationStore(session, Flow.SMS_INBOX, "sms", "+13135550101", NOW, timedelta(days=2))
        assert sms.get() == Pending("which", which)

    maker_service.import_makers(db, demo_csv(), "demo", TAXONOMY)
    cache = maker_service.DirectoryCache(db, TAXONOMY)
    organiser = Buyer_(db, lambda: cache.get(NOW), user_id=int(ORGANISER), username="organiser", first_name="Ola")
    [(ask, _)] = organiser.send("48201 25")  # the wizard's next step: where
    assert ask.startswith("Now send the text of the alert")
    [(preview, _)] = organiser.send("Who can sew gowns this week? Reply YES.")
    assert "to makers who can do “sewing” within 25 miles of 48201" in preview
    [(cancelled, _)] = organiser.command("cancel")
    assert cancelled == "Broadcast cancelled; nothing was sent."
    [(place, _)] = organiser.send("48201")  # the buyer chat was waiting for a ZIP all along
    assert "48201" in place and "Detroit" in place


def test_downgrade_puts_the_wizard_back_under_its_old_key(db_at_0006):
    db = db_at_0006
    _insert_old(db, [("admin:sandbox", "42", "broadcast", {**WIZARD_DATA, "step": "capability"})])
    db.upgrade()
    assert _raw(db) == [("sandbox", "42", "broadcast", "capability", WIZARD_DATA)]
    command.downgrade(db._alembic_config(), "0006")
    assert _raw(db) == [("admin:sandbox", "42", "broadcast", {**WIZARD_DATA, "step": "capability"})]
    db.upgrade()
    assert _raw(db) == [("sandbox", "42", "broadcast", "capability", WIZARD_DATA)]
