"""Fixtures of the browser tests: Debian's chromium driven by Playwright, and where screenshots go.

Without Playwright or chromium the tests skip with the reason; with HANDOFF_REQUIRE_BROWSER=1
(.ci/run sets it on CI) they fail instead. HANDOFF_CHROMIUM names another chromium executable.
Screenshots go to HANDOFF_SCREENSHOTS, else a temporary directory (its path is printed).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def _no_browser(reason: str) -> None:
    if os.environ.get("HANDOFF_REQUIRE_BROWSER") == "1":
        pytest.fail(f"HANDOFF_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _chromium() -> str:
    chosen = os.environ.get("HANDOFF_CHROMIUM")  # another chromium build, e.g. outside Debian
    candidates = (chosen,) if chosen else CHROMIUM_CANDIDATES
    found = next((path for path in candidates if os.access(path, os.X_OK)), None)
    found = found or (None if chosen else shutil.which("chromium"))
    if found is None:
        _no_browser(f"no chromium at {chosen or ' or '.join(CHROMIUM_CANDIDATES)} (apt-get install -y chromium)")
    return str(found)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _no_browser("Playwright for Python is not installed (pip install -e '.[test]')")
    executable = _chromium()
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=executable, headless=True)
        except Error as error:
            _no_browser(f"chromium at {executable} does not start: {str(error).splitlines()[0]}")
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = Path(os.environ.get("HANDOFF_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    where.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {where}")
    return where
