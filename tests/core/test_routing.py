"""The routing strategies' choice (core.routing.choose): who is offered a waiting ticket next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handoff_slack.core.agent_profiles import AgentProfile, Availability
from handoff_slack.core.routing import Candidate, Strategy, candidates, choose

T0 = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)


def agent(user_id: str, load: int = 0, capacity: int = 3, available: bool = True, idle_since=None) -> Candidate:  # type: ignore[no-untyped-def]
    return Candidate(user_id, available, load, capacity, idle_since)


def test_manual_offers_nobody() -> None:
    assert choose(Strategy.MANUAL, [agent("UA")], set()) is None


def test_round_robin_takes_the_next_after_the_pointer_and_wraps_round() -> None:
    agents = [agent("UC"), agent("UA"), agent("UB")]
    assert choose(Strategy.ROUND_ROBIN, agents, set()) == "UA"
    assert choose(Strategy.ROUND_ROBIN, agents, set(), pointer="UA") == "UB"
    assert choose(Strategy.ROUND_ROBIN, agents, set(), pointer="UB") == "UC"
    assert choose(Strategy.ROUND_ROBIN, agents, set(), pointer="UC") == "UA"
    # The pointer's agent left the team: the next one after where they were.
    assert choose(Strategy.ROUND_ROBIN, [agent("UA"), agent("UC")], set(), pointer="UB") == "UC"


def test_round_robin_skips_the_unavailable_the_full_and_those_who_were_tried() -> None:
    agents = [agent("UA", available=False), agent("UB", load=3, capacity=3), agent("UC"), agent("UD")]
    assert choose(Strategy.ROUND_ROBIN, agents, set()) == "UC"
    assert choose(Strategy.ROUND_ROBIN, agents, {"UC"}) == "UD"
    assert choose(Strategy.ROUND_ROBIN, agents, {"UC", "UD"}) is None


def test_least_busy_picks_the_fewest_open_conversations_then_the_longest_idle() -> None:
    agents = [
        agent("UA", load=2),
        agent("UB", load=1, idle_since=T0),
        agent("UC", load=1, idle_since=T0 - timedelta(hours=1)),
        agent("UD", load=0, available=False),
    ]
    assert choose(Strategy.LEAST_BUSY, agents, set()) == "UC"
    assert choose(Strategy.LEAST_BUSY, agents, {"UC"}) == "UB"
    # Never having claimed anything is the longest idle of all.
    assert choose(Strategy.LEAST_BUSY, [*agents, agent("UE", load=1)], set()) == "UE"
    assert choose(Strategy.LEAST_BUSY, [agent("UA", load=3, capacity=3)], set()) is None


def test_candidates_read_profiles_loads_and_the_default_capacity() -> None:
    profiles = {
        "UA": AgentProfile("UA", Availability.AVAILABLE, capacity=5),
        "UB": AgentProfile("UB", Availability.AWAY),
    }
    found = {c.user_id: c for c in candidates(["UA", "UB", "UC"], profiles, {"UA": 2}, {"UA": T0}, 3)}
    assert found["UA"] == Candidate("UA", True, 2, 5, T0)
    assert found["UB"] == Candidate("UB", False, 0, 3, None)
    assert found["UC"] == Candidate("UC", False, 0, 3, None)  # no profile: offline
