"""Issue 28: the list log by case, a plain append-only table, so writing a list is no GIN insert and "which lists
showed this case" is one index range (referrals.models.ListedCase); the summaries the retention job makes
(ListLookMonth). The lists already logged are copied into rows in batches, then the GIN index is dropped.

Append-only for the app's role (core.db_roles grants SELECT and INSERT after migrate) and, on PostgreSQL, by
triggers: a listed case must be one its list showed at the list's moment (checked once per statement), UPDATE is
refused, and DELETE only for the retention job (the tables' owner, having said so with `referrals.summarising`).
"""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BATCH = 5000  # lists copied per statement

GUARD = """
CREATE OR REPLACE FUNCTION referrals_list_log_guard() RETURNS trigger AS $$
BEGIN
    -- The retention job (manage.py audit_summarise) runs as the tables' owner and says so; nobody else deletes.
    IF TG_OP = 'DELETE' AND current_setting('referrals.summarising', true) = 'on'
       AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'The list log is append-only: ' || TG_OP || ' is refused';
END;
$$ LANGUAGE plpgsql;
"""
CHECK = """
CREATE OR REPLACE FUNCTION referrals_listedcase_check() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM added a LEFT JOIN referrals_listlook l ON l.id = a.look_id
        WHERE l.id IS NULL OR l.looked_at <> a.looked_at OR NOT l.referral_ids @> to_jsonb(a.referral_id)
    ) THEN
        RAISE EXCEPTION USING MESSAGE = 'A listed case must be one its list showed, at the list''s moment';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
POSTGRES = [
    GUARD,
    CHECK,
    """CREATE TRIGGER referrals_listedcase_check AFTER INSERT ON referrals_listedcase
       REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION referrals_listedcase_check()""",
    """CREATE TRIGGER referrals_listedcase_no_update_or_delete BEFORE UPDATE OR DELETE ON referrals_listedcase
       FOR EACH ROW EXECUTE FUNCTION referrals_list_log_guard()""",
    "DROP TRIGGER referrals_listlook_no_update_or_delete ON referrals_listlook",
    """CREATE TRIGGER referrals_listlook_no_update_or_delete BEFORE UPDATE OR DELETE ON referrals_listlook
       FOR EACH ROW EXECUTE FUNCTION referrals_list_log_guard()""",
    """CREATE TRIGGER referrals_listlookmonth_no_update_or_delete BEFORE UPDATE OR DELETE ON referrals_listlookmonth
       FOR EACH ROW EXECUTE FUNCTION referrals_caseview_append_only()""",
    "DROP INDEX IF EXISTS listlook_cases_gin",
]
POSTGRES_REVERSE = [
    "CREATE INDEX IF NOT EXISTS listlook_cases_gin ON referrals_listlook USING gin (referral_ids jsonb_path_ops)",
    "DROP TRIGGER IF EXISTS referrals_listlookmonth_no_update_or_delete ON referrals_listlookmonth",
    "DROP TRIGGER IF EXISTS referrals_listlook_no_update_or_delete ON referrals_listlook",
    """CREATE TRIGGER referrals_listlook_no_update_or_delete BEFORE UPDATE OR DELETE ON referrals_listlook
       FOR EACH ROW EXECUTE FUNCTION referrals_caseview_append_only()""",
    "DROP TRIGGER IF EXISTS referrals_listedcase_no_update_or_delete ON referrals_listedcase",
    "DROP TRIGGER IF EXISTS referrals_listedcase_check ON referrals_listedcase",
    "DROP FUNCTION IF EXISTS referrals_listedcase_check()",
    "DROP FUNCTION IF EXISTS referrals_list_log_guard()",
]
# Each list's cases, one row each, at the list's moment (the arrays hold each case once).
COPY = {
    "postgresql": """
        INSERT INTO referrals_listedcase (referral_id, looked_at, look_id)
        SELECT DISTINCT e.value::bigint, l.looked_at, l.id
        FROM referrals_listlook l CROSS JOIN LATERAL jsonb_array_elements_text(l.referral_ids) AS e(value)
        WHERE l.id > %s AND l.id <= %s AND jsonb_typeof(l.referral_ids) = 'array'
    """,
    "sqlite": """
        INSERT INTO referrals_listedcase (referral_id, looked_at, look_id)
        SELECT DISTINCT CAST(e.value AS INTEGER), l.looked_at, l.id
        FROM referrals_listlook l, json_each(l.referral_ids) AS e
        WHERE l.id > %s AND l.id <= %s AND json_type(l.referral_ids) = 'array'
    """,
}


def copy_lists(apps, schema_editor):
    """The lists already logged, copied into rows a batch of lists at a time (run by migrate: the owner)."""
    statement = COPY.get(schema_editor.connection.vendor)
    if statement is None:
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM referrals_listlook")
        (last,) = cursor.fetchone()
        for start in range(0, last, BATCH):
            cursor.execute(statement, [start, start + BATCH])


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('referrals', '0025_issue28_search_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ListedCase',
            fields=[
                ('pk', models.CompositePrimaryKey('referral_id', 'looked_at', 'look_id', blank=True, editable=False, primary_key=True, serialize=False)),
                ('looked_at', models.DateTimeField()),
                ('look', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='referrals.listlook')),
                ('referral', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='referrals.referral')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='ListLookMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(help_text='The first day of the month (Europe/London)')),
                ('lists', models.PositiveIntegerField()),
                ('summarised_at', models.DateTimeField(auto_now_add=True)),
                ('referral', models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='referrals.referral')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(condition=models.Q(('referral__isnull', False)), fields=('referral', 'month', 'user'), name='listlookmonth_once'), models.UniqueConstraint(condition=models.Q(('referral__isnull', True)), fields=('user', 'month'), name='listlookmonth_no_case_once')],
            },
        ),
        migrations.RunPython(copy_lists, migrations.RunPython.noop),
        migrations.RunPython(_run(POSTGRES), _run(POSTGRES_REVERSE)),
    ]
