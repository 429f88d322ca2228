"""Existing rows made ready: references per partnership, referrer agencies as links, deadlines with state and owner."""

import datetime as dt

from django.db import migrations

from core.timescales import Calendar, due_soon_at, escalation_at

SD_RULES = ("SD_SAME_DAY", "SD_IMMEDIATE_ACTION", "SD_STANDARD", "SD_COMPLEX")


def forwards(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    Deadline = apps.get_model("referrals", "Deadline")
    Agency = apps.get_model("agencies", "Agency")
    Counter = apps.get_model("referrals", "ReferenceCounter")
    Partnership = apps.get_model("agencies", "Partnership")

    counters: dict[tuple[int, int], int] = {}
    for referral in Referral.objects.order_by("pk").iterator():
        partnership = Partnership.objects.get(pk=referral.partnership_id)
        year = referral.created_at.year
        key = (referral.partnership_id, year)
        counters[key] = counters.get(key, 0) + 1
        referral.reference = f"{partnership.reference_prefix}-{year}-{counters[key]:05d}"
        agency = Agency.objects.filter(
            partnership_id=referral.partnership_id, name__iexact=referral.referrer_agency.strip()
        ).first()
        if agency is not None:
            referral.referrer_agency_link = agency
        else:
            referral.referrer_organisation = referral.referrer_agency
        referral.allocated_social_worker_id = referral.created_by_id
        if referral.status == "closed":
            referral.closed_at = referral.updated_at
        referral.save()
    for (partnership_id, year), last in counters.items():
        Counter.objects.create(partnership_id=partnership_id, year=year, last_number=last)

    for deadline in Deadline.objects.select_related("referral", "referral__created_by").iterator():
        referral = deadline.referral
        partnership = Partnership.objects.get(pk=referral.partnership_id)
        calendar = Calendar(
            jurisdiction=partnership.jurisdiction,
            end_of_day=partnership.end_of_working_day,
            standard_days=partnership.standard_sd_days,
            closure_days=frozenset(
                apps.get_model("agencies", "ClosureDay")
                .objects.filter(partnership_id=partnership.pk)
                .values_list("date", flat=True)
            ),
        )
        deadline.partnership_id = partnership.pk
        deadline.due_soon_at = due_soon_at(deadline.starts_at, deadline.due_at, partnership.due_soon_percent / 100)
        deadline.escalate_at = escalation_at(deadline.due_at, calendar)
        deadline.responsible_id = referral.created_by_id
        deadline.agency_id = referral.created_by.agency_id
        if deadline.met_at is not None:
            deadline.state = "met"
            deadline.met_by = "Strategy discussion held" if deadline.rule in SD_RULES else "Met"
        elif referral.status == "closed":
            deadline.state = "stopped"
            deadline.stopped_at = referral.updated_at
            deadline.stop_reason = "Case closed"
        deadline.save()

    references = dict(Referral.objects.values_list("pk", "reference"))
    for row in apps.get_model("referrals", "HistoricalReferral").objects.filter(reference=None).iterator():
        row.reference = references.get(row.id, "")
        row.save()

    # Older versions in the history table: the moments as they would have been stored then.
    History = apps.get_model("referrals", "HistoricalDeadline")
    for row in History.objects.filter(due_soon_at=None).iterator():
        partnership_id = Referral.objects.filter(pk=row.referral_id).values_list("partnership_id", flat=True).first()
        row.partnership_id = partnership_id
        row.due_soon_at = due_soon_at(row.starts_at, row.due_at)
        row.escalate_at = escalation_at(row.due_at)
        row.state = "met" if row.met_at else "open"
        row.save()


class Migration(migrations.Migration):
    dependencies = [("referrals", "0006_case_ready")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
