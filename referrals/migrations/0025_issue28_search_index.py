"""Name search answered within the partnership by its own index (issue 28), on PostgreSQL only.

The trigram index of 0018 held `(partnership_id, search_text gin_trgm_ops)`, but GIN keeps each column's keys
apart: the planner read the trigrams' matches across every partnership and intersected them with the
partnership's rows afterwards, and a term of two letters ("li", "ng") has no trigram at all, so it read the whole
partnership. This index keys each trigram of each word by its partnership ("17:gal", "17: li"): one key's entries
are that partnership's matches and no other's, for a word of any length (`referrals.search`). The app's role
never creates functions or indexes: migrations run as the owner. SQLite (`make run`) scans its small table.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION referral_search_keys(partnership bigint, search_text text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT partnership::text || ':' || substr(' ' || w || ' ', i, 3)), '{}')
    FROM regexp_split_to_table(search_text, '[^[:alnum:]]+') AS w, generate_series(1, length(w)) AS i
    WHERE w <> ''
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS referral_search_keys ON referrals_referral "
        "USING gin (referral_search_keys(partnership_id, search_text))"
    )
    schema_editor.execute("DROP INDEX IF EXISTS referral_search_trgm")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS referral_search_trgm ON referrals_referral "
        "USING gin (partnership_id, search_text gin_trgm_ops)"
    )
    schema_editor.execute("DROP INDEX IF EXISTS referral_search_keys")
    schema_editor.execute("DROP FUNCTION IF EXISTS referral_search_keys(bigint, text)")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0024_issue25_queues")]
    operations = [migrations.RunPython(create, drop)]
