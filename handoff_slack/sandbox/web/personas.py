"""The sandbox's people: two customers (one from another organisation, over Slack Connect), two
agents and an admin, seeded into the Slack emulator with the support channel they work in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handoff_slack.sandbox.emulator import SlackEmulator

SUPPORT_CHANNEL = "CSUPPORT"
SUPPORT_CHANNEL_NAME = "support"
HOME_TEAM = "T0HOME"
HOME_TEAM_NAME = "Home Co"
PARTNER_TEAM = "T0GLOBEX"
PARTNER_TEAM_NAME = "Globex"


@dataclass(frozen=True)
class Persona:
    id: str
    label: str  # on the persona switch
    name: str  # the Slack profile's real name
    handle: str
    role: str  # customer, agent or admin
    team_id: str = HOME_TEAM

    @property
    def external(self) -> bool:
        return self.team_id != HOME_TEAM

    @property
    def team_name(self) -> str:
        return PARTNER_TEAM_NAME if self.external else HOME_TEAM_NAME

    @property
    def dm_channel(self) -> str:
        return f"D{self.id}"  # the emulator's DM between the app and this person

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "name": self.name,
            "role": self.role,
            "team_name": self.team_name,
            "external": self.external,
        }


PERSONAS: tuple[Persona, ...] = (
    Persona("UCUST1", "Customer 1", "Ada Lovelace", "ada", "customer"),
    Persona("UCUST2", "Customer 2", "Grace Hopper", "grace", "customer", PARTNER_TEAM),
    Persona("UAGENT1", "Agent 1", "Alex Agent", "alex", "agent"),
    Persona("UAGENT2", "Agent 2", "Sam Support", "sam", "agent"),
    Persona("UADMIN", "Admin", "Robin Admin", "robin", "admin"),
)
ADMINS = tuple(p.id for p in PERSONAS if p.role == "admin")
SUPPORT_MEMBERS = tuple(p.id for p in PERSONAS if p.role in ("agent", "admin"))


def persona(user_id: str) -> Persona | None:
    return next((p for p in PERSONAS if p.id == user_id), None)


def seed(emulator: SlackEmulator) -> None:
    """The teams, people and support channel members, as the app will look them up."""
    emulator.add_team(PARTNER_TEAM, PARTNER_TEAM_NAME)
    for p in PERSONAS:
        emulator.add_user(p.id, name=p.handle, real_name=p.name, display_name=p.name, team_id=p.team_id)
    emulator.set_members(SUPPORT_CHANNEL, list(SUPPORT_MEMBERS))
