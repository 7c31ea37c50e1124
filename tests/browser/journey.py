"""The sandbox and the console in a real browser: Debian's headless Chromium driven by Selenium through Debian's
chromedriver (never a downloaded browser or driver), against the real `makerlink serve` started on a free port, or
the web app with the console served in a thread."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from bot.console.app import ConsoleConfig, build_console
from bot.console.pages import Programme
from bot.db import Database
from bot.services import makers as maker_service
from bot.services.followups import FollowUpPolicy
from bot.signing import Signer
from bot.web import create_app
from matching.taxonomy import load_taxonomy
from tests.e2e.processes import clean_env, serving
from tests.integration.peers import free_port

# Debian's packages by default (`make browser` installs them); elsewhere, point these two at a Chrome or Chromium
# and the chromedriver of the same version (README: "The browser test").
CHROMIUM = Path(os.environ.get("MAKERLINK_TEST_CHROMIUM") or "/usr/bin/chromium")
CHROMEDRIVER = Path(os.environ.get("MAKERLINK_TEST_CHROMEDRIVER") or "/usr/bin/chromedriver")
ROOT = Path(__file__).parents[2]


@contextmanager
def sandbox_server(workdir: Path) -> Iterator[tuple[str, Path]]:
    """`makerlink serve` with no accounts in `workdir` (so its makerlink-sandbox.db lands there); yields its
    address and the path of its log."""
    port = free_port()
    env = clean_env(MAKERLINK_SMS_PER_SECOND="10")  # invitations reach the threads within a second
    log_path = workdir / "serve.log"
    with serving(env, workdir, port, log_path):
        yield f"http://127.0.0.1:{port}/", log_path


@contextmanager
def console_server(db: Database, secret: str, organiser: int) -> Iterator[str]:
    """The web app with the console (for one organiser), served by uvicorn in a thread on a free port; yields its
    address."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    taxonomy = load_taxonomy()
    config = ConsoleConfig(
        signer=Signer(secret),
        admin_ids=(organiser,),
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


@contextmanager
def chromium(width: int = 1600, height: int = 1000):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Both paths are given, so Selenium Manager has nothing to look up; offline, it could not download anyway.
    os.environ["SE_OFFLINE"] = "true"
    os.environ["SE_AVOID_STATS"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",  # tests may run as root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def walk(driver, url: str) -> dict:
    """Request → confirm → a maker answers YES with a price in their thread → the buyer accepts → both see the
    introduction. Asserts each step as a person would see it; returns what the test may check further."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    # The maker list is redrawn as messages arrive: an element read between two polls is looked up again.
    wait = WebDriverWait(
        driver, 20, poll_frequency=0.1, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    )

    def bot_bubble(words: str):
        return wait.until(
            lambda d: next(
                (b for b in d.find_elements(By.CSS_SELECTOR, "#chat-log .msg.bot .bubble") if words in b.text), None
            ),
            f"the bot's message containing “{words}”",
        )

    def send(input_id: str, text: str) -> None:
        box = wait.until(seen.element_to_be_clickable((By.ID, input_id)))
        box.clear()
        box.send_keys(text)
        driver.find_element(By.ID, input_id.replace("input", "send")).click()

    driver.get(url)
    banner = wait.until(seen.visibility_of_element_located((By.ID, "banner")))
    assert "SANDBOX — nothing leaves this machine" in banner.text

    wait.until(seen.element_to_be_clickable((By.ID, "chat-start"))).click()
    bot_bubble("First, where are you?")
    # Telegram's "share my location" reply-keyboard button, answered by picking a place.
    wait.until(seen.element_to_be_clickable((By.CSS_SELECTOR, "#keyboard button[data-data='@location']"))).click()
    place = wait.until(seen.element_to_be_clickable((By.XPATH, "//dialog//button[contains(., '48201')]")))
    place.click()
    bot_bubble("Got it: 48201")

    send("chat-input", "need 500 face shields by Friday")
    summary = bot_bubble("Here is what I understood")
    assert "500" in summary.text and "face shields" in summary.text
    wait.until(seen.element_to_be_clickable((By.CSS_SELECTOR, "#chat-log button[data-data^='send:']"))).click()
    bot_bubble("Sent to ")

    # The first maker to get the job is shown; answer as them.
    invitation = wait.until(
        lambda d: next(
            (b for b in d.find_elements(By.CSS_SELECTOR, "#thread-log .msg.bot .bubble") if "makerlink job" in b.text),
            None,
        ),
        "an invitation in a maker's thread",
    )
    code = invitation.text.split("makerlink job ", 1)[1].split(":", 1)[0]
    phone, name = wait.until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, "#maker-list li.maker.selected").get_attribute("data-phone"),
            d.find_element(By.ID, "thread-title").text,
        ),
        "the maker whose thread is open",
    )
    assert "Dana" not in invitation.text
    send("sms-input", "YES $2.50 each 5 days")
    wait.until(
        lambda d: any("went to the buyer" in b.text for b in d.find_elements(By.CSS_SELECTOR, "#thread-log .bubble")),
        "the maker's confirmation",
    )

    quote = bot_bubble("$2.50 each")
    assert phone not in quote.text
    accept = quote.find_element(
        By.XPATH, "./ancestor::div[contains(@class, 'msg')]//button[starts-with(@data-data, 'accept:')]"
    )
    accept.click()

    introduction = bot_bubble("You accepted Maker")
    assert name in introduction.text and phone in introduction.text
    maker_side = wait.until(
        lambda d: next(
            (b for b in d.find_elements(By.CSS_SELECTOR, "#thread-log .msg.bot .bubble") if "is yours" in b.text), None
        ),
        "the maker's introduction",
    )
    assert "@dana_sandbox" in maker_side.text and code in maker_side.text and "$2.50 each" in maker_side.text
    return {"code": code, "phone": phone, "maker": name}
