"""The domain events of core/events.py: one list of who listens to what, matched by what subscribed at start-up;
handlers run inside the announcing service's transaction."""

import pytest
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction

from core import events


def test_what_subscribed_at_start_up_is_exactly_the_list():
    assert events.subscribed() == {event: names for event, names in events.LISTENERS.items() if names}


def test_every_listed_handler_is_a_function_of_an_app_above_core():
    from importlib import import_module

    for names in events.LISTENERS.values():
        for name in names:
            module, _, function = name.rpartition(".")
            assert callable(getattr(import_module(module), function)), name


def test_a_handler_not_on_the_list_is_refused():
    def somewhere_else(event):  # pragma: no cover (never subscribed)
        raise AssertionError

    with pytest.raises(LookupError, match="not listed for MeetingEnded"):
        events.subscribe(events.MeetingEnded, somewhere_else)


def test_an_event_is_announced_only_inside_a_transaction(db):
    event = events.InviteeNamed(acting_user=None, discussion_pk=0, invitation_pk=0, person_pk=0)
    with transaction.atomic(), pytest.raises(ObjectDoesNotExist):
        events.announce(event)  # inside one: minutes' handler runs (and finds no such person)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_announcing_is_refused():
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        events.announce(events.InviteeNamed(acting_user=None, discussion_pk=0, invitation_pk=0, person_pk=0))


def test_events_are_frozen():
    event = events.InviteeNamed(acting_user=None, discussion_pk=1, invitation_pk=2, person_pk=3)
    with pytest.raises(AttributeError):
        event.person_pk = 4  # type: ignore[misc]
