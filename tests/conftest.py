"""Fixtures: the fake Slack Web API, a database (SQLite file or PostgreSQL schema), the app."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from handoff_slack.server import settle_garbage_collector
from tests.support.app_process import AppProcess
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.migrated_template import drop_spare_schemas, recycle
from tests.support.tcp_proxy import TcpProxy

POSTGRES_ENV = "HANDOFF_TEST_POSTGRES_URL"

# The cast every test meets in the fake workspace.
CUSTOMER = "UCUST1"
CUSTOMER_2 = "UCUST2"
EXTERNAL_CUSTOMER = "UEXT1"
EXTERNAL_TEAM = "TEXTORG"
AGENT = "UAGENT1"
AGENT_2 = "UAGENT2"
OUTSIDER = "UOUTSIDER"


def pytest_configure(config: pytest.Config) -> None:
    # Where no bytecode may be written (PYTHONDONTWRITEBYTECODE, set on this machine), every child
    # Python the tests start (main.py, the sandbox, gunicorn, the benchmark: well over a hundred a
    # run) compiles the app's modules again, about 0.3 s of CPU each. They share a bytecode cache
    # outside the repository instead; set before pytest-xdist starts its workers, which inherit it.
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
        del os.environ["PYTHONDONTWRITEBYTECODE"]
        os.environ["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / f"handoff-tests-pycache-{os.getuid()}")
    # The garbage collector as the served app sets it (handoff_slack/server.py): what is loaded now is
    # frozen, and the collector runs less often. With the default thresholds a worker, whose heap
    # grows with every test's apps and fakes, spent about a sixth of its CPU time collecting.
    settle_garbage_collector()


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def _skip_without_postgres() -> str:
    url = postgres_url()
    if url is None and os.environ.get("CI") == "true":
        pytest.fail(f"{POSTGRES_ENV} is not set on CI: the PostgreSQL tests must run there, not skip")
    if url is None:
        pytest.skip(f"{POSTGRES_ENV} is not set; PostgreSQL tests need a server URL (.ci/run sets it)")
    return url


def _sqlalchemy_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


_worker_databases: dict[str, str] = {}


def _worker_database(base: str) -> str:
    """Under pytest-xdist, each worker's own database beside the given one (created once, kept):
    PostgreSQL advisory locks are database-wide, so two workers' apps on one database would take
    each other's replica locks (the flush and ticket-message locks, the scheduler's) and wait on
    them. Without xdist, the given database itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return base
    if base not in _worker_databases:
        url = make_url(base)
        name = f"{url.database}_{worker}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
                if found is None:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        _worker_databases[base] = url.set(database=name).render_as_string(hide_password=False)
    return _worker_databases[base]


@pytest.fixture
def postgres_database_url() -> Iterator[str]:
    """A fresh schema on the test server (the xdist worker's own database), dropped afterwards."""
    base = _worker_database(_sqlalchemy_url(_skip_without_postgres()))
    schema = f"handoff_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    # A loaded two-core CI machine can take over the product's 2 s to start a server backend; the
    # tests of a silent database use `postgres_proxy`, which keeps the product's default.
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}", "connect_timeout": "10"})
    rendered = url.render_as_string(hide_password=False)
    try:
        yield rendered
    finally:
        if not recycle(rendered):  # kept emptied for the next test if the migrated template made it
            with admin.connect() as connection:  # (gone if a test handed it on itself)
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def pytest_sessionfinish(session: pytest.Session) -> None:
    drop_spare_schemas()


@pytest.fixture
def postgres_proxy(postgres_database_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """A TCP proxy in front of the test PostgreSQL server, and the schema's URL through it."""
    url = make_url(postgres_database_url).difference_update_query(["connect_timeout"])
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    try:
        yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    finally:
        proxy.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'handoff.db'}"
    return request.getfixturevalue("postgres_database_url")


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'handoff.db'}"


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.add_user(CUSTOMER, name="jane", real_name="Jane Customer", display_name="Jane")
    fake.add_user(CUSTOMER_2, name="omar", real_name="Omar Second")
    fake.add_team(EXTERNAL_TEAM, "Acme Corp")
    fake.add_user(EXTERNAL_CUSTOMER, name="ext", real_name="Erin External", team_id=EXTERNAL_TEAM)
    fake.add_user(AGENT, name="alice", real_name="Alice Agent", display_name="Alice")
    fake.add_user(AGENT_2, name="bob", real_name="Bob Agent", display_name="Bob")
    fake.add_user(OUTSIDER, name="olly", real_name="Olly Outsider")
    fake.add_user("UADMIN", name="ada", real_name="Ada Admin")
    fake.set_members(SUPPORT_CHANNEL, [AGENT, AGENT_2])
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def app(fake_slack: FakeSlack, database_url: str) -> Iterator[AppUnderTest]:
    running = AppUnderTest(settings_for(fake_slack, database_url)).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def app_process(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppProcess]:
    """`python main.py` in a child process (it can be killed for real), on the test's database."""
    process = AppProcess(fake_slack, database_url, tmp_path)
    try:
        yield process.start()
    finally:
        process.stop()
