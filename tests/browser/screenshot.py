"""Walk the sandbox journey in headless Chromium and save the page as docs/sandbox.png (the README's picture).

Run from the repository root: .venv/bin/python -m tests.browser.screenshot
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.journey import ROOT, chromium, sandbox_server, walk


def main() -> None:
    target = ROOT / "docs" / "sandbox.png"
    target.parent.mkdir(exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as workdir,
        sandbox_server(Path(workdir)) as (url, _log),
        chromium(1600, 1000) as driver,
    ):
        walk(driver, url)
        # A broadcast preview, so the picture shows the admin panel at work too.
        driver.find_element(By.ID, "bc-capability").send_keys("sewing")
        driver.find_element(By.ID, "bc-preview").click()
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "bc-preview-box").is_displayed())
        time.sleep(2.5)  # the button's acknowledgement fades first
        driver.save_screenshot(str(target))
    print(f"saved {target}")


if __name__ == "__main__":
    main()
