"""The sign-in audit is append-only in the database too (the case view log's guard), stamped by its clock."""

from django.db import migrations

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION agencies_authevent_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = 'The sign-in audit is append-only: ' || TG_OP || ' is refused';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER agencies_authevent_no_update_or_delete
    BEFORE UPDATE OR DELETE ON agencies_authevent
    FOR EACH ROW EXECUTE FUNCTION agencies_authevent_append_only();
    """,
    """
    CREATE OR REPLACE FUNCTION agencies_authevent_stamp() RETURNS trigger AS $$
    BEGIN
        NEW.at := clock_timestamp();
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER agencies_authevent_stamp_insert
    BEFORE INSERT ON agencies_authevent
    FOR EACH ROW EXECUTE FUNCTION agencies_authevent_stamp();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS agencies_authevent_stamp_insert ON agencies_authevent;",
    "DROP TRIGGER IF EXISTS agencies_authevent_no_update_or_delete ON agencies_authevent;",
    "DROP FUNCTION IF EXISTS agencies_authevent_stamp();",
    "DROP FUNCTION IF EXISTS agencies_authevent_append_only();",
]
SQLITE = [
    """
    CREATE TRIGGER IF NOT EXISTS agencies_authevent_no_update BEFORE UPDATE ON agencies_authevent
    BEGIN SELECT RAISE(ABORT, 'The sign-in audit is append-only: UPDATE is refused'); END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS agencies_authevent_no_delete BEFORE DELETE ON agencies_authevent
    BEGIN SELECT RAISE(ABORT, 'The sign-in audit is append-only: DELETE is refused'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS agencies_authevent_no_update;",
    "DROP TRIGGER IF EXISTS agencies_authevent_no_delete;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("agencies", "0007_auth_events")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
