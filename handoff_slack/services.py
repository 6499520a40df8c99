"""Everything a listener or a scheduled job needs, built once per app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from handoff_slack.lazy_work import LazyWork
from handoff_slack.settings import Settings
from handoff_slack.slack.approvers import Approvers
from handoff_slack.slack.directory import AgentDirectory, PeopleDirectory
from handoff_slack.slack.handoff_effects import HandoffEffects
from handoff_slack.slack.offer_dms import OfferDesk
from handoff_slack.slack.outbox import Outbox
from handoff_slack.slack.ticket_board import TicketBoard
from handoff_slack.storage.agent_profiles import AgentProfiles
from handoff_slack.storage.audit_log import AuditLog
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from handoff_slack.storage.served_channels import ServedChannels


@dataclass(frozen=True)
class Services:
    settings: Settings
    helpdesk: SqlHelpdesk
    agents: AgentDirectory
    people: PeopleDirectory
    board: TicketBoard
    client: WebClient  # the Web API with retries, for calls that are safe to repeat (views, look-ups)
    outbox: Outbox
    effects: HandoffEffects
    lazy_work: LazyWork  # the lazy listeners' executor: a relay's flush is deferred when it is full
    clock: Callable[[], datetime]
    approvers: Approvers  # who may decide on the bot's proposals (supervised mode)
    channels: ServedChannels  # the shared channels admins turned on (/handoff-channel)
    profiles: AgentProfiles  # agents' availability, capacity, languages and skills (/handoff-status)
    audit: AuditLog  # who did what, when (core.audit)
    offers: OfferDesk  # routing: offers of waiting tickets to agents (core.routing)
