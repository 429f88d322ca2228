"""The rules a referral and the people on it must follow, whoever writes them.

Pure functions of the data and the moment: the services call them, so a page, the admin,
a command, the demo data, a Celery task or a future API all get the same answer. Each
returns the errors it found as {field: message}; the services raise them together, and the
pages show them in the GOV.UK error summary.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from core.timescales import to_local
from referrals.models import ConcernCategory, PersonKind, Urgency, years_of_age

Errors = dict[str, str]

# DOMAIN section 3: an agency's immediate protective action means a discussion within 1 working day.
SLOWER_THAN_IMMEDIATE = (Urgency.STANDARD, Urgency.COMPLEX)
RECEIVED_WITHIN = dt.timedelta(days=366)
UNBORN_EXPECTED_FROM = dt.timedelta(days=31)
UNBORN_EXPECTED_TO = dt.timedelta(days=300)
NON_MOBILE_AGE = dt.timedelta(days=183)  # six months
PHYSICAL_HARM = (ConcernCategory.PHYSICAL, ConcernCategory.NON_MOBILE_INJURY)

RECEIVED_IN_FUTURE = "The date and time received must be in the past"
BORN_IN_FUTURE = "Date of birth must be today or in the past; for an unborn child tick unborn"


def check_received_at(received_at: dt.datetime | None, *, now: dt.datetime) -> Errors:
    """Received in the past, and within the last 12 months (a wrong year is the usual slip)."""
    if received_at is None:
        return {"received_at": "Enter the date and time the referral was received"}
    if received_at > now:
        return {"received_at": RECEIVED_IN_FUTURE}
    if received_at < now - RECEIVED_WITHIN:
        return {"received_at": "The date received must be within the last 12 months: check the year"}
    return {}


def check_immediate_action(data: Mapping[str, Any]) -> Errors:
    """Immediate protective action and the urgency agree (DOMAIN section 3, SD_IMMEDIATE_ACTION)."""
    errors: Errors = {}
    urgency = data.get("urgency")
    if data.get("immediate_action_taken"):
        if not data.get("immediate_action_agency"):
            errors["immediate_action_agency"] = "Select the agency that took immediate protective action"
        if not str(data.get("immediate_action_details") or "").strip():
            errors["immediate_action_details"] = "Describe the immediate protective action taken"
        if urgency in SLOWER_THAN_IMMEDIATE:
            errors["urgency"] = (
                "An agency has taken immediate protective action, so the strategy discussion is due within "
                "1 working day: select that urgency, or a same-day one"
            )
    elif urgency == Urgency.IMMEDIATE_ACTION:
        errors["immediate_action_taken"] = (
            "Tick that an agency has taken immediate protective action, and say which agency and what it did"
        )
    return errors


def nhs_number_is_valid(number: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine (NHS Data Dictionary)."""
    if len(number) != 10 or not number.isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(number[9])


def normalise_nhs_number(value: str) -> str:
    """An NHS number as stored: digits only (people type it as 943 476 5919 or 943-476-5919)."""
    return "".join(ch for ch in value if ch not in " -")


def check_person(data: Mapping[str, Any], *, kind: str, today: dt.date) -> Errors:
    """One person's data (DOMAIN section 4, People); `today` is the London date of the change."""
    errors: Errors = {}
    who = {"child": "child", "household": "household member"}.get(str(kind), "person")
    born, unborn, expected = data.get("date_of_birth"), data.get("unborn"), data.get("expected_date")
    if not str(data.get("last_name") or "").strip():
        errors["last_name"] = f"Enter the {who}'s last name"
    if not str(data.get("first_name") or "").strip() and not unborn:
        errors["first_name"] = f"Enter the {who}'s first name"
    if unborn and kind != PersonKind.CHILD:
        errors["unborn"] = "Only a child on the referral can be unborn"
    elif unborn:
        if born:
            errors["date_of_birth"] = "An unborn child has no date of birth: clear it, or untick unborn"
        if not expected:
            errors["expected_date"] = "Enter the expected date of birth of the unborn child"
        elif not today - UNBORN_EXPECTED_FROM <= expected <= today + UNBORN_EXPECTED_TO:
            errors["expected_date"] = (
                "Expected date of birth must be within the next 10 months; if the baby has been born, "
                "untick unborn and give the date of birth"
            )
    else:
        if born and born > today:
            errors["date_of_birth"] = BORN_IN_FUTURE
        elif born and kind == PersonKind.CHILD and years_of_age(born, today) >= 18:
            errors["date_of_birth"] = (
                "A child must be under 18: check the year, or add this person as a household member"
            )
        elif born and born.year < 1900:
            errors["date_of_birth"] = "Date of birth must be after 1 January 1900: check the year"
        if expected:
            errors["expected_date"] = "Give an expected date of birth only for an unborn child"
    nhs_number = str(data.get("nhs_number") or "")
    if nhs_number and not nhs_number_is_valid(nhs_number):
        errors["nhs_number"] = "Enter a valid NHS number: 10 digits, for example 999 000 0018"
    if data.get("in_hospital") is False and data.get("hospital"):
        errors["hospital"] = "Give the hospital and ward only for a child who is in hospital"
    return errors


