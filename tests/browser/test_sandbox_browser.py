"""The whole sandbox journey in headless Chromium: what a newcomer does on the page after `makerlink serve`."""

from __future__ import annotations

import os
import re

import pytest

from tests.browser.journey import CHROMEDRIVER, CHROMIUM, chromium, sandbox_server, walk
from tests.conftest import DEMO_MAKERS
from tests.integration.peers import REQUIRE_ENV


@pytest.fixture
def browser():
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        reason = (
            f"{' and '.join(missing)} missing: run `make browser` (Debian's chromium and chromium-driver), or set "
            "MAKERLINK_TEST_CHROMIUM and MAKERLINK_TEST_CHROMEDRIVER"
        )
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{reason}; {REQUIRE_ENV}=1 requires the browser test", pytrace=False)
        pytest.skip(reason)
    with chromium() as driver:
        yield driver


def test_request_quote_accept_and_introduction_in_the_browser(browser, tmp_path):
    with sandbox_server(tmp_path) as (url, log_path):
        result = walk(browser, url)
        # The admin panel's impact card counts the order just accepted (500 at $2.50), emissions as an estimate.
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        def counted(driver) -> str | None:
            text = driver.find_element(By.ID, "impact").text
            return text if "Orders accepted: 1" in text else None

        impact = WebDriverWait(browser, 10, poll_frequency=0.1).until(counted, "the order in the impact card")
        assert impact.startswith("Local impact, all time:") and "Spent with local makers: $1,250." in impact
        assert "Makers with work: 1, for the first time: 1." in impact and "(estimated)" in impact
        shot = tmp_path / "sandbox.png"
        assert browser.save_screenshot(str(shot)) and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == [], errors
    assert (tmp_path / "makerlink-sandbox.db").exists()
    log = log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert result["code"] and result["phone"].startswith("+1")


def test_broadcast_skip_ahead_and_reset_in_the_browser(browser, tmp_path):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(
        browser, 20, poll_frequency=0.1, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    )
    with sandbox_server(tmp_path) as (url, _log):
        browser.get(url)
        # A maker's card shows who the maker is: the organisers' labels and greener practices.
        labels = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#maker-list li.maker .chip.label"), "labels")
        assert any("Made in Detroit" in chip.text for chip in labels)
        assert browser.find_elements(By.CSS_SELECTOR, "#maker-list li.maker .chip.green")
        wait.until(seen.element_to_be_clickable((By.ID, "bc-capability"))).send_keys("sewing")
        browser.find_element(By.ID, "bc-preview").click()
        preview = wait.until(seen.visibility_of_element_located((By.ID, "bc-preview-box")))
        count = int(preview.text.split(": ", 1)[1].split(" recipient", 1)[0])
        assert 0 < count < DEMO_MAKERS and "by sms" in preview.text and "Commonwealth Sewing Company" in preview.text
        browser.find_element(By.ID, "bc-send").click()

        def progress() -> str:
            return browser.find_element(By.ID, "bc-progress").text

        # Makers still in their quiet hours (the sandbox clock follows the real one) get it once the clock moves.
        wait.until(lambda _d: progress().endswith("✔") or "quiet hours hold the rest" in progress(), "sending")
        for _ in range(4):
            if progress().endswith("✔"):
                break
            browser.find_element(By.ID, "skip-5h").click()
            WebDriverWait(browser, 10, poll_frequency=0.1).until(lambda _d: progress().endswith("✔") or None)
        assert f"{count} of {count} done" in progress()
        wait.until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "#maker-list li.has-messages")) == count, "alerts in threads"
        )
        thread = wait.until(lambda d: d.find_element(By.ID, "thread-log").text, "the open thread")
        assert "isolation gowns" in thread

        before = browser.find_element(By.ID, "clock").text
        browser.find_element(By.ID, "skip-1d").click()
        wait.until(lambda d: "Skipped ahead 24 h" in d.find_element(By.ID, "notice").text, "the skip notice")
        # The page shows the server's sentence: what came due, and what was sent or skipped (here: nothing).
        assert browser.find_element(By.ID, "notice").text == "Skipped ahead 24 h: no follow-up came due."
        wait.until(lambda d: d.find_element(By.ID, "clock").text != before, "the clock a day on")
        assert "h ahead of real time" in browser.find_element(By.ID, "clock-note").text

        browser.find_element(By.ID, "reset").click()
        wait.until(seen.alert_is_present()).accept()
        wait.until(
            lambda d: f"Reset: a fresh database with {DEMO_MAKERS} demo makers" in d.find_element(By.ID, "notice").text
        )
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#maker-list li.has-messages"), "empty threads")
        assert browser.find_element(By.ID, "chat-start").is_displayed()

        # Reset brings the clock back: to real time, or (at night) to the end of quiet hours, never a day ahead.
        def clock_back(d) -> bool:
            ahead = re.search(r"([\d.]+) h ahead of real time", d.find_element(By.ID, "clock-note").text)
            return ahead is None or float(ahead.group(1)) < 24

        wait.until(clock_back, "the clock back within a day of real time")  # the page redraws it on its next poll
