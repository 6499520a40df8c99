"""Agents' profiles: availability, capacity, languages and skills, as plain values; and their checks.

An agent without a stored profile is offline with the default capacity and no languages or skills:
routing offers nothing to someone who never said they are on (claiming with the button does not
look at profiles). Going away or offline keeps the conversations an agent has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

MIN_CAPACITY = 1
MAX_CAPACITY = 50
MAX_LANGUAGES = 10
MAX_SKILLS = 20
MAX_SKILL_CHARS = 32
CLEARED = "none"  # `languages none`, `skills none`: the list emptied

# A BCP 47 language with an optional region: de, fil, pt-BR, es-419. ASCII only (checked first:
# with IGNORECASE a Kelvin sign would pass for a "k").
_LANGUAGE = re.compile(r"([a-z]{2,3})(?:-([a-z]{2}|[0-9]{3}))?", re.IGNORECASE)
_SKILL = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{MAX_SKILL_CHARS - 1}}}")


class Availability(StrEnum):
    AVAILABLE = "available"  # takes new conversations (up to capacity)
    AWAY = "away"  # keeps their conversations, is offered no new ones
    OFFLINE = "offline"


# /handoff-agents lists the available first, then away, then offline.
AVAILABILITY_ORDER = {Availability.AVAILABLE: 0, Availability.AWAY: 1, Availability.OFFLINE: 2}


class InvalidProfile(ValueError):
    """A value an agent gave for their profile is not one we take; the message says why, plainly."""


@dataclass(frozen=True)
class AgentProfile:
    user_id: str
    availability: Availability = Availability.OFFLINE
    capacity: int | None = None  # None: the default capacity (HANDOFF_AGENT_CAPACITY)
    languages: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    updated_at: datetime | None = None
    updated_by_user_id: str | None = None

    def capacity_or(self, default: int) -> int:
        return default if self.capacity is None else self.capacity


@dataclass(frozen=True)
class ProfileChange:
    """What an agent or admin changes; None leaves that part as it is."""

    availability: Availability | None = None
    capacity: int | None = None
    languages: tuple[str, ...] | None = None
    skills: tuple[str, ...] | None = None

    @property
    def is_empty(self) -> bool:
        return self == ProfileChange()

    def applied_to(self, profile: AgentProfile, by_user_id: str, at: datetime) -> AgentProfile:
        return replace(
            profile,
            availability=profile.availability if self.availability is None else self.availability,
            capacity=profile.capacity if self.capacity is None else self.capacity,
            languages=profile.languages if self.languages is None else self.languages,
            skills=profile.skills if self.skills is None else self.skills,
            updated_at=at,
            updated_by_user_id=by_user_id,
        )

    def as_details(self) -> dict[str, Any]:
        """The parts that change, as JSON-ready values (the audit log's details)."""
        details: dict[str, Any] = {}
        if self.availability is not None:
            details["availability"] = str(self.availability)
        if self.capacity is not None:
            details["capacity"] = self.capacity
        if self.languages is not None:
            details["languages"] = list(self.languages)
        if self.skills is not None:
            details["skills"] = list(self.skills)
        return details


@dataclass(frozen=True)
class AgentStatus:
    """An agent's profile with their load: connected conversations against their capacity."""

    profile: AgentProfile
    open_conversations: int
    capacity: int

    @property
    def user_id(self) -> str:
        return self.profile.user_id


def capacity_from(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise InvalidProfile(f"capacity must be a whole number from {MIN_CAPACITY} to {MAX_CAPACITY}")
    value = int(text)
    if not MIN_CAPACITY <= value <= MAX_CAPACITY:
        raise InvalidProfile(f"capacity must be a whole number from {MIN_CAPACITY} to {MAX_CAPACITY}")
    return value


def language_from(code: str) -> str:
    """A language code in its usual case: `de`, `pt-BR`, `es-419`."""
    match = _LANGUAGE.fullmatch(code) if code.isascii() else None
    if match is None:
        raise InvalidProfile("languages are codes like de, fr or pt-BR, separated by commas")
    language, region = match.groups()
    return language.lower() if region is None else f"{language.lower()}-{region.upper()}"


def skill_from(tag: str) -> str:
    """A skill tag in lower case: letters, digits, - and _."""
    lowered = tag.lower()
    if not tag.isascii() or _SKILL.fullmatch(lowered) is None:
        raise InvalidProfile(
            f"skills are tags like billing or hardware (letters, digits, - and _, at most {MAX_SKILL_CHARS} "
            "characters), separated by commas"
        )
    return lowered


def languages_from(text: str) -> tuple[str, ...]:
    return _listed(text, language_from, MAX_LANGUAGES, "languages")


def skills_from(text: str) -> tuple[str, ...]:
    return _listed(text, skill_from, MAX_SKILLS, "skills")


def _listed(text: str, parse: Any, most: int, what: str) -> tuple[str, ...]:
    if text.strip().lower() == CLEARED:
        return ()
    items: list[str] = []
    for part in text.split(","):
        if part.strip() and (item := parse(part.strip())) not in items:
            items.append(item)
    if not items:
        raise InvalidProfile(f"give at least one of the {what}, or `{CLEARED}` to clear them")
    if len(items) > most:
        raise InvalidProfile(f"at most {most} {what}")
    return tuple(items)


def roster(
    agent_ids: Iterable[str], profiles: Mapping[str, AgentProfile], open_counts: Mapping[str, int], default: int
) -> list[AgentStatus]:
    """Every agent's status: the available first, then away, then offline; the least busy first
    within each, then by user ID (a stable order for paging)."""
    statuses = [
        AgentStatus(
            profile := profiles.get(user_id) or AgentProfile(user_id),
            open_counts.get(user_id, 0),
            profile.capacity_or(default),
        )
        for user_id in set(agent_ids)
    ]
    return sorted(
        statuses,
        key=lambda s: (AVAILABILITY_ORDER[s.profile.availability], s.open_conversations, s.user_id),
    )
