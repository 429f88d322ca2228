from django.db import migrations

ROLE_CODES = [
    "social_worker",
    "team_manager",
    "head_of_service",
    "police_officer",
    "health_practitioner",
    "education_dsl",
    "other_practitioner",
    "business_support",
    "partnership_analyst",
]


def create_roles(apps, schema_editor):
    role_model = apps.get_model("agencies", "Role")
    for code in ROLE_CODES:
        role_model.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("agencies", "0001_initial")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
