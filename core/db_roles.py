"""Two database roles on PostgreSQL: the owner, that migrations run as, and the app's role, that serves requests.

The app's role (settings.DATABASE_APP_ROLE) owns nothing and is not a superuser, so it cannot TRUNCATE, ALTER
(disable or drop a trigger), or replace a function. On the audit it may only add rows and read them: the case view
log, the list log, the sign-in audit, the downloads through emailed links, the stored PDFs of approved minutes and
every simple-history table (issue 26, finding 3). A circulation may only have the columns completed after it was
made set later (emailed, used, withdrawn); it is never deleted. Every other table gets the ordinary SELECT, INSERT,
UPDATE and DELETE.

The grants are made table by table from the models after every `migrate`, connected as the owner (a post_migrate
handler), so a table a migration adds gets its rights in the same run. No default privileges: a new table would get
rights before its rule is known. `manage.py grant_app_role` makes them again by hand; it is idempotent.
"""

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from simple_history.models import HistoricalChanges


# Each model declares its own rights (core names no app's model: apps sit above it, tests/test_layers.py):
# `db_append_only = True`: the audit, the app's role adds rows and reads them, never changes or removes one (nor do
# the triggers allow it): the case view log, the list log, the sign-in audit, the downloads through emailed links,
# and the stored PDFs of approved minutes (rendered once, then only read: what was circulated cannot be swapped).
# `db_completed_later = (field names)`: rows completed after they are made, only these columns may be set later,
# and the row is never deleted (a circulation: emailed, used, withdrawn).
def append_only(model: Any) -> bool:
    return bool(getattr(model, "db_append_only", False))


def completed_later(model: Any) -> tuple[str, ...]:
    return tuple(getattr(model, "db_completed_later", ()))


ORDINARY = ("SELECT", "INSERT", "UPDATE", "DELETE")


def rights_by_table() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each model's table: (table privileges, columns it may UPDATE) for the app's role."""
    rights: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if not model._meta.managed or model._meta.proxy:
            continue
        if append_only(model) or issubclass(model, HistoricalChanges) or "_historical" in table:
            rights[table] = (("SELECT", "INSERT"), ())
        elif completed_later(model):
            columns = tuple(str(model._meta.get_field(name).column) for name in completed_later(model))  # type: ignore[union-attr]
            rights[table] = (("SELECT", "INSERT"), columns)
        else:
            rights[table] = (ORDINARY, ())
    return rights


def grant_app_role(connection: BaseDatabaseWrapper, role: str) -> int:
    """Give `role` exactly its rights on every table of the current schema; returns how many tables.

    Run connected as the owner. Refuses (ImproperlyConfigured) when the role is missing, is a superuser, can
    create roles or bypass row security, or owns a table: with any of those the grants would mean nothing.
    Tables that are no model's (django_migrations) are readable only.
    """
    quote = connection.ops.quote_name
    rights = rights_by_table()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
        if found is None:
            raise ImproperlyConfigured(f"The app's database role {role!r} does not exist: create it first")
        if any(found):
            raise ImproperlyConfigured(
                f"The app's database role {role!r} is a superuser, can create roles or bypass row security"
            )
        cursor.execute("SELECT current_user")
        if cursor.fetchone()[0] == role:
            raise ImproperlyConfigured(f"Grant the app's rights connected as the owner, not as {role!r}")
        cursor.execute(
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
        tables = cursor.fetchall()
        owned = [table for table, owner in tables if owner == role]
        if owned:
            raise ImproperlyConfigured(f"The app's database role {role!r} owns tables: {', '.join(owned)}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {quote_schema(cursor)} TO {quote(role)}")
        # The columns each table has now: a database migrated back (a test of a migration) lacks later columns,
        # which then have no right to be granted yet; the migration that adds them is followed by these grants again.
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        )
        present = set(cursor.fetchall())
        for table, _owner in tables:
            privileges, columns = rights.get(table, (("SELECT",), ()))
            columns = tuple(column for column in columns if (table, column) in present)
            cursor.execute(f"REVOKE ALL ON TABLE {quote(table)} FROM {quote(role)}")
            cursor.execute(f"GRANT {', '.join(privileges)} ON TABLE {quote(table)} TO {quote(role)}")
            if columns:
                listed = ", ".join(quote(column) for column in columns)
                cursor.execute(f"GRANT UPDATE ({listed}) ON TABLE {quote(table)} TO {quote(role)}")
        cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quote_schema(cursor)} FROM {quote(role)}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quote_schema(cursor)} TO {quote(role)}")
    return len(tables)


def quote_schema(cursor: Any) -> str:
    cursor.execute("SELECT quote_ident(current_schema())")
    return cursor.fetchone()[0]


def after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After every `migrate` on PostgreSQL, the app's role gets its rights on the tables as they now are.

    post_migrate is sent once per app: the grants are made once, with contrib.auth's. Nothing is done without
    DATABASE_APP_ROLE (SQLite in `make run`, a one-role database) or when connected as the app's role itself
    (the tests empty the database between tests and Django then sends post_migrate again).
    """
    role = settings.DATABASE_APP_ROLE
    connection = connections[using]
    if sender.label != "auth" or not role or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        if cursor.fetchone()[0] == role:
            return
    grant_app_role(connection, role)


def sqlite_guards(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After every `migrate` on SQLite (`make run`, one role): triggers refuse UPDATE and DELETE on the audit tables.

    The migrations that made the audit append-only wrote SQLite triggers too, but SQLite's schema editor rebuilds a
    table to alter a column (a new table, the rows copied, the old one dropped), and a trigger goes with the table it
    was on: after referrals 0018/0019 the case view and list logs had none (found by scripts/smoke-sqlite.py).
    Made again here after every migrate, idempotent, so a later rebuild cannot drop them for good.
    """
    connection = connections[using]
    if sender.label != "auth" or connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))  # a migration taken back leaves a model's out
        for model in apps.get_models():
            if not append_only(model) or model._meta.db_table not in existing:
                continue
            table = model._meta.db_table
            for operation in ("UPDATE", "DELETE"):
                name = connection.ops.quote_name(f"{table}_no_{operation.lower()}")
                message = f"{table} is append-only: {operation} is refused"
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {operation} ON {connection.ops.quote_name(table)} "
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END"  # nosec B608 (model table names, no input)
                )


def check_app_connection(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """`check --deploy --database default`, run with the app's settings: the app never connects as a superuser
    nor as the owner of a table (only `migrate` does, as the owner)."""
    errors: list[checks.CheckMessage] = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, rolsuper OR rolbypassrls, "
                "(SELECT count(*) FROM pg_tables WHERE tableowner = current_user) FROM pg_roles "
                "WHERE rolname = current_user"
            )
            user, superuser, owned = cursor.fetchone()
        if superuser or owned:
            errors.append(
                checks.Error(
                    f"The app connects to the database {alias!r} as {user!r}, "
                    + ("a superuser" if superuser else f"the owner of {owned} tables"),
                    hint="Connect web, worker and beat as the app's role; only migrate connects as the owner "
                    "(docs/operations.md, Two database roles).",
                    id="core.E101",
                )
            )
    return errors
