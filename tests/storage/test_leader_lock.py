"""The scheduler leader's lock (storage/leader_lock.py) on a real PostgreSQL server: one holder per
schema, freed when its connection ends however it ends, taken again on a fresh connection; a hung
database given up within its bound by the holder, and the lock freed by the server."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from handoff_slack.storage.leader_lock import DEAD_AFTER_SECONDS, LeaderLock, server_frees_after_seconds
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until

pytestmark = pytest.mark.postgres


@pytest.fixture
def locks() -> Iterator[list[LeaderLock]]:
    made: list[LeaderLock] = []
    yield made
    for lock in made:
        lock.release()


def test_one_holder_at_a_time_and_a_release_frees_it_at_once(
    postgres_database_url: str, locks: list[LeaderLock]
) -> None:
    first, second = LeaderLock(postgres_database_url), LeaderLock(postgres_database_url)
    locks += [first, second]
    assert first.try_take() and first.try_take()  # taken, and still held when asked again
    assert not second.try_take()
    assert first.still_held() and not second.still_held()

    first.release()

    # The server ends the session as the connection closes (its backend exits a moment later).
    wait_until(second.try_take, timeout=2, message="the lock free once its holder's connection closed")
    assert not first.still_held()


def test_the_lock_connection_asks_the_server_to_probe_it(postgres_database_url: str, locks: list[LeaderLock]) -> None:
    lock = LeaderLock(postgres_database_url)
    locks.append(lock)
    assert lock.try_take()
    pid = lock.backend_pid()
    admin = create_engine(postgres_database_url)
    try:
        with admin.connect() as connection:  # the server's view of that session's socket
            row = connection.execute(
                text("SELECT client_port FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).one()
        assert row.client_port is not None  # TCP (on a Unix socket the keep-alive settings would not apply)
    finally:
        admin.dispose()
    # Probed after 2 idle seconds, every second, 3 times; unacknowledged data given up after 5 s. A
    # statement ends after one check interval (5 s by default); the session, after three silent ones.
    assert lock.session_settings() == {
        "tcp_keepalives_idle": "2",
        "tcp_keepalives_interval": "1",
        "tcp_keepalives_count": "3",
        "tcp_user_timeout": str(DEAD_AFTER_SECONDS * 1000),
        "statement_timeout": "5s",
        "idle_session_timeout": "15s",
    }


def test_a_cut_connection_frees_the_lock_for_another_holder_and_is_noticed_by_its_holder(
    postgres_proxy: tuple[TcpProxy, str], postgres_database_url: str, locks: list[LeaderLock]
) -> None:
    proxy, through_proxy = postgres_proxy
    leader, other = LeaderLock(through_proxy), LeaderLock(postgres_database_url)
    locks += [leader, other]
    assert leader.try_take()
    assert not other.try_take()

    assert proxy.pause() >= 1  # the leader's connection reset, as a network cut or server restart does
    proxy.resume()

    # The server ended that session as its socket was reset: its lock is free.
    wait_until(other.try_take, timeout=2, message="the lock free once its holder's connection was cut")
    assert not leader.still_held()
    assert not leader.try_take()  # on a fresh connection now, and the lock is the other's


def test_a_hung_connection_is_given_up_within_one_check_and_the_server_frees_its_lock(
    postgres_proxy: tuple[TcpProxy, str], postgres_database_url: str, locks: list[LeaderLock]
) -> None:
    """The database stops answering the holder without closing anything: keep-alives are still
    answered, so only the bounds on the lock's session end the wait, one on each side."""
    proxy, through_proxy = postgres_proxy
    leader, other = LeaderLock(through_proxy, check_seconds=1), LeaderLock(postgres_database_url, check_seconds=1)
    locks += [leader, other]
    assert leader.try_take()
    assert not other.try_take()

    assert proxy.hang() == 1  # the lock's connection, held open and silent
    asked = time.monotonic()
    assert not leader.still_held()  # its statement cut after one check interval
    waited = time.monotonic() - asked
    assert leader.lost_because == "its database did not answer within 1 s"
    assert 1 <= waited < 2, waited

    # The server ends the lock's session once it has been silent for three check intervals.
    wait_until(other.try_take, timeout=server_frees_after_seconds(1), message="the server to free a hung holder's lock")
    proxy.resume()
    assert not leader.try_take()  # answering again, on a fresh connection: the lock is the other's


def test_apps_in_two_schemas_of_one_database_each_have_their_own_leader(
    postgres_database_url: str, locks: list[LeaderLock]
) -> None:
    schema = f"handoff_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        elsewhere = make_url(postgres_database_url).update_query_dict({"options": f"-csearch_path={schema}"})
        here, there = LeaderLock(postgres_database_url), LeaderLock(elsewhere.render_as_string(hide_password=False))
        locks += [here, there]
        assert here.try_take() and there.try_take()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
