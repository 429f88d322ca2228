"""The test databases, migrated once per run and copied for each xdist worker.

Migrating takes 30-40 s of one core (about a hundred migrations; every field added to a model related to `User`
renders most models again in Django's migration state). Each worker used to migrate its own database; with more
workers than cores that was minutes of a run. Now the first worker to start migrates one template database
(`<test database>_template`) in a process of its own, exactly as `manage.py migrate` does in production, and each
worker's database is PostgreSQL's copy of it (CREATE DATABASE ... TEMPLATE, about a second). Django's test setup
then finds every migration applied.

The template is trusted only while its migrations are those of this tree: it carries a fingerprint of every
migration file and of the lock file (third-party migrations) and is made again when either changed. A worker's
database is copied afresh each session, unless --reuse-db keeps it (then Django applies what is new, as always).
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.db.backends.base.base import BaseDatabaseWrapper

ROOT = Path(__file__).resolve().parent.parent
LOCK = "tests.template_db"


def fingerprint(root: Path = ROOT) -> str:
    """What the template's schema depends on: the migrations here and the locked third-party packages."""
    digest = hashlib.sha256()
    locks = [path for path in (root / "requirements.txt", root / "requirements-dev.txt") if path.exists()]
    for path in sorted([*root.glob("*/migrations/*.py"), *locks]):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def prepare(connection: BaseDatabaseWrapper, *, app_role: str, reuse: bool) -> bool:
    """Make this worker's test database a copy of the migrated template (made first when missing or stale).

    Returns False where there is nothing to copy (not PostgreSQL): Django then makes the database as usual."""
    if connection.vendor != "postgresql":
        return False
    name = connection.creation._get_test_db_name()
    template = f"{name.removesuffix(_worker_suffix())}_template"
    quote = connection.ops.quote_name
    with connection._nodb_cursor() as cursor:
        # One worker at a time: the first makes the template, the others wait for it and copy it.
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [LOCK])
        try:
            _ensure_template(cursor, connection, template, app_role)
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() and reuse:
                return True
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [LOCK])
    return True


def _ensure_template(cursor, connection: BaseDatabaseWrapper, template: str, app_role: str) -> None:
    """Migrate the template unless it is there with this tree's fingerprint (the caller holds the lock)."""
    quote = connection.ops.quote_name
    wanted = fingerprint()
    cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template])
    row = cursor.fetchone()
    if row is None or row[0] != wanted:
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(template)} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {quote(template)}")
        _migrate(connection, template, app_role)
        cursor.execute(f"COMMENT ON DATABASE {quote(template)} IS %s", [wanted])


def main() -> None:
    """`python -m tests.template_db`: make the template before pytest starts. `make test` runs it beside the lint
    (scripts/test.sh), so that the migrations run on the core the lint leaves idle; the workers then find it made.
    Run without it, the first worker makes it as before."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from tests import db_roles

    app_role = os.environ.get("DATABASE_APP_ROLE") or db_roles.APP_ROLE
    db_roles.create_app_role(connection, app_role)
    template = f"{connection.creation._get_test_db_name()}_template"
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [LOCK])
        try:
            _ensure_template(cursor, connection, template, app_role)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [LOCK])
    connection.close()
    print(f"template test database {template} ready")


def _worker_suffix() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"_{worker}" if worker else ""


def _migrate(connection: BaseDatabaseWrapper, database: str, app_role: str) -> None:
    """`manage.py migrate` into `database`, as the owner, in a process of its own (this one's settings untouched)."""
    settings = connection.settings_dict
    url = "postgres://{user}{password}@{host}:{port}/{name}".format(
        user=quote(settings["USER"], safe=""),
        password=f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else "",
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        name=quote(database, safe=""),
    )
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_APP_ROLE": app_role, "DEBUG": "true"}
    env.setdefault("SECRET_KEY", "test-only-secret-key")
    done = subprocess.run(  # noqa: S603 (this interpreter, our own manage.py)
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"migrating the template test database failed:\n{done.stdout}\n{done.stderr}")


if __name__ == "__main__":
    main()
