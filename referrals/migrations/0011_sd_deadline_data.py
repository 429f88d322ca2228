"""Point each existing referral at its strategy discussion deadline (until now: exactly one per referral)."""

from django.db import migrations


def point(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    Deadline = apps.get_model("referrals", "Deadline")
    sd_rules = ["SD_SAME_DAY", "SD_IMMEDIATE_ACTION", "SD_STANDARD", "SD_COMPLEX"]
    for referral_id, deadline_id in (
        Deadline.objects.filter(rule__in=sd_rules, child=None).order_by("referral_id", "pk").values_list("referral_id", "pk")
    ):
        Referral.objects.filter(pk=referral_id, sd_deadline=None).update(sd_deadline_id=deadline_id)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0010_invited_access")]
    operations = [migrations.RunPython(point, migrations.RunPython.noop)]
