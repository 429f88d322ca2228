"""People who are users get links to their account, never anonymous links (issue 25, item 4, the minutes side).

The distribution list takes an attendee's email address from their account (nobody types it); an address typed
for someone who turns out to be a user sends them to their account; only people who are not users get a
single-use link, to the address a person entered.
"""

import re

import pytest
from django.urls import reverse

from core.history import record
from minutes import services
from minutes.forms import DistributionForm
from minutes.models import Circulation, Sends, Source
from strategy import services as strategy_services
from tests import builders
from tests.minutes.conftest import AFTER, minutes_checker

pytestmark = pytest.mark.django_db

LINK = re.compile(r"(https?://\S+)")


def _users_have_addresses(world) -> None:
    for name in ("sw", "tm", "hos", "police", "health", "admin"):
        world[name].email = f"{name}@example.org"
        world[name].save()


def _approve_and_circulate(world, discussion, django_capture_on_commit_callbacks):
    services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], discussion), now=AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        return services.minutes_circulate(
            acting_user=world["admin"], checker=minutes_checker(world["admin"], discussion), now=AFTER
        )


def test_an_attendee_named_after_the_list_was_built_is_sent_to_their_account_with_its_address(world, held):
    """The chair names who attended after the meeting ended (strategy announces InviteeNamed): the line of the
    distribution list, built at the end with nobody named, is sent to their account from then on."""
    _users_have_addresses(world)
    invitation = held.invitations.get(agency=world["police_agency"])
    police_row = held.recipients.get(invitation=invitation)
    # As if the line had named nobody when the meeting ended, and the list was built so.
    invitation.person, invitation.contact_name = None, ""
    record(invitation, world["tm"], "Test: nobody named yet")
    invitation.save()
    police_row.user, police_row.name = None, "Named contact"
    record(police_row, world["tm"], "Test: built with nobody named")
    police_row.save()

    strategy_services.attendance_save(
        acting_user=world["tm"],
        checker=builders.checker(world["tm"], held),
        rows={},
        names={invitation.pk: (world["police"], "")},
        version=None,
    )

    rows = services.recipients(held)
    police_row = next(r for r in rows if r.invitation_id == invitation.pk)
    assert police_row.user == world["police"] and police_row.name == str(world["police"])
    assert police_row.history.first().history_change_reason == "Named at the meeting: sent to their account"
    form = DistributionForm(recipients=rows, chair=True)
    assert f"email-{police_row.pk}" not in form.fields  # the address comes from the account, never typed


def test_an_address_typed_for_a_user_sends_them_to_their_account_not_an_anonymous_link(
    world, held, mailoutbox, django_capture_on_commit_callbacks
):
    _users_have_addresses(world)
    rows = services.recipients(held)
    services.distribution_save(  # only the users on the list this time
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], held),
        emails={},
        choices={r.pk: Sends.NONE for r in rows if not r.user_id},
    )
    added = services.recipient_add(
        acting_user=world["tm"],
        checker=minutes_checker(world["tm"], held),
        data=services.RecipientInput(
            name="Invented Officer",
            role="Police officer",
            organisation="Invented Police",
            email="POLICE@example.org",  # the police officer's account, typed as business support guessed it
            family=False,
            sends=Sends.FULL,
        ),
    )
    assert added.user == world["police"]
    sent = _approve_and_circulate(world, held, django_capture_on_commit_callbacks)
    circulation = next(c for c in sent if c.recipient_id == added.pk)
    assert circulation.token_hash is None and circulation.expires_at is None
    messages = [m for m in mailoutbox if m.to == ["police@example.org"]]
    assert len(messages) == 2  # as the invitee and as the row typed: both to the account
    for message in messages:
        link = LINK.search(message.body).group(1)
        assert link.endswith(reverse("minutes:minutes", args=[held.pk])) and "/minutes/link/" not in message.body
        assert "Sign in to read them." in message.body


def test_a_row_typed_before_is_sent_to_the_account_when_circulated_and_a_non_user_keeps_a_single_use_link(
    world, held, mailoutbox, django_capture_on_commit_callbacks
):
    _users_have_addresses(world)
    gp = held.recipients.get(source=Source.GP)
    # As typed before this change, straight onto the row: a user's address on a row with no user.
    gp.email = "hos@example.org"
    record(gp, world["admin"], "Test: typed before users were recognised")
    gp.save()
    school = held.recipients.get(source=Source.EDUCATION)
    services.distribution_save(
        acting_user=world["admin"],
        checker=minutes_checker(world["admin"], held),
        emails={school.pk: "dsl@school.example.org"},
    )
    nurse = held.recipients.get(source=Source.HEALTH)
    services.distribution_save(
        acting_user=world["tm"], checker=minutes_checker(world["tm"], held), emails={}, choices={nurse.pk: Sends.NONE}
    )
    sent = {c.recipient_id: c for c in _approve_and_circulate(world, held, django_capture_on_commit_callbacks)}
    gp.refresh_from_db()
    assert gp.user == world["hos"] and sent[gp.pk].token_hash is None
    assert sent[school.pk].token_hash and sent[school.pk].expires_at  # not a user: a single-use link
    school_mail = next(m for m in mailoutbox if m.to == ["dsl@school.example.org"])
    assert "/minutes/link/" in school_mail.body
    assert Circulation.objects.filter(recipient__user__isnull=False, token_hash__isnull=False).count() == 0
