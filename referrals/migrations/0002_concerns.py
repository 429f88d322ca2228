from django.db import migrations

CONCERN_CODES = [
    "physical",
    "sexual",
    "emotional",
    "neglect",
    "cse",
    "cce",
    "fgm",
    "honour_based",
    "fii",
    "organised",
    "position_of_trust",
    "extra_familial",
    "unborn",
    "non_mobile_injury",
]


def create_concerns(apps, schema_editor):
    concern_model = apps.get_model("referrals", "Concern")
    for code in CONCERN_CODES:
        concern_model.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(create_concerns, migrations.RunPython.noop)]
