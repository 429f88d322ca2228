"""The action plan as agreed at the meeting (issue 25): a field frozen when the meeting ends.

Actions of meetings that ended before this field existed get it from their own history: the action as it
stood when its meeting ended (the last historical row at or before the end), or as first recorded when it
was added to the record after the meeting. Written with update(): it is read from the history already kept.
"""

from django.db import migrations, models


def _name(user) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.username


def backfill(apps, schema_editor) -> None:
    Action = apps.get_model("actions", "Action")
    HistoricalAction = apps.get_model("actions", "HistoricalAction")
    User = apps.get_model("agencies", "User")
    Agency = apps.get_model("agencies", "Agency")
    ended = Action.objects.filter(agreed__isnull=True, discussion__ended_at__isnull=False).select_related("discussion")
    for action in ended.iterator():
        rows = HistoricalAction.objects.filter(id=action.pk).order_by("history_date", "history_id")
        row = rows.filter(history_date__lte=action.discussion.ended_at).last() or rows.first() or action
        person = User.objects.filter(pk=row.person_id).first() if row.person_id else None
        agreed = {
            "what": row.what,
            "measure": row.measure,
            "lead_agency": Agency.objects.get(pk=row.lead_agency_id).name,
            "person": _name(person) if person else row.contact_name,
            "due_at": row.due_at.isoformat(),
            "status": row.status,
        }
        Action.objects.filter(pk=action.pk).update(agreed=agreed)


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0007_list_indexes_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="action",
            name="agreed",
            field=models.JSONField(
                blank=True,
                editable=False,
                help_text="See `actions.services.agreed`.",
                null=True,
                verbose_name="as agreed at the meeting",
            ),
        ),
        migrations.AddField(
            model_name="historicalaction",
            name="agreed",
            field=models.JSONField(
                blank=True,
                editable=False,
                help_text="See `actions.services.agreed`.",
                null=True,
                verbose_name="as agreed at the meeting",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
