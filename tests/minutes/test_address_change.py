"""Distribution choices follow the address (issue 26, finding 5).

The attack: a social worker changed the GP's email on the distribution list and the GP's full-version choice
stayed, so the next circulation sent the full minutes to an address the chair never chose. Now a changed address
resets what that recipient is sent to nothing, the chair is told, and nothing goes to it until the chair chooses.
"""

import re

import pytest

from minutes import services
from minutes.models import Circulation, Sends, Source
from tests.minutes.conftest import AFTER, minutes_checker

pytestmark = pytest.mark.django_db

ATTACKER = "not-the-gp@example.net"


def _with_addresses(world, held):
    """The list as business support first fills it: the GP, health and school get their (first) addresses."""
    for name in ("sw", "tm", "police", "health", "admin"):
        world[name].email = f"{name}@example.org"
        world[name].save()
    recipients = services.recipients(held)
    services.distribution_save(
        acting_user=world["admin"],
        checker=minutes_checker(world["admin"], held),
        emails={r.pk: f"{r.source}@example.org" for r in recipients if not r.user_id},
    )
    return held.recipients.get(source=Source.GP)


def test_a_first_address_keeps_the_proposed_choice(world, held):
    gp = _with_addresses(world, held)
    assert gp.email == "gp@example.org" and gp.sends == Sends.FULL and not gp.choose_again


def test_a_social_worker_changing_the_gps_address_resets_what_the_gp_is_sent(
    world, held, mailoutbox, django_capture_on_commit_callbacks
):
    gp = _with_addresses(world, held)
    services.distribution_save(
        acting_user=world["sw"], checker=minutes_checker(world["sw"], held), emails={gp.pk: ATTACKER}
    )
    gp.refresh_from_db()
    assert (gp.email, gp.sends, gp.choose_again) == (ATTACKER, Sends.NONE, True)
    change = gp.history.first()
    assert change.history_user == world["sw"]
    assert change.history_change_reason == "Email address changed; sent nothing until the chair chooses again"

    # Circulated before the chair chooses again: nothing at all goes to the new address, and the GP still counts
    # as not sent (the minutes' clock stays open).
    services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], held), now=AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.minutes_circulate(
            acting_user=world["admin"], checker=minutes_checker(world["admin"], held), now=AFTER
        )
    assert gp.pk not in {c.recipient_id for c in sent}
    assert not any(ATTACKER in m.to for m in mailoutbox)
    assert not Circulation.objects.filter(recipient=gp).exists()
    progress = services.circulation_progress(held)
    assert progress.sent == progress.required - 1

    # The chair chooses again: then, and only then, the GP's new address is sent the full minutes.
    services.distribution_save(
        acting_user=world["tm"], checker=minutes_checker(world["tm"], held), emails={}, choices={gp.pk: Sends.FULL}
    )
    gp.refresh_from_db()
    assert (gp.sends, gp.choose_again) == (Sends.FULL, False)
    assert gp.history.first().history_user == world["tm"]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.minutes_circulate(acting_user=world["admin"], checker=minutes_checker(world["admin"], held), now=AFTER)
    assert [m.to for m in mailoutbox if ATTACKER in m.to] == [[ATTACKER]]


