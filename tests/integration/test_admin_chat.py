"""The organisers' chat commands: /stats, /maker, /pause; everyone else is refused; every action recorded."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.models import AdminAction, Maker, OutboundMessage
from tests.integration.test_buyer_chat import Buyer_, db, directory  # noqa: F401 - the journey tests' fixtures


@pytest.fixture
def admin(db, directory):  # noqa: F811
    return Buyer_(db, directory, user_id=999, username="organiser", first_name="Ola")


def say(person, command, args=""):
    return [text for text, _ in person._event(command=command, args=args)]


def test_stats_for_an_organiser(admin):
    [text] = say(admin, "stats")
    assert "Makers: 64 active, 0 paused, 0 stopped." in text and "Requests:" in text


def test_maker_by_phone_or_name(admin):
    [card] = say(admin, "maker", "(313) 555-0101")
    assert "+13135550101" in card and "Makes:" in card and "Responsiveness" in card
    [many] = say(admin, "maker", "a")
    assert "makers match" in many
    [none] = say(admin, "maker", "no such shop anywhere")
    assert "No maker matches" in none


def test_pause_tells_the_maker_and_is_recorded(admin, db):  # noqa: F811
    [done] = say(admin, "pause", "+13135550101")
    assert "is paused" in done
    with db.read() as session:
        maker = session.exec(select(Maker).where(Maker.phone == "+13135550101")).one()
        told = session.exec(select(OutboundMessage).where(OutboundMessage.purpose == "admin_pause")).one()
        actions = session.exec(select(AdminAction.actor, AdminAction.action, AdminAction.detail)).all()
    assert maker.status == "paused" and told.address == "+13135550101" and "RESUME" in told.text
    assert ("telegram:999", "pause", "+13135550101") in actions
    [again] = say(admin, "pause", "+13135550101")
    assert "already paused" in again


@pytest.mark.parametrize("command", ["stats", "maker", "pause"])
def test_everyone_else_is_refused_and_nothing_changes(db, directory, command):  # noqa: F811
    dana = Buyer_(db, directory)
    [text] = say(dana, command, "+13135550101")
    assert text == "Sorry — that command is for the organisers of this bot."
    with db.read() as session:
        assert session.exec(select(Maker).where(Maker.phone == "+13135550101")).one().status == "active"
        assert session.exec(select(AdminAction)).all() == []
