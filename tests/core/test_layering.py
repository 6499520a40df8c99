"""The core imports no database library and nothing from storage (core/__init__.py's rule)."""

from __future__ import annotations

import ast
from pathlib import Path

import handoff_slack.core

CORE = Path(handoff_slack.core.__file__).parent
FORBIDDEN = ("sqlalchemy", "sqlmodel", "handoff_slack.storage")


def imported_modules(source: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def test_the_core_imports_no_database_library_and_nothing_from_storage() -> None:
    offending = [
        f"{source.name}: {module}"
        for source in sorted(CORE.glob("*.py"))
        for module in imported_modules(source)
        if any(module == name or module.startswith(name + ".") for name in FORBIDDEN)
    ]
    assert offending == []
