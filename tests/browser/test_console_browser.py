"""The organisers' console in headless Chromium: a one-time link logs the organiser in (the Strict cookie, the
CSP and the forms as a real browser applies them), then the day's work, then log-out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlmodel import SQLModel, select

from bot import outbox, texts
from bot.console.auth import COOKIE
from bot.db import Database
from bot.models import AdminAction, Maker, MessageStatus, OutboundMessage, Request, utcnow
from bot.services import console_access
from bot.services import makers as maker_service
from bot.services import requests as request_service
from bot.signing import SESSION, Signer, new_nonce
from matching.taxonomy import load_taxonomy
from tests.browser.journey import console_server
from tests.browser.test_sandbox_browser import browser  # noqa: F401 - the fixture: Debian's Chromium, or a skip
from tests.conftest import demo_csv

SECRET = "c" * 40
ORGANISER = 4242


def programme(folder: Path) -> tuple[Database, str]:
    """A database with the demo makers and one request sent to one of them; returns it and the request's code."""
    db = Database(f"sqlite:///{folder}/console.db")
    db.upgrade()
    taxonomy = load_taxonomy()
    maker_service.import_makers(db, demo_csv(), "demo", taxonomy)
    opened = request_service.open_request(
        db, taxonomy, "500 face shields by Friday near 48201", radius_miles=50, max_invites=1
    )
    return db, opened.request.code


def reading(browser) -> tuple[Callable[[], str], Callable[[str], None], Callable[[str], None]]:  # noqa: F811
    """What the tests do on a page: read its main text, wait for a page that says something, press a button."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def text() -> str:
        return browser.find_element(By.TAG_NAME, "main").text

    def see(words: str) -> None:
        """Wait for the page that says this (a click's navigation may still be under way)."""
        # A page read while a click's navigation replaces it: no element, a stale one, or a node that left the
        # document; read again.
        WebDriverWait(browser, 20, ignored_exceptions=(WebDriverException,)).until(
            lambda _driver: words in text(), f"a page saying “{words}”"
        )

    def press(label: str) -> None:
        browser.find_element(By.XPATH, f"//button[normalize-space()='{label}']").click()

    return text, see, press


def test_an_organiser_works_through_the_console_in_the_browser(browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    db, code = programme(tmp_path)
    with db.transaction() as session:
        failed = outbox.enqueue(
            session, channel="sms", address="+13135550142", text="hello", purpose="alert", key="k", now=utcnow()
        )
        failed.status, failed.error_code = MessageStatus.FAILED.value, "30003"
        failed_id = failed.id
    with console_server(db, SECRET, ORGANISER) as url:
        links = console_access.ConsoleLinks(public_url=url, signer=Signer(SECRET))
        with db.transaction() as session:
            link = console_access.issue_link(session, links, ORGANISER, utcnow())

        text, see, press = reading(browser)
        browser.get(link)
        press("Log in")
        see("Requests waiting for answers")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Today" and code in text()
        # The stylesheet came through the CSP: the page is laid out, not bare.
        nav = browser.find_element(By.CSS_SELECTOR, "nav ul")
        assert nav.value_of_css_property("display") == "flex"

        browser.find_element(By.LINK_TEXT, "Requests").click()
        browser.find_element(By.ID, "q").send_keys(code)
        press("Show")
        see("newest first")
        browser.find_element(By.LINK_TEXT, code).click()
        see("Ask more makers")
        count = browser.find_element(By.ID, "count")
        count.clear()
        count.send_keys("1")
        press("Ask")
        see(f"1 more makers asked about request {code}.")

        maker_link = browser.find_element(By.CSS_SELECTOR, "#answers ~ table a[href^='/console/makers/']")
        maker_link.click()
        see("As the matcher understood it")
        browser.find_element(By.LINK_TEXT, "Edit the listing").click()
        see("The same rules as the maker CSV apply")
        lead = browser.find_element(By.ID, "lead_time_days")
        lead.clear()
        lead.send_keys("6")
        press("Save")
        see("The listing is saved")

        browser.find_element(By.LINK_TEXT, "Broadcasts").click()
        see("A new alert")
        browser.find_element(By.ID, "text").send_keys("Who can sew gowns this week? Reply YES and how many.")
        browser.find_element(By.ID, "capability").send_keys("sewing")
        press("Preview")
        see("GSM-7, 1 segment each")
        browser.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'Send to ')]").click()
        see("queued")

        browser.get(f"{url}/console/messages?status=failed")
        see("phone unreachable")
        press("Send again")
        see(f"Message #{failed_id} is queued again")

        browser.find_element(By.LINK_TEXT, "Figures").click()
        see("Per week")
        assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect")

        press("Log out")
        see("You are logged out")
        browser.get(f"{url}/console/")
        see("Please log in")
        errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert [e for e in errors if "401" not in e["message"]] == [], errors  # CSP violations would show here
    with db.read() as session:
        actions = session.exec(select(AdminAction.action).order_by(AdminAction.id)).all()
        lead_time = session.exec(select(Maker.lead_time_days).where(Maker.lead_time_days == 6)).all()
        retried = session.get(OutboundMessage, failed_id)
    assert actions == [
        "console_login",
        "request_invite",
        "maker_edit",
        "broadcast_draft",
        "broadcast_send",
        "message_retry",
        "console_logout",
    ]
    assert lead_time == [6] and retried.status == "queued"
    db.dispose()