def is_possibly_non_mobile(child: Mapping[str, Any], *, today: dt.date) -> bool:
    """Under six months old by date of birth, or recorded as not yet mobile (DOMAIN section 4)."""
    born = child.get("date_of_birth")
    return bool(child.get("not_yet_mobile")) or (born is not None and today - born < NON_MOBILE_AGE)


def asks_non_mobile_question(concerns: Iterable[str], children: Iterable[Mapping[str, Any]], *, today: dt.date) -> bool:
    """Whether the referral must answer "Is this an injury to a non-mobile infant?" (DOMAIN section 4)."""
    return any(c in PHYSICAL_HARM for c in concerns) and any(
        is_possibly_non_mobile(child, today=today) for child in children if not child.get("unborn")
    )


def check_non_mobile_answer(
    answer: bool | None, concerns: Iterable[str], children: Iterable[Mapping[str, Any]], *, now: dt.datetime
) -> Errors:
    if answer is None and asks_non_mobile_question(concerns, children, today=to_local(now).date()):
        return {
            "non_mobile_infant_injury": "A child is under six months old or not yet mobile and the concern is "
            "physical harm: answer whether this is an injury to a non-mobile infant"
        }
    return {}


# DOMAIN section 3, SD_SAME_DAY: serious injury, or sexual abuse where forensic evidence may be lost.
SAME_DAY_CONCERNS = {
    ConcernCategory.SEXUAL: "sexual abuse, where forensic evidence may be lost",
    ConcernCategory.NON_MOBILE_INJURY: "an injury to a non-mobile infant",
}
SAME_DAY_URGENCIES = (Urgency.SERIOUS_RISK, Urgency.FORENSIC)


def same_day_concerns(concerns: Iterable[str], *, non_mobile_injury: bool | None = None) -> list[str]:
    """What about the concern calls for a same-day discussion, in words (empty when nothing does).

    Sexual abuse (forensic evidence may be lost) and an injury to a non-mobile infant (a serious injury
    by the age of the child) do; other physical harm is too wide a category to presume it serious.
    """
    found = [words for code, words in SAME_DAY_CONCERNS.items() if code in set(concerns)]
    if non_mobile_injury and SAME_DAY_CONCERNS[ConcernCategory.NON_MOBILE_INJURY] not in found:
        found.append(SAME_DAY_CONCERNS[ConcernCategory.NON_MOBILE_INJURY])
    return found


def proposed_urgency(concerns: Iterable[str], *, non_mobile_injury: bool | None = None) -> str | None:
    """The same-day urgency the forms pre-select for such a concern (None: nothing to propose)."""
    codes = set(concerns)
    if ConcernCategory.SEXUAL in codes:
        return Urgency.FORENSIC
    if same_day_concerns(codes, non_mobile_injury=non_mobile_injury):
        return Urgency.SERIOUS_RISK
    return None


def check_urgency_against_concern(
    urgency: str | None, reason: str, concerns: Iterable[str], *, non_mobile_injury: bool | None = None
) -> Errors:
    """A longer timescale than same day for a concern that calls for same day needs the reason (issue 24)."""
    found = same_day_concerns(concerns, non_mobile_injury=non_mobile_injury)
    if found and urgency and urgency not in SAME_DAY_URGENCIES and not reason.strip():
        return {
            "urgency_reason": f"The concern includes {' and '.join(found)}, so the discussion should be the same "
            "day: give the reason for a longer timescale, or select a same-day urgency"
        }
    return {}
