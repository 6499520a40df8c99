"""Agents' profiles and the audit log (storage.agent_profiles, storage.audit_log) on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from handoff_slack.core.agent_profiles import AgentProfile, Availability, ProfileChange
from handoff_slack.core.audit import AuditAction
from handoff_slack.core.bot import BotEngine
from handoff_slack.core.bot_config import BotConfig
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer
from handoff_slack.storage.agent_profiles import AgentProfiles
from handoff_slack.storage.audit_log import AuditLog
from handoff_slack.storage.database import Database
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from tests.support.migrated_template import from_migrated_template

T0 = datetime(2027, 1, 20, 10, 0, tzinfo=UTC)
HOME, OTHER = "T0HOME", "TOTHER"
_ts = itertools.count(1)


def escalate(desk: SqlHelpdesk, customer: str) -> int:
    """`customer` asks for a person in their DM: a waiting ticket."""
    who = Customer(customer, FrontDoor(f"D{customer}"), "T1")
    outcome = desk.receive_customer_message(who, f"1700000000.{next(_ts):06d}", "I want a human")
    assert outcome.ticket_id is not None
    return outcome.ticket_id


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    from_migrated_template(database_url)
    database = Database(database_url)
    try:
        yield database
    finally:
        database.dispose()


def test_a_profile_is_created_on_its_first_change_and_changed_part_by_part(db: Database) -> None:
    profiles = AgentProfiles(db, HOME)
    assert profiles.get("UALICE") is None
    assert profiles.status("UALICE", default_capacity=3).profile == AgentProfile("UALICE")  # offline, default

    profiles.change("UALICE", ProfileChange(availability=Availability.AVAILABLE), "UALICE", T0)
    profiles.change("UALICE", ProfileChange(capacity=5, languages=("de", "pt-BR")), "UALICE", T0 + timedelta(1))
    changed = profiles.change("UALICE", ProfileChange(skills=("billing",)), "UADMIN", T0 + timedelta(2))

    stored = profiles.get("UALICE")
    assert stored == changed
    assert stored == AgentProfile(
        "UALICE", Availability.AVAILABLE, 5, ("de", "pt-BR"), ("billing",), T0 + timedelta(2), "UADMIN"
    )
    assert profiles.status("UALICE", default_capacity=3).capacity == 5
    profiles.change("UALICE", ProfileChange(languages=()), "UALICE", T0 + timedelta(3))
    assert profiles.get("UALICE").languages == ()  # type: ignore[union-attr]


def test_profiles_belong_to_their_workspace(db: Database) -> None:
    ours, theirs = AgentProfiles(db, HOME), AgentProfiles(db, OTHER)
    ours.change("UALICE", ProfileChange(availability=Availability.AWAY), "UALICE", T0)
    theirs.change("UALICE", ProfileChange(capacity=9), "UALICE", T0)

    assert ours.get("UALICE").availability == Availability.AWAY  # type: ignore[union-attr]
    assert ours.get("UALICE").capacity is None  # type: ignore[union-attr]
    assert theirs.get("UALICE").availability == Availability.OFFLINE  # type: ignore[union-attr]
    assert set(ours.profiles()) == {"UALICE"} and ours.profiles(["UBOB"]) == {}
    assert [e.subject_user_id for e in AuditLog(db, OTHER).entries()] == ["UALICE"]


def test_every_change_is_in_the_audit_log_with_who_made_it(db: Database) -> None:
    profiles, audit = AgentProfiles(db, HOME), AuditLog(db, HOME)
    profiles.change("UALICE", ProfileChange(availability=Availability.AVAILABLE, capacity=4), "UALICE", T0)
    profiles.change("UALICE", ProfileChange(availability=Availability.AWAY), "UADMIN", T0 + timedelta(minutes=1))

    newest, first = audit.entries(user_id="UALICE")
    assert (newest.actor_user_id, newest.subject_user_id, newest.action) == ("UADMIN", "UALICE", "status")
    assert newest.details == {"availability": "away"} and newest.at == T0 + timedelta(minutes=1)
    assert first.details == {"availability": "available", "capacity": 4} and first.ticket_id is None
    assert audit.entries(action=AuditAction.CLAIM) == [] and len(audit.entries(limit=1)) == 1


def test_concurrent_changes_of_different_parts_all_stick(db: Database) -> None:
    profiles = AgentProfiles(db, HOME)
    changes = [ProfileChange(capacity=7), ProfileChange(languages=("fr",)), ProfileChange(skills=("vip",))] * 4
    start = threading.Barrier(len(changes))

    def change(one: ProfileChange) -> None:
        start.wait()
        profiles.change("UALICE", one, "UALICE", T0)

    threads = [threading.Thread(target=change, args=(one,)) for one in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    stored = profiles.get("UALICE")
    assert stored is not None and (stored.capacity, stored.languages, stored.skills) == (7, ("fr",), ("vip",))
    assert len(AuditLog(db, HOME).entries()) == len(changes)


def test_open_conversations_count_connected_tickets_per_agent_in_the_workspace(db: Database) -> None:
    desk = SqlHelpdesk(db, workspace_id=HOME)
    elsewhere = SqlHelpdesk(db, workspace_id=OTHER)
    tickets = [escalate(desk, f"UC{n}") for n in range(3)]
    other = escalate(elsewhere, "UC9")
    for ticket in tickets[:2]:
        desk.claim(ticket, "UALICE")
    desk.claim(tickets[2], "UBOB")
    elsewhere.claim(other, "UALICE")
    desk.close(tickets[2], "UBOB", is_admin=False)

    profiles = AgentProfiles(db, HOME)
    assert profiles.open_counts() == {"UALICE": 2}
    assert profiles.status("UALICE", 3).open_conversations == 2 and profiles.status("UBOB", 3).open_conversations == 0


def test_claims_and_closes_are_audited_with_their_ticket(db: Database) -> None:
    desk = SqlHelpdesk(db, workspace_id=HOME)
    ticket = escalate(desk, "UC1")
    desk.claim(ticket, "UALICE")
    desk.claim(ticket, "UBOB")  # lost: nothing happened, nothing recorded
    desk.close(ticket, "UADMIN", is_admin=True)
    desk.close(ticket, "UALICE", is_admin=False)  # already closed

    close, claim = AuditLog(db, HOME).entries(ticket_id=ticket)
    assert (claim.action, claim.actor_user_id, claim.ticket_id) == ("claim", "UALICE", ticket)
    assert (close.action, close.actor_user_id, close.details) == ("close", "UADMIN", {"agent_user_id": "UALICE"})
    assert AuditLog(db, OTHER).entries() == []


def test_audit_details_stay_small(db: Database) -> None:
    with pytest.raises(ValueError):
        AuditLog(db, HOME).record("UALICE", AuditAction.STATUS, T0, details={"text": "x" * 5000})
    assert AuditLog(db, HOME).entries() == []


def test_taking_over_a_watched_conversation_is_audited_as_a_claim(db: Database) -> None:
    desk = SqlHelpdesk(db, responder=BotEngine(BotConfig()), workspace_id=HOME)
    who = Customer("UC1", FrontDoor("DC1"), "T1")
    desk.receive_customer_message(who, f"1700000000.{next(_ts):06d}", "hello")
    (entry,) = desk.bot_conversations().entries
    watch = desk.watch(entry.conversation_id, "UALICE")
    assert watch.ticket_id is not None

    desk.take_over(watch.ticket_id, "UBOB")

    (claimed,) = AuditLog(db, HOME).entries()
    assert (claimed.action, claimed.actor_user_id, claimed.ticket_id) == ("claim", "UBOB", watch.ticket_id)
    assert claimed.details == {"via": "take_over"}
