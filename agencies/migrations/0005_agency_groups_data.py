"""Give every agency its group and put each active member in it (invitations grant case access to it)."""

from django.db import migrations


def groups(apps, schema_editor):
    Agency = apps.get_model("agencies", "Agency")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("agencies", "User")
    for agency in Agency.objects.filter(group=None):
        agency.group = Group.objects.create(name=f"agency-{agency.pk}")
        agency.save(update_fields=["group"])
        for user in User.objects.filter(agency=agency, is_active=True):
            user.groups.add(agency.group)


class Migration(migrations.Migration):
    dependencies = [("agencies", "0004_agency_group"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(groups, migrations.RunPython.noop)]
