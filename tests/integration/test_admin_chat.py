"""The organisers' chat commands: /stats, /maker, /pause; everyone else is refused; every action recorded."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.models import AdminAction, Maker, OutboundMessage
from tests.conftest import DEMO_MAKERS
from tests.integration.test_buyer_chat import Buyer_, button, db, directory  # noqa: F401 - the journey tests' fixtures


@pytest.fixture
def admin(db, directory):  # noqa: F811
    return Buyer_(db, directory, user_id=999, username="organiser", first_name="Ola")


def say(person, command, args=""):
    return [text for text, _ in person._event(command=command, args=args)]


def test_stats_for_an_organiser(admin):
    [text] = say(admin, "stats")
    assert f"Makers: {DEMO_MAKERS} active, 0 paused, 0 stopped." in text and "Requests:" in text


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


# ── the guided /broadcast ──


def progress_lines(db):  # noqa: F811
    with db.read() as session:
        return session.exec(
            select(OutboundMessage).where(OutboundMessage.purpose == "broadcast_progress").order_by(OutboundMessage.id)
        ).all()


def alerts(db):  # noqa: F811
    with db.read() as session:
        return session.exec(select(OutboundMessage).where(OutboundMessage.purpose == "alert")).all()


def compose(admin, text="Hospitals need isolation gowns this week: who can sew? Reply YES and how many."):
    [(ask, _)] = asked = admin.command("broadcast")
    assert "Who should get it?" in ask
    [(ask, _)] = asked = admin.press(button(asked, "Makers"))
    assert "Only makers who can do something?" in ask
    [(ask, _)] = asked = admin.send("sewing")
    assert "near a ZIP" in ask
    [(ask, _)] = admin.send("48201 25")
    assert "send the text" in ask
    [(preview, _)] = shown = admin.send(text)
    return preview, shown


def test_guided_broadcast_previews_then_sends_once_with_a_progress_line(admin, db):  # noqa: F811
    from bot.services import broadcasts
    from tests.integration.test_buyer_chat import TAXONOMY

    preview, shown = compose(admin)
    with db.read() as session:
        wanted = broadcasts.audience(
            session, TAXONOMY, broadcasts.Audience(capability="sewing", zip="48201", radius_miles=25), "x", 0.0079
        )
    count = len(wanted.recipients)
    assert count > 0
    assert "to makers who can do “sewing” within 25 miles of 48201" in preview
    assert f"Reaches {count} people ({count} by sms)" in preview and "estimated cost $" in preview
    assert alerts(db) == []  # nothing before the confirmation

    send = button(shown, f"Send to {count}")
    admin.press(send)
    assert admin.toast is None
    assert len(alerts(db)) == count
    assert {a.address for a in alerts(db)} == {r.address for r in wanted.recipients}
    [line] = progress_lines(db)
    assert line.address == "999" and f"queued for {count} people" in line.text

    admin.press(send)  # a double tap
    assert "already been sent" in admin.toast
    assert len(alerts(db)) == count and len(progress_lines(db)) == 1
    with db.read() as session:
        actions = list(session.exec(select(AdminAction.action)).all())
    assert actions.count("broadcast_send") == 1 and "broadcast_draft" in actions


def test_progress_line_is_edited_as_the_broadcast_goes_and_ends_with_the_outcome(admin, db):  # noqa: F811
    from bot.services import broadcasts
    from tests.integration.test_buyer_chat import NOW

    _, shown = compose(admin)
    admin.press(button(shown, "Send to"))
    [line] = progress_lines(db)
    with db.transaction() as session:
        assert broadcasts.update_progress(session, NOW) == 0  # the line is not on screen yet: nothing to edit
        session.get(OutboundMessage, line.id).provider_id = "77"  # Telegram's message id, once sent
        sent = session.exec(select(OutboundMessage).where(OutboundMessage.purpose == "alert")).all()
        for message in sent[:2]:
            message.status = "sent"
        assert broadcasts.update_progress(session, NOW) == 1
        assert broadcasts.update_progress(session, NOW) == 0  # nothing changed since
    edits = [m for m in progress_lines(db) if m.edit_of == line.id]
    assert len(edits) == 1 and f"2 of {len(sent)} handled — 2 sent, 0 not sent" in edits[0].text
    with db.transaction() as session:
        for message in session.exec(select(OutboundMessage).where(OutboundMessage.purpose == "alert")).all():
            message.status = "sent"
        message.status, message.error_code = "cancelled", "recipient_opted_out"
        assert broadcasts.update_progress(session, NOW) == 0  # the first edit is still on its way: one at a time
        session.get(OutboundMessage, edits[0].id).status = "sent"
        assert broadcasts.update_progress(session, NOW) == 1
    final = [m for m in progress_lines(db) if m.edit_of == line.id][-1]
    assert f"done: {len(sent) - 1} of {len(sent)} sent" in final.text and "1 not sent (1 opted out)" in final.text
    with db.read() as session:
        assert session.get(broadcast_model(), line.broadcast_id).status == "sent"


def broadcast_model():
    from bot.models import Broadcast

    return Broadcast


def test_a_bad_zip_is_asked_again_and_a_new_text_replaces_the_draft(admin, db):  # noqa: F811
    admin.command("broadcast")
    admin.press("bc:to:all")
    admin.press("bc:cap")
    [(again, buttons)] = admin.send("somewhere nice")
    assert "is not a ZIP I know" in again and buttons
    [(ask, _)] = admin.press("bc:zip")
    assert "send the text" in ask
    shown = admin.send("First text")
    [(second, _)] = shown2 = admin.send("Second, better text")
    assert "“Second, better text”" in second
    with db.read() as session:
        drafts = session.exec(select(broadcast_model()).order_by(broadcast_model().id)).all()
    assert [d.status for d in drafts] == ["cancelled", "draft"]
    admin.press(button(shown, "Send to"))  # the first preview's button: that draft is gone
    assert admin.toast == "That broadcast is no longer a draft."
    assert alerts(db) == []
    [(text, _)] = admin.press(button(shown2, "Cancel"))
    assert "nothing was sent" in text
    assert alerts(db) == []


def test_a_non_admin_cannot_broadcast_nor_press_an_admins_button(db, directory, admin):  # noqa: F811
    _, shown = compose(admin)
    dana = Buyer_(db, directory)
    [(text, _)] = dana.command("broadcast")
    assert text == "Sorry — that command is for the organisers of this bot."
    dana.press(button(shown, "Send to"))  # callback data forged or forwarded
    assert dana.toast == "Sorry — that command is for the organisers of this bot."
    assert alerts(db) == []


def test_cancel_after_send_says_it_is_already_out_and_cancel_mid_way_drops_the_draft(admin, db):  # noqa: F811
    _, shown = compose(admin)
    admin.press(button(shown, "Send to"))
    [] = admin.press(button(shown, "Cancel"))
    assert "has already been sent" in admin.toast
    queued = len(alerts(db))

    _, shown = compose(admin, text="A second alert")
    [(text, _)] = admin.command("cancel")  # the /cancel command, in the middle of the wizard
    assert "nothing was sent" in text
    admin.press(button(shown, "Send to"))
    assert admin.toast == "That broadcast is no longer a draft."
    assert len(alerts(db)) == queued


def test_an_organiser_who_is_also_buying_keeps_their_request_conversation(admin, db):  # noqa: F811
    admin.command("start")
    admin.send("48201")
    [(summary, _)] = understood = admin.send("need 500 face shields by Friday")
    assert "Here is what I understood" in summary
    before = _conversations(db)
    compose(admin)
    admin.command("cancel")  # ends the broadcast, not the request
    assert _conversations(db) == before and before[0][0] == "telegram"
    [(text, _)] = admin.press(button(understood, "✅ Send"))
    assert text.startswith("Sent to ") and "makers" in text


def test_when_the_audience_changed_since_the_preview_send_shows_the_new_figures_first(admin, db):  # noqa: F811
    preview, shown = compose(admin)
    count = int(preview.split("Reaches ")[1].split(" ")[0])
    with db.transaction() as session:
        maker = session.exec(select(Maker).where(Maker.phone.in_([a for a in _sample_phones(db)]))).first()
        maker.status = "stopped"  # texted STOP meanwhile
    [(changed, buttons)] = admin.press(button(shown, "Send to"))
    assert "The audience changed since the preview" in changed and f"now reaches {count - 1} people" in changed
    assert alerts(db) == []
    admin.press(button([(changed, buttons)], f"Send to {count - 1}"))
    assert len(alerts(db)) == count - 1


def _sample_phones(db):  # noqa: F811
    from bot.services import broadcasts
    from tests.integration.test_buyer_chat import TAXONOMY

    with db.read() as session:
        who = broadcasts.Audience(capability="sewing", zip="48201", radius_miles=25)
        return [r.address for r in broadcasts.audience(session, TAXONOMY, who, "x", 0.0).recipients]


def _conversations(db):  # noqa: F811
    from bot.models import Conversation

    with db.read() as session:
        return session.exec(select(Conversation.channel, Conversation.state, Conversation.data)).all()


# ── /console: a one-time link to the web console ──


def test_console_sends_an_organiser_a_one_time_link(admin, db, monkeypatch):  # noqa: F811
    from dataclasses import replace

    from bot.models import ConsoleLogin
    from bot.services.console_access import ConsoleLinks
    from bot.signing import Signer
    from tests.integration import test_buyer_chat

    links = ConsoleLinks(public_url="https://bot.example.org", signer=Signer("k" * 40))
    monkeypatch.setattr(test_buyer_chat, "CONFIG", replace(test_buyer_chat.CONFIG, console=links))
    [text] = say(admin, "console")
    assert "https://bot.example.org/console/login/" in text and "10 minutes" in text
    [again] = say(admin, "console")
    assert again.split("\n")[1] != text.split("\n")[1]  # a new link each time
    with db.read() as session:
        logins = session.exec(select(ConsoleLogin)).all()
    assert [row.telegram_id for row in logins] == [999, 999] and all(row.used_at is None for row in logins)
    assert all(row.token_hash not in text for row in logins)  # the table keeps a hash, not the link
    dana = Buyer_(db, admin.directory)
    [refused] = say(dana, "console")
    assert refused == "Sorry — that command is for the organisers of this bot."
    with db.read() as session:
        assert len(session.exec(select(ConsoleLogin)).all()) == 2


def test_console_says_what_is_missing(admin, monkeypatch):
    from dataclasses import replace

    from bot.services.console_access import ConsoleLinks
    from bot.signing import Signer
    from tests.integration import test_buyer_chat

    [off] = say(admin, "console")
    assert "MAKERLINK_SECRET_KEY" in off
    links = ConsoleLinks(public_url=None, signer=Signer("k" * 40))
    monkeypatch.setattr(test_buyer_chat, "CONFIG", replace(test_buyer_chat.CONFIG, console=links))
    [no_url] = say(admin, "console")
    assert "MAKERLINK_PUBLIC_URL" in no_url
