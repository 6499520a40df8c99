"""A test's fresh database starts at the newest revision without running the migrations again.

Migrating an empty database costs 0.3–0.9 s on a busy two-core machine (Alembic loads every revision
and runs them one by one; on PostgreSQL 140 statements, mostly DDL); the suite starts well over a
thousand of them.

- SQLite: a new file is a copy of one migrated once per test process (about a millisecond).
- PostgreSQL: a test's schema is empty (tests/conftest.py). The statements the migrations send to an
  empty schema are recorded once per test process (migrating a scratch schema) and sent again,
  verbatim, to make a migrated schema. After the test, `recycle` empties that schema (its rows deleted,
  its sequences restarted: as made) and keeps it for the next test, which gets it renamed to its own
  schema's name; it is kept only if its structure is still exactly what the migrations made.
  Replaying costs 0.2–0.4 s and dropping the schema afterwards 0.1–0.2 s; emptying and renaming,
  about 0.02 s.

Either way the app's own migration at start-up then finds the database at head. A database that is
not empty (a test's own earlier schema, an old revision a migration test set up, a restart) is left
alone; tests of the migrations themselves call `migrate` on an empty database and never come here.
"""

from __future__ import annotations

import graphlib
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from handoff_slack.storage.database import migrate

# One recorded DBAPI call: (statement, parameters, executemany), exactly as the cursor received it.
Recorded = tuple[str, Any, bool]
IN_SCHEMA = "current_schema()::regnamespace"
# Everything a test could change in a schema's structure, without the schema's name (the connection's
# search_path is the schema itself, so names are unqualified; an index's table, which is always
# qualified, is unqualified here).
STRUCTURE_LINES = f"""
SELECT item FROM (
    SELECT 'rel ' || relname || ' ' || relkind::text AS item FROM pg_class WHERE relnamespace = {IN_SCHEMA}
    UNION ALL
    SELECT 'col ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace = {IN_SCHEMA} AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'idx ' || replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident(current_schema()) || '.', ' ON ')
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relnamespace = {IN_SCHEMA}
    UNION ALL
    SELECT 'con ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = {IN_SCHEMA}
    UNION ALL
    SELECT 'proc ' || proname FROM pg_proc WHERE pronamespace = {IN_SCHEMA}
    UNION ALL
    SELECT 'trigger ' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = {IN_SCHEMA} AND NOT t.tgisinternal  -- a foreign key's own are named by number
    UNION ALL
    SELECT 'version ' || version_num FROM alembic_version
) AS structure ORDER BY item
"""
STRUCTURE = f"SELECT md5(string_agg(item, E'\\n' ORDER BY item)) FROM ({STRUCTURE_LINES}) AS lines"

_lock = threading.Lock()
_sqlite_template: Path | None = None


class _PostgresTemplate:
    """Per PostgreSQL database: the migration's statements, what they make, and emptied schemas."""

    def __init__(self, statements: list[Recorded]) -> None:
        self.statements = statements
        self.structure: str | None = None  # STRUCTURE of the first schema they made
        self.emptying = ""  # the statements that empty such a schema, children's rows first
        self.spare: list[str] = []  # emptied schemas, renamed to handoff_spare_*
        self.handed_out: set[str] = set()  # the test schemas made from the template


_postgres: dict[str, _PostgresTemplate] = {}  # by the server's URL without the search_path


def from_migrated_template(database_url: str) -> None:
    """Bring a new, empty test database to head from the process's template (see the module's doc)."""
    if database_url.startswith("sqlite:///"):
        _copy_sqlite_template(Path(database_url.removeprefix("sqlite:///")))
    elif make_url(database_url).get_backend_name() == "postgresql":
        _migrated_postgres_schema(database_url)


def _copy_sqlite_template(path: Path) -> None:
    global _sqlite_template
    if path.exists() or not path.parent.is_dir():
        return
    with _lock:
        if _sqlite_template is None:
            template = Path(tempfile.mkdtemp(prefix="handoff-test-template-")) / "migrated.db"
            migrate(f"sqlite:///{template}")
            _sqlite_template = template
    shutil.copyfile(_sqlite_template, path)


# -- PostgreSQL ------------------------------------------------------------------------------------


def _server_and_schema(database_url: str) -> tuple[str, str]:
    url = make_url(database_url)
    options = str(url.query.get("options") or "")
    assert options.startswith("-csearch_path="), f"a test schema's URL sets its search_path, not {options!r}"
    server = url.difference_update_query(["options"]).render_as_string(hide_password=False)  # connect_timeout kept
    return server, options.removeprefix("-csearch_path=")