def test_the_chair_is_emailed_a_link_to_choose_again_with_no_case_detail(
    world, held, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "http://testserver"
    gp = _with_addresses(world, held)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.distribution_save(
            acting_user=world["sw"], checker=minutes_checker(world["sw"], held), emails={gp.pk: ATTACKER}
        )
    (mail,) = mailoutbox
    assert mail.to == [world["tm"].email] and held.chair == world["tm"]
    assert f"http://testserver/discussions/{held.pk}/minutes/#choose-again" in mail.body
    assert "1 recipient will be sent nothing until you choose again" in mail.body
    assert ATTACKER not in mail.body and "Surgery" not in mail.body and held.referral.reference not in mail.body


def test_clearing_then_giving_an_address_does_not_bring_the_choice_back(world, held):
    gp = _with_addresses(world, held)
    checker = minutes_checker(world["admin"], held)
    services.distribution_save(acting_user=world["admin"], checker=checker, emails={gp.pk: ""})
    services.distribution_save(acting_user=world["admin"], checker=checker, emails={gp.pk: ATTACKER})
    gp.refresh_from_db()
    assert (gp.email, gp.sends, gp.choose_again) == (ATTACKER, Sends.NONE, True)


def test_an_address_changed_to_a_users_sends_them_to_their_account_and_still_resets(world, held):
    gp = _with_addresses(world, held)
    services.distribution_save(
        acting_user=world["sw"], checker=minutes_checker(world["sw"], held), emails={gp.pk: "police@example.org"}
    )
    gp.refresh_from_db()
    assert gp.user == world["police"] and gp.email == ""  # issue 25: a user's address is their account's
    assert (gp.sends, gp.choose_again) == (Sends.NONE, True)


def test_the_chair_changing_an_address_with_their_choice_keeps_it(world, held):
    gp = _with_addresses(world, held)
    services.distribution_save(
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], held),
        emails={gp.pk: "surgery@example.org"},
        choices={gp.pk: Sends.FULL},
    )
    gp.refresh_from_db()
    assert (gp.email, gp.sends, gp.choose_again) == ("surgery@example.org", Sends.FULL, False)
    assert gp.history.first().history_user == world["tm"]


def test_the_chair_choosing_nothing_yet_leaves_them_to_choose(world, held):
    gp = _with_addresses(world, held)
    services.distribution_save(
        acting_user=world["sw"], checker=minutes_checker(world["sw"], held), emails={gp.pk: ATTACKER}
    )
    services.distribution_save(
        acting_user=world["tm"], checker=minutes_checker(world["tm"], held), emails={}, choices={gp.pk: Sends.NONE}
    )
    gp.refresh_from_db()
    assert (gp.sends, gp.choose_again) == (Sends.NONE, True)


def test_the_pages_tell_who_changed_it_and_the_chair_which_recipients_need_a_choice(world, held, sw_client, tm_client):
    gp = _with_addresses(world, held)
    url = f"/discussions/{held.pk}/minutes/"
    posted = {f"email-{r.pk}": r.email for r in held.recipients.filter(user=None, removed_at=None)}
    response = sw_client.post(url + "distribution/", {**posted, f"email-{gp.pk}": ATTACKER}, follow=True)
    page = response.content.decode()
    assert "The email address of GP (Invented Surgery) changed: they are sent nothing until the chair" in page
    gp.refresh_from_db()
    assert (gp.sends, gp.choose_again) == (Sends.NONE, True)
    # A social worker cannot choose for them (server-side: the chair's act).
    chose = sw_client.post(url + "distribution/", {**posted, f"email-{gp.pk}": ATTACKER, f"sends-{gp.pk}": "full"})
    assert chose.status_code == 302  # the field is not even read from a social worker
    gp.refresh_from_db()
    assert gp.sends == Sends.NONE

    chair_page = tm_client.get(url).content.decode()
    banner = re.search(r'<div class="govuk-notification-banner"[^>]*id="choose-again">(.*?)</ul>', chair_page, re.S)
    assert banner is not None
    assert "Choose again what 1 recipient is sent" in banner.group(1)
    assert f"GP (Invented Surgery), now {ATTACKER}" in banner.group(1)
    assert "Address changed: chair to choose again" in chair_page

    chair_rows = {f"email-{r.pk}": r.email for r in held.recipients.filter(user=None, removed_at=None)}
    choices = {f"sends-{r.pk}": r.sends for r in held.recipients.filter(removed_at=None)}
    tm_client.post(url + "distribution/", {**chair_rows, **choices, f"sends-{gp.pk}": "full"})
    gp.refresh_from_db()
    assert (gp.sends, gp.choose_again) == (Sends.FULL, False)
    assert 'id="choose-again"' not in tm_client.get(url).content.decode()