def everything_stored(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table: what a refused request must leave exactly as it was."""
    with db.read() as session:
        return {
            table.name: sorted(map(tuple, session.execute(table.select()).all()), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }


def test_every_other_way_in_is_refused_in_the_browser_and_changes_nothing(browser, tmp_path):  # noqa: F811
    """A used link, an expired link, a link for someone who is not an organiser, a forged cookie, a form without
    the CSRF token and a logged-out session: each gets one sentence of refusal, and the database is as it was."""
    from selenium.webdriver.common.by import By

    db, code = programme(tmp_path)
    _text, see, press = reading(browser)
    with console_server(db, SECRET, ORGANISER) as url:
        links = console_access.ConsoleLinks(public_url=url, signer=Signer(SECRET))
        now = utcnow()
        with db.transaction() as session:
            used = console_access.issue_link(session, links, ORGANISER, now)
            expired = console_access.issue_link(session, links, ORGANISER, now - timedelta(minutes=11))
            stranger = console_access.issue_link(session, links, 555, now)
        with db.transaction() as session:
            assert not isinstance(
                console_access.redeem_link(session, Signer(SECRET), used.rsplit("/", 1)[1], (ORGANISER,), now),
                console_access.Refusal,
            )
        before = everything_stored(db)
        for link, why in ((used, "already used"), (expired, "expired"), (stranger, "not an organiser")):
            browser.get(link)
            see(texts.CONSOLE_LINK_REFUSED[why])
            assert not browser.find_elements(By.XPATH, "//button[normalize-space()='Log in']")
            browser.get(f"{url}/console/")
            see("Please log in")
        browser.add_cookie(
            {"name": COOKIE, "value": Signer(SECRET).sign(SESSION, new_nonce()), "path": "/console", "httpOnly": True}
        )
        browser.get(f"{url}/console/requests/{code}")
        see("Please log in")
        assert everything_stored(db) == before

        # A real session: a form posted without its CSRF token is refused.
        with db.transaction() as session:
            fresh = console_access.issue_link(session, links, ORGANISER, utcnow())
        browser.get(fresh)
        press("Log in")
        see("Requests waiting for answers")
        browser.get(f"{url}/console/requests/{code}")
        see("Close the request")
        before = everything_stored(db)
        browser.execute_script("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
        press("Close the request")
        see("did not come from the console")
        assert everything_stored(db) == before

        # Logged out in another tab: the page still open there posts its form (with its token) to a dead session.
        browser.get(f"{url}/console/requests/{code}")
        see("Close the request")
        first_tab = browser.current_window_handle
        browser.switch_to.new_window("tab")
        browser.get(f"{url}/console/")
        press("Log out")
        see("You are logged out")
        browser.switch_to.window(first_tab)
        before = everything_stored(db)
        press("Close the request")
        see("Please log in")
        assert everything_stored(db) == before
    with db.read() as session:
        status = session.exec(select(Request.status).where(Request.code == code)).one()
    assert status == "open"
    db.dispose()
