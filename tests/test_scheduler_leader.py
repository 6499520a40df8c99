"""One scheduler leader across replicas (scheduler_leader.py): on PostgreSQL exactly one process
runs the timers, another takes over within the stated bound when it dies or loses its lock's
connection, or when its database hangs; on SQLite the process always leads; a timer that came due
while no app ran fires once after start-up. Two real app processes (`python main.py`) where a
process must die."""

from __future__ import annotations

import logging
import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from handoff_slack.blocks.action_ids import TRANSFER_ACCEPT
from handoff_slack.core.transfer_config import TransferConfig
from handoff_slack.scheduler import lapse_transfer_offers, run_timers_once
from handoff_slack.scheduler_leader import (
    SchedulerLeadership,
    gives_up_within_seconds,
    hung_takeover_bound_seconds,
    takeover_bound_seconds,
)
from tests.conftest import AGENT, AGENT_2, CUSTOMER
from tests.support.app_process import AppProcess
from tests.support.app_under_test import AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import (
    block_text,
    connected_ticket,
    dm,
    dm_posts,
    wait_for_dm,
    wait_for_new_ticket,
    waiting_ticket,
)
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until
from tests.test_supervised_mode import SUPERVISED_CONFIG, MovableClock
from tests.test_timers_once import REMINDER, SIXTEEN_MINUTES, said
from tests.test_timers_once import offers as waiting_offers
from tests.test_transfer import answered, offer_transfer, offers, press, thread_posts_containing

CHECK_SECONDS = 1  # HANDOFF_LEADER_CHECK_SECONDS in these tests: the bound is then 6 s
# Beyond a bound: the scheduler's and the watchdog's threads waking (the bounds count from the
# leader's last answer, which came before the test hung its database).
WAKE_UP_SECONDS = 0.5
HUNG = "its database did not answer within 1 s"
LAPSED = "did not answer the transfer"
TIMED_OUT_LOG = "timed out: handed over to the queue"


def leads(app: AppProcess | AppUnderTest) -> bool | None:
    """What GET /healthz says of the scheduler's lead: True, False, or None when it does not answer."""
    try:
        with urllib.request.urlopen(app.base_url + "/healthz", timeout=1) as response:
            return {"yes": True, "no": False}[response.headers["X-Scheduler-Leader"]]
    except OSError:
        return None


# -- one process: SQLite, a restart, the lock's connection lost -----------------------------------------------


def test_on_sqlite_the_process_always_leads(
    fake_slack: FakeSlack, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handoff_slack.scheduler_leader")
    app = AppUnderTest(settings_for(fake_slack, sqlite_url)).start()
    try:
        assert app.app is not None and app.app.leadership.leading
        assert leads(app) is True
        assert "scheduler leader: this process (SQLite serves one process)" in caplog.text
    finally:
        app.stop()


def test_a_timer_that_came_due_while_no_app_ran_fires_once_after_start(
    fake_slack: FakeSlack, database_url: str
) -> None:
    """A transfer offer made, the app stopped, its lapse passing meanwhile: the next app says so, once."""
    clock = MovableClock()
    app = AppUnderTest(settings_for(fake_slack, database_url), clock).start()
    try:
        ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
        offer_id = offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2)
        app.stop()
        clock.offset = TransferConfig().offer_lapses_after + timedelta(seconds=1)  # the app was down when it lapsed

        app.start()  # the leader's first run is at start-up

        fake_slack.wait_for("chat.update", lambda c: "Not answered in time" in block_text(c.params.get("blocks")))
        wait_until(lambda: thread_posts_containing(fake_slack, ticket, LAPSED), message="the owner told")
        assert offers(app) == ["lapsed"]
        press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "late")
        assert "lapsed" in answered(fake_slack, "late")

        app.restart()  # a later start finds nothing left to fire: the job, run now, says nothing again
        assert app.app is not None
        lapse_transfer_offers(app.app.services)
        app.app.services.outbox.retry()
        assert len(thread_posts_containing(fake_slack, ticket, LAPSED)) == 1
    finally:
        app.stop()


