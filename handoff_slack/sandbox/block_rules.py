"""Slack's checks of Block Kit in messages and views: what makes it answer ``invalid_blocks``.

Not the whole of Block Kit's schema: the rules an app most often breaks. Blocks are a list of at most
50 (100 in a view) objects with a known ``type``; a ``section`` has ``text`` or ``fields`` (at most
10), its text at most 3,000 characters; a ``header`` has plain text of at most 150; ``actions`` has
1..25 elements, ``context`` 1..10; ``block_id`` values are unique and at most 255 characters; every
text object is ``plain_text`` or ``mrkdwn`` with a string ``text``.
"""

from __future__ import annotations

from typing import Any

from handoff_slack.sandbox.slack_shapes import SlackError

KNOWN_BLOCKS = frozenset(
    {"section", "divider", "image", "actions", "context", "input", "file", "header", "video", "rich_text", "markdown"}
)
SECTION_TEXT_MAX = 3000
HEADER_TEXT_MAX = 150


def check_blocks(blocks: Any, *, maximum: int = 50) -> None:
    """Raise ``SlackError("invalid_blocks")`` where Slack would refuse ``blocks``."""
    if blocks in (None, ""):
        return
    if isinstance(blocks, str):  # a form post whose blocks are not JSON
        raise SlackError("invalid_blocks_format")
    if not isinstance(blocks, list) or len(blocks) > maximum:
        raise SlackError("invalid_blocks")
    block_ids: set[str] = set()
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") not in KNOWN_BLOCKS:
            raise SlackError("invalid_blocks")
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id or len(block_id) > 255 or block_id in block_ids:
                raise SlackError("invalid_blocks")
            block_ids.add(block_id)
        _check_block(block)


def _check_block(block: dict[str, Any]) -> None:
    kind = block["type"]
    if kind == "section":
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            raise SlackError("invalid_blocks")
        if text is not None:
            _check_text(text, SECTION_TEXT_MAX)
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > 10:
                raise SlackError("invalid_blocks")
            for field in fields:
                _check_text(field, 2000)
    elif kind == "header":
        _check_text(block.get("text"), HEADER_TEXT_MAX, plain_only=True)
    elif kind in ("actions", "context"):
        elements = block.get("elements")
        most = 25 if kind == "actions" else 10
        if not isinstance(elements, list) or not 1 <= len(elements) <= most:
            raise SlackError("invalid_blocks")
        if any(not isinstance(e, dict) or not isinstance(e.get("type"), str) for e in elements):
            raise SlackError("invalid_blocks")


def _check_text(text: Any, maximum: int, *, plain_only: bool = False) -> None:
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if (
        not isinstance(text, dict)
        or text.get("type") not in allowed
        or not isinstance(text.get("text"), str)
        or not 1 <= len(text["text"]) <= maximum
    ):
        raise SlackError("invalid_blocks")
