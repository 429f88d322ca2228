"""The demo data seeded once per moment per test database, then copied back for every test that asks for it.

`seed_demo` takes 5-8 s (every referral, discussion and action through the services, two PDFs per approved
version). The first test that asks for the demo at a moment runs it for real; the rows of every table that has any
are then copied by the owner into a schema of their own inside the test database (`demo_snapshot_<n>`). Every
later test asking for the same moment gets the database put back to exactly those rows: one transaction as the
owner that empties every table with a row, copies the rows back (the audit's triggers off, so their stamps stay
as seeded) and moves each sequence on past the copied ids. The app's role never touches the copies.

Each test database has its own (xdist gives each worker its own database); the copies last as long as the
session. Under xdist the first worker to seed a moment also writes its copy to files (binary COPY, in the run's
folder `TEST_SHARED_DIR`, which the controller makes and removes); another worker asking for that moment loads them
instead of seeding it again (every worker's database is a copy of one template, tests/template_db.py, so the
reference rows' ids are the same in each).

Only the database is put back: the demo writes no files; the emails seeding sent (the minutes' circulation, to the
locmem outbox) are kept with the copy and put in mail.outbox again; the broker tasks it queued (PDFs already
rendered, calendars) are not queued again: no test reads them.
"""

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import itertools
import os
import pickle  # nosec B403: our own files, written by this run's workers in its own folder
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connections
from django.utils import timezone

from tests import db_roles

PREFIX = "demo_snapshot_"


@dataclasses.dataclass
class Snapshot:
    schema: str
    tables: dict[str, str]  # the tables that had rows: their writable columns, quoted
    sequences: dict[str, int]  # each sequence's last value after seeding
    output: str  # what seed_demo printed
    outbox: list  # the emails seed_demo sent (locmem backend), handed back to mail.outbox on restore
    seeded_until: dt.datetime  # the clock when seeding ended


_snapshots: dict[object, Snapshot] = {}
_numbers = itertools.count(1)
# How many rows each table has in a freshly migrated database (the reference rows): a demo is copied, or copied
# back, only onto a database with no more than these, so a test's own rows (a `world`) never enter a copy nor
# are lost to one; on any other database the demo is seeded for real.
_fresh: dict[str, int] = {}


def _owner():
    return db_roles.owner_wrapper(connections["default"])


def forget_all() -> None:
    """At the start of a session: no copy from an earlier session (--reuse-db keeps the database) is trusted."""
    _snapshots.clear()
    owner = _owner()
    try:
        with owner.cursor() as cursor:
            cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [PREFIX + "%"])
            for (schema,) in cursor.fetchall():
                cursor.execute(f"DROP SCHEMA {owner.ops.quote_name(schema)} CASCADE")
            _fresh.clear()
            _fresh.update(_counts(cursor))
    finally:
        owner.close()


def _counts(cursor) -> dict[str, int]:
    """Each table's rows, in one query."""
    counts = " UNION ALL ".join(
        f"SELECT {db_roles.quote_literal(t)}, count(*) FROM {db_roles.quote_ident(t)}"  # noqa: S608 (quoted names)
        for t in _tables()
    )
    cursor.execute(counts)
    return dict(cursor.fetchall())


def _fresh_enough() -> bool:
    owner = _owner()
    try:
        with owner.cursor() as cursor:
            return all(count <= _fresh.get(table, 0) for table, count in _counts(cursor).items())
    finally:
        owner.close()


def _tables() -> list[str]:
    """Every table Django's flush empties (django_migrations is no model's and stays)."""
    return sorted(connections["default"].introspection.django_table_names(only_existing=True, include_views=False))


def _sequences(cursor) -> dict[str, int]:
    cursor.execute(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value FROM pg_sequences "
        "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
    )
    return dict(cursor.fetchall())


def _columns(cursor, table: str) -> list[str]:
    """The columns that can be written (a generated column is computed again from the others)."""
    cursor.execute(
        "SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
        "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
        [table],
    )
    return [name for (name,) in cursor.fetchall()]


@contextlib.contextmanager
def _new_schema() -> Iterator[tuple[Any, str, Callable[[str], str]]]:
    """A schema of its own for a copy, made in one transaction as the owner: (cursor, schema, quote)."""
    schema = f"{PREFIX}{next(_numbers)}"
    owner = _owner()
    try:
        with owner.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(f"CREATE SCHEMA {owner.ops.quote_name(schema)}")
            yield cursor, schema, owner.ops.quote_name
            cursor.execute("COMMIT")
    finally:
        owner.close()


