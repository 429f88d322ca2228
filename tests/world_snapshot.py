"""The `world` of tests/conftest.py made once per test database, then copied in for each later test that asks for it.

Making it through the factories costs about a hundred queries (two partnerships, five agencies with their groups,
nine users with roles, each with its history): 0.1 s, for two tests in three. The first test (inside its own
transaction) makes it for real; its rows, found as every row inserted by the making (PostgreSQL's per-transaction
counters must agree row for row, or nothing is kept), are read out as binary COPY data and kept in this process.
Each later test gets the same rows copied back in (one COPY per table, in a savepoint of its own) and the same
objects read back by their keys: 0.02 s.

The copy is used only where it cannot collide: none of its rows is there already, and every table's identity has
gone past the copy's ids (a rolled-back transaction never gives ids back; a database put back to the demo data can
move them back, and then the world is made for real again and copied afresh). Anything unexpected (a table without
an integer key, a count that does not agree, a COPY that fails) falls back to making it for real.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import DatabaseError, connection, models, transaction

from agencies.models import Agency, Partnership, User
from tests import db_roles


@dataclasses.dataclass(frozen=True)
class Copy:
    # table: (its columns, quoted; the rows as binary COPY; the first and last id; how many rows)
    tables: dict[str, tuple[str, bytes, tuple[int, int], int]]
    keys: dict[str, tuple[str, int]]  # each name of the world: (what it is, its key)


_copy: Copy | None = None


def world(make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The world: copied in where a copy can be, else made by `make` (and copied where it can be)."""
    global _copy
    if _copy is not None:
        restored = _restore(_copy)
        if restored is not None:
            return restored
        _copy = None
    if not connection.in_atomic_block:  # a transactional test: no transaction's counters to check the copy by
        return make()
    keyed = _keyed_tables()
    before = _last_ids(keyed)
    counted = _counters()
    made = make()
    _copy = _take(made, keyed, before, counted)
    return made


