"""The documentation's relative links lead somewhere, and its settings table is the settings list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handoff_slack.settings import SETTINGS

REPO = Path(__file__).resolve().parents[1]
PAGES = ["README.md", "docs/configuration.md", "bench/README.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("name", PAGES)
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(name: str) -> None:
    page = REPO / name
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists() or (anchor and anchor not in anchors(linked)):
            broken.append(target)
    assert broken == []


def test_the_configuration_page_lists_every_setting_with_its_default() -> None:
    text = (REPO / "docs/configuration.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", text, flags=re.MULTILINE))
    assert list(rows) == [setting.name for setting in SETTINGS]
    for setting in SETTINGS:
        shown = rows[setting.name]
        assert (setting.default or setting.unset.split(":")[0]) in shown, f"{setting.name}: {shown}"


def test_the_readmes_supervised_mode_section_links_to_the_supervision_keys() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Supervised mode\n", 1)[1].split("\n## ", 1)[0]
    assert "](docs/configuration.md#supervision)" in section