@pytest.mark.postgres
def test_the_leader_whose_lock_connection_the_server_ends_loses_the_lead_and_takes_it_again(
    fake_slack: FakeSlack, postgres_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handoff_slack.scheduler_leader")
    app = AppUnderTest(
        settings_for(fake_slack, postgres_database_url, HANDOFF_LEADER_CHECK_SECONDS=str(CHECK_SECONDS))
    ).start()
    admin = create_engine(postgres_database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        assert app.app is not None and app.app.leadership.leading
        first_backend = app.app.leadership.lock_backend_pid()
        assert first_backend is not None

        with admin.connect() as connection:  # as a database restart or an administrator would
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_backend}).scalar()

        wait_until(lambda: "lost the lead" in caplog.text, timeout=takeover_bound_seconds(CHECK_SECONDS))
        leadership = app.app.leadership
        wait_until(
            lambda: leadership.leading and leadership.lock_backend_pid() not in (None, first_backend),
            timeout=takeover_bound_seconds(CHECK_SECONDS),
            message="the lead taken again on a new connection",
        )
        assert caplog.text.count("took the lead") == 2
        assert leads(app) is True
    finally:
        app.stop()
        admin.dispose()


@pytest.mark.postgres
def test_a_leader_whose_database_hangs_gives_up_the_lead_and_another_replica_fires_each_timer_once(
    fake_slack: FakeSlack,
    postgres_database_url: str,
    postgres_proxy: tuple[TcpProxy, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The leader's database stops answering it without closing anything (keep-alives are still
    answered): the leader gives up within two check intervals and says why, once; the server frees
    its lock and the other replica leads within four. Once the database answers the old leader
    again, it stays a follower, and each timer fires once, on the new leader."""
    caplog.set_level(logging.INFO, logger="handoff_slack.scheduler_leader")
    proxy, through_proxy = postgres_proxy
    clock = MovableClock()  # shared: timers come due on both at once
    # Timer jobs run at start-up, at a takeover, and when the test runs them.
    env = {"HANDOFF_LEADER_CHECK_SECONDS": str(CHECK_SECONDS), "HANDOFF_DELIVERY_RETRY_SECONDS": "3600"}
    old = AppUnderTest(settings_for(fake_slack, through_proxy, **env), clock).start()
    new = AppUnderTest(settings_for(fake_slack, postgres_database_url, **env), clock)
    try:
        new.start()
        assert old.app is not None and new.app is not None
        assert old.app.leadership.leading and not new.app.leadership.leading
        ticket = waiting_ticket(new, fake_slack, CUSTOMER)

        assert proxy.hang() >= 1  # the lock's connection among them
        hung_at = time.monotonic()
        leadership = old.app.leadership
        wait_until(
            lambda: not leadership.leading,
            timeout=gives_up_within_seconds(CHECK_SECONDS) + WAKE_UP_SECONDS,
            message="the hung leader to give up its lead",
        )
        wait_until(
            lambda: new.app is not None and new.app.leadership.leading,
            timeout=hung_takeover_bound_seconds(CHECK_SECONDS) - (time.monotonic() - hung_at) + WAKE_UP_SECONDS,
            message="the other replica to lead",
        )
        run_timers_once(old.app.services, leadership)  # still hung: not leading, it touches nothing

        proxy.resume()
        clock.offset = SIXTEEN_MINUTES  # a reminder and a waiting timeout's offer are due

        def fired() -> tuple[int, int]:
            return said(fake_slack, ticket, REMINDER), waiting_offers(fake_slack)

        run_timers_once(old.app.services, leadership)
        assert fired() == (0, 0)  # answered again, the old leader fires nothing
        run_timers_once(new.app.services, new.app.leadership)
        assert fired() == (1, 1)
        run_timers_once(old.app.services, leadership)
        run_timers_once(new.app.services, new.app.leadership)
        assert fired() == (1, 1)  # each once

        lost = [record.getMessage() for record in caplog.records if "lost the lead" in record.getMessage()]
        assert lost == [f"scheduler leader: process {os.getpid()} lost the lead ({HUNG})"]
        assert caplog.text.count("took the lead") == 2  # each replica once: the old one did not take it back
        assert leads(old) is False and leads(new) is True
    finally:
        new.stop()
        old.stop()


# -- two processes on one PostgreSQL database ------------------------------------------------------------------


@pytest.fixture
def two_apps(fake_slack: FakeSlack, postgres_database_url: str, tmp_path: Path) -> Iterator[list[AppProcess]]:
    apps = [
        AppProcess(
            fake_slack,
            postgres_database_url,
            tmp_path / name,
            LOG_LEVEL="INFO",
            HANDOFF_LEADER_CHECK_SECONDS=str(CHECK_SECONDS),
            HANDOFF_CONFIG=str(tmp_path / "supervised.yaml"),
        )
        for name in ("a", "b")
    ]
    # Supervised mode with the shortest timeout allowed: a timer both processes see come due.
    (tmp_path / "supervised.yaml").write_text(
        SUPERVISED_CONFIG.read_text().replace("timeout_seconds: 300", "timeout_seconds: 10")
    )
    for app in apps:
        app.log_dir.mkdir()
    try:
        yield [app.start() for app in apps]
    finally:
        for app in apps:
            app.stop()


def one_leader(apps: list[AppProcess]) -> tuple[AppProcess, AppProcess] | None:
    """(leader, follower) once exactly one of two answering processes leads."""
    said = [leads(app) for app in apps]
    if sorted(said, key=str) != [False, True]:
        return None
    leader = apps[said.index(True)]
    return leader, apps[1 - apps.index(leader)]


@pytest.mark.slow
@pytest.mark.postgres
def test_of_two_processes_one_leads_and_when_it_is_killed_the_other_takes_over_within_the_bound(
    two_apps: list[AppProcess],
) -> None:
    leader, follower = wait_until(lambda: one_leader(two_apps), timeout=10, message="exactly one leader")
    assert "took the lead" in leader.log_path.read_text()
    assert "took the lead" not in follower.log_path.read_text()

    leader.kill()  # SIGKILL: nothing is given up cleanly; the server frees the lock as the socket closes
    killed_at = time.monotonic()
    bound = takeover_bound_seconds(CHECK_SECONDS)
    wait_until(lambda: leads(follower), timeout=bound, message=f"the other process to lead within {bound} s")
    assert time.monotonic() - killed_at <= bound
    assert "took the lead" in follower.log_path.read_text()

    leader.start()  # back as a follower: still exactly one leader
    assert wait_until(lambda: one_leader(two_apps), timeout=10, message="exactly one leader") == (follower, leader)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_timer_fires_once_across_two_processes_on_the_leader(
    two_apps: list[AppProcess], fake_slack: FakeSlack
) -> None:
    leader, follower = wait_until(lambda: one_leader(two_apps), timeout=10, message="exactly one leader")
    dm(follower, CUSTOMER, "wifi not working")  # the proposal is made on the process that does not lead
    wait_for_dm(fake_slack, CUSTOMER, "Is the Wi-Fi light on?")
    dm(follower, CUSTOMER, "Off")
    wait_for_new_ticket(fake_slack, 0)

    wait_for_dm(fake_slack, CUSTOMER, "in the queue", 1)  # 10 s later, the timeout hands it over
    fake_slack.wait_for("chat.update", lambda c: "after the timeout" in block_text(c.params.get("blocks")))
    assert len([c for c in dm_posts(fake_slack, CUSTOMER) if "in the queue" in c.params["text"]]) == 1
    assert TIMED_OUT_LOG in leader.log_path.read_text()  # fired by the leader's job, not the follower's
    assert TIMED_OUT_LOG not in follower.log_path.read_text()


class _FreeLock:
    """A lock that is always free to take, and held only while `held` says so (no database)."""

    lost_because = "its database connection ended"

    def __init__(self) -> None:
        self.held = True

    def try_take(self) -> bool:
        self.held = True
        return True

    def still_held(self) -> bool:
        return self.held

    def release(self) -> None:
        self.held = False


def test_quiesce_waits_for_a_takeover_in_progress_and_stops_later_ones() -> None:
    """The app quiesces the leadership before the scheduler shuts down: APScheduler's shutdown holds
    its job store lock while it waits for running jobs, and a check job taking the lead then would
    wait for that lock to reschedule the timers (a deadlock seen once when an app stopped just as it
    took over). So quiesce waits for an `on_taken` in progress, and none runs after it."""
    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def on_taken() -> None:
        calls.append(1)
        entered.set()
        assert release.wait(10)

    lock = _FreeLock()
    leadership = SchedulerLeadership(lock, on_taken)  # type: ignore[arg-type]
    taking = threading.Thread(target=leadership.check)
    taking.start()
    assert entered.wait(10)
    quiesced = threading.Event()
    quiescing = threading.Thread(target=lambda: (leadership.quiesce(), quiesced.set()))
    quiescing.start()
    assert not quiesced.wait(0.3)  # held back while the takeover's hook runs
    release.set()
    assert quiesced.wait(10)
    taking.join(10)
    quiescing.join(10)

    lock.held = False  # the lead lost, and taken again: no hook after quiesce
    leadership.check()
    assert leadership.leading and calls == [1]