def _migrated_postgres_schema(database_url: str) -> None:
    server, schema = _server_and_schema(database_url)
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if connection.execute(text("SELECT to_regclass('alembic_version')")).scalar() is not None:
                return  # migrated already (or set up at an older revision on purpose): left alone
            if connection.execute(text(f"SELECT count(*) FROM pg_class WHERE relnamespace = {IN_SCHEMA}")).scalar():
                return  # relations without alembic_version: a test's own schema, not ours to touch
            connection.commit()
            with _lock:
                if server not in _postgres:
                    _postgres[server] = _record_migration(server)
                template = _postgres[server]
                spare = template.spare.pop() if template.spare else None
            try:
                with connection.begin():
                    if spare is not None:
                        connection.execute(text(f'DROP SCHEMA "{schema}"'))  # empty: nothing else goes
                        connection.execute(text(f'ALTER SCHEMA "{spare}" RENAME TO "{schema}"'))
                    else:
                        _replay(connection, template.statements)
            except Exception:
                if spare is not None:  # rolled back: it is still there, for another test
                    with _lock:
                        template.spare.append(spare)
                raise
            if template.structure is None:
                template.structure = connection.execute(text(STRUCTURE)).scalar()
                template.emptying = _emptying_statements(connection)
            with _lock:
                template.handed_out.add(schema)
    finally:
        engine.dispose()


def recycle(database_url: str) -> bool:
    """After a test: keep its schema, emptied, for the next test, if the template made it and its
    structure is unchanged. False: not kept (the caller drops it)."""
    server, schema = _server_and_schema(database_url)
    with _lock:
        template = _postgres.get(server)
        if template is None or schema not in template.handed_out:
            return False
        template.handed_out.discard(schema)
    spare = f"handoff_spare_{uuid.uuid4().hex[:12]}"
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            # A connection a test left in a transaction would hold us up: not kept, then.
            connection.execute(text("SET lock_timeout = '2s'"))
            if connection.execute(text(STRUCTURE)).scalar() != template.structure:
                return False
            connection.exec_driver_sql(template.emptying)
            connection.execute(text(f'ALTER SCHEMA "{schema}" RENAME TO "{spare}"'))
            connection.commit()
    except Exception:
        return False
    finally:
        engine.dispose()
    with _lock:
        template.spare.append(spare)
    return True


def drop_spare_schemas() -> None:
    """At the end of the test process: the emptied schemas nobody took."""
    with _lock:
        spares = [(server, schema) for server, template in _postgres.items() for schema in template.spare]
        for template in _postgres.values():
            template.spare.clear()
    for server, schema in spares:
        engine = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            engine.dispose()


def _replay(connection: Connection, statements: list[Recorded]) -> None:
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for statement, parameters, many in statements:
            (cursor.executemany if many else cursor.execute)(statement, parameters)
    finally:
        cursor.close()


def _emptying_statements(connection: Connection) -> str:
    """DELETE every table's rows (referring tables first) and restart every sequence: the schema as
    the migrations left it (alembic_version kept). Deleting a handful of rows costs far less than
    TRUNCATE, which makes new files for every table and index."""
    in_schema = f"relnamespace = {IN_SCHEMA}"
    tables = [
        row[0] for row in connection.execute(text(f"SELECT relname FROM pg_class WHERE {in_schema} AND relkind = 'r'"))
    ]
    refers = connection.execute(
        text(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
            f" WHERE contype = 'f' AND connamespace = {IN_SCHEMA}"
        )
    ).all()
    referred_by: dict[str, set[str]] = {table: set() for table in tables}
    for child, parent in refers:
        if child != parent:  # a table referring to itself loses all its rows in one statement
            referred_by[parent].add(child)
    order = [table for table in graphlib.TopologicalSorter(referred_by).static_order() if table != "alembic_version"]
    deletes = "; ".join(f'DELETE FROM "{table}"' for table in order)
    restarts = (
        "SELECT setval(quote_ident(sequencename)::regclass, start_value, false) FROM pg_sequences"
        " WHERE schemaname = current_schema()"
    )
    return f"{deletes}; {restarts}"


def _record_migration(server: str) -> _PostgresTemplate:
    """What `migrate` sends to an empty schema, recorded while it migrates a scratch schema."""
    scratch = f"handoff_template_{uuid.uuid4().hex[:12]}"
    scratch_options = f"-csearch_path={scratch}"
    scratch_url = make_url(server).update_query_dict({"options": scratch_options}).render_as_string(hide_password=False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    recorded: list[Recorded] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        # Only the migration's own connection: other engines of this process may be busy meanwhile.
        if conn.engine.url.query.get("options") == scratch_options:
            recorded.append((statement, parameters, executemany))

    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{scratch}"'))
        event.listen(Engine, "before_cursor_execute", record)
        try:
            migrate(scratch_url)
        finally:
            event.remove(Engine, "before_cursor_execute", record)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{scratch}" CASCADE'))
        admin.dispose()
    return _PostgresTemplate(recorded)
