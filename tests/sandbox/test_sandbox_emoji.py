"""The sandbox page draws the emoji the app's own messages use, not their `:name:` codes."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "handoff_slack"
PAGE_MRKDWN = PACKAGE / "sandbox" / "web" / "static" / "mrkdwn.js"
CODE = re.compile(r":([a-z0-9_+-]+):")


def _page_emoji() -> set[str]:
    source = PAGE_MRKDWN.read_text(encoding="utf-8")
    table = source[source.index("const EMOJI = {") : source.index("};", source.index("const EMOJI = {"))]
    return set(re.findall(r"\b([a-z0-9_+-]+):\s*\"", table))


def _used_by_the_app() -> set[str]:
    # Block Kit builders hold every text the app posts (the rest comes from the bot's YAML, written by people).
    return {name for path in (PACKAGE / "blocks").rglob("*.py") for name in CODE.findall(path.read_text("utf-8"))}


def test_every_emoji_the_apps_messages_use_is_drawn_on_the_page() -> None:
    used = _used_by_the_app()
    assert {"warning", "incoming_envelope", "crescent_moon"} <= used  # the scan finds them
    assert used - _page_emoji() == set()
