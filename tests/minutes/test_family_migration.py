"""The migration that retires the family version of the minutes, run on PostgreSQL with rows made before it:
in-date unused family links withdrawn, a family member's "family version" choice turned to nothing (in history),
and the rule "a family member gets the family summary or nothing" in the database afterwards."""

import datetime as dt
import hashlib

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.db_roles import grant_app_role
from minutes import legacy
from minutes.models import Circulation, Kind, Recipient, Source
from tests.db_roles import as_owner
from tests.minutes.conftest import AFTER

BEFORE = [("minutes", "0003_family_summary")]


def migrate(targets) -> None:
    with as_owner() as owner:  # migrations run as the owner; the test's rows are made as the app's role
        MigrationExecutor(owner).migrate(targets)  # its loader has read the graph
        grant_app_role(owner, settings.DATABASE_APP_ROLE)  # tables made again (the draft PDFs'): their rights too


def latest() -> list[tuple[str, str]]:
    """Every app's latest migration (going back in minutes may undo an app above it too)."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_migration_withdraws_in_date_family_links_and_keeps_what_was_sent(world, held):
    from minutes import services
    from tests.minutes.conftest import minutes_checker

    version = services.minutes_approve(acting_user=world["tm"], checker=minutes_checker(world["tm"], held), now=AFTER)
    migrate(BEFORE)
    try:
        # As it was before: a parent chosen to get the family version, and a link to it emailed, still in date.
        # The models as they were then (later migrations add columns the table does not have yet).
        then = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        parent = then.get_model("minutes", "Recipient").objects.create(
            discussion_id=held.pk,
            source=Source.FAMILY,
            name="Invented Parent",
            email="mum@example.org",
            sends="family",
            added_by_id=world["tm"].pk,
        )
        sent_at = timezone.now() - dt.timedelta(days=1)
        link = then.get_model("minutes", "Circulation").objects.create(
            recipient_id=parent.pk,
            version_id=version.pk,
            kind=Kind.FAMILY,
            sent_at=sent_at,
            sent_by_id=world["admin"].pk,
            emailed_at=sent_at,
            token_hash=hashlib.sha256(b"invented").hexdigest(),
            expires_at=timezone.now() + dt.timedelta(days=13),
        )
    finally:
        migrate(latest())
    parent, link = Recipient.objects.get(pk=parent.pk), Circulation.objects.get(pk=link.pk)
    assert link.withdrawn_at is not None and link.withdrawn_reason == legacy.WITHDRAWN_REASON
    assert (link.kind, link.sent_at, link.recipient_id) == (Kind.FAMILY, sent_at, parent.pk)
    assert parent.sends == "none"
    assert parent.history.first().history_change_reason == legacy.RECIPIENT_REASON
    with pytest.raises(IntegrityError), transaction.atomic():
        Recipient.objects.filter(pk=parent.pk).update(sends="full")
