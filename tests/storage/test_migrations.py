"""The Alembic history builds exactly the schema the models describe, up and down."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from handoff_slack.storage import models  # noqa: F401  (registers the tables)
from handoff_slack.storage.database import alembic_config, migrate


def test_migrations_match_the_models(database_url: str) -> None:
    migrate(database_url)
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_migrating_twice_is_harmless_and_downgrade_removes_everything(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)
    command.downgrade(alembic_config(database_url), "base")
    engine = create_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_the_queues_index_reads_the_queue_in_its_order(database_url: str) -> None:
    # SQLite's batch mode (0026) once rebuilt ix_ticket_queue without its DESC: the queue's head was
    # then sorted in a temporary B-tree from every waiting ticket of the top priority (0028).
    migrate(database_url)
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    head = "SELECT id FROM ticket WHERE state = 'waiting' ORDER BY priority DESC, id LIMIT 50"
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                plan = " ".join(str(row[3]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {head}"))
                assert "ix_ticket_queue" in plan and "TEMP B-TREE" not in plan
            else:  # this test's schema only: other tests' schemas of the database have their own
                found = connection.exec_driver_sql(
                    "SELECT indexdef FROM pg_indexes"
                    " WHERE indexname = 'ix_ticket_queue' AND schemaname = current_schema()"
                ).scalar_one()
                assert "priority DESC" in found
    finally:
        engine.dispose()
