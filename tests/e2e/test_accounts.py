"""One's own account in the browser (issue 26): changing the password (a repeated-character password refused with
the GOV.UK error summary), and a head of service approving a reset another administrator asked for."""

import datetime as dt
import time

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from administration.management.commands.seed_demo import ensure_reference_rows
from agencies import resets
from agencies.models import AgencyType, ResetKind, RoleCode
from tests.factories import TEST_PASSWORD, AgencyFactory, PartnershipFactory, UserFactory

pytestmark = pytest.mark.e2e
KEY = "00112233445566778899aabbccddeeff00112233"  # invented


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/sign-in/code/" in page.url:
        totp = TOTP(bytes.fromhex(KEY))
        totp.time = time.time()
        page.get_by_label("Code").fill(f"{totp.token():06d}")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()


@pytest.fixture
def people(transactional_db):
    ensure_reference_rows()  # the roles, which a transactional test's flush empties
    csc = AgencyFactory(
        partnership=PartnershipFactory(name="Invented Partnership"),
        name="Invented CSC",
        agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
    )
    sw = UserFactory(username="sw", agency=csc, roles=[RoleCode.SOCIAL_WORKER])
    tm = UserFactory(username="tm", agency=csc, roles=[RoleCode.TEAM_MANAGER], email="tm@example.invalid")
    hos = UserFactory(username="hos", agency=csc, roles=[RoleCode.HEAD_OF_SERVICE])
    admin = UserFactory(username="admin", agency=csc, roles=[RoleCode.BUSINESS_SUPPORT], is_staff=True)
    for user in (tm, hos):
        TOTPDevice.objects.create(user=user, name="Authenticator app", key=KEY, confirmed=True)
    return {"sw": sw, "tm": tm, "hos": hos, "admin": admin}


def test_a_social_worker_changes_their_password(page: Page, live_server, people, check_a11y) -> None:
    base = live_server.url
    _sign_in(page, base, "sw")
    page.get_by_role("link", name="Change your password").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    check_a11y(page, "change your password")
    page.get_by_label("Current password").fill(TEST_PASSWORD)
    page.get_by_label("New password", exact=True).fill("aaaaaaaaaaaa")
    page.get_by_label("New password again").fill("aaaaaaaaaaaa")
    page.get_by_role("button", name="Change the password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("repeats the same few characters")
    check_a11y(page, "change your password, with errors")
    page.get_by_label("Current password").fill(TEST_PASSWORD)
    page.get_by_label("New password", exact=True).fill("a-quiet-walk-by-the-invented-canal")
    page.get_by_label("New password again").fill("a-quiet-walk-by-the-invented-canal")
    page.get_by_role("button", name="Change the password").click()
    expect(page.get_by_text("Your password has been changed")).to_be_visible()
    people["sw"].refresh_from_db()
    assert people["sw"].check_password("a-quiet-walk-by-the-invented-canal")


def test_a_head_of_service_approves_a_reset(page: Page, live_server, people, check_a11y) -> None:
    now = timezone.now() - dt.timedelta(minutes=1)
    resets.reset_request(acting_user=people["admin"], user=people["tm"], kind=ResetKind.TWO_FACTOR, now=now)
    base = live_server.url
    _sign_in(page, base, "hos")
    page.goto(f"{base}/account/resets/")
    expect(page.get_by_role("heading", name="Resets waiting for your approval")).to_be_visible()
    check_a11y(page, "resets waiting")
    page.get_by_role("button", name="Approve the reset for tm").click()
    expect(page.get_by_text("Approved and done")).to_be_visible()
    assert not TOTPDevice.objects.filter(user=people["tm"]).exists()
