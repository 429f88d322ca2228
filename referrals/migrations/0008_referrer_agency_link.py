from django.db import migrations


class Migration(migrations.Migration):
    """The referrer's agency is now a link to one of the partnership's agencies (the text went to 0007)."""

    dependencies = [("referrals", "0007_case_ready_data")]

    operations = [
        migrations.RemoveField(model_name="referral", name="referrer_agency"),
        migrations.RemoveField(model_name="historicalreferral", name="referrer_agency"),
        migrations.RenameField(model_name="referral", old_name="referrer_agency_link", new_name="referrer_agency"),
        migrations.RenameField(
            model_name="historicalreferral", old_name="referrer_agency_link", new_name="referrer_agency"
        ),
    ]
