"""Domain events: how a lower app tells the apps above it what happened, without importing them.

Apps depend one way (tests/test_layers.py): strategy may not call minutes. When something a lower app does must be
followed by a write in an upper app (the meeting ended, so the minutes' distribution list is built), the lower app
announces an event here, and the upper app subscribes a handler at start-up (its `AppConfig.ready`). Handlers run
at once, in the announcing service's transaction: if one fails, the whole user action is undone, and a handler
never sees a half-done state. Not Django signals: every event, and every handler of it, is listed below, and
`tests/core/test_events.py` checks that what subscribed at start-up is exactly this list.

An event carries primary keys (and the moment, when it matters), not model instances: core knows no app's
models, and a handler loads (and locks) what it needs itself.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction


@dataclass(frozen=True)
class Event:
    """Something that happened, announced by the service that did it, which `acting_user` called."""

    acting_user: Any  # agencies.User (core sits below agencies)


@dataclass(frozen=True)
class MeetingEnded(Event):
    """strategy.services.discussion_end: the chair ended the meeting of this discussion (once), at `now`."""

    discussion_pk: int
    now: dt.datetime


@dataclass(frozen=True)
class InviteeNamed(Event):
    """strategy.services.attendance_save / invitation_attend: a user was named on an invitation (who attended for
    an agency), during the meeting or, by the chair, after it ended."""

    discussion_pk: int
    invitation_pk: int
    person_pk: int


# Every event and its handlers, by dotted name, in the order they run. The one place to read who reacts to what.
# The README's "How the code is laid out" repeats it in words.
LISTENERS: dict[type[Event], tuple[str, ...]] = {
    # The minutes' distribution list is built from the record once the meeting is over (DOMAIN section 6).
    MeetingEnded: ("minutes.services.on_meeting_ended",),
    # An invitee on the list is sent to the account of the person named since (their address, their sign-in).
    InviteeNamed: ("minutes.services.on_invitee_named",),
}

Handler = Callable[[Any], None]
_subscribed: dict[type[Event], list[Handler]] = {}


def handler_name(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def subscribe(event_type: type[Event], handler: Handler) -> None:
    """Called from an app's `ready()`. Refuses a handler that LISTENERS does not name, so the list stays whole."""
    name = handler_name(handler)
    if name not in LISTENERS.get(event_type, ()):
        raise LookupError(f"{name} is not listed for {event_type.__name__} in core.events.LISTENERS: add it there")
    handlers = _subscribed.setdefault(event_type, [])
    if name not in {handler_name(h) for h in handlers}:
        handlers.append(handler)
        handlers.sort(key=lambda h: LISTENERS[event_type].index(handler_name(h)))


def subscribed() -> dict[type[Event], tuple[str, ...]]:
    """What subscribed at start-up, by event (for the test that compares it with LISTENERS)."""
    return {event_type: tuple(handler_name(h) for h in handlers) for event_type, handlers in _subscribed.items()}


def announce(event: Event) -> None:
    """Run every handler of the event now, inside the caller's transaction (refused outside one)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{type(event).__name__} is announced inside the service's transaction.atomic()")
    for handler in _subscribed.get(type(event), ()):
        handler(event)
