"""Retiring the family version of the minutes (issue 24): it gave the family what the meeting had not decided to
tell them. The family summary replaces it.

Nothing that was circulated is rewritten: the stored PDFs and the circulation rows stay. What changes:
* an emailed link to a family version, not yet used and still in date, is withdrawn (who, when, why), so it
  gives nothing and says it was withdrawn;
* a recipient whose chosen version was the family version is sent nothing until the chair chooses the family
  summary (the new choice), with the reason in the recipient's history.

The migration `minutes.0004_family_withdrawn` runs this with its historical models; tests run it with the real
ones. It takes the models as arguments so both can.
"""

import datetime as dt
from typing import Any

WITHDRAWN_REASON = (
    "The family version of the minutes is withdrawn: it could hold what the family must not be told. "
    "The family now get a family summary of what the discussion decided to tell them."
)
RECIPIENT_REASON = "Family version withdrawn: the chair chooses the family summary"


def withdraw_family_versions(
    *, circulation_model: Any, recipient_model: Any, historical_recipient_model: Any, now: dt.datetime, by: Any = None
) -> tuple[int, int]:
    """Withdraw the family version's unused links still in date, and send its recipients nothing for now.

    Returns (links withdrawn, recipients changed).
    """
    links = circulation_model.objects.filter(
        kind="family", token_hash__isnull=False, used_at=None, withdrawn_at=None, expires_at__gt=now
    ).update(withdrawn_at=now, withdrawn_by=by, withdrawn_reason=WITHDRAWN_REASON)
    changed = 0
    for recipient in recipient_model.objects.filter(sends="family"):
        recipient.sends = "none"
        recipient.save(update_fields=["sends"])
        fields = {f.attname: getattr(recipient, f.attname) for f in recipient_model._meta.concrete_fields}
        historical_recipient_model.objects.create(
            **fields,
            history_date=now,
            history_type="~",
            history_user_id=getattr(by, "pk", None),
            history_change_reason=RECIPIENT_REASON,
        )
        changed += 1
    return links, changed
