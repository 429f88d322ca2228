"""The list log's retention (issue 28, docs/operations.md): kept in full for its period, then summarised per user,
case and month by the database owner, and only then removed; never by the app's role."""

import datetime as dt
import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.urls import reverse

from core.timescales import LONDON, retention_start, to_local
from referrals.models import ListedCase, ListLook, ListLookMonth
from referrals.retention import LIST_LOG_YEARS
from referrals.services import list_look_record
from tests.builders import make_referral
from tests.db_roles import as_owner, triggers_off


def test_the_retention_period_starts_at_a_london_month():
    # 23:30 UTC on 31 March 2026 is 00:30 on 1 April in London (summer time): April's month, six years back.
    assert retention_start(dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC), 6) == dt.datetime(2020, 4, 1, tzinfo=LONDON)
    assert retention_start(dt.datetime(2027, 1, 15, 12, tzinfo=dt.UTC), 6) == dt.datetime(2021, 1, 1, tzinfo=LONDON)
    with pytest.raises(ValueError, match="at least one year"):
        retention_start(dt.datetime(2027, 1, 15, 12, tzinfo=dt.UTC), 0)


def _month(moment: dt.datetime) -> dt.date:
    return to_local(moment).date().replace(day=1)


@pytest.mark.django_db(transaction=True)  # committed: the owner's connection runs the job
def test_the_list_log_past_its_period_is_summarised_by_the_owner_then_removed(world, time_machine, persona_client):
    sw, hos = world["sw"], world["hos"]
    a, b = make_referral(acting_user=sw), make_referral(acting_user=sw)
    list_look_record(user=sw, page="referral list", query="q=Invented", referral_ids=[a.pk, b.pk])
    list_look_record(user=sw, page="referral list", query="", referral_ids=[a.pk])
    list_look_record(user=hos, page="referral list", query="", referral_ids=[a.pk])
    list_look_record(user=sw, page="referral list", query="q=nobody", referral_ids=[])
    users = dict(ListLook.objects.values_list("pk", "user_id"))
    expected = Counter((users[row.look_id], row.referral_id, _month(row.looked_at)) for row in ListedCase.objects.all())
    expected |= Counter(
        (look.user_id, None, _month(look.looked_at)) for look in ListLook.objects.filter(referral_ids=[])
    )
    assert sum(expected.values()) == 5
    # A moment that puts these lists past the period; one more list logged just inside it, written by the owner with
    # the triggers off (the database stamps a list with its own clock).
    now = ListLook.objects.latest("looked_at").looked_at + dt.timedelta(days=366 * LIST_LOG_YEARS + 62)
    kept_at = retention_start(now, LIST_LOG_YEARS) + dt.timedelta(hours=1)
    time_machine.move_to(now, tick=False)

    with pytest.raises(CommandError, match="database owner"):  # the app's role: refused, nothing changed
        call_command("audit_summarise")
    assert ListLook.objects.count() == 4 and not ListLookMonth.objects.exists()

    with as_owner() as owner, owner.cursor() as cursor:
        with pytest.raises(DatabaseError, match="append-only"):  # the owner too, unless it is the job
            cursor.execute("DELETE FROM referrals_listedcase")
        cursor.execute("BEGIN")
        with triggers_off(cursor, ["referrals_listlook", "referrals_listedcase"]):
            cursor.execute(
                "INSERT INTO referrals_listlook (user_id, page, query, referral_ids, looked_at) "
                "VALUES (%s, 'referral list', 'kept', %s, %s) RETURNING id",
                [sw.pk, json.dumps([b.pk]), kept_at],
            )
            (kept,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO referrals_listedcase (referral_id, looked_at, look_id) VALUES (%s, %s, %s)",
                [b.pk, kept_at, kept],
            )
        cursor.execute("COMMIT")
        out = io.StringIO()
        call_command("audit_summarise", stdout=out)
        assert "4 lists and 4 rows by case summarised into" in out.getvalue()
        again = io.StringIO()
        call_command("audit_summarise", stdout=again)  # nothing left to summarise: no month counted twice
        assert "0 lists and 0 rows" in again.getvalue()

    summaries = Counter({(s.user_id, s.referral_id, s.month): s.lists for s in ListLookMonth.objects.all()})
    assert summaries == expected
    assert list(ListLook.objects.values_list("pk", flat=True)) == [kept]
    assert list(ListedCase.objects.values_list("look_id", "referral_id")) == [(kept, b.pk)]
    # Who has looked still says who was shown the case in those months.
    page = persona_client("tm").get(reverse("audit:case_looks_lists", args=[a.pk])).content.decode()
    assert "Earlier months, summarised" in page and "No list or search matches." in page
    assert str(hos) in page and str(sw) in page
