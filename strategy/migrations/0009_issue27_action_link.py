"""The link from an action to the discussion that agreed it moves up into strategy (issue 27).

`actions.Action.discussion` named a model of the app above it. Each existing action gets its link row here, with a
"created" history row as of the action's own creation (by whoever agreed it); actions' migration
`issue27_drop_action_discussion` then drops the old column, and, reversed, fills it back from these rows before
this migration's reverse removes them. Through the ORM in batches: `make run` migrates SQLite too.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

REASON = "Carried over from the action (issue 27)"
BATCH = 2000


def carry_over(apps, schema_editor) -> None:
    Action = apps.get_model("actions", "Action")
    DiscussionAction = apps.get_model("strategy", "DiscussionAction")
    HistoricalDiscussionAction = apps.get_model("strategy", "HistoricalDiscussionAction")
    rows = Action.objects.order_by("pk").values_list("pk", "discussion_id", "created_at", "created_by_id")
    batch: list = []
    for row in rows.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            _link(DiscussionAction, HistoricalDiscussionAction, batch)
            batch = []
    _link(DiscussionAction, HistoricalDiscussionAction, batch)


def _link(DiscussionAction, HistoricalDiscussionAction, batch) -> None:
    DiscussionAction.objects.bulk_create(
        [DiscussionAction(action_id=action, discussion_id=discussion) for action, discussion, _at, _by in batch]
    )
    HistoricalDiscussionAction.objects.bulk_create(
        [
            HistoricalDiscussionAction(
                action_id=action,
                discussion_id=discussion,
                history_date=at,
                history_user_id=by,
                history_type="+",
                history_change_reason=REASON,
            )
            for action, discussion, at, by in batch
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0008_issue25_minutes"),
        ("strategy", "0008_issue25_queues_history"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DiscussionAction",
            fields=[
                (
                    "action",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="agreed_in",
                        serialize=False,
                        to="actions.action",
                    ),
                ),
                (
                    "discussion",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="strategy.discussion"
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="discussion",
            name="agreed_actions",
            field=models.ManyToManyField(related_name="+", through="strategy.DiscussionAction", to="actions.action"),
        ),
        migrations.CreateModel(
            name="HistoricalDiscussionAction",
            fields=[
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "action",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="actions.action",
                    ),
                ),
                (
                    "discussion",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="strategy.discussion",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical discussion action",
                "verbose_name_plural": "historical discussion actions",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        # Reversed: nothing to do here; the rows go with the table (the column was filled back, if dropped, by
        # actions' issue27_drop_action_discussion reversed first).
        migrations.RunPython(carry_over, migrations.RunPython.noop),
    ]
