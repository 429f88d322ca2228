"""A GIN index so "which lists showed this case" is one index lookup on PostgreSQL (SQLite has none to make)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS listlook_cases_gin ON referrals_listlook USING gin (referral_ids jsonb_path_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS listlook_cases_gin")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0014_list_look_append_only")]
    operations = [migrations.RunPython(create, drop)]
