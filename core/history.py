"""Who made a change and why, for django-simple-history, from every writer (pages, admin, commands, tasks)."""

from typing import Any

from django.db import models
from simple_history import models as simple_history_models
from simple_history.signals import post_create_historical_m2m_records, pre_create_historical_m2m_records


def record(instance: models.Model, acting_user: Any, reason: str) -> None:
    """The user and change reason simple-history stores with the next save of `instance`.

    Without the user, a change made outside a request (a command, a Celery task) would be
    recorded as made by nobody.
    """
    instance._history_user = acting_user  # type: ignore[attr-defined]
    # simple-history keeps at most 100 characters of a reason; a longer one (a user's words) is cut, never refused.
    instance._change_reason = reason if len(reason) <= 100 else reason[:99] + "…"  # type: ignore[attr-defined]


class HistoricalRecords(simple_history_models.HistoricalRecords):
    """simple-history's, writing each many-to-many snapshot from one narrow query.

    For every history row of a model with `m2m_fields`, the library reads the history row's instance back (one
    query more for a model with excluded fields, e.g. a user's password) and reads the through rows joined to both
    of their sides, only to copy their keys. Here the through rows' own columns are read, and the snapshot rows are
    the same: one row per link, with the link's id and both keys, inserted in one statement, with the library's
    signals sent as it sends them.
    """

    def create_historical_record_m2ms(self, history_instance: Any, instance: models.Model) -> None:
        for field in history_instance._history_m2m_fields:
            m2m_history_model = self.m2m_models[field]
            through = field.remote_field.through
            columns = [column.attname for column in through._meta.fields]
            links = through._default_manager.filter(**{field.m2m_field_name(): instance}).values(*columns)
            rows = [m2m_history_model(history=history_instance, **link) for link in links]
            pre_create_historical_m2m_records.send(
                sender=m2m_history_model, rows=rows, history_instance=history_instance, instance=instance, field=field
            )
            created = m2m_history_model.objects.bulk_create(rows)
            post_create_historical_m2m_records.send(
                sender=m2m_history_model,
                created_rows=created,
                history_instance=history_instance,
                instance=instance,
                field=field,
            )
