"""The list log is append-only in the database too, stamped by the database's clock (as the case view log)."""

from django.db import migrations

POSTGRES = [
    """
    CREATE TRIGGER referrals_listlook_no_update_or_delete
    BEFORE UPDATE OR DELETE ON referrals_listlook
    FOR EACH ROW EXECUTE FUNCTION referrals_caseview_append_only();
    """,
    """
    CREATE OR REPLACE FUNCTION referrals_listlook_stamp() RETURNS trigger AS $$
    BEGIN
        NEW.looked_at := clock_timestamp();
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER referrals_listlook_stamp_insert
    BEFORE INSERT ON referrals_listlook
    FOR EACH ROW EXECUTE FUNCTION referrals_listlook_stamp();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS referrals_listlook_stamp_insert ON referrals_listlook;",
    "DROP TRIGGER IF EXISTS referrals_listlook_no_update_or_delete ON referrals_listlook;",
    "DROP FUNCTION IF EXISTS referrals_listlook_stamp();",
]
SQLITE = [
    """
    CREATE TRIGGER IF NOT EXISTS referrals_listlook_no_update BEFORE UPDATE ON referrals_listlook
    BEGIN SELECT RAISE(ABORT, 'The list log is append-only: UPDATE is refused'); END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS referrals_listlook_no_delete BEFORE DELETE ON referrals_listlook
    BEGIN SELECT RAISE(ABORT, 'The list log is append-only: DELETE is refused'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS referrals_listlook_no_update;",
    "DROP TRIGGER IF EXISTS referrals_listlook_no_delete;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("referrals", "0013_look_logs")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
