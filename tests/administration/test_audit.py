"""Every look and every sign-in traceable: the list log, "who looked at this record", what a user looked at, and
the sign-in audit (DOMAIN section 2; Data Protection Act 2018 section 62)."""

import datetime as dt
import re

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.http import HttpRequest, QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.models import AuthEvent, auth_event_record
from referrals.models import CaseView, ListedCase, ListLook
from referrals.services import list_look_record
from tests.builders import make_referral
from tests.db_roles import as_owner
from tests.factories import TEST_PASSWORD
from tests.paging import listed, walk

pytestmark = pytest.mark.django_db


def test_a_search_records_the_query_and_the_cases_it_returned_in_one_row(world, sw_client):
    found = make_referral(acting_user=world["sw"], children=[{"first_name": "Quill", "last_name": "Inventedname"}])
    make_referral(acting_user=world["sw"])
    sw_client.get(reverse("referrals:list"), {"q": "Inventedname"})
    look = ListLook.objects.get(user=world["sw"], page="referral list")
    assert look.query == "q=Inventedname"
    assert look.referral_ids == [found.pk]


def test_the_list_log_cannot_be_rewritten(world, sw_client):
    sw_client.get(reverse("referrals:list"))
    for attempt in (
        lambda: ListLook.objects.update(query="forged"),
        lambda: ListLook.objects.all().delete(),
    ):
        # As the app's role (which the tests run as) the rights refuse it; as the owner, the append-only triggers
        # do (tests/core/test_db_roles.py).
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            attempt()
    assert ListLook.objects.get().query == ""
    for attempt in (
        lambda: ListedCase.objects.update(looked_at=timezone.now()),
        lambda: ListedCase.objects.all().delete(),
    ):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            attempt()


def test_a_list_writes_one_row_per_case_it_showed_at_the_lists_moment(world, sw_client):
    shown = {make_referral(acting_user=world["sw"]).pk for _ in range(3)}
    sw_client.get(reverse("referrals:list"))
    look = ListLook.objects.get(user=world["sw"], page="referral list")
    rows = ListedCase.objects.filter(look=look)
    assert sorted(look.referral_ids) == sorted(shown)
    assert sorted(rows.values_list("referral_id", flat=True)) == sorted(shown)
    assert set(rows.values_list("looked_at", flat=True)) == {look.looked_at}


def test_the_database_refuses_a_listed_case_its_list_did_not_show(world):
    """A row of the list log by case is the list's own: the list exists, showed that case and has that moment."""
    shown, other = make_referral(acting_user=world["sw"]), make_referral(acting_user=world["sw"])
    list_look_record(user=world["sw"], page="referral list", query="", referral_ids=[shown.pk])
    look = ListLook.objects.get()
    for forged in (
        ListedCase(referral_id=other.pk, look_id=look.pk, looked_at=look.looked_at),
        ListedCase(referral_id=shown.pk, look_id=look.pk, looked_at=look.looked_at - dt.timedelta(days=1)),
        ListedCase(referral_id=shown.pk, look_id=look.pk + 1000, looked_at=look.looked_at),
    ):
        with pytest.raises(DatabaseError, match="one its list showed"), transaction.atomic():
            ListedCase.objects.bulk_create([forged])
    assert list(ListedCase.objects.values_list("referral_id", "look_id")) == [(shown.pk, look.pk)]


