"""One page of `/handoff-queue` for an agent, as the command, its page buttons, Claim and the Assign
modal all answer it (blocks.queue renders it; core.queue_listing reads it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.queue import queue_page
from handoff_slack.core.agent_profiles import AgentProfile, Availability
from handoff_slack.core.queue_filter import QueueRequest
from handoff_slack.listeners.agent_check import CHECK_UNAVAILABLE, the_team
from handoff_slack.listeners.commands.queue_arguments import carried
from handoff_slack.services import Services
from handoff_slack.slack.directory import AgentCheckUnavailable


def page_for(
    services: Services,
    viewer: str,
    request: QueueRequest,
    bot_user_id: str | None,
    *,
    usage: str | None = None,
    notice: str | None = None,
) -> Rendered:
    """The page `request` asks for, as agent `viewer` sees it (admins get Assign… on each line)."""
    try:
        agent_ids, profiles = the_team(services, bot_user_id)
    except AgentCheckUnavailable:
        return Rendered(text=CHECK_UNAVAILABLE, blocks=[])
    offsets = agents_offsets(services, agent_ids, profiles)
    page = services.helpdesk.queue_page(
        request, viewer, agent_ids, profiles, services.settings.agent_capacity, utc_offsets=offsets
    )
    admin = services.agents.is_admin(viewer)
    return queue_page(page, services.clock(), carried, admin=admin, usage=usage, notice=notice)


def eligible_now(services: Services, ticket_id: int, bot_user_id: str | None) -> tuple[str, ...]:
    """Who could take ticket `ticket_id` now (the Assign modal shows them); none when unknown."""
    try:
        agent_ids, profiles = the_team(services, bot_user_id)
    except AgentCheckUnavailable:
        return ()
    offsets = agents_offsets(services, agent_ids, profiles)
    return services.helpdesk.eligible_for(ticket_id, agent_ids, profiles, services.settings.agent_capacity, offsets)


def agents_offsets(
    services: Services, agent_ids: Iterable[str], profiles: Mapping[str, AgentProfile]
) -> dict[str, int]:
    """The available agents' UTC offsets when routing.time_zone_hours is on (else none are needed):
    users.info through the people cache that routing's passes fill (slack.offer_dms), so a page
    usually asks Slack nothing. Slack unreachable: unknown, which excludes nobody (core.eligibility)."""
    if services.helpdesk.routing.filters.time_zone_hours is None:
        return {}
    offsets: dict[str, int] = {}
    for user_id in agent_ids:
        profile = profiles.get(user_id)
        if profile is None or profile.availability is not Availability.AVAILABLE:
            continue
        try:
            offset = services.people.person(user_id).utc_offset
        except OSError:
            continue
        if offset is not None:
            offsets[user_id] = offset
    return offsets