def _keyed_tables() -> dict[str, str]:
    """Every model's table whose key is an integer identity: its key column."""
    return {
        model._meta.db_table: model._meta.pk.column
        for model in apps.get_models(include_auto_created=True)
        if isinstance(model._meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
        and not model._meta.proxy
        and model._meta.managed
    }


def _last_ids(keyed: dict[str, str]) -> dict[str, int]:
    query = " UNION ALL ".join(
        f"SELECT {db_roles.quote_literal(table)}, coalesce(max({db_roles.quote_ident(key)}), 0)"  # noqa: S608
        f" FROM {db_roles.quote_ident(table)}"
        for table, key in keyed.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        return dict(cursor.fetchall())


def _counters() -> dict[str, tuple[int, int, int]]:
    """Rows inserted, updated and deleted per table so far in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables")
        return {name: (inserted, updated, deleted) for name, inserted, updated, deleted in cursor.fetchall()}


def _take(made: dict[str, Any], keyed: dict[str, str], before: dict[str, int], counted: dict) -> Copy | None:
    after = _counters()
    changed = {
        table: tuple(a - b for a, b in zip(now, counted.get(table, (0, 0, 0)), strict=True))
        for table, now in after.items()
    }
    inserted = {table: counts[0] for table, counts in changed.items() if counts[0]}
    if any(counts[2] for counts in changed.values()):
        return None  # a row removed: the copy could not say so
    if any(counts[1] and table not in inserted for table, counts in changed.items()):
        return None  # a row that was there before changed: the copy would not carry it
    tables: dict[str, tuple[str, bytes, tuple[int, int], int]] = {}
    with connection.cursor() as cursor:
        for table, count in inserted.items():
            if table not in keyed:
                return None
            key, name = db_roles.quote_ident(keyed[table]), db_roles.quote_ident(table)
            since = before.get(table, 0)
            cursor.execute(f"SELECT count(*), min({key}), max({key}) FROM {name} WHERE {key} > %s", [since])  # noqa: S608
            rows, first, last = cursor.fetchone()
            if rows != count:
                return None
            columns = ", ".join(_columns(cursor, table))
            copy_out = f"COPY (SELECT {columns} FROM {name} WHERE {key} > {int(since)} ORDER BY {key}) TO STDOUT"  # noqa: S608
            with cursor.cursor.copy(f"{copy_out} (FORMAT BINARY)") as copy:
                data = b"".join(bytes(block) for block in copy)
            tables[table] = (columns, data, (first, last), rows)
    keys = {name: (_kind(value), value.pk) for name, value in made.items()}
    if any(kind is None for kind, _ in keys.values()):
        return None
    for value in made.values():  # every object of the world was made here, not found already there
        first, last = tables.get(value._meta.db_table, ("", b"", (0, -1), 0))[2]
        if not first <= value.pk <= last:
            return None
    return Copy(tables=tables, keys=keys)  # type: ignore[arg-type]


def _kind(value: Any) -> str | None:
    for kind, model in (("user", User), ("agency", Agency), ("partnership", Partnership)):
        if isinstance(value, model):
            return kind
    return None


def _columns(cursor, table: str) -> list[str]:
    """The columns that can be written (a generated column is computed again from the others)."""
    cursor.execute(
        "SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
        "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
        [table],
    )
    return [name for (name,) in cursor.fetchall()]


def _restore(copy: Copy) -> dict[str, Any] | None:
    if not _identities_past(copy):
        return None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for table, (columns, data, _, _) in copy.tables.items():
                with cursor.cursor.copy(
                    f"COPY {db_roles.quote_ident(table)} ({columns}) FROM STDIN (FORMAT BINARY)"
                ) as load:
                    load.write(data)
            if _rows_in(cursor, copy) != {table: rows for table, (_, _, _, rows) in copy.tables.items()}:
                raise _NotWhole
            # Every row the copy points at is there (checked now, not at the test's end): a copy that names a row
            # the database no longer has (an agency's group, after a transactional test emptied the tables and the
            # demo was put back from another worker's files) is no copy to use: the world is made for real.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    except (DatabaseError, _NotWhole):
        return None  # rolled back to before the copy
    return _objects(copy)


class _NotWhole(Exception):
    pass


def _rows_in(cursor, copy: Copy) -> dict[str, int]:
    """How many rows each copied table now has within the copy's range of ids (the copy's count, if it is whole)."""
    keyed = _keyed_tables()
    query = " UNION ALL ".join(
        f"SELECT {db_roles.quote_literal(table)}, count(*) FROM {db_roles.quote_ident(table)}"  # noqa: S608
        f" WHERE {db_roles.quote_ident(keyed[table])} BETWEEN {int(first)} AND {int(last)}"
        for table, (_, _, (first, last), _) in copy.tables.items()
    )
    cursor.execute(query)
    return dict(cursor.fetchall())


def _identities_past(copy: Copy) -> bool:
    """Every copied table's identity has handed out the copy's ids already (so no later insert takes one)."""
    keyed = _keyed_tables()
    with connection.cursor() as cursor:
        for table, (_, _, (_, last), _) in copy.tables.items():
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [db_roles.quote_ident(table), keyed[table]])
            (sequence,) = cursor.fetchone()
            if sequence is None:
                return False
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 (PostgreSQL's own name)
            value, called = cursor.fetchone()
            if value < last or (value == last and not called):
                return False
    return True


def _objects(copy: Copy) -> dict[str, Any]:
    """The world's objects read back, related as the factories relate them (a user's agency is the agency's)."""
    wanted = {kind: [pk for k, pk in copy.keys.values() if k == kind] for kind in ("user", "agency", "partnership")}
    partnerships = Partnership.objects.in_bulk(wanted["partnership"])
    users = User.objects.select_related("agency__partnership").in_bulk(wanted["user"])
    agencies = Agency.objects.in_bulk(wanted["agency"])
    for agency in agencies.values():
        if agency.partnership_id in partnerships:
            agency.partnership = partnerships[agency.partnership_id]
    for user in users.values():
        if user.agency_id in agencies:
            user.agency = agencies[user.agency_id]
        elif user.agency is not None and user.agency.partnership_id in partnerships:
            user.agency.partnership = partnerships[user.agency.partnership_id]
    found = {"user": users, "agency": agencies, "partnership": partnerships}
    return {name: found[kind][pk] for name, (kind, pk) in copy.keys.items()}
