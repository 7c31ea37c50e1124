"""The organisers' console in headless Chromium: a one-time link logs the organiser in (the Strict cookie, the
CSP and the forms as a real browser applies them), then the day's work, then log-out."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import select

from bot import outbox
from bot.console.app import ConsoleConfig, build_console
from bot.console.pages import Programme
from bot.db import Database
from bot.models import AdminAction, Maker, MessageStatus, OutboundMessage, utcnow
from bot.services import console_access
from bot.services import makers as maker_service
from bot.services import requests as request_service
from bot.services.followups import FollowUpPolicy
from bot.signing import Signer
from bot.web import create_app
from matching.taxonomy import load_taxonomy
from tests.browser.test_sandbox_browser import browser  # noqa: F401 - the fixture: Debian's Chromium, or a skip
from tests.conftest import demo_csv
from tests.integration.peers import free_port

SECRET = "c" * 40
ORGANISER = 4242


@contextmanager
def console_server(db: Database) -> Iterator[str]:
    """The web app with the console, served by uvicorn in a thread on a free port; yields its address."""
    import uvicorn

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    taxonomy = load_taxonomy()
    config = ConsoleConfig(
        signer=Signer(SECRET),
        admin_ids=(ORGANISER,),
        public_url=url,
        programme=Programme(policy=FollowUpPolicy(), timezone="America/Detroit", max_invites=2),
    )
    cache = maker_service.DirectoryCache(db, taxonomy)
    app = create_app(db, console=build_console(db, config, cache.get, taxonomy))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_an_organiser_works_through_the_console_in_the_browser(browser, tmp_path):  # noqa: F811
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    db = Database(f"sqlite:///{tmp_path}/console.db")
    db.upgrade()
    taxonomy = load_taxonomy()
    maker_service.import_makers(db, demo_csv(), "demo", taxonomy)
    code = request_service.open_request(
        db, taxonomy, "500 face shields by Friday near 48201", radius_miles=50, max_invites=1
    ).request.code
    with db.transaction() as session:
        failed = outbox.enqueue(
            session, channel="sms", address="+13135550142", text="hello", purpose="alert", key="k", now=utcnow()
        )
        failed.status, failed.error_code = MessageStatus.FAILED.value, "30003"
        failed_id = failed.id
    with console_server(db) as url:
        links = console_access.ConsoleLinks(public_url=url, signer=Signer(SECRET))
        with db.transaction() as session:
            link = console_access.issue_link(session, links, ORGANISER, utcnow())

        def text() -> str:
            return browser.find_element(By.TAG_NAME, "main").text

        def see(words: str) -> None:
            """Wait for the page that says this (a click's navigation may still be under way)."""
            WebDriverWait(
                browser, 20, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
            ).until(lambda _driver: words in text(), f"a page saying “{words}”")

        def press(label: str) -> None:
            browser.find_element(By.XPATH, f"//button[normalize-space()='{label}']").click()

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
