"""Agents' profile values: what is taken, how it is normalised, and the roster's order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handoff_slack.core.agent_profiles import (
    MAX_LANGUAGES,
    MAX_SKILLS,
    AgentProfile,
    Availability,
    InvalidProfile,
    ProfileChange,
    capacity_from,
    languages_from,
    roster,
    skills_from,
)

T0 = datetime(2027, 1, 20, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "value"), [("1", 1), ("3", 3), ("50", 50), ("007", 7)])
def test_capacity_is_a_whole_number_from_1_to_50(text: str, value: int) -> None:
    assert capacity_from(text) == value


@pytest.mark.parametrize("text", ["0", "51", "-1", "3.5", "three", "", "٣", "³", "1e2", "9" * 400])
def test_other_capacities_are_refused(text: str) -> None:
    with pytest.raises(InvalidProfile, match="1 to 50"):
        capacity_from(text)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("de", ("de",)),
        ("DE,fr", ("de", "fr")),
        ("pt-br", ("pt-BR",)),
        ("PT-BR, es-419 ,fil", ("pt-BR", "es-419", "fil")),
        ("de,de,DE", ("de",)),
        ("none", ()),
        ("de,,fr,", ("de", "fr")),
    ],
)
def test_languages_are_codes_in_their_usual_case(text: str, codes: tuple[str, ...]) -> None:
    assert languages_from(text) == codes


@pytest.mark.parametrize(
    "text",
    ["german", "d", "de_DE", "de-", "<!channel>", "de;fr", "\u212aa", "dé", "de-DEU", ",", "zh-Hant-TW"],
)
def test_other_languages_are_refused(text: str) -> None:
    with pytest.raises(InvalidProfile):
        languages_from(text)


def test_at_most_so_many_languages_and_skills() -> None:
    codes = ["de", "fr", "it", "es", "pt", "nl", "sv", "da", "fi", "pl", "cs"]
    assert len(languages_from(",".join(codes[:MAX_LANGUAGES]))) == MAX_LANGUAGES
    with pytest.raises(InvalidProfile, match="at most"):
        languages_from(",".join(codes))
    with pytest.raises(InvalidProfile, match="at most"):
        skills_from(",".join(f"s{n}" for n in range(MAX_SKILLS + 1)))


@pytest.mark.parametrize(
    ("text", "tags"),
    [("billing", ("billing",)), ("Billing,HARDWARE", ("billing", "hardware")), ("tier_2,vip-de", ("tier_2", "vip-de"))],
)
def test_skills_are_lower_case_tags(text: str, tags: tuple[str, ...]) -> None:
    assert skills_from(text) == tags


@pytest.mark.parametrize(
    "text", ["<!channel>", "<@U123>", "bill ing", "-billing", "x" * 33, "b\u0130lling", "billing\u200b", "*bold*"]
)
def test_other_skills_are_refused(text: str) -> None:
    with pytest.raises(InvalidProfile):
        skills_from(text)


def test_a_change_touches_only_its_parts() -> None:
    before = AgentProfile("UA", Availability.AVAILABLE, 4, ("de",), ("billing",))
    after = ProfileChange(availability=Availability.AWAY, skills=()).applied_to(before, "UADMIN", T0)
    assert after == AgentProfile("UA", Availability.AWAY, 4, ("de",), (), T0, "UADMIN")
    assert ProfileChange().is_empty and not ProfileChange(capacity=2).is_empty
    assert ProfileChange(languages=("de",), capacity=2).as_details() == {"capacity": 2, "languages": ["de"]}


def test_the_roster_lists_the_available_first_then_the_least_busy() -> None:
    profiles = {
        "UAWAY": AgentProfile("UAWAY", Availability.AWAY),
        "UBUSY": AgentProfile("UBUSY", Availability.AVAILABLE, capacity=5),
        "UFREE": AgentProfile("UFREE", Availability.AVAILABLE),
    }
    statuses = roster(["UNEW", "UAWAY", "UBUSY", "UFREE", "UBUSY"], profiles, {"UBUSY": 2, "UAWAY": 1}, default=3)
    assert [s.user_id for s in statuses] == ["UFREE", "UBUSY", "UAWAY", "UNEW"]
    assert [(s.open_conversations, s.capacity) for s in statuses] == [(0, 3), (2, 5), (1, 3), (0, 3)]
    assert statuses[-1].profile.availability is Availability.OFFLINE  # never said: offline