def take(key: object, made: Snapshot) -> Snapshot:
    """Copy every table's rows, as they are now (committed), into a new schema; remember it under `key`."""
    with _new_schema() as (cursor, schema, quote):
        full = {}
        for table in db_roles.non_empty(cursor, _tables()):
            cursor.execute(f"CREATE UNLOGGED TABLE {quote(schema)}.{quote(table)} AS TABLE {quote(table)}")
            full[table] = ", ".join(_columns(cursor, quote(table)))
        sequences = _sequences(cursor)
    _snapshots[key] = dataclasses.replace(made, schema=schema, tables=full, sequences=sequences)
    return _snapshots[key]


def restore(snapshot: Snapshot) -> None:
    """The database back to the snapshot's rows, in one transaction as the owner (the app's role may not TRUNCATE)."""
    owner = _owner()
    quote = owner.ops.quote_name
    try:
        with owner.cursor() as cursor:
            tables = _tables()
            cursor.execute("BEGIN")
            full = db_roles.non_empty(cursor, tables)
            with db_roles.triggers_off(cursor, [*full, *snapshot.tables]):  # the copies are stamped already
                for table in full:
                    cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 (a quoted name)
                for table, columns in snapshot.tables.items():
                    copy = f"SELECT {columns} FROM {quote(snapshot.schema)}.{quote(table)}"  # noqa: S608 (quoted names)
                    cursor.execute(f"INSERT INTO {quote(table)} ({columns}) OVERRIDING SYSTEM VALUE {copy}")
            now = _sequences(cursor)
            for sequence, value in snapshot.sequences.items():
                if now.get(sequence, 0) < value:  # ids only go up: nothing outside may point at a reused id
                    cursor.execute("SELECT setval(%s, %s)", [sequence, value])
            cursor.execute("COMMIT")
    finally:
        owner.close()
    ContentType.objects.clear_cache()  # the copied content types' ids, not those made after the last flush


def seeded(key: object, seed: Callable[[], str]) -> Snapshot:
    """The demo for `key`: restored from its snapshot, or seeded by `seed()` (which returns what it printed)."""
    fresh = _fresh_enough()
    snapshot = _snapshots.get(key)
    if snapshot is not None and fresh:
        return _put_back(snapshot)
    if not fresh:
        return _seed(seed)
    shared = _shared_dir()
    if shared is None:
        return take(key, _seed(seed))
    name = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
    with _locked(shared / f"{name}.lock"):
        if (shared / f"{name}.pickle").exists():
            return _put_back(_load(key, shared, name))
        snapshot = take(key, _seed(seed))
        _dump(snapshot, shared, name)
        return snapshot


def _seed(seed: Callable[[], str]) -> Snapshot:
    before = len(mail.outbox)
    output = seed()
    return Snapshot("", {}, {}, output, mail.outbox[before:], timezone.now())


def _put_back(snapshot: Snapshot) -> Snapshot:
    restore(snapshot)
    mail.outbox.extend(snapshot.outbox)
    return snapshot


# --- Shared between the xdist workers of one run ---------------------------------------------------------------


def _shared_dir() -> Path | None:
    folder = os.environ.get("TEST_SHARED_DIR")
    return Path(folder) if folder and os.environ.get("PYTEST_XDIST_WORKER") else None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One worker at a time for this moment: the others wait while the first seeds it and writes the files."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _dump(snapshot: Snapshot, folder: Path, name: str) -> None:
    """The snapshot's tables as binary COPY files, then its description (written last: its presence says done)."""
    owner = _owner()
    quote = owner.ops.quote_name
    try:
        with owner.cursor() as cursor:
            for number, table in enumerate(snapshot.tables):
                with (folder / f"{name}.{number}").open("wb") as out:
                    source = f"{quote(snapshot.schema)}.{quote(table)}"
                    with cursor.cursor.copy(f"COPY {source} TO STDOUT (FORMAT binary)") as copy:
                        for block in copy:
                            out.write(block)
    finally:
        owner.close()
    described = dataclasses.replace(snapshot, schema="")
    partial = folder / f"{name}.partial"
    partial.write_bytes(pickle.dumps(described))
    partial.rename(folder / f"{name}.pickle")


def _load(key: object, folder: Path, name: str) -> Snapshot:
    """A snapshot another worker wrote, copied into a schema of this database's own, and remembered under `key`."""
    described: Snapshot = pickle.loads((folder / f"{name}.pickle").read_bytes())  # noqa: S301 (our own file)  # nosec B301
    with _new_schema() as (cursor, schema, quote):
        for number, table in enumerate(described.tables):
            copy_of = f"{quote(schema)}.{quote(table)}"
            cursor.execute(f"CREATE UNLOGGED TABLE {copy_of} AS TABLE {quote(table)} WITH NO DATA")
            with cursor.cursor.copy(f"COPY {copy_of} FROM STDIN (FORMAT binary)") as copy:
                copy.write((folder / f"{name}.{number}").read_bytes())
    _snapshots[key] = dataclasses.replace(described, schema=schema)
    return _snapshots[key]
