"""The tests' two database roles (issue 26): the tests' requests, services and worker processes run as the app's
restricted role; creating, migrating and emptying the test database run as the owner (DATABASE_URL's role).

tests/conftest.py creates the app's role when it is missing (the owner in `make test` is the throwaway server's
superuser), lets `migrate` grant it its rights (core/db_roles.py), then connects as it. Emptying the database
between transactional tests (Django's flush: TRUNCATE, which the app's role may not do) goes through a
connection of its own as the owner.
"""

import contextlib
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
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone():
            return
        if not can_create:
            raise RuntimeError(f"Create the app's database role first: CREATE ROLE {role} LOGIN")
        name = connection.ops.quote_name(role)
        cursor.execute(f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS")


def owner_wrapper(connection: BaseDatabaseWrapper) -> BaseDatabaseWrapper:
    """A connection of its own to the same (test) database as the owner; the caller closes it."""
    return type(connection)({**connection.settings_dict, **owner_login}, connection.alias)


def flush_as_owner(self: Any, sql_list: list[str]) -> None:
    """DatabaseOperations.execute_sql_flush, through the owner: the app's role may not TRUNCATE."""
    owner = owner_wrapper(self.connection)
    try:
        with owner.cursor() as cursor:
            for sql in sql_list:
                cursor.execute(sql)
    finally:
        owner.close()


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
