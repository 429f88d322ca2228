"""The back office in Chromium, as the partnership's administrator uses it: the list, add and change pages of each
model they administer, and a history and a delete page, pass axe-core (Django's own admin needs static/src/admin.css
and the labels in administration/admin.py for that), and a closure day is added through its table, found by its
column's label as a screen reader finds it."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from agencies.models import Agency, ClosureDay, OnCall, User
from core.timescales import to_local
from referrals.models import Referral, ReferralStatus
from tests.e2e.test_log_referral import sign_in

pytestmark = pytest.mark.e2e


def test_the_administrator_s_pages_pass_axe_and_a_closure_day_is_added_by_its_labels(
    page: Page, live_server, demo_data, check_a11y
) -> None:
    base = live_server.url
    sign_in(page, base, "admin.demo")
    admin = User.objects.get(username="admin.demo")
    partnership_id = admin.agency.partnership_id
    agency = Agency.objects.filter(partnership_id=partnership_id).first()
    person = User.objects.filter(agency__partnership_id=partnership_id, is_staff=False).first()
    rota = OnCall.objects.filter(partnership_id=partnership_id).first()
    assert agency is not None and person is not None and rota is not None
    pages = ["/admin/", "/admin/agencies/", f"/admin/agencies/partnership/{partnership_id}/change/"]
    # Each model's list, add and change pages; a history and a delete page once (Django draws them alike for each).
    for model, pk in (("agency", agency.pk), ("user", person.pk), ("oncall", rota.pk)):
        pages += [f"/admin/agencies/{model}/", f"/admin/agencies/{model}/add/", f"/admin/agencies/{model}/{pk}/change/"]
    pages += [f"/admin/agencies/user/{person.pk}/history/", f"/admin/agencies/oncall/{rota.pk}/delete/"]
    pages += ["/admin/agencies/user/?roles__code__exact=police", "/admin/password_change/"]
    for address in pages:
        response = page.goto(base + address)
        assert response is not None and response.status == 200, address
        check_a11y(page, f"the back office's {address}")

    # A person's roles are ticked, and when they last signed in is shown, not a field anyone edits.
    page.goto(f"{base}/admin/agencies/user/{person.pk}/change/")
    roles = page.get_by_role("group", name="Roles")
    expect(roles.get_by_role("checkbox").first).to_be_visible()
    expect(page.locator("#id_last_login_0")).to_have_count(0)

    # A closure day, typed into the table's empty row by the labels its columns give it.
    closed_on = to_local(demo_data).date() + dt.timedelta(days=40)
    page.goto(f"{base}/admin/agencies/partnership/{partnership_id}/change/")
    row = page.locator("#closure_days-group tr.form-row:not(.empty-form)").last
    row.get_by_label("Date", exact=True).fill(closed_on.isoformat())
    row.get_by_label("Reason", exact=True).fill("Invented: an office move")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    check_a11y(page, "the back office after saving a closure day")
    assert ClosureDay.objects.filter(partnership_id=partnership_id, date=closed_on).exists()


def test_a_head_of_service_reads_who_looked_at_a_case_and_the_sign_ins(page: Page, live_server, demo_data, check_a11y):
    """The audit pages (administration/views.py) as the head of service investigating misuse reads them, with a
    filter typed wrong and put right."""
    base = live_server.url
    sign_in(page, base, "hos.demo")
    hos = User.objects.get(username="hos.demo")
    case = Referral.objects.filter(
        partnership_id=hos.agency.partnership_id, status=ReferralStatus.DISCUSSION_HELD
    ).first()
    looker = User.objects.get(username="sw.demo")
    assert case is not None
    for address, heading in (
        (f"/referrals/{case.pk}/looks/", "Who has looked at"),
        (f"/referrals/{case.pk}/looks/all/", "Every look at this record"),
        (f"/referrals/{case.pk}/looks/lists/", "Lists and searches that showed this record"),
        (f"/audit/users/{looker.pk}/looks/", "has looked at"),
        ("/audit/sign-ins/", "Sign-in records"),
    ):
        response = page.goto(base + address)
        assert response is not None and response.status == 200, address
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        check_a11y(page, f"the audit page {address}")

    period_from = page.get_by_role("group", name="From")
    period_from.get_by_label("Day").fill("31")
    period_from.get_by_label("Month").fill("2")
    period_from.get_by_label("Year").fill("2026")
    page.get_by_role("button", name=re.compile("^(Apply|Filter|Show)")).click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="From must be a real date")).to_be_visible()
    expect(page.get_by_role("group", name="From").get_by_label("Day")).to_have_value("31")
    check_a11y(page, "the sign-ins with a date that does not exist")