def test_the_migration_copies_the_lists_already_logged_into_rows(world):
    """referrals 0026: the lists logged before it (one array each) become a row per case, at each list's moment."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("referrals.migrations.0026_issue28_flat_list_log")
    cases = [make_referral(acting_user=world["sw"]).pk for _ in range(3)]
    # Lists as the log held them before: the array alone (the ORM writes no row per case).
    for ids in ([cases[0], cases[1]], [cases[1], cases[2]], []):
        ListLook.objects.create(user=world["sw"], page="referral list", query="", referral_ids=ids)
    migration.BATCH, batch = 1, migration.BATCH  # a batch per list: the batches join up
    try:
        with connection.schema_editor() as editor:
            migration.copy_lists(apps, editor)
    finally:
        migration.BATCH = batch
    copied = {(row.look_id, row.referral_id, row.looked_at) for row in ListedCase.objects.all()}
    expected = {(look.pk, pk, look.looked_at) for look in ListLook.objects.all() for pk in look.referral_ids}
    assert copied == expected and len(copied) == 4


def test_who_looked_at_a_record_for_the_team_manager_filtered_by_agency(world, persona_client):
    referral = make_referral(acting_user=world["sw"])
    persona_client("sw").get(reverse("referrals:detail", args=[referral.pk]))
    persona_client("hos").get(reverse("referrals:detail", args=[referral.pk]))
    url = reverse("audit:case_looks", args=[referral.pk])
    page = persona_client("tm").get(url).content.decode()
    assert str(world["sw"]) in page and str(world["hos"]) in page
    assert (
        "referral detail"
        in persona_client("tm").get(reverse("audit:case_looks_log", args=[referral.pk])).content.decode()
    )
    filtered = persona_client("tm").get(url, {"agency": world["police_agency"].pk}).content.decode()
    assert "No looks match." in filtered
    assert persona_client("sw").get(url).status_code == 403
    assert persona_client("outsider").get(url).status_code == 404
    # Looking at the log is a look too.
    assert CaseView.objects.filter(user=world["tm"], page="who looked").exists()


def test_what_a_user_looked_at_for_the_head_of_service(world, persona_client):
    referral = make_referral(acting_user=world["sw"])
    persona_client("sw").get(reverse("referrals:detail", args=[referral.pk]))
    url = reverse("audit:user_looks", args=[world["sw"].pk])
    page = persona_client("hos").get(url).content.decode()
    assert referral.reference in page
    assert persona_client("tm").get(url).status_code == 404
    other = reverse("audit:user_looks", args=[world["other_sw"].pk])
    assert persona_client("hos").get(other).status_code == 404  # another partnership's user


def test_sign_ins_failures_and_sign_outs_are_recorded_without_passwords(world, persona_client):
    client = Client()
    client.post(reverse("login"), {"username": world["police"].username, "password": "wrong-password"})
    client.post(reverse("login"), {"username": "nobody-at-all", "password": "wrong-password"})
    assert client.login(request=HttpRequest(), username=world["police"].username, password=TEST_PASSWORD)
    client.post(reverse("logout"))
    events = list(AuthEvent.objects.filter(user=world["police"]).order_by("at", "pk").values_list("kind", flat=True))
    assert events == ["sign_in_failed", "signed_in", "signed_out"]
    assert AuthEvent.objects.filter(kind="sign_in_failed", username="nobody-at-all", user=None).exists()
    assert not AuthEvent.objects.filter(detail__icontains="wrong-password").exists()
    page = persona_client("hos").get(reverse("audit:auth_events")).content.decode()
    assert "Sign-in failed" in page and str(world["police"]) in page
    assert persona_client("police").get(reverse("audit:auth_events")).status_code == 404


def test_a_password_change_is_recorded(world):
    world["police"].set_password("another-long-invented-password")
    world["police"].save()
    assert AuthEvent.objects.filter(user=world["police"], kind="password_changed").exists()


def test_role_and_agency_changes_in_the_admin_are_recorded_with_who_did_it(world):
    from django.contrib.auth.models import Permission

    from agencies.models import User

    admin = world["admin"]
    admin.is_staff = True
    admin.save()
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="agencies", codename__endswith="user"))
    client = Client()
    assert client.login(request=HttpRequest(), username=admin.username, password=TEST_PASSWORD)
    target = world["police"]
    url = reverse("admin:agencies_user_change", args=[target.pk])
    form = client.get(url).context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None and not isinstance(value, list)}
    data.update(
        {
            "username": target.username,
            "first_name": target.first_name,
            "last_name": target.last_name,
            "email": "",
            "agency": world["csc"].pk,
            "roles": ["social_worker"],
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00",
            "job_title": "",
            "line_manager": "",
        }
    )
    data.pop("password", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    kinds = set(AuthEvent.objects.filter(user=target, actor=admin).values_list("kind", flat=True))
    assert kinds == {"roles_changed", "agency_changed"}
    assert User.objects.get(pk=target.pk).agency == world["csc"]


def test_lists_that_showed_a_case_are_on_its_who_looked_page_and_the_users_page(world, persona_client):
    referral = make_referral(acting_user=world["sw"], children=[{"first_name": "Quill", "last_name": "Listedname"}])
    persona_client("sw").get(reverse("referrals:list"), {"q": "Listedname"})
    case_page = persona_client("tm").get(reverse("audit:case_looks", args=[referral.pk])).content.decode()
    assert "Lists and searches that showed this case" in case_page and "q=Listedname" in case_page
    user_page = persona_client("hos").get(reverse("audit:user_looks", args=[world["sw"].pk])).content.decode()
    assert "referral list" in user_page and "q=Listedname" in user_page


def test_a_bad_or_stale_history_address_lists_from_the_newest_change(world, tm_client):
    referral = make_referral(acting_user=world["sw"])
    url = reverse("strategy:history", args=[referral.pk])
    for params in (
        {"page": "99999999999999999999999"},
        {"page": "abc"},
        {"after": "x"},
        {"before": "%%%"},
        {"after": "WzEsMl0"},  # [1,2]
        {"after": "WyJ4IiwxLDJd"},  # ["x",1,2]
        {"after": "WyIyMDI2LTExLTI5VDEwOjAwOjAwIiwxLDJd"},  # a moment without its time zone
        {"before": "WyIyMDI2LTExLTI5VDEwOjAwOjAwKzAwOjAwIiwxLDk5OTk5OTk5OTk5OTk5OTk5OTk5OTld"},  # an id too big
    ):
        response = tm_client.get(url, params)
        assert response.status_code == 200, params


# --- The audit lists, by keyset (core.pages) -------------------------------------------------------------------

LOOK = r">(look \d+)</td>"


@pytest.fixture
def looked_at(world):
    """A case the social worker has looked at 55 times (more than one page of 50)."""
    referral = make_referral(acting_user=world["sw"])
    for n in range(55):
        CaseView.objects.create(user=world["sw"], referral=referral, page=f"look {n:02d}")
    return referral


def _looks(**where) -> list[str]:
    rows = CaseView.objects.filter(page__startswith="look ", **where).order_by("-viewed_at", "-id")
    return list(rows.values_list("page", flat=True))


def test_who_looked_pages_through_every_look_once_newest_first(world, looked_at, persona_client):
    url = reverse("audit:case_looks_log", args=[looked_at.pk])
    for params in (None, {"agency": world["csc"].pk}):  # the filter is kept from page to page
        shown = walk(persona_client("tm"), url, LOOK, params)
        assert len(shown) == 2 and listed(shown) == _looks(referral=looked_at), params
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    since = {"since_0": tomorrow.day, "since_1": tomorrow.month, "since_2": tomorrow.year}
    assert "No looks match." in persona_client("tm").get(url, since).content.decode()


def test_what_a_user_looked_at_pages_through_every_look_once_newest_first(world, looked_at, persona_client):
    url = reverse("audit:user_looks", args=[world["sw"].pk])
    # The day of the first look, not today's date: the suite also runs a minute before midnight.
    first = timezone.localdate(CaseView.objects.filter(user=world["sw"]).earliest("viewed_at").viewed_at)
    for params in (None, {"since_0": first.day, "since_1": first.month, "since_2": first.year}):
        shown = walk(persona_client("hos"), url, LOOK, params)
        assert [len(page) for page in shown] == [50, 5] and listed(shown) == _looks(user=world["sw"]), params


def test_the_lists_that_showed_a_case_page_through_every_list_once_newest_first(world, persona_client):
    referral, other = make_referral(acting_user=world["sw"]), make_referral(acting_user=world["sw"])
    for n in range(55):
        list_look_record(user=world["sw"], page="referral list", query=f"look {n:02d}", referral_ids=[referral.pk])
    list_look_record(user=world["sw"], page="referral list", query="look 99", referral_ids=[other.pk])
    expected = [f"look {n:02d}" for n in reversed(range(55))]
    url = reverse("audit:case_looks_lists", args=[referral.pk])
    for params in (None, {"agency": world["csc"].pk}):  # the filter is kept from page to page
        shown = walk(persona_client("tm"), url, LOOK, params)
        assert [len(page) for page in shown] == [50, 5] and listed(shown) == expected, params
    assert (
        "No list or search matches."
        in persona_client("tm").get(url, {"agency": world["police_agency"].pk}).content.decode()
    )
    summary = persona_client("tm").get(reverse("audit:case_looks", args=[referral.pk])).content.decode()
    assert re.findall(LOOK, summary) == expected[:10] and url in summary


def test_the_sign_in_records_page_through_every_record_once_newest_first(world, persona_client):
    for n in range(55):
        auth_event_record(kind="signed_in", user=world["sw"], detail=f"Invented {n:02d}")
    expected = list(
        AuthEvent.objects.filter(detail__startswith="Invented ").order_by("-at", "-id").values_list("detail", flat=True)
    )
    # The day of the newest record, not today's date: the suite also runs a minute before midnight.
    last = timezone.localdate(AuthEvent.objects.filter(detail__startswith="Invented ").latest("at").at)
    for params in (None, {"until_0": last.day, "until_1": last.month, "until_2": last.year}):
        shown = walk(persona_client("hos"), reverse("audit:auth_events"), r">(Invented \d+)</td>", params)
        assert len(shown) == 2 and listed(shown) == expected, params
    first = timezone.localdate(AuthEvent.objects.earliest("at").at)
    yesterday = first - dt.timedelta(days=1)
    until = {"until_0": yesterday.day, "until_1": yesterday.month, "until_2": yesterday.year}
    assert "No records match." in persona_client("hos").get(reverse("audit:auth_events"), until).content.decode()


def test_a_bad_or_stale_audit_page_address_lists_from_the_start(world, looked_at, persona_client):
    auth_event_record(kind="signed_in", user=world["sw"], detail="Invented newest")
    for persona, url, newest in (
        ("tm", reverse("audit:case_looks_log", args=[looked_at.pk]), ">look 54<"),
        ("hos", reverse("audit:user_looks", args=[world["sw"].pk]), ">look 54<"),
        ("hos", reverse("audit:auth_events"), ">Invented newest<"),
    ):
        for bad in ({"page": "999"}, {"after": "x"}, {"before": "%%%"}, {"after": "WzEsMl0"}, {"after": "WyJ4Il0"}):
            response = persona_client(persona).get(url, bad)
            assert response.status_code == 200 and newest in response.content.decode(), (url, bad)


def test_the_audit_counts_say_more_than_a_page(world, looked_at, persona_client, monkeypatch):
    """No count query (issue 28): a first page with a next one says "More than" the page."""
    from administration import views as audit_views

    monkeypatch.setattr(audit_views, "PAGE_SIZE", 3)
    for _ in range(4):
        auth_event_record(kind="signed_in", user=world["sw"], detail="Invented sign-in")
    for persona, url, noun in (
        ("tm", reverse("audit:case_looks_log", args=[looked_at.pk]), "looks"),
        ("hos", reverse("audit:user_looks", args=[world["sw"].pk]), "looks"),
        ("hos", reverse("audit:auth_events"), "records"),
    ):
        assert f"More than 3 {noun}" in persona_client(persona).get(url).content.decode(), url


def test_the_audit_pages_cost_the_same_for_more_rows(world, persona_client):
    referral = make_referral(acting_user=world["sw"])
    urls = (
        ("tm", reverse("audit:case_looks", args=[referral.pk])),
        ("tm", reverse("audit:case_looks_log", args=[referral.pk])),
        ("tm", reverse("audit:case_looks_lists", args=[referral.pk])),
        ("hos", reverse("audit:user_looks", args=[world["sw"].pk])),
        ("hos", reverse("audit:auth_events")),
    )
    clients = {persona: persona_client(persona) for persona in ("tm", "hos")}

    def count() -> list[int]:
        counts = []
        for persona, url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert clients[persona].get(url).status_code == 200
            counts.append(len(queries))
        return counts

    CaseView.objects.create(user=world["sw"], referral=referral, page="look")
    list_look_record(user=world["sw"], page="referral list", query="", referral_ids=[referral.pk])
    few = count()
    for n in range(60):
        CaseView.objects.create(user=world[("sw", "hos", "admin")[n % 3]], referral=referral, page=f"look {n}")
        list_look_record(user=world[("sw", "hos")[n % 2]], page="referral list", query="", referral_ids=[referral.pk])
        auth_event_record(kind="signed_in", user=world["sw"], detail=f"Invented {n}")
    # Each: session, user, roles (the sign-in), the access check; the page of the log (its capped count and its
    # rows with who and which case joined); who looked also: the case view it records, the agencies of the
    # filter, the lists that showed the case and the minutes downloaded; the sign-in records: the people.
    assert count() == few


def test_the_database_refuses_to_rewrite_the_sign_in_audit(world, sw_client):
    from django.db import connection

    assert AuthEvent.objects.exists()  # sw_client signed in
    for attempt in (
        lambda: AuthEvent.objects.update(detail="forged"),
        lambda: AuthEvent.objects.all().delete(),
        lambda: connection.cursor().execute("UPDATE agencies_authevent SET detail = 'forged'"),
    ):
        # As the app's role (which the tests run as) the rights refuse it; as the owner, the append-only triggers
        # do (tests/core/test_db_roles.py).
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            attempt()
    assert not AuthEvent.objects.filter(detail="forged").exists()


def test_who_looked_is_one_row_per_person_with_first_and_last_look_and_how_many(world, persona_client):
    """Issue 25 item 9: not one row per page view (77 rows in 15 minutes) but a summary per person."""
    referral = make_referral(acting_user=world["sw"])
    for who in ("sw", "hos", "sw", "sw"):
        CaseView.objects.create(user=world[who], referral=referral, page="p")
    looks = {who: CaseView.objects.filter(referral=referral, user=world[who]).count() for who in ("sw", "hos")}
    page = persona_client("tm").get(reverse("audit:case_looks", args=[referral.pk])).content.decode()
    rows = re.findall(
        r'<tr class="govuk-table__row"><td class="govuk-table__cell">([^<]+)</td>.*?numeric">(\d+)</td>', page
    )
    # The latest looker first: the team manager looking now, then the social worker, then the head of service.
    assert rows == [
        (str(world["tm"]), "1"),
        (str(world["sw"]), str(looks["sw"])),
        (str(world["hos"]), str(looks["hos"])),
    ]
    assert looks["sw"] >= 3
    assert reverse("audit:case_looks_log", args=[referral.pk]) in page


def test_the_people_who_looked_are_paged_by_their_last_look(world):
    from administration.views import people_who_looked

    referral = make_referral(acting_user=world["sw"])
    people = ["sw", "tm", "hos", "admin", "police"]
    for who in people:
        CaseView.objects.create(user=world[who], referral=referral, page="p")
    looks = CaseView.objects.filter(referral=referral)
    expected = list(
        looks.values("user_id")
        .annotate(last=Max("viewed_at"))
        .order_by("-last", "-user_id")
        .values_list("user_id", flat=True)
    )
    seen, params = [], QueryDict()
    while True:
        page = people_who_looked(looks, params, size=2)
        seen.append([row["user_id"] for row in page])
        if not page.has_next:
            break
        params = QueryDict(page.next_query)
    assert [pk for rows in seen for pk in rows] == expected and [len(rows) for rows in seen] == [2, 2, 1]
    back = people_who_looked(looks, QueryDict(page.previous_query), size=2)
    assert [row["user_id"] for row in back] == seen[-2]


@pytest.mark.django_db(transaction=True)  # committed, so the owner can ANALYZE them
def test_the_lists_that_showed_a_case_are_read_as_one_range_of_its_key(world, persona_client):
    """Issue 28: a case shown in many lists (here 1,500 of 3,000) is read a page at a time from one range of the list
    log's key (case, moment, list), newest first: no sort of every list that ever showed it (the GIN index did)."""
    from tests.plans import page_plans, problems

    referral, other = make_referral(acting_user=world["sw"]), make_referral(acting_user=world["sw"])
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH looks AS (
                INSERT INTO referrals_listlook (user_id, page, query, referral_ids, looked_at)
                SELECT %s, 'referral list', '', CASE WHEN n %% 2 = 0 THEN jsonb_build_array(%s, %s)
                    ELSE jsonb_build_array(%s) END, clock_timestamp()
                FROM generate_series(1, 3000) AS n RETURNING id, looked_at, referral_ids
            )
            INSERT INTO referrals_listedcase (referral_id, looked_at, look_id)
            SELECT e.value::bigint, looks.looked_at, looks.id
            FROM looks CROSS JOIN LATERAL jsonb_array_elements_text(looks.referral_ids) AS e(value)""",
            [world["sw"].pk, referral.pk, other.pk, other.pk],
        )
    with as_owner() as owner, owner.cursor() as cursor:  # the statistics a live database has (the owner's ANALYZE)
        cursor.execute("ANALYZE referrals_listedcase, referrals_listlook")
    # The lists themselves are then fetched by key, a page of them at most; a table of 3,000 short rows is one the
    # planner may rightly read whole for 51 keys (it would not on a real log: the page on the analysed 20,000
    # database is tests/test_query_plans.py's). What must be one range is the case's rows.
    large = {"referrals_listedcase"}
    client = persona_client("tm")
    for url in (reverse("audit:case_looks", args=[referral.pk]), reverse("audit:case_looks_lists", args=[referral.pk])):
        status, plans = page_plans(client, url)
        assert status == 200
        found = problems(plans, large)
        assert not found, "\n\n".join(found)
        reads = [
            node
            for query in plans
            if "referrals_listedcase" in query.sql and "COUNT(" not in query.sql
            for node in _nodes(query.plan["Plan"])
            if node.get("Relation Name") == "referrals_listedcase"
        ]
        assert reads and all(
            node["Node Type"] in {"Index Scan", "Index Only Scan", "Index Scan Backward", "Index Only Scan Backward"}
            and node["Index Name"] == "referrals_listedcase_pkey"
            and "referral_id" in node.get("Index Cond", "")
            and node["Actual Rows"] <= 51
            for node in reads
        ), reads


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)
