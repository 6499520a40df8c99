from __future__ import annotations

from handoff_slack.slack.mrkdwn import escape, make_safe, neutralise_pings, quote, reveal_links, split_text


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


def test_deceptive_links_show_their_real_target() -> None:
    assert reveal_links("pay at <https://evil.example|bank.com>") == "pay at bank.com (<https://evil.example>)"
    assert reveal_links("<mailto:x@evil.example|support@bank.com>") == "support@bank.com (<mailto:x@evil.example>)"


def test_honest_links_stay_as_they_are() -> None:
    for text in ("<https://bank.com|bank.com>", "<https://bank.com/>", "<https://bank.com|https://bank.com>"):
        assert reveal_links(text) == text


def test_make_safe_does_both() -> None:
    assert make_safe("<!here> <https://evil|bank.com>") == "@here bank.com (<https://evil>)"


def test_short_text_is_not_split() -> None:
    assert split_text("hello world", 40) == ["hello world"]


def test_long_text_is_split_between_words_within_the_limit() -> None:
    text = " ".join(f"word{i}" for i in range(1000))
    pieces = split_text(text, 100)
    assert all(len(piece) <= 100 for piece in pieces)
    assert " ".join(pieces) == text


def test_split_never_cuts_inside_markup() -> None:
    link = "<https://example.com/a/very/long/path|the docs>"
    text = ("see " + link + " ") * 50
    pieces = split_text(text, 120)
    assert all(piece.count("<") == piece.count(">") for piece in pieces)
    assert all("&am" not in piece or "&amp;" in piece for piece in split_text("a &amp; b " * 100, 30))


def test_a_word_longer_than_the_limit_is_cut() -> None:
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
