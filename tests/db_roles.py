"""The tests' two database roles (issue 26): the tests' requests, services and worker processes run as the app's
restricted role; creating, migrating and emptying the test database run as the owner (DATABASE_URL's role).

tests/conftest.py creates the app's role when it is missing (the owner in `make test` is the throwaway server's
superuser), lets `migrate` grant it its rights (core/db_roles.py), then connects as it. Emptying the database
between transactional tests (Django's flush: TRUNCATE, which the app's role may not do) goes through a
connection of its own as the owner.
"""

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

# The app's role in the tests, unless DATABASE_APP_ROLE names another.
APP_ROLE = "strategy_app"

# USER and PASSWORD of each: the owner's from DATABASE_URL, the app's set when the session starts.
owner_login: dict[str, Any] = {}
app_login: dict[str, Any] = {}


def create_app_role(connection: BaseDatabaseWrapper, role: str) -> None:
    """The app's role, as production has it: signs in, owns nothing, no superuser, no role or database making."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        user, can_create = cursor.fetchone()
        if user == role:
            raise RuntimeError(f"DATABASE_URL must be the owner's, not the app's role {role!r}")
        # The xdist workers start together on a new server: one at a time checks and makes the role, so two never
        # both find it missing and the second fails on the duplicate.
        cursor.execute("SELECT pg_advisory_lock(hashtext('tests.db_roles.create_app_role'))")
        try:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone():
                return
            if not can_create:
                raise RuntimeError(f"Create the app's database role first: CREATE ROLE {role} LOGIN")
            name = connection.ops.quote_name(role)
            cursor.execute(f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtext('tests.db_roles.create_app_role'))")


def owner_wrapper(connection: BaseDatabaseWrapper) -> BaseDatabaseWrapper:
    """A connection of its own to the same (test) database as the owner; the caller closes it."""
    return type(connection)({**connection.settings_dict, **owner_login}, connection.alias)


# Rows that post_migrate makes again after every flush, from the models alone: kept rather than deleted and made
# again (about 0.6 s a transactional test). Every other table is emptied.
KEPT_BY_FLUSH = ("django_content_type", "auth_permission")
_TRUNCATE = re.compile(r'^TRUNCATE ((?:"[^"]+"(?:, )?)+);$')


def flush_as_owner(self: Any, sql_list: list[str]) -> None:
    """DatabaseOperations.execute_sql_flush, through the owner: the app's role may not TRUNCATE.

    Django's flush between transactional tests is one TRUNCATE of every table (1-3 s on this machine: each table's
    files are replaced). A test fills a few of them: those are found in one query and their rows deleted in one
    transaction, the audit's triggers (which refuse a DELETE) off meanwhile. The tables end just as empty. Any
    other flush (sequences reset, cascade) runs as Django wrote it.
    """
    owner = owner_wrapper(self.connection)
    try:
        with owner.cursor() as cursor:
            truncate = _TRUNCATE.match(sql_list[0]) if len(sql_list) == 1 else None
            if truncate is None:
                for sql in sql_list:
                    cursor.execute(sql)
                return
            tables = [name for name in re.findall(r'"([^"]+)"', truncate.group(1)) if name not in KEPT_BY_FLUSH]
            empty_all(cursor, tables)
    finally:
        owner.close()


def non_empty(cursor: Any, tables: list[str]) -> list[str]:
    """Which of `tables` have a row, in one query."""
    if not tables:
        return []
    probes = " UNION ALL ".join(
        f"SELECT {quote_literal(t)} WHERE EXISTS (SELECT 1 FROM {quote_ident(t)})"  # noqa: S608 (quoted names)
        for t in tables
    )
    cursor.execute(probes)
    return [name for (name,) in cursor.fetchall()]


def empty_all(cursor: Any, tables: list[str]) -> None:
    """Delete every row of `tables` in one transaction as the owner, the audit's row triggers off meanwhile."""
    full = non_empty(cursor, tables)
    if not full:
        return
    cursor.execute("BEGIN")
    with triggers_off(cursor, full):
        for table in full:
            cursor.execute(f"DELETE FROM {quote_ident(table)}")  # noqa: S608 (a quoted name)
    cursor.execute("COMMIT")


@contextlib.contextmanager
def triggers_off(cursor: Any, tables: list[str]) -> Iterator[None]:
    """Inside the owner's transaction: the tables' own triggers (the audit's stamps and refusals) off, then on again.

    Foreign keys stay on: they are checked before the triggers are back (a table with pending checks cannot be
    altered).
    """
    cursor.execute(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%s)",
        [list(tables)],
    )
    triggered = [name for (name,) in cursor.fetchall()]
    for table in triggered:
        cursor.execute(f"ALTER TABLE {quote_ident(table)} DISABLE TRIGGER USER")
    yield
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in triggered:
        cursor.execute(f"ALTER TABLE {quote_ident(table)} ENABLE TRIGGER USER")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@contextlib.contextmanager
def as_owner(alias: str = "default") -> Iterator[BaseDatabaseWrapper]:
    """The block runs connected as the owner: loading invented bulk data (bench/generate.py), VACUUM ANALYZE.

    Never around a test's requests. Not inside a transaction, and not while a live server serves requests
    (its threads share the connection settings).
    """
    connection = connections[alias]
    if connection.in_atomic_block:
        raise RuntimeError("as_owner() inside a transaction: use it in a transactional test or a fixture")
    connection.close()
    connection.settings_dict.update(owner_login)
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(app_login)
