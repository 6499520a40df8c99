"""Assembling the app: database, Web API client, core, Bolt listeners and the scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_bolt.error import BoltError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from handoff_slack.blocks.notices import render_notice
from handoff_slack.config_file import ConfigError, load_bot_config
from handoff_slack.core.bot import BotEngine
from handoff_slack.core.bot_config import FrustrationAction
from handoff_slack.core.clock import Clock, utcnow
from handoff_slack.core.priority_rules import PriorityRules
from handoff_slack.core.reminders import Mentions, ReminderRules, wall_seconds
from handoff_slack.core.ticket_needs import NeedsRules
from handoff_slack.lazy_work import LazyWork
from handoff_slack.listeners import register_listeners
from handoff_slack.request_guard import SlackRequestGuard
from handoff_slack.scheduler import build_scheduler, deliver_now
from handoff_slack.scheduler_leader import SchedulerLeadership, leadership_for
from handoff_slack.sender_notices import TooLongNotices
from handoff_slack.services import Services
from handoff_slack.settings import Settings
from handoff_slack.slack.approvers import Approvers
from handoff_slack.slack.client import build_posting_client, build_web_client
from handoff_slack.slack.directory import AgentDirectory, PeopleDirectory
from handoff_slack.slack.file_relay import FileRelay
from handoff_slack.slack.handoff_effects import HandoffEffects
from handoff_slack.slack.offer_dms import OfferDesk
from handoff_slack.slack.outbox import Outbox
from handoff_slack.slack.served_doors import ServedDoors
from handoff_slack.slack.ticket_board import TicketBoard
from handoff_slack.startup import StartupError, bolt_logger, verify_bot_token
from handoff_slack.storage.agent_profiles import AgentProfiles
from handoff_slack.storage.audit_log import AuditLog
from handoff_slack.storage.database import Database, DatabaseUnavailable, migrate
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from handoff_slack.storage.served_channels import ServedChannels

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
FILE_UPLOAD_TIMEOUT = 120  # seconds
PROFILE_LOOKUP_TIMEOUT = 3  # seconds: triage prefill is looked up while Slack waits for our ack


@dataclass
class HandoffApp:
    settings: Settings
    db: Database
    bolt: App
    services: Services
    scheduler: BackgroundScheduler
    executor: LazyWork
    leadership: SchedulerLeadership  # whether this process runs the timers (one across replicas)

    def wsgi(self) -> Callable[..., Iterable[bytes]]:
        """Slack's requests at POST /slack/events (checked by the guard first), GET /healthz, else 404."""
        slack = SlackRequestGuard(
            self.bolt,
            self.settings.signing_secret,
            lazy_work=self.executor,
            tell_sender=TooLongNotices(self.services, self.bolt.client),
        )

        def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
            if path == EVENTS_PATH and method == "POST":
                return slack(environ, start_response)
            if path == HEALTH_PATH and method == "GET":
                healthy = self.database_reachable()
                # Which replica runs the timers, for operators (the status is only for load balancers).
                leader = ("X-Scheduler-Leader", "yes" if self.leadership.leading else "no")
                status = "200 OK" if healthy else "503 Service Unavailable"
                start_response(status, [("Content-Type", "text/plain"), leader])
                return [b"ok" if healthy else b"database unavailable"]
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Not Found"]

        return application

    def database_reachable(self) -> bool:
        try:
            with self.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def start_background_work(self) -> None:
        self.leadership.start()  # before the first runs: a single replica leads from its first tick
        self.scheduler.start()

    def close(self) -> None:
        self.leadership.quiesce()  # no job reschedules the timers while the scheduler shuts down
        if self.scheduler.running:
            # APScheduler 3's thread runs its due jobs once more after shutdown() wakes it, and submits
            # them to the executors shutdown() just closed (a traceback in the log): no jobs, no race.
            self.scheduler.remove_all_jobs()
            self.scheduler.shutdown(wait=True)
        self.leadership.stop()  # its lock freed at once: another replica (or the next start) leads
        self.executor.shutdown(wait=True)  # lazy listeners in flight finish their Slack calls
        self.db.dispose()


