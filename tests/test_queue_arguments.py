"""`/handoff-queue`'s options (listeners/commands/queue_arguments): read in any order, and written
back for a page's buttons so that reading them again gives the same request."""

from __future__ import annotations

import pytest

from handoff_slack.core.queue_filter import MAX_PAGE, QueueRequest
from handoff_slack.listeners.commands.queue_arguments import BAD_ORG, BadQueueArguments, carried, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", QueueRequest()),
        ("org:Acme Corp mine", QueueRequest(org="Acme Corp", mine=True)),
        ("mine page 3 org: “Acme  Corp”", QueueRequest(org="Acme Corp", mine=True, page=3)),
        (
            "lang:DE, pt-br skill:Billing,hardware",
            QueueRequest(languages=("de", "pt-BR"), skills=("billing", "hardware")),
        ),
        ("skills: billing language:fr", QueueRequest(languages=("fr",), skills=("billing",))),
        ("org:mine", QueueRequest(org="mine")),  # the value's first word is the value's
        ('org:"Mine page 2"', QueueRequest(org="Mine page 2")),
        ("org:&lt;!channel&gt; globex &amp; co page 2", QueueRequest(org="<!channel> globex & co", page=2)),
        (f"page:{MAX_PAGE}", QueueRequest(page=MAX_PAGE)),
    ],
)
def test_options_are_read_in_any_order_and_carried_back_whole(text: str, expected: QueueRequest) -> None:
    assert parse(text).request == expected
    assert parse(carried(expected)).request == expected


def test_help_goes_with_any_option() -> None:
    assert parse("mine HELP").help and parse("?").help and not parse("mine").help


@pytest.mark.parametrize("text", ["org:", 'org:"Acme', 'org:Acme "Corp"', 'org:"Acme"Corp', "org:a org:b"])
def test_a_bad_organisation_is_refused(text: str) -> None:
    with pytest.raises(BadQueueArguments) as refused:
        parse(text)
    assert str(refused.value) == BAD_ORG or str(refused.value).startswith("`org:` is there twice")


@pytest.mark.parametrize(
    "text", ["mine please", "page 2 page 3", "lang:de,fr,it,es,pt,nl", "skill:" + "x" * 40, "mine:"]
)
def test_anything_else_is_refused_with_the_usage(text: str) -> None:
    with pytest.raises(BadQueueArguments) as refused:
        parse(text)
    assert "Usage: `/handoff-queue" in str(refused.value)
