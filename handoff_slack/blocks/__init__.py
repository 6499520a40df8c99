"""Block Kit builders: pure functions from domain objects to (fallback text, blocks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rendered:
    """A message ready for chat.postMessage / chat.update: notification text plus blocks."""

    text: str
    blocks: list[dict[str, Any]]
