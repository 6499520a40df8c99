"""Alembic environment: runs migrations for `python main.py migrate`, app start-up and the alembic CLI."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

from handoff_slack.storage import models  # noqa: F401  (registers the tables on the metadata)
from handoff_slack.storage.database import create_database_engine

config = context.config
target_metadata = SQLModel.metadata

# Any number taken as a PostgreSQL advisory lock key; replicas starting together migrate one by one.
_MIGRATION_LOCK_KEY = 72_410_331


def _database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL") or "sqlite:///handoff.db"


def run_migrations_offline() -> None:
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_database_engine(_database_url(), pool_size=1)
    try:
        with engine.connect() as connection:
            is_postgres, is_sqlite = connection.dialect.name == "postgresql", connection.dialect.name == "sqlite"
            if is_sqlite:
                # Rebuilding a table that other tables refer to (a batch migration) needs SQLite's
                # foreign keys off, which only works outside a transaction; they are checked at the
                # end instead (SQLite's own procedure for schema changes).
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            if is_postgres:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                connection.commit()
            try:
                context.configure(
                    connection=connection,
                    target_metadata=target_metadata,
                    render_as_batch=connection.dialect.name == "sqlite",
                    compare_type=True,
                )
                with context.begin_transaction():
                    context.run_migrations()
                    if is_sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                        raise RuntimeError("the migration left rows referring to rows that do not exist")
            finally:
                if is_postgres:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                    connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
