"""An action no longer names the discussion that agreed it (issue 27): the link is strategy's now.

strategy's `issue27_action_link` has carried every action's discussion into `strategy.DiscussionAction` before this
drops the column (and its copy in history). Reversed, the column comes back empty and nullable, is filled from
those link rows (in history too), and only then is required again.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_back(apps, schema_editor) -> None:
    DiscussionAction = apps.get_model("strategy", "DiscussionAction")
    for model, key in [("Action", "pk"), ("HistoricalAction", "id")]:
        link = DiscussionAction.objects.filter(action_id=OuterRef(key)).values("discussion_id")[:1]
        apps.get_model("actions", model).objects.update(discussion_id=Subquery(link))


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0008_issue25_minutes"),
        # Every action's link made before the column goes.
        ("strategy", "0009_issue27_action_link"),
    ]

    operations = [
        migrations.AlterField(
            model_name="action",
            name="discussion",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="actions",
                to="strategy.discussion",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, fill_back),
        migrations.RemoveField(
            model_name="action",
            name="discussion",
        ),
        migrations.RemoveField(
            model_name="historicalaction",
            name="discussion",
        ),
    ]
