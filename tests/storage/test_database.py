"""The database layer on real databases: autocommit units, and pooled connections the server closed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from handoff_slack.core.errors import StorageUnavailable
from handoff_slack.storage import database as database_module
from handoff_slack.storage.database import Database, migrate
from tests.support.migrated_template import from_migrated_template
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    from_migrated_template(database_url)
    database = Database(database_url)
    yield database
    database.dispose()


def _count(db: Database) -> int:
    with db.transaction() as session:
        return int(session.execute(text("SELECT count(*) FROM processed_event")).scalar_one())


def _insert(connection_or_session, event_id: str) -> None:  # type: ignore[no-untyped-def]
    connection_or_session.execute(
        text("INSERT INTO processed_event (event_id, received_at) VALUES (:e, CURRENT_TIMESTAMP)"), {"e": event_id}
    )


def test_an_autocommit_statement_is_committed_on_its_own(db: Database) -> None:
    with pytest.raises(RuntimeError), db.autocommit(writes=True) as connection:
        _insert(connection, "Ev1")
        raise RuntimeError("after the statement: it stays, as a statement outside a transaction does")
    assert _count(db) == 1
    with pytest.raises(RuntimeError), db.transaction() as session:
        _insert(session, "Ev2")
        raise RuntimeError("a transaction is still all or nothing")
    assert _count(db) == 1


def test_a_pinned_connection_goes_back_to_transactions_after_an_autocommit_unit(db: Database) -> None:
    with db.pinned_connection():
        with db.autocommit() as connection:
            assert connection.execute(text("SELECT count(*) FROM processed_event")).scalar_one() == 0
        with pytest.raises(RuntimeError), db.transaction() as session:
            _insert(session, "Ev1")
            raise RuntimeError("rolled back: the connection is transactional again")
        with db.autocommit(writes=True) as connection:
            _insert(connection, "Ev2")
    assert _count(db) == 1


def test_an_autocommit_read_on_sqlite_does_not_wait_for_the_writer(sqlite_url: str) -> None:
    from_migrated_template(sqlite_url)
    db = Database(sqlite_url)
    writing, done = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        with db.transaction() as session:
            _insert(session, "Ev1")
            writing.set()
            done.wait(10)

    writer = threading.Thread(target=hold_the_write_lock)
    writer.start()
    try:
        assert writing.wait(10)
        with db.autocommit() as connection:  # WAL: reads the last committed state at once
            assert connection.execute(text("SELECT count(*) FROM processed_event")).scalar_one() == 0
    finally:
        done.set()
        writer.join(10)
        db.dispose()
    assert _count(Database(sqlite_url)) == 1


# -- pooled PostgreSQL connections ------------------------------------------------------------------


def _pings(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record the pool's liveness pings (the dialect's own ping still runs)."""
    pings: list[object] = []
    ping = db.engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(db.engine.dialect, "do_ping", counted)
    return pings


@pytest.mark.postgres
def test_a_pooled_connection_in_use_is_not_pinged_on_every_checkout(
    postgres_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_migrated_template(postgres_database_url)
    db = Database(postgres_database_url)
    try:
        pings = _pings(db, monkeypatch)
        for event_id in ("Ev1", "Ev2", "Ev3"):
            with db.transaction() as session:
                _insert(session, event_id)
        assert (_count(db), pings) == (3, [])
        monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # idle "long enough"
        assert _count(db) == 3
        assert len(pings) == 1
    finally:
        db.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("idle", ["briefly", "long"])
def test_a_pooled_connection_the_server_closed_is_replaced_before_use(
    postgres_proxy: tuple[TcpProxy, str], monkeypatch: pytest.MonkeyPatch, idle: str
) -> None:
    proxy, url = postgres_proxy
    migrate(url)
    db = Database(url)
    try:
        pings = _pings(db, monkeypatch)
        if idle == "long":
            monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 0.0)
        for round_ in range(3):
            assert _count(db) == round_
            cut = proxy.pause()  # a restart, or a proxy dropping idle connections
            proxy.resume()
            assert cut >= 1, "the pool held no connection to cut: the test would prove nothing"
            with db.autocommit(writes=True) as connection:  # the first unit after the cut succeeds
                _insert(connection, f"Ev{round_}")
        # Seen by the socket while briefly idle; asked with a ping after a long idle.
        assert (len(pings) >= 3) if idle == "long" else pings == []
    finally:
        db.dispose()


@pytest.mark.postgres
def test_the_url_may_allow_longer_to_connect_than_the_fast_default(postgres_database_url: str) -> None:
    def connect_timeout(url: str) -> str:
        engine = database_module.create_database_engine(url)
        try:
            with engine.connect() as connection:
                return str(connection.connection.dbapi_connection.info.get_parameters().get("connect_timeout"))  # type: ignore[union-attr]
        finally:
            engine.dispose()

    default = make_url(postgres_database_url).difference_update_query(["connect_timeout"])
    assert connect_timeout(default.render_as_string(hide_password=False)) == "2"
    longer = default.update_query_dict({"connect_timeout": "7"})
    assert connect_timeout(longer.render_as_string(hide_password=False)) == "7"


@pytest.mark.postgres
@pytest.mark.parametrize("hangs_at", ["statement", "commit"])
def test_a_bounded_unit_of_work_fails_as_unavailable_when_the_database_hangs(
    postgres_proxy: tuple[TcpProxy, str], hangs_at: str
) -> None:
    """The server stops answering without closing anything (keep-alives still answered): a
    statement, or the commit, waits no longer than its bound; the pool connects afresh afterwards."""
    proxy, url = postgres_proxy
    from_migrated_template(url)
    db = Database(url)
    try:
        with db.statements_bounded(1):
            assert _count(db) == 0  # answering: untouched by the bound
            asked = time.monotonic()
            with pytest.raises(StorageUnavailable), db.transaction() as session:
                _insert(session, "Ev1")
                if hangs_at == "statement":
                    assert proxy.hang() >= 1
                _insert(session, "Ev2")
                if hangs_at == "commit":
                    assert proxy.hang() >= 1
            waited = time.monotonic() - asked
        assert 1 <= waited < 2, waited
        proxy.resume()
        # On a new connection. A statement given up on leaves the transaction uncommitted; a COMMIT
        # given up on may still be carried out when the server gets it (here, as the proxy passes it
        # on): all or nothing either way, the caller only cannot know which.
        assert _count(db) in ((0,) if hangs_at == "statement" else (0, 2))
    finally:
        proxy.resume()
        db.dispose()
