"""The notices about a shared channel's thread, shown in its ticket's thread (core.notices)."""

from __future__ import annotations

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.mrkdwn import make_safe, quote
from handoff_slack.core.notices import Notice, NoticeKind

CHANNEL_NOTICES = frozenset({NoticeKind.TICKETED_NOTE, NoticeKind.CHANNEL_OFF_NOTE})
QUOTED_CHARS = 3000  # of the message a reaction ticketed: the rest is in the customer's thread


def render_channel_notice(notice: Notice) -> Rendered:
    facts = notice.facts
    if notice.kind is NoticeKind.TICKETED_NOTE:
        # The customer's words (Slack markup) made safe: no pings, no hidden links, no mention of anyone.
        shown = quote(make_safe(str(facts.get("text") or ""), keep_user_mentions=False), QUOTED_CHARS)
        emoji = make_safe(str(facts.get("emoji") or "ticket"), plain=True)
        return Rendered(
            text=f"<@{facts['user_id']}> opened this ticket with :{emoji}: on the customer's message:\n{shown}",
            blocks=[],
        )
    return Rendered(
        text=(
            f":no_entry_sign: <#{facts['channel_id']}> is no longer served: the app says nothing more in the "
            "customer's thread, so replies here do not reach them (each one is marked). Close the ticket when done."
        ),
        blocks=[],
    )