def create_app(settings: Settings, *, run_migrations: bool = True, clock: Clock = utcnow) -> HandoffApp:
    try:
        bot = BotEngine(load_bot_config(settings.config_path))
    except ConfigError as error:
        raise StartupError(str(error)) from None
    identity = verify_bot_token(settings)  # before anything is created: a refusal leaves no trace
    if run_migrations:
        try:
            migrate(settings.database_url)
        except DatabaseUnavailable as error:
            raise StartupError(str(error)) from None
    db = Database(settings.database_url, pool_size=settings.http_threads)
    client = build_web_client(settings.bot_token, settings.slack_api_url, timeout=settings.slack_timeout_seconds)

    helpdesk = SqlHelpdesk(
        db,
        responder=bot,
        note_prefix=settings.note_prefix,
        clock=clock,
        flood_limit=settings.flood_limit,
        flood_window=timedelta(seconds=settings.flood_window_seconds),
        supervision=bot.config.supervision,
        workspace_id=str(identity.get("team_id") or ""),
        priorities=PriorityRules(
            bot.config.priority,
            bot.config.escalation.frustration.threshold,
            measuring=bot.config.escalation.frustration.action is not FrustrationAction.OFF,
        ),
    )
    try:  # before anything is served: conversations carried over by migration 0009 get their workspace
        helpdesk.record_workspace()
    except SQLAlchemyError as error:
        db.dispose()
        raise StartupError(f"the database could not be reached: {type(error).__name__}") from None
    agents = AgentDirectory(
        client, settings.support_channel, settings.admins, settings.agent_cache_seconds, group_id=settings.agent_group
    )
    people = PeopleDirectory(
        client,
        home_team_id=identity.get("team_id"),
        lookup_client=build_web_client(
            settings.bot_token, settings.slack_api_url, timeout=PROFILE_LOOKUP_TIMEOUT, max_retries=0
        ),
    )
    poster = build_posting_client(settings.bot_token, settings.slack_api_url, timeout=settings.slack_timeout_seconds)
    board = TicketBoard(helpdesk, client, people, settings.support_channel, poster=poster)
    files = FileRelay(
        client,
        # Uploads of up to HANDOFF_MAX_FILE_BYTES need longer than a message post.
        build_posting_client(settings.bot_token, settings.slack_api_url, timeout=FILE_UPLOAD_TIMEOUT),
        max_bytes=settings.max_file_bytes,
    )
    channels = ServedChannels(db, helpdesk.workspace_id, helpdesk.deliveries)
    outbox = Outbox(
        helpdesk.deliveries,
        client,
        poster=poster,
        give_up_after=timedelta(seconds=settings.delivery_give_up_seconds),
        clock=clock,
        files=files,
        render_notice=partial(render_notice, note_prefix=settings.note_prefix),
        door_closed=ServedDoors(channels.is_served).closed,
    )
    helpdesk.routing = bot.config.routing  # who is offered a waiting ticket (the YAML's `routing`)
    helpdesk.transfer_config = bot.config.transfers  # how long a transfer offer waits (the YAML's `transfers`)
    helpdesk.satisfaction = bot.config.satisfaction  # the survey after a close (the YAML's `satisfaction`)
    helpdesk.needs = NeedsRules(bot.config.routing.filters, bot.config.scenarios)  # a ticket's language, skills
    helpdesk.business_hours = bot.config.business_hours  # when agents are there (the YAML's `business_hours`)
    # Reminders of waiting tickets and first-response targets (the YAML's `reminders`); waiting time
    # counts only while the help desk is open (always, without `business_hours`).
    helpdesk.reminder_rules = ReminderRules(
        bot.config.reminders,
        Mentions(settings.agent_group, tuple(sorted(settings.admins))),
        waiting_time=bot.config.business_hours.working_seconds_between
        if not bot.config.business_hours.is_always_open
        else wall_seconds,
    )
    helpdesk.waiting_config = bot.config.waiting  # waiting timeout, queue updates, idle close (waiting_jobs.py)
    profiles = AgentProfiles(db, helpdesk.workspace_id)
    offers = OfferDesk(
        helpdesk,
        agents,
        profiles,
        client,
        outbox,
        settings.agent_capacity,
        poster=poster,
        people=people,
        board=board,
    )
    routed = helpdesk.routing.offers
    effects = HandoffEffects(
        board, outbox, route=offers.route if routed else None, withdraw=offers.time_out if routed else None
    )
    executor = LazyWork(settings.http_threads, settings.max_backlog, thread_name_prefix="lazy-listener")
    approvers = Approvers(client, agents, bot.config.supervision.approvers)
    audit = AuditLog(db, helpdesk.workspace_id)
    services = Services(
        settings,
        helpdesk,
        agents,
        people,
        board,
        client,
        outbox,
        effects,
        executor,
        clock,
        approvers,
        channels,
        profiles,
        audit,
        offers,
    )
    try:
        bolt = App(
            # Bolt's default name, this file's, without its way of finding it (inspect.stack(),
            # which reads the source of every frame on the stack: 10-40 ms per start).
            name="app.py",
            signing_secret=settings.signing_secret,
            client=client,  # carries the bot token
            # Each listener's ack phase commits to the database before Slack gets its response;
            # Slack calls happen in lazy listeners afterwards.
            process_before_response=True,
            # Bolt keeps this start-up auth.test result; without it the first request after
            # every start would wait on (or, if Slack fails, be dropped by) its own auth.test.
            token_verification_enabled=True,
            listener_executor=executor,
            logger=bolt_logger(),
        )
    except (BoltError, OSError) as error:
        executor.shutdown()
        raise StartupError(f"SLACK_BOT_TOKEN could not be verified with Slack: {type(error).__name__}") from None
    register_listeners(bolt, services)
    leadership = leadership_for(settings.database_url, db.backend, settings.leader_check_seconds)
    scheduler = build_scheduler(services, leadership)
    # Relays deferred while the backlog was full go out as soon as it has room again.
    executor.on_drained = lambda: deliver_now(services)
    return HandoffApp(settings, db, bolt, services, scheduler, executor, leadership)
