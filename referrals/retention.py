"""The list log's retention (issue 28; the rule is in docs/operations.md, "Retention of the list log").

A list shown to someone is kept in full (the list, its search, a row per case it showed) for LIST_LOG_YEARS, then
summarised: how many lists showed each user each case in each month (ListLookMonth; lists that showed no case
counted per user and month), and only then are the detailed rows of those months removed, in the same
transaction. Nothing is removed without its summary, and nothing is removed by the app: this runs as the tables'
owner (`manage.py audit_summarise`, from cron, like `migrate`), which the app's role is not; the database's own
guard (referrals 0026) lets only the owner delete, and only after saying so (`referrals.summarising`).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction

from core.timescales import retention_start

# Six years: the Limitation Act 1980's period for a claim (ss. 2 and 5) about who saw a child's record, and what the
# partnership's audit of access must answer for; the case records themselves are kept far longer (children's social
# care records to the 25th birthday or beyond), and the summaries with them.
LIST_LOG_YEARS = 6


# Per user, case and London month: from the rows by case (each a list that showed the case), and for the lists that
# showed no case, per user and month.
SUMMARISE_CASES = """
    INSERT INTO referrals_listlookmonth (user_id, referral_id, month, lists, summarised_at)
    SELECT l.user_id, c.referral_id, (date_trunc('month', c.looked_at AT TIME ZONE 'Europe/London'))::date, count(*), %s
    FROM referrals_listedcase c JOIN referrals_listlook l ON l.id = c.look_id
    WHERE c.looked_at < %s GROUP BY 1, 2, 3
"""
SUMMARISE_NO_CASE = """
    INSERT INTO referrals_listlookmonth (user_id, referral_id, month, lists, summarised_at)
    SELECT l.user_id, NULL::bigint, (date_trunc('month', l.looked_at AT TIME ZONE 'Europe/London'))::date, count(*), %s
    FROM referrals_listlook l WHERE l.looked_at < %s AND l.referral_ids = '[]'::jsonb GROUP BY 1, 2, 3
"""


class NotTheOwner(PermissionError):
    pass


@dataclass(frozen=True)
class Summarised:
    before: dt.datetime  # everything logged before this moment was summarised
    lists: int  # lists removed (each counted in a summary)
    rows: int  # rows of the list log by case removed (each counted in a summary)
    summaries: int  # summary rows made


def _require_owner(cursor) -> None:
    cursor.execute(
        "SELECT pg_has_role(current_user, relowner, 'MEMBER') FROM pg_class "
        "WHERE oid = 'referrals_listedcase'::regclass"
    )
    if not cursor.fetchone()[0]:
        raise NotTheOwner("The list log is summarised by the database owner (as migrate connects), not the app's role")


def list_log_summarise(*, now: dt.datetime, years: int = LIST_LOG_YEARS) -> Summarised:
    """Summarise and then remove the list log older than `years` before `now` (whole London months), in one
    transaction, as the tables' owner (NotTheOwner otherwise). A month already summarised is refused (the unique
    constraint), never counted twice."""
    if connection.vendor != "postgresql":
        raise NotImplementedError("The list log's retention runs on PostgreSQL (production), as its owner")
    before = retention_start(now, years)
    with transaction.atomic(), connection.cursor() as cursor:
        _require_owner(cursor)
        cursor.execute("SET LOCAL referrals.summarising = 'on'")
        cursor.execute(SUMMARISE_CASES, [now, before])
        summaries = cursor.rowcount
        cursor.execute(SUMMARISE_NO_CASE, [now, before])
        summaries += cursor.rowcount
        cursor.execute("DELETE FROM referrals_listedcase WHERE looked_at < %s", [before])
        rows = cursor.rowcount
        cursor.execute("DELETE FROM referrals_listlook WHERE looked_at < %s", [before])
        lists = cursor.rowcount
    return Summarised(before=before, lists=lists, rows=rows, summaries=summaries)
