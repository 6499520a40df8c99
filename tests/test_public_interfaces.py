"""The app uses only the public interfaces of Bolt and slack_sdk, so a minor upgrade cannot break it.

A scan of the package's source: no import from an `internals` module or of a `_name`, and no
`_attribute` read on anything but the app's own objects (self, cls, the module's own classes).
Python's own `os._exit` (the documented way for a forked worker to end) is the one exception.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "handoff_slack"
ALLOWED = {("os", "_exit")}


def private_uses(source: str) -> list[str]:
    found: list[str] = []
    tree = ast.parse(source)
    # The module's own classes are the app's own objects too (e.g. a table of a class's methods).
    own = {"self", "cls"} | {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            parts = node.module.split(".")
            if "internals" in parts or parts[-1].startswith("_"):
                found.append(f"line {node.lineno}: from {node.module} import ...")
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner in own or (owner, node.attr) in ALLOWED:
                continue
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


def test_the_app_uses_no_private_or_internal_interface_of_its_libraries() -> None:
    problems = {
        str(path.relative_to(PACKAGE)): uses
        for path in sorted(PACKAGE.rglob("*.py"))
        if (uses := private_uses(path.read_text(encoding="utf-8")))
    }
    assert problems == {}


def test_the_scan_finds_what_it_looks_for() -> None:
    source = (
        "from slack_bolt.request.internals import build_context\n"
        "client._upload_file(url='x')\n"
        "self._ok()\n"
        "os._exit(0)\n"
    )
    assert private_uses(source) == ["line 1: from slack_bolt.request.internals import ...", "line 2: ._upload_file"]
