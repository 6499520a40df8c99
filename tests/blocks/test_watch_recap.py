"""The watch's recap (blocks.watch): each customer line under its author's name, made safe."""

from __future__ import annotations

from handoff_slack.blocks.watch import render_watch_notice
from handoff_slack.core.notices import Notice, NoticeKind


def recap(*lines: dict[str, str]) -> str:
    return render_watch_notice(Notice(NoticeKind.WATCH_RECAP, {"lines": list(lines)}), "note:").text


def test_each_customer_line_is_shown_under_its_authors_name() -> None:
    shown = recap(
        {"who": "customer", "text": "hi", "name": "Erin External"},
        {"who": "bot", "text": "Hello!"},
        {"who": "customer", "text": "me too", "name": "Someone at Acme Corp"},
    )
    assert shown.splitlines()[1:] == ["> *Erin External:* hi", "> *Bot:* Hello!", "> *Someone at Acme Corp:* me too"]


def test_a_recap_stored_before_names_were_kept_says_customer() -> None:
    assert recap({"who": "customer", "text": "hi"}).splitlines()[1:] == ["> *Customer:* hi"]


def test_a_hostile_name_pings_nobody_and_stays_short() -> None:
    line = recap({"who": "customer", "text": "hi", "name": "<!channel> *Boss* " + "x" * 500}).splitlines()[1]
    assert "<!channel>" not in line and len(line) < 200
