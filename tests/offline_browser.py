"""Chromium for the browser tests: where it is, how it starts, and a page that may not go online.

Shared by test_browser.py (the report) and test_browser_hostile.py (a run of hostile data), so both
open pages the same way: every request that is not a local file or a data: URL is refused and
recorded, and console errors and uncaught page errors are collected.
"""

from __future__ import annotations

import shutil

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def watch_offline(page, seen: dict) -> None:
    """Refuse non-local requests on ``page`` and collect them and any errors into ``seen``.

    ``seen`` needs the lists "blocked", "console" and "page_errors".
    """

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            seen["blocked"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda msg: msg.type == "error" and seen["console"].append(msg.text))
    page.on("pageerror", lambda exc: seen["page_errors"].append(str(exc)))
