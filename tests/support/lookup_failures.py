"""A Slack look-up (users.info, team.info) failing for one user or team, each way a real one fails."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.fake_slack import FakeSlack

SLOW_SECONDS = 4  # longer than the 1 s Slack timeout the names tests give the app

Failure = Callable[[FakeSlack, str], None]


def lookup_failures(method: str, key: str) -> dict[str, Failure]:
    """How `method` can fail for the one whose `key` parameter ("user", "team") is given: an error code,
    a 500, a timeout; each until healed (`heal_lookup`)."""

    def of(value: str) -> Callable[[dict[str, object]], bool]:
        return lambda params: params.get(key) == value

    return {
        "an error": lambda fake, value: fake.fail_when(method, of(value), status=200, error="fatal_error", count=None),
        "a 500": lambda fake, value: fake.fail_when(method, of(value), status=500, count=None),
        "a timeout": lambda fake, value: fake.delay_when(method, of(value), SLOW_SECONDS, count=None),
    }


def heal_lookup(fake: FakeSlack, method: str) -> None:
    fake.heal(method)
    fake.clear_delays(method)
