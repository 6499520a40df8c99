"""Who the customer is and at which door (core.front_doors), from a DM event or a button pressed in their DM."""

from __future__ import annotations

from typing import Any

from handoff_slack.core.bot import CustomerFacts
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer
from handoff_slack.core.message_authors import Author, unnamed_author
from handoff_slack.listeners.payloads import acting_team, acting_user, action_door, is_direct_message
from handoff_slack.services import Services


def facts_about(services: Services, user_id: str, team_id: str | None) -> CustomerFacts:
    """Profile name and organisation for triage (cached; looked up once per customer and process).

    Looked up here, before the core's transaction, so no Slack call ever runs while a database
    lock is held; the look-up waits briefly and never retries, and what it can't learn is asked.
    """
    if not services.helpdesk.responder.needs_customer_facts:
        return CustomerFacts()
    return CustomerFacts(*services.people.customer_facts(user_id, team_id))


def customer_from_event(services: Services, event: dict[str, Any]) -> Customer:
    """A DM's author; the door is the DM (a reply in a thread of the DM too)."""
    team = event.get("user_team") or event.get("team")
    return Customer(event["user"], FrontDoor(event["channel"]), team, facts_about(services, event["user"], team))


def customer_from_action(services: Services, body: dict[str, Any]) -> Customer | None:
    """The customer is whoever clicked, at the door where they clicked: nobody can act for someone
    else. A DM; or a thread of a served shared channel, clicked by a person of another organisation
    (internal people clicking in a customer's thread act for nobody)."""
    door, user, team = action_door(body), acting_user(body), acting_team(body)
    if door is None or not user:
        return None
    if not may_act_at(services, door, team):
        return None
    channel = services.channels.settings_at(door)  # a served channel's greeting and triage switch
    return Customer(user, door, team, facts_about(services, user, team), channel=channel)


def may_act_at(services: Services, door: FrontDoor, team: str | None) -> bool:
    """Whether a person of `team` takes part in the conversation at `door`: a DM is its own person's;
    a thread of a served channel is everyone's of another organisation (the thread's customer and
    their colleagues alike), never an internal person's."""
    if not door.is_thread:
        return is_direct_message(door.channel_id)
    return is_external(services, team) and services.channels.is_served(door.channel_id)


def is_external(services: Services, team: object) -> bool:
    """A person of another organisation than the installing team's (a Slack Connect customer)."""
    home = services.helpdesk.workspace_id
    return isinstance(team, str) and bool(team) and bool(home) and team != home


def author_of(services: Services, user_id: str, team_id: str | None) -> Author:
    """How a message written in a customer's thread is shown to agents: its author's own name and
    avatar (a colleague of the customer's is not shown as the customer). Cached like `facts_about`;
    when Slack can't tell, "Someone at <their organisation>" stands in: never another person's
    name, nor the user's ID."""
    people = services.people
    try:
        person = people.person(user_id, people.lookup_client)
    except OSError:  # Slack unreachable: the message is kept all the same
        person = None
    if person is not None and person.name:  # None: users.info failed
        return Author(person.name, person.avatar_url)
    try:
        org = people.external_org_name(team_id, people.lookup_client)
    except OSError:
        org = None
    return unnamed_author(org)
