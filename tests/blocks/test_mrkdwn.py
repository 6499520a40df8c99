from __future__ import annotations

import pytest

from handoff_slack.blocks.mrkdwn import escape, make_safe, quote, shorten, split_text


def pings_only(text: str, keep_user_mentions: bool = True) -> str:
    """make_safe for the support team's own texts: links as written, pings neutralised."""
    return make_safe(text, keep_user_mentions, trusted_links=True)


def test_broadcast_pings_become_plain_words() -> None:
    text = "<!channel> <!here> <!everyone> <!here|here> hi"
    assert make_safe(text) == "@channel @here @everyone @here hi"
    assert pings_only(text) == "@channel @here @everyone @here hi"


@pytest.mark.parametrize(
    "disguise",
    ["<!HERE>", "<!Here|here>", "<! here>", "<!here >", "<!here|@here>", "<!here\u200b>", "<!channel^x>"],
)
def test_disguised_broadcasts_cannot_ping(disguise: str) -> None:
    shown = make_safe(f"look {disguise} now")
    assert "<!" not in shown and shown.startswith("look @") and shown.endswith(" now")


def test_user_group_pings_become_plain_words() -> None:
    text = "ping <!subteam^S0123|@support-team> and <!subteam^S9> and <!SUBTEAM^S1|ops>"
    assert make_safe(text) == "ping @support-team and @group and @ops"


def test_user_mentions_are_kept_or_flattened_on_request() -> None:
    assert make_safe("thanks <@U123>") == "thanks <@U123>"
    assert make_safe("thanks <@U123|alice>", keep_user_mentions=False) == "thanks @alice"
    assert make_safe("thanks <@U123>", keep_user_mentions=False) == "thanks @U123"
    # Not a user ID Slack would link: a plain word either way.
    assert make_safe("hi <@https://evil.example|boss>") == "hi @boss"


def test_dates_and_channels_keep_their_markup() -> None:
    text = "see <#C0123|general> on <!date^1700000000^{date}|Nov 14> &amp; more"
    assert make_safe(text) == "see <#C0123> on <!date^1700000000^{date}|Nov 14> &amp; more"


def test_a_date_cannot_hide_a_link() -> None:
    shown = make_safe("due <!date^1700000000^{date}^https://evil.example|Nov 14>")
    assert shown == "due <!date^1700000000^{date}|Nov 14> (<https://evil.example>)"


def test_deceptive_links_show_their_real_target() -> None:
    assert make_safe("pay at <https://evil.example|bank.com>") == "pay at bank.com (<https://evil.example>)"
    assert make_safe("<mailto:x@evil.example|support@bank.com>") == "support@bank.com (<mailto:x@evil.example>)"
    assert (
        make_safe("<https://evil.example|https://acme.com/reset>") == "https://acme.com/reset (<https://evil.example>)"
    )


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("<HTTPS://evil.example|bank>", "<HTTPS://evil.example>"),  # the scheme in any case
        ("<Mailto:x@evil.example|help@bank.com>", "<Mailto:x@evil.example>"),
        ("<tel:+15550100|call the bank>", "<tel:+15550100>"),
        ("<slack://open?team=T1|bank>", "<slack://open?team=T1>"),
        ("<ftp://evil.example/f|bank>", "<ftp://evil.example/f>"),
        ("< https://evil.example |bank>", "<https://evil.example>"),  # odd whitespace
        ("<https://evil.example\n|bank>", "<https://evil.example>"),
        ("<evil.example|bank>", "<evil.example>"),  # no scheme at all
    ],
)
def test_every_kind_of_labelled_link_is_revealed(text: str, target: str) -> None:
    shown = make_safe(text)
    assert shown.endswith(f"({target})")
    assert "|" not in shown


def test_an_empty_label_shows_the_address() -> None:
    assert make_safe("<https://evil.example| >") == "<https://evil.example>"


def test_a_shown_address_cannot_imitate_another() -> None:
    # A Cyrillic "а" in the host: the real target is shown in punycode.
    assert make_safe("<https://\u0430cme.com/reset|https://acme.com/reset>").endswith(
        "(<https://xn--cme-5cd.com/reset>)"
    )
    # Even a "honest" link whose address only looks like acme.com.
    assert make_safe("<https://\u0430cme.com>") == "https://\u0430cme.com (<https://xn--cme-5cd.com>)"
    # Zero-width and other invisible characters in an address are made visible.
    assert make_safe("<https://acme.com\u200b.evil.example|acme>") == "acme (<https://acme.com%E2%80%8B.evil.example>)"
    assert make_safe("<ht\u200btps://evil.example|bank>") == "bank (<ht%E2%80%8Btps://evil.example>)"


def test_direction_overrides_are_dropped_everywhere() -> None:
    # U+202E would show "moc.knab" as "bank.com", and reverse the revealed address after it.
    assert make_safe("<https://evil.example/\u202emoc.knab|bank \u202e>") == "bank (<https://evil.example/moc.knab>)"
    assert make_safe("Jane\u202e \u2066x\u2069", plain=True) == "Jane x"


def test_honest_links_stay_as_they_are() -> None:
    for text in (
        "<https://bank.com|bank.com>",
        "<https://bank.com/>",
        "<https://bank.com|https://bank.com>",
        "<https://bank.com/a|HTTPS://bank.com/a>",
        "<mailto:help@bank.com|help@bank.com>",
    ):
        assert make_safe(text) == text


def test_trusted_texts_keep_their_links_but_not_their_pings() -> None:
    text = "Go to <https://shop.example.com/login|the sign-in page> <!channel>"
    assert pings_only(text) == "Go to <https://shop.example.com/login|the sign-in page> @channel"


def test_plain_text_is_shown_as_written() -> None:
    assert make_safe("<https://evil|bank> & <!here>", plain=True) == "&lt;https://evil|bank&gt; &amp; &lt;!here&gt;"


def test_literal_angle_brackets_stay_literal() -> None:
    # What a person types as "<b>" reaches us escaped and stays text.
    assert make_safe("a &lt;https://evil|bank&gt; b") == "a &lt;https://evil|bank&gt; b"
    assert make_safe("<>") == "&lt;&gt;"


def test_escape_and_quote() -> None:
    assert escape("<b> & <!here>") == "&lt;b&gt; &amp; &lt;!here&gt;"
    assert quote("one\ntwo") == "> one\n> two"
    assert quote("x" * 20, limit=10) == "> " + "x" * 9 + "…"


def test_shortening_never_cuts_a_revealed_link_in_half() -> None:
    text = make_safe("word " * 10 + "<https://evil.example/a/long/path|bank.com> tail")
    short = shorten(text, 60)
    assert len(short) <= 60 and short.endswith("…")
    assert short.count("<") == short.count(">")
    assert "|" not in short  # the label may stand alone, as plain words, but never as a link


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
