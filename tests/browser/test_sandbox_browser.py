"""The whole sandbox journey in headless Chromium: what a newcomer does on the page after `makerlink serve`."""

from __future__ import annotations

import os

import pytest

from tests.browser.journey import CHROMEDRIVER, CHROMIUM, chromium, sandbox_server, walk
from tests.integration.peers import REQUIRE_ENV


@pytest.fixture
def browser():
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        reason = f"{' and '.join(missing)} missing: run `make browser` (Debian's chromium and chromium-driver)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{reason}; {REQUIRE_ENV}=1 requires the browser test", pytrace=False)
        pytest.skip(reason)
    with chromium() as driver:
        yield driver


def test_request_quote_accept_and_introduction_in_the_browser(browser, tmp_path):
    with sandbox_server(tmp_path) as (url, log_path):
        result = walk(browser, url)
        shot = tmp_path / "sandbox.png"
        assert browser.save_screenshot(str(shot)) and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == [], errors
    assert (tmp_path / "makerlink-sandbox.db").exists()
    log = log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert result["code"] and result["phone"].startswith("+1")
