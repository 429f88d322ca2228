"""The case view log is append-only in the database itself: UPDATE and DELETE are refused, and the moment of an
inserted row is the database's own clock (a forged "viewed at" is overwritten). PostgreSQL in production and
tests; the same guard on SQLite for `make run`."""

from django.db import migrations

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION referrals_caseview_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = 'The case view log is append-only: ' || TG_OP || ' is refused';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER referrals_caseview_no_update_or_delete
    BEFORE UPDATE OR DELETE ON referrals_caseview
    FOR EACH ROW EXECUTE FUNCTION referrals_caseview_append_only();
    """,
    """
    CREATE OR REPLACE FUNCTION referrals_caseview_stamp() RETURNS trigger AS $$
    BEGIN
        NEW.viewed_at := clock_timestamp();
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER referrals_caseview_stamp_insert
    BEFORE INSERT ON referrals_caseview
    FOR EACH ROW EXECUTE FUNCTION referrals_caseview_stamp();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS referrals_caseview_stamp_insert ON referrals_caseview;",
    "DROP TRIGGER IF EXISTS referrals_caseview_no_update_or_delete ON referrals_caseview;",
    "DROP FUNCTION IF EXISTS referrals_caseview_stamp();",
    "DROP FUNCTION IF EXISTS referrals_caseview_append_only();",
]
SQLITE = [
    """
    CREATE TRIGGER IF NOT EXISTS referrals_caseview_no_update BEFORE UPDATE ON referrals_caseview
    BEGIN SELECT RAISE(ABORT, 'The case view log is append-only: UPDATE is refused'); END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS referrals_caseview_no_delete BEFORE DELETE ON referrals_caseview
    BEGIN SELECT RAISE(ABORT, 'The case view log is append-only: DELETE is refused'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS referrals_caseview_no_update;",
    "DROP TRIGGER IF EXISTS referrals_caseview_no_delete;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("referrals", "0011_sd_deadline_data")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
