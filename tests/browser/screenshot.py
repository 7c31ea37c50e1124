"""Walk the sandbox journey in headless Chromium and save the page as docs/sandbox.png (the README's picture).

Run from the repository root: .venv/bin/python -m tests.browser.screenshot
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

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
        time.sleep(2.5)  # the button's acknowledgement fades first
        driver.save_screenshot(str(target))
    print(f"saved {target}")


if __name__ == "__main__":
    main()
