"""Opens the sandbox page in the desktop browser of the person who ran `makerlink serve`, where there is one."""

from __future__ import annotations

import os
import sys
import threading
import webbrowser
from collections.abc import Mapping


def has_desktop_browser(env: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    """True where a browser window can open for the person at this terminal: macOS and Windows, or a Unix desktop
    (an X or Wayland display). A server over SSH has neither, and a text browser there would take the terminal."""
    if env.get("BROWSER"):
        return True  # the person named one (Python's webbrowser honours BROWSER)
    if platform == "darwin" or platform.startswith("win"):
        return True
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return False
    try:
        controller = webbrowser.get()
    except webbrowser.Error:
        return False
    # Text browsers (lynx, w3m, www-browser) are plain GenericBrowsers; graphical ones run in the background.
    return type(controller) is not webbrowser.GenericBrowser


def open_in_background(url: str) -> None:
    """Open `url` without holding up the start: some browsers' launchers wait until the window closes."""
    threading.Thread(target=webbrowser.open, args=(url,), name="open-browser", daemon=True).start()
