from __future__ import annotations

from handoff_slack.slack.mrkdwn import escape, neutralise_pings, quote


def test_broadcast_pings_become_plain_words() -> None:
    text = "<!channel> <!here> <!everyone> <!here|here> hi"
    assert neutralise_pings(text) == "@channel @here @everyone @here hi"


def test_user_group_pings_become_plain_words() -> None:
    assert neutralise_pings("ping <!subteam^S0123|@support-team> and <!subteam^S9>") == "ping @support-team and @group"


def test_user_mentions_are_kept_or_flattened_on_request() -> None:
    assert neutralise_pings("thanks <@U123>") == "thanks <@U123>"
    assert neutralise_pings("thanks <@U123|alice>", keep_user_mentions=False) == "thanks @alice"
    assert neutralise_pings("thanks <@U123>", keep_user_mentions=False) == "thanks @U123"


def test_other_markup_is_untouched() -> None:
    text = "see <https://example.com|the docs> on <!date^1700000000^{date}|Nov 14> &amp; more"
    assert neutralise_pings(text) == text


def test_escape_and_quote() -> None:
    assert escape("<b> & <!here>") == "&lt;b&gt; &amp; &lt;!here&gt;"
    assert quote("one\ntwo") == "> one\n> two"
    assert quote("x" * 20, limit=10) == "> " + "x" * 9 + "…"
