"""Transfer and release's builders: names and notes are shown as written, never as pings or links."""

from __future__ import annotations

from datetime import UTC, datetime

from handoff_slack.blocks.transfer import handed, offer, previous_owners
from handoff_slack.core.transfer_values import OfferState, OwnerPeriod, OwnershipEnd, OwnershipStart
from tests.support.journeys import action_ids, block_text

AT = datetime(2027, 1, 20, 10, 0, tzinfo=UTC)


def period(name: str | None, ended: OwnershipEnd | None, user: str = "UAGENT1") -> OwnerPeriod:
    return OwnerPeriod(user, name, OwnershipStart.CLAIMED, AT, ended, AT if ended else None)


def test_previous_owners_escape_names_and_leave_out_the_current_owner() -> None:
    blocks = previous_owners(
        [
            period("<!channel> *Mallory* <https://evil.example|bank.com>", OwnershipEnd.TRANSFERRED),
            period(None, OwnershipEnd.RELEASED, user="UAGENT2"),
            period("Current Owner", None),
        ]
    )
    text = block_text(blocks)
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text and "<https://evil.example|bank.com>" not in text
    assert "transferred" in text and "released" in text and "<@UAGENT2>" in text  # no name known: the mention
    assert "Current Owner" not in text
    assert previous_owners([period("Only Owner", None)]) == []


def test_only_the_ten_most_recent_previous_owners_are_listed() -> None:
    text = block_text(previous_owners([period(f"Agent {i}", OwnershipEnd.TRANSFERRED) for i in range(25)]))
    assert "the last 10 of 25" in text and "Agent 24" in text and "Agent 14" not in text


def test_an_offer_shows_its_buttons_only_while_pending_and_its_note_pings_nobody() -> None:
    facts = {"offer_id": 7, "from": "UAGENT1", "to": "UAGENT2", "note": "<!here> call <@UX|x>", "state": "pending"}
    pending = offer(facts)
    assert action_ids(pending.blocks) == ["handoff.transfer.accept", "handoff.transfer.decline"]
    assert "<!here>" not in block_text(pending.blocks) and "&lt;!here&gt;" in block_text(pending.blocks)
    for state in (OfferState.ACCEPTED, OfferState.DECLINED, OfferState.STALE, OfferState.LAPSED):
        assert action_ids(offer({**facts, "state": state.value}).blocks) == []
    note = handed({"to": "UAGENT2", "by": "UADMIN", "from": None, "how": "assigned", "note": "<!channel>"}, "note:")
    assert "assigned this ticket to <@UAGENT2>" in note and "<!channel>" not in note
