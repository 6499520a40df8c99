"""The sandbox's cast: a home team, an external organisation (Slack Connect), customers, agents, an admin.

``seed(emulator, support_channel="CSUPPORT", customer_1_external=False)`` adds them to the emulator and
returns ``Personas``: ``customer_1`` (home team, or the external organisation if asked),
``customer_2`` (external organisation), ``colleague_2`` (customer 2's colleague, of the same
organisation), ``agent_1``, ``agent_2``, ``admin`` (each a ``Persona``), the ``support_channel`` (its
members: the agents and the bot), the ``shared_channel`` (#acme-support, shared with the external
organisation over Slack Connect: customer 2 and their colleague, the agents, the admin and the bot;
``is_ext_shared`` in ``conversations.info``) and the teams' IDs. The same IDs as the test
suite's cast, so the sandbox and the tests meet the same people.
"""

from __future__ import annotations

from dataclasses import dataclass

from handoff_slack.sandbox.emulator import SlackEmulator

EXTERNAL_TEAM = "TEXTORG"
EXTERNAL_TEAM_NAME = "Acme Corp"
SHARED_CHANNEL = "CACME"
SHARED_CHANNEL_NAME = "acme-support"


@dataclass(frozen=True)
class Persona:
    key: str  # "customer_1", "customer_2", "colleague_2", "agent_1", "agent_2", "admin"
    user_id: str
    name: str  # the Slack handle
    real_name: str
    team_id: str
    role: str  # "customer", "agent" or "admin"


@dataclass(frozen=True)
class Personas:
    home_team: str
    external_team: str
    support_channel: str
    shared_channel: str  # shared with the external organisation (Slack Connect)
    customer_1: Persona
    customer_2: Persona
    colleague_2: Persona  # customer 2's colleague: a second person of their organisation
    agent_1: Persona
    agent_2: Persona
    admin: Persona

    @property
    def all(self) -> list[Persona]:
        return [self.customer_1, self.customer_2, self.colleague_2, self.agent_1, self.agent_2, self.admin]

    def by_key(self, key: str) -> Persona:
        return next(p for p in self.all if p.key == key)


def seed(
    emulator: SlackEmulator,
    support_channel: str = "CSUPPORT",
    *,
    customer_1_external: bool = False,
    support_channel_name: str = "support",
) -> Personas:
    home = emulator.team_id
    emulator.add_team(EXTERNAL_TEAM, EXTERNAL_TEAM_NAME)
    cast = Personas(
        home_team=home,
        external_team=EXTERNAL_TEAM,
        support_channel=support_channel,
        shared_channel=SHARED_CHANNEL,
        customer_1=Persona(
            "customer_1",
            "UCUST1",
            "jane",
            "Jane Customer",
            EXTERNAL_TEAM if customer_1_external else home,
            "customer",
        ),
        customer_2=Persona("customer_2", "UEXT1", "erin", "Erin External", EXTERNAL_TEAM, "customer"),
        colleague_2=Persona("colleague_2", "UEXT2", "sam", "Sam Acme", EXTERNAL_TEAM, "customer"),
        agent_1=Persona("agent_1", "UAGENT1", "alice", "Alice Agent", home, "agent"),
        agent_2=Persona("agent_2", "UAGENT2", "bob", "Bob Agent", home, "agent"),
        admin=Persona("admin", "UADMIN", "ada", "Ada Admin", home, "admin"),
    )
    for persona in cast.all:
        emulator.add_user(
            persona.user_id,
            name=persona.name,
            real_name=persona.real_name,
            display_name=persona.real_name.split()[0],
            team_id=persona.team_id,
        )
    emulator.add_channel(
        support_channel,
        support_channel_name,
        [cast.agent_1.user_id, cast.agent_2.user_id],
    )
    # Both organisations are in it, so conversations.info says is_ext_shared (the emulator derives it).
    emulator.add_channel(
        SHARED_CHANNEL,
        SHARED_CHANNEL_NAME,
        [c.user_id for c in (cast.customer_2, cast.colleague_2, cast.agent_1, cast.agent_2, cast.admin)],
    )
    return cast
