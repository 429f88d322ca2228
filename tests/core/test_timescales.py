"""The timescale engine against DOMAIN.md section 3.

Every expected moment below was counted by hand on the real 2025-2028 calendar (bank holidays
checked against gov.uk's lists as published by the holidays package) and is hard-coded: the
tests never recompute an answer with the engine's own logic.
"""

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
import time_machine

from core.timescales import (
    JURISDICTIONS,
    LONDON,
    RULE_DESCRIPTIONS,
    Calendar,
    Rule,
    add_working_days,
    bank_holidays,
    describe_time_left,
    due_at,
    due_soon_at,
    elapsed_hours,
    is_overdue,
    is_working_day,
    month_of,
    month_start,
    months_after,
    time_left,
    to_local,
    working_days_between,
)

EASTERN = timezone(timedelta(hours=-5))


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def case(rule: Rule, start: datetime, expected: str, case_id: str, **calendar: object):
    return pytest.param(rule, start, calendar, expected, id=case_id)


DOMAIN_WORKED_EXAMPLES = [
    case(Rule.SD_STANDARD, london(2026, 11, 23, 10), "2026-11-26T17:00:00+00:00", "domain-standard-mon"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 12, 24, 16, 30), "2026-12-29T17:00:00+00:00", "domain-christmas-eve"),
    case(
        Rule.SD_MISSING_CHILD,
        datetime(2026, 10, 24, 12, 0, tzinfo=timezone(timedelta(hours=1))),
        "2026-10-25T11:00:00+00:00",
        "domain-missing-child-clock-change",
    ),
]

WEEKENDS_AND_HOURS = [
    case(Rule.SD_STANDARD, london(2026, 11, 27, 10), "2026-12-02T17:00:00+00:00", "friday-receipt"),
    case(Rule.SD_STANDARD, london(2026, 11, 28, 9), "2026-12-02T17:00:00+00:00", "saturday-is-day-0"),
    case(Rule.SD_STANDARD, london(2026, 11, 29, 21), "2026-12-02T17:00:00+00:00", "sunday-is-day-0"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 11, 27, 16, 59), "2026-11-30T17:00:00+00:00", "friday-to-monday"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 11, 28, 10), "2026-11-30T17:00:00+00:00", "saturday-to-monday"),
    case(Rule.SD_STANDARD, london(2026, 11, 23, 23, 30), "2026-11-26T17:00:00+00:00", "received-23-30"),
    case(Rule.SD_STANDARD, london(2026, 11, 23, 6), "2026-11-26T17:00:00+00:00", "received-06-00"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 11, 23, 17, 30), "2026-11-24T17:00:00+00:00", "after-end-of-day"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 11, 23, 0, 0), "2026-11-24T17:00:00+00:00", "received-midnight"),
    case(Rule.SD_COMPLEX, london(2026, 11, 23, 10), "2026-11-30T17:00:00+00:00", "complex-mon"),
    case(Rule.SD_COMPLEX, london(2026, 11, 25, 10), "2026-12-02T17:00:00+00:00", "complex-wed-over-weekend"),
]

ENGLAND_BANK_HOLIDAYS = [
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 12, 31, 10), "2027-01-04T17:00:00+00:00", "new-year-friday"),
    case(Rule.SD_STANDARD, london(2026, 12, 30, 10), "2027-01-05T17:00:00+00:00", "standard-over-new-year"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2027, 12, 31, 10), "2028-01-04T17:00:00+00:00", "new-year-substitute-2028"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2025, 12, 24, 10), "2025-12-29T17:00:00+00:00", "christmas-weekdays-2025"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 12, 26, 10), "2026-12-29T17:00:00+00:00", "boxing-day-saturday"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2027, 12, 24, 10), "2027-12-29T17:00:00+00:00", "christmas-substitutes-2027"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 4, 2, 10), "2026-04-07T17:00:00+01:00", "good-friday-easter-monday"),
    case(Rule.SD_STANDARD, london(2026, 4, 2, 10), "2026-04-09T17:00:00+01:00", "standard-over-easter"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 4, 3, 10), "2026-04-07T17:00:00+01:00", "received-good-friday"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2027, 3, 25, 10), "2027-03-30T17:00:00+01:00", "easter-2027-after-bst"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 5, 1, 10), "2026-05-05T17:00:00+01:00", "early-may"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 5, 22, 10), "2026-05-26T17:00:00+01:00", "spring-bank-holiday"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 8, 28, 10), "2026-09-01T17:00:00+01:00", "summer-bank-holiday"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 7, 31, 10), "2026-08-03T17:00:00+01:00", "eng-first-aug-monday-works"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 11, 27, 10), "2026-11-30T17:00:00+00:00", "eng-st-andrews-works"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2025, 12, 31, 10), "2026-01-02T17:00:00+00:00", "eng-2-january-works"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 3, 16, 10), "2026-03-17T17:00:00+00:00", "eng-st-patricks-works"),
    case(Rule.SD_IMMEDIATE_ACTION, london(2026, 7, 10, 10), "2026-07-13T17:00:00+01:00", "eng-boyne-works"),
]

WALES = [
    case(
        Rule.SD_IMMEDIATE_ACTION, london(2026, 4, 2, 10), "2026-04-07T17:00:00+01:00", "wls-easter", jurisdiction="WLS"
    ),
    case(
        Rule.SD_IMMEDIATE_ACTION, london(2026, 8, 28, 10), "2026-09-01T17:00:00+01:00", "wls-summer", jurisdiction="WLS"
    ),
    case(
        Rule.SD_IMMEDIATE_ACTION, london(2026, 12, 24, 9), "2026-12-29T17:00:00+00:00", "wls-xmas", jurisdiction="WLS"
    ),
]

SCOTLAND = [
    case(
        Rule.SD_IMMEDIATE_ACTION, london(2025, 12, 31, 10), "2026-01-05T17:00:00+00:00", "sct-2-jan", jurisdiction="SCT"
    ),
    case(
        Rule.SD_IMMEDIATE_ACTION,
        london(2026, 12, 31, 10),
        "2027-01-05T17:00:00+00:00",
        "sct-2-jan-substitute",
        jurisdiction="SCT",
    ),
    case(
        Rule.SD_IMMEDIATE_ACTION,
        london(2025, 11, 28, 10),
        "2025-12-02T17:00:00+00:00",
        "sct-st-andrews-substitute",
        jurisdiction="SCT",
    ),
    case(
        Rule.SD_IMMEDIATE_ACTION,
        london(2026, 11, 27, 10),
        "2026-12-01T17:00:00+00:00",
        "sct-st-andrews",
        jurisdiction="SCT",
    ),
    case(
        Rule.SD_IMMEDIATE_ACTION,
        london(2026, 7, 31, 10),
        "2026-08-04T17:00:00+01:00",
        "sct-summer-aug",
        jurisdiction="SCT",
    ),
    case(
        Rule.SD_IMMEDIATE_ACTION,
        london(2026, 8, 28, 10),
        "2026-08-31T17:00:00+01:00",
        "sct-no-late-summer",
        jurisdiction="SCT",
    ),
    case(
        Rule.SD_IMMEDIATE_ACTION,
        london(2026, 4, 2, 10),
        "2026-04-06T17:00:00+01:00",
        "sct-no-easter-monday",
        jurisdiction="SCT",
    ),
    case(Rule.ICPC, london(2026, 12, 14, 11), "2027-01-08T17:00:00+00:00", "sct-icpc-christmas", jurisdiction="SCT"),
]

NORTHERN_IRELAND = [
    case(
        Rule.SD_IMMEDIATE_ACTION,
        london(2026, 3, 16, 10),
        "2026-03-18T17:00:00+00:00",
        "nir-st-patricks",
        jurisdiction="NIR",
    ),
    case(
        Rule.SD_IMMEDIATE_ACTION,
        london(2026, 7, 10, 10),
        "2026-07-14T17:00:00+01:00",
        "nir-boyne-substitute",
        jurisdiction="NIR",
    ),
    case(
        Rule.SD_IMMEDIATE_ACTION,
        london(2027, 7, 9, 10),
        "2027-07-13T17:00:00+01:00",
        "nir-boyne-2027",
        jurisdiction="NIR",
    ),
    case(
        Rule.SD_IMMEDIATE_ACTION, london(2026, 4, 2, 10), "2026-04-07T17:00:00+01:00", "nir-easter", jurisdiction="NIR"
    ),
]

PARTNERSHIP_SETTINGS = [
    case(Rule.SD_STANDARD, london(2026, 11, 23, 10), "2026-11-25T17:00:00+00:00", "standard-2-days", standard_days=2),
    case(Rule.SD_STANDARD, london(2026, 11, 23, 10), "2026-11-30T17:00:00+00:00", "standard-5-days", standard_days=5),
    case(Rule.SD_STANDARD, london(2026, 12, 24, 10), "2026-12-30T17:00:00+00:00", "standard-2-xmas", standard_days=2),
    case(Rule.SD_COMPLEX, london(2026, 11, 23, 10), "2026-11-30T17:00:00+00:00", "complex-ignores-n", standard_days=2),
    case(Rule.SD_STANDARD, london(2026, 11, 23, 10), "2026-11-26T16:00:00+00:00", "eod-16-00", end_of_day=time(16, 0)),
    case(Rule.SD_STANDARD, london(2026, 11, 23, 10), "2026-11-26T17:30:00+00:00", "eod-17-30", end_of_day=time(17, 30)),
    case(
        Rule.SD_STANDARD, london(2026, 4, 2, 10), "2026-04-09T17:30:00+01:00", "eod-17-30-bst", end_of_day=time(17, 30)
    ),
    case(
        Rule.SD_SAME_DAY, london(2026, 11, 23, 10), "2026-11-23T23:59:59+00:00", "same-day-no-eod", end_of_day=time(16)
    ),
    case(
        Rule.SD_STANDARD,
        london(2026, 11, 23, 10),
        "2026-11-27T17:00:00+00:00",
        "closure-tuesday",
        closure_days=frozenset({date(2026, 11, 24)}),
    ),
    case(
        Rule.SD_STANDARD,
        london(2026, 11, 23, 10),
        "2026-11-26T17:00:00+00:00",
        "closure-on-day-0",
        closure_days=frozenset({date(2026, 11, 23)}),
    ),
    case(
        Rule.SD_STANDARD,
        london(2026, 11, 27, 10),
        "2026-12-02T17:00:00+00:00",
        "closure-on-saturday",
        closure_days=frozenset({date(2026, 11, 28)}),
    ),
    case(
        Rule.SD_IMMEDIATE_ACTION,
        london(2026, 12, 24, 10),
        "2027-01-04T17:00:00+00:00",
        "closures-between-christmas-and-new-year",
        closure_days=frozenset({date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)}),
    ),
]

SAME_DAY = [
    case(Rule.SD_SAME_DAY, london(2026, 11, 23, 0, 0), "2026-11-23T23:59:59+00:00", "same-day-00-00"),
    case(Rule.SD_SAME_DAY, london(2026, 11, 23, 23, 0), "2026-11-23T23:59:59+00:00", "same-day-23-00"),
    case(Rule.SD_SAME_DAY, london(2026, 11, 28, 10), "2026-11-28T23:59:59+00:00", "same-day-saturday"),
    case(Rule.SD_SAME_DAY, london(2026, 12, 25, 10), "2026-12-25T23:59:59+00:00", "same-day-christmas"),
    case(Rule.SD_SAME_DAY, utc(2026, 7, 1, 23, 30), "2026-07-02T23:59:59+01:00", "same-day-utc-next-local-date"),
    case(Rule.SD_SAME_DAY, utc(2026, 7, 1, 22, 30), "2026-07-01T23:59:59+01:00", "same-day-utc-same-local-date"),
    case(Rule.SD_SAME_DAY, london(2026, 3, 29, 0, 30), "2026-03-29T23:59:59+01:00", "same-day-spring-forward"),
    case(Rule.SD_SAME_DAY, london(2026, 10, 25, 0, 30), "2026-10-25T23:59:59+00:00", "same-day-fall-back"),
]

ELAPSED_HOURS = [
    case(Rule.SD_MISSING_CHILD, london(2026, 11, 23, 10), "2026-11-24T10:00:00+00:00", "missing-child-plain"),
    case(Rule.SD_MISSING_CHILD, london(2026, 3, 28, 12), "2026-03-29T13:00:00+01:00", "missing-child-spring-forward"),
    case(Rule.SD_MISSING_CHILD, utc(2026, 10, 25, 0, 30), "2026-10-26T00:30:00+00:00", "missing-child-first-01-30"),
    case(Rule.SD_MISSING_CHILD, utc(2026, 10, 25, 1, 30), "2026-10-26T01:30:00+00:00", "missing-child-second-01-30"),
    case(Rule.MINUTES_CIRCULATED, london(2026, 3, 27, 14), "2026-03-29T15:00:00+01:00", "minutes-spring-fri"),
    case(Rule.MINUTES_CIRCULATED, london(2026, 3, 28, 12), "2026-03-30T13:00:00+01:00", "minutes-spring-sat"),
    case(Rule.MINUTES_CIRCULATED, london(2026, 10, 23, 15), "2026-10-25T14:00:00+00:00", "minutes-autumn-fri"),
    case(Rule.MINUTES_CIRCULATED, london(2026, 10, 24, 9), "2026-10-26T08:00:00+00:00", "minutes-autumn-sat"),
    case(Rule.MINUTES_CIRCULATED, london(2026, 11, 27, 16), "2026-11-29T16:00:00+00:00", "minutes-weekend-counts"),
    case(Rule.MINUTES_CIRCULATED, london(2026, 12, 24, 16, 30), "2026-12-26T16:30:00+00:00", "minutes-holidays-count"),
]

CALENDAR_DAYS = [
    case(Rule.MEDICAL_REPORT, london(2026, 3, 20, 10), "2026-03-30T23:59:59+01:00", "medical-spring-forward"),
    case(Rule.MEDICAL_REPORT, london(2026, 10, 20, 10), "2026-10-30T23:59:59+00:00", "medical-fall-back"),
    case(Rule.MEDICAL_REPORT, london(2026, 12, 25, 10), "2027-01-04T23:59:59+00:00", "medical-year-boundary"),
    case(Rule.MEDICAL_REPORT, utc(2026, 7, 1, 23, 30), "2026-07-12T23:59:59+01:00", "medical-utc-next-local-date"),
    case(Rule.MEDICAL_REPORT, london(2026, 11, 23, 23, 59, 59), "2026-12-03T23:59:59+00:00", "medical-last-second"),
]

LONG_WORKING_DAYS = [
    case(Rule.ICPC, london(2026, 11, 2, 14), "2026-11-23T17:00:00+00:00", "icpc-three-clear-weeks"),
    case(Rule.ICPC, london(2026, 12, 14, 14), "2027-01-07T17:00:00+00:00", "icpc-over-christmas"),
    case(Rule.ICPC, london(2026, 12, 18, 14), "2027-01-13T17:00:00+00:00", "icpc-from-last-friday-before-xmas"),
    case(Rule.ASSESSMENT, london(2026, 11, 2, 10), "2027-01-07T17:00:00+00:00", "assessment-over-christmas"),
    case(Rule.ASSESSMENT, london(2026, 3, 2, 10), "2026-05-07T17:00:00+01:00", "assessment-over-easter-and-may"),
]

ACTIONS = [
    case(Rule.ACTION, london(2026, 11, 30, 12), "2026-11-30T12:00:00+00:00", "action-as-agreed"),
    case(Rule.ACTION, london(2026, 11, 28, 9), "2026-11-28T09:00:00+00:00", "action-saturday-not-moved"),
    case(Rule.ACTION, utc(2026, 7, 1, 23, 30), "2026-07-02T00:30:00+01:00", "action-shown-in-local-time"),
]

OTHER_OFFSETS = [
    case(Rule.SD_IMMEDIATE_ACTION, utc(2026, 7, 1, 23, 30), "2026-07-03T17:00:00+01:00", "utc-z-bst-next-local-date"),
    case(Rule.SD_IMMEDIATE_ACTION, utc(2026, 7, 2, 23, 30), "2026-07-06T17:00:00+01:00", "utc-bst-thursday-night"),
    case(Rule.SD_IMMEDIATE_ACTION, utc(2026, 7, 2, 22, 30), "2026-07-03T17:00:00+01:00", "utc-bst-same-local-date"),
    case(Rule.SD_STANDARD, utc(2026, 11, 23, 10), "2026-11-26T17:00:00+00:00", "utc-in-gmt"),
    case(Rule.SD_IMMEDIATE_ACTION, utc(2026, 12, 31, 23, 30), "2027-01-04T17:00:00+00:00", "utc-new-years-eve"),
    case(
        Rule.SD_STANDARD,
        datetime(2026, 11, 23, 20, 0, tzinfo=EASTERN),
        "2026-11-27T17:00:00+00:00",
        "minus-five-hours-next-local-date",
    ),
]

ALL_CASES = (
    DOMAIN_WORKED_EXAMPLES
    + WEEKENDS_AND_HOURS
    + ENGLAND_BANK_HOLIDAYS
    + WALES
    + SCOTLAND
    + NORTHERN_IRELAND
    + PARTNERSHIP_SETTINGS
    + SAME_DAY
    + ELAPSED_HOURS
    + CALENDAR_DAYS
    + LONG_WORKING_DAYS
    + ACTIONS
    + OTHER_OFFSETS
)


@pytest.mark.parametrize(("rule", "start", "calendar", "expected"), ALL_CASES)
def test_due_at(rule: Rule, start: datetime, calendar: dict, expected: str) -> None:
    due = due_at(rule, start, Calendar(**calendar))

    assert due.isoformat() == expected
    assert due.tzinfo == LONDON


def test_due_at_default_calendar_is_england_3_days_17_00() -> None:
    assert due_at(Rule.SD_STANDARD, london(2026, 12, 24, 10)).isoformat() == "2026-12-31T17:00:00+00:00"


def test_due_at_accepts_rule_id_string() -> None:
    assert due_at("SD_STANDARD", london(2026, 11, 23, 10)).isoformat() == "2026-11-26T17:00:00+00:00"


def test_due_at_unknown_rule_lists_known_rules() -> None:
    with pytest.raises(
        ValueError, match=r"Unknown rule 'FOO'\. Known rules: SD_SAME_DAY, SD_IMMEDIATE_ACTION, .*ACTION"
    ):
        due_at("FOO", london(2026, 11, 23, 10))


def test_due_at_refuses_naive_start() -> None:
    naive = london(2026, 11, 23, 10).replace(tzinfo=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(Rule.SD_STANDARD, naive)


def test_due_at_refuses_a_date() -> None:
    with pytest.raises(TypeError):
        due_at(Rule.SD_STANDARD, date(2026, 11, 23))  # type: ignore[arg-type]


def test_due_at_does_not_read_the_clock() -> None:
    start = london(2026, 11, 23, 10)
    with time_machine.travel(london(2026, 11, 25, 12), tick=False):
        first = due_at(Rule.SD_STANDARD, start)
    with time_machine.travel(london(2031, 1, 1, 0), tick=False):
        second = due_at(Rule.SD_STANDARD, start)
    assert first == second == london(2026, 11, 26, 17)


def test_every_rule_has_a_description_and_its_name_as_value() -> None:
    assert set(RULE_DESCRIPTIONS) == set(Rule)
    assert all(rule.value == rule.name for rule in Rule)
    assert RULE_DESCRIPTIONS[Rule.SD_SAME_DAY] == "Same day"
    assert RULE_DESCRIPTIONS[Rule.MINUTES_CIRCULATED] == "48 hours"
    assert RULE_DESCRIPTIONS[Rule.MEDICAL_REPORT] == "10 calendar days"


def test_every_rule_gives_an_answer() -> None:
    for rule in Rule:
        assert due_at(rule, london(2026, 11, 23, 10)).tzinfo == LONDON


# --- Calendar ---------------------------------------------------------------------------------


def test_calendar_defaults() -> None:
    calendar = Calendar()
    assert (calendar.jurisdiction, calendar.end_of_day, calendar.standard_days) == ("ENG", time(17, 0), 3)
    assert calendar.closure_days == frozenset()
    assert JURISDICTIONS == ("ENG", "WLS", "SCT", "NIR")


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"jurisdiction": "GB"}, id="unknown-jurisdiction"),
        pytest.param({"jurisdiction": "eng"}, id="lower-case-jurisdiction"),
        pytest.param({"standard_days": 0}, id="standard-days-0"),
        pytest.param({"standard_days": 11}, id="standard-days-11"),
        pytest.param({"standard_days": True}, id="standard-days-bool"),
        pytest.param({"end_of_day": time(17, 0, tzinfo=UTC)}, id="aware-end-of-day"),
        pytest.param({"closure_days": frozenset({london(2026, 11, 24)})}, id="closure-datetime"),
    ],
)
def test_calendar_validation(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Calendar(**kwargs)


def test_calendar_accepts_standard_days_bounds_and_closure_set() -> None:
    assert Calendar(standard_days=1).standard_days == 1
    assert Calendar(standard_days=10).standard_days == 10
    calendar = Calendar(closure_days={date(2026, 11, 24)})  # type: ignore[arg-type]
    assert calendar.closure_days == frozenset({date(2026, 11, 24)})
    assert hash(calendar) == hash(Calendar(closure_days=frozenset({date(2026, 11, 24)})))


# --- bank holidays and working days -----------------------------------------------------------


def test_bank_holidays_are_cached_per_jurisdiction_and_expand_on_demand() -> None:
    assert bank_holidays("ENG") is bank_holidays("ENG")
    assert bank_holidays("ENG") is not bank_holidays("SCT")
    assert date(2040, 12, 25) in bank_holidays("ENG")
    with pytest.raises(ValueError):
        bank_holidays("XX")


@pytest.mark.parametrize(
    ("day", "jurisdiction", "expected"),
    [
        pytest.param(date(2026, 11, 23), "ENG", True, id="monday"),
        pytest.param(date(2026, 11, 27), "ENG", True, id="friday"),
        pytest.param(date(2026, 11, 28), "ENG", False, id="saturday"),
        pytest.param(date(2026, 11, 29), "ENG", False, id="sunday"),
        pytest.param(date(2026, 12, 25), "ENG", False, id="christmas"),
        pytest.param(date(2026, 12, 26), "ENG", False, id="boxing-day-saturday"),
        pytest.param(date(2026, 12, 28), "ENG", False, id="boxing-day-substitute"),
        pytest.param(date(2026, 12, 29), "ENG", True, id="after-christmas"),
        pytest.param(date(2028, 1, 3), "ENG", False, id="new-year-substitute"),
        pytest.param(date(2026, 4, 3), "ENG", False, id="good-friday"),
        pytest.param(date(2026, 4, 6), "ENG", False, id="easter-monday"),
        pytest.param(date(2026, 4, 6), "WLS", False, id="wales-easter-monday"),
        pytest.param(date(2026, 4, 6), "SCT", True, id="scotland-easter-monday-works"),
        pytest.param(date(2026, 1, 2), "SCT", False, id="scotland-2-january"),
        pytest.param(date(2026, 1, 2), "ENG", True, id="england-2-january-works"),
        pytest.param(date(2026, 8, 3), "SCT", False, id="scotland-summer"),
        pytest.param(date(2026, 8, 31), "SCT", True, id="scotland-late-august-works"),
        pytest.param(date(2026, 8, 31), "ENG", False, id="england-late-august"),
        pytest.param(date(2026, 11, 30), "SCT", False, id="st-andrews-day"),
        pytest.param(date(2025, 12, 1), "SCT", False, id="st-andrews-substitute"),
        pytest.param(date(2026, 11, 30), "ENG", True, id="england-st-andrews-works"),
        pytest.param(date(2026, 3, 17), "NIR", False, id="st-patricks-day"),
        pytest.param(date(2026, 3, 17), "ENG", True, id="england-st-patricks-works"),
        pytest.param(date(2026, 7, 13), "NIR", False, id="boyne-substitute"),
        pytest.param(date(2027, 7, 12), "NIR", False, id="boyne-monday"),
        pytest.param(date(2026, 7, 13), "ENG", True, id="england-boyne-substitute-works"),
    ],
)
def test_is_working_day(day: date, jurisdiction: str, expected: bool) -> None:
    assert is_working_day(day, Calendar(jurisdiction=jurisdiction)) is expected


def test_closure_day_is_not_a_working_day() -> None:
    calendar = Calendar(closure_days=frozenset({date(2026, 11, 24)}))
    assert is_working_day(date(2026, 11, 24), calendar) is False
    assert is_working_day(date(2026, 11, 25), calendar) is True


def test_is_working_day_refuses_a_datetime() -> None:
    with pytest.raises(TypeError):
        is_working_day(london(2026, 11, 23, 10), Calendar())


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(date(2026, 11, 28), 0, date(2026, 11, 28), id="day-0-is-start-even-saturday"),
        pytest.param(date(2026, 12, 25), 0, date(2026, 12, 25), id="day-0-is-start-even-christmas"),
        pytest.param(date(2026, 11, 28), 1, date(2026, 11, 30), id="saturday-plus-1"),
        pytest.param(date(2026, 11, 23), 1, date(2026, 11, 24), id="monday-plus-1"),
        pytest.param(date(2026, 11, 23), 10, date(2026, 12, 7), id="two-weeks"),
        pytest.param(date(2026, 12, 24), 1, date(2026, 12, 29), id="christmas-eve-plus-1"),
        pytest.param(date(2026, 12, 24), 4, date(2027, 1, 4), id="christmas-eve-plus-4"),
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days, Calendar()) == expected


def test_add_working_days_refuses_negative_days_and_datetimes() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 23), -1, Calendar())
    with pytest.raises(TypeError):
        add_working_days(london(2026, 11, 23), 1, Calendar())


# --- to_local ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(utc(2026, 7, 1, 23, 30), "2026-07-02T00:30:00+01:00", id="utc-in-bst"),
        pytest.param(utc(2026, 11, 23, 10), "2026-11-23T10:00:00+00:00", id="utc-in-gmt"),
        pytest.param(datetime(2026, 11, 23, 20, tzinfo=EASTERN), "2026-11-24T01:00:00+00:00", id="other-offset"),
        pytest.param(london(2026, 7, 1, 12).replace(tzinfo=None), "2026-07-01T12:00:00+01:00", id="naive-is-local-bst"),
        pytest.param(
            london(2026, 11, 23, 10).replace(tzinfo=None), "2026-11-23T10:00:00+00:00", id="naive-is-local-gmt"
        ),
        pytest.param(
            london(2026, 10, 25, 1, 30).replace(tzinfo=None),
            "2026-10-25T01:30:00+01:00",
            id="naive-repeated-hour-first",
        ),
        pytest.param(
            london(2026, 3, 29, 1, 30).replace(tzinfo=None), "2026-03-29T02:30:00+01:00", id="naive-skipped-hour"
        ),
    ],
)
def test_to_local(moment: datetime, expected: str) -> None:
    local = to_local(moment)
    assert local.isoformat() == expected
    assert local.tzinfo == LONDON


# --- time left --------------------------------------------------------------------------------

DUE = london(2026, 11, 26, 17)


def test_time_left_and_is_overdue() -> None:
    assert time_left(DUE, london(2026, 11, 26, 15)) == timedelta(hours=2)
    assert time_left(DUE, london(2026, 11, 26, 18)) == timedelta(hours=-1)
    assert is_overdue(DUE, london(2026, 11, 26, 16, 59, 59)) is False
    assert is_overdue(DUE, DUE) is False
    assert is_overdue(DUE, DUE + timedelta(seconds=1)) is True


def test_time_left_is_real_elapsed_time_across_zones_and_clock_changes() -> None:
    due = datetime.fromisoformat("2026-10-25T11:00:00+00:00")
    now = datetime.fromisoformat("2026-10-24T12:00:00+01:00")
    assert time_left(due, now) == timedelta(hours=24)
    assert time_left(DUE, utc(2026, 11, 26, 16)) == timedelta(hours=1)


def test_time_left_refuses_naive_moments() -> None:
    with pytest.raises(ValueError):
        time_left(DUE, DUE.replace(tzinfo=None))
    with pytest.raises(ValueError):
        is_overdue(DUE.replace(tzinfo=None), DUE)


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        pytest.param(timedelta(days=3, hours=2), "3 days 2 hours left", id="days-hours"),
        pytest.param(timedelta(hours=5, minutes=10), "5 hours 10 minutes left", id="hours-minutes"),
        pytest.param(timedelta(minutes=45), "45 minutes left", id="minutes"),
        pytest.param(timedelta(days=1), "1 day left", id="one-day"),
        pytest.param(timedelta(days=1, hours=1), "1 day 1 hour left", id="singulars"),
        pytest.param(timedelta(hours=1, minutes=1), "1 hour 1 minute left", id="singular-hour-minute"),
        pytest.param(timedelta(minutes=1), "1 minute left", id="one-minute"),
        pytest.param(timedelta(seconds=61), "1 minute left", id="seconds-dropped"),
        pytest.param(timedelta(days=3, minutes=5), "3 days left", id="zero-hours-not-shown-minutes-not-promoted"),
        pytest.param(timedelta(hours=2), "2 hours left", id="whole-hours"),
        pytest.param(timedelta(days=2, hours=23, minutes=59, seconds=59), "2 days 23 hours left", id="truncated"),
        pytest.param(timedelta(days=15, hours=4, minutes=30), "15 days 4 hours left", id="long"),
        pytest.param(timedelta(0), "Due now", id="exactly-due"),
        pytest.param(timedelta(seconds=59), "Due now", id="under-a-minute-left"),
        pytest.param(-timedelta(seconds=59), "Due now", id="under-a-minute-overdue"),
        pytest.param(-timedelta(days=2, hours=1), "Overdue by 2 days 1 hour", id="overdue-days"),
        pytest.param(-timedelta(minutes=5), "Overdue by 5 minutes", id="overdue-minutes"),
        pytest.param(-timedelta(minutes=1, seconds=30), "Overdue by 1 minute", id="overdue-one-minute"),
        pytest.param(-timedelta(hours=1), "Overdue by 1 hour", id="overdue-one-hour"),
        pytest.param(-timedelta(days=1, minutes=2), "Overdue by 1 day", id="overdue-one-day"),
    ],
)
def test_describe_time_left(left: timedelta, expected: str) -> None:
    assert describe_time_left(DUE, DUE - left) == expected


def test_describe_time_left_counts_real_hours_across_a_clock_change() -> None:
    # 12:00 BST Saturday to 11:00 GMT Sunday is 24 real hours although the wall clocks differ by 23.
    now = datetime.fromisoformat("2026-10-24T12:00:00+01:00")
    due = datetime.fromisoformat("2026-10-25T11:00:00+00:00")
    assert describe_time_left(due, now) == "1 day left"


def test_due_soon_is_when_a_quarter_of_the_window_is_left():
    from core.timescales import due_soon_at

    start = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
    due = datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)  # 79 hours later
    assert due_soon_at(start, due) == datetime(2026, 11, 25, 21, 15, tzinfo=LONDON)
    assert due_soon_at(start, due, 0.5) == datetime(2026, 11, 25, 1, 30, tzinfo=LONDON)
    assert due_soon_at(due, due) == due  # no window: due soon at once
    with pytest.raises(ValueError, match="share_left"):
        due_soon_at(start, due, 1.5)


def test_escalation_is_the_end_of_the_next_working_day_after_it_fell_due():
    from core.timescales import escalation_at

    # Thu 24 Dec 2026 17:00 -> the next working day is Tue 29 Dec (Christmas and the Boxing Day substitute).
    assert escalation_at(datetime(2026, 12, 24, 17, 0, tzinfo=LONDON)) == datetime(2026, 12, 29, 17, 0, tzinfo=LONDON)
    # A same-day deadline on a Saturday night climbs at the end of Monday.
    assert escalation_at(datetime(2026, 11, 28, 23, 59, 59, tzinfo=LONDON)) == datetime(
        2026, 11, 30, 17, 0, tzinfo=LONDON
    )


def test_due_soon_counts_the_window_in_real_time_across_the_clocks_going_forward():
    # Saturday 27 March 2027 12:00 GMT to Monday 29 March 12:00 BST is 47 real hours, not 48.
    start = datetime(2027, 3, 27, 12, 0, tzinfo=LONDON)
    due = datetime(2027, 3, 29, 12, 0, tzinfo=LONDON)
    assert due_soon_at(start, due, 0.25) == due - timedelta(hours=47) * 0.25


def test_time_left_is_real_time_across_the_clocks_going_back():
    # 00:30 BST to 01:30 GMT on 31 October 2027 is two real hours (the hour from 01:00 happens twice).
    now = datetime(2027, 10, 31, 0, 30, tzinfo=LONDON)
    due = datetime(2027, 10, 31, 1, 30, tzinfo=LONDON).replace(fold=1)
    assert time_left(due, now) == timedelta(hours=2)


def test_the_working_day_table_agrees_with_the_day_by_day_walk_everywhere():
    """The precomputed table (a lookup, so 45 working days cost what 1 does) gives what counting day by day gives:
    every start in four years and some, every jurisdiction, with closure days, across block edges."""
    from core.timescales import _walk_working_days

    closures = frozenset({date(2026, 12, 29), date(2027, 1, 4), date(2028, 12, 27)})
    calendars = [Calendar(jurisdiction=j) for j in ("ENG", "SCT", "NIR")]
    calendars.append(Calendar(closure_days=closures))
    for calendar in calendars:
        day = date(2026, 11, 1)
        while day < date(2031, 3, 1):
            for days in (1, 2, 5, 15, 45, 300):
                expected = _walk_working_days(day, days, calendar)
                assert add_working_days(day, days, calendar) == expected, (calendar, day, days)
            day += timedelta(days=3)
    far = date(2026, 12, 30)
    assert add_working_days(far, 2000, calendars[0]) == _walk_working_days(far, 2000, calendars[0])


# --- What the timeliness report counts (issue 29) -----------------------------------------------------------------


@pytest.mark.clock_free
@pytest.mark.parametrize("days", [0, 1, 2, 3, 5, 15, 45])
@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 11, 23, 10, 0, tzinfo=LONDON),  # a Monday
        datetime(2026, 12, 24, 16, 0, tzinfo=LONDON),  # before Christmas and Boxing Day
        datetime(2027, 3, 27, 23, 30, tzinfo=LONDON),  # a Saturday night, the clocks go forward
        datetime(2028, 2, 28, 9, 0, tzinfo=LONDON),  # a leap year
    ],
)
def test_working_days_between_counts_back_what_add_working_days_counted_on(start, days):
    day = add_working_days(to_local(start).date(), days, Calendar())
    end = datetime.combine(day, time(15, 0), tzinfo=LONDON)
    assert working_days_between(start, end) == days


@pytest.mark.clock_free
def test_working_days_between_counts_a_weekend_end_as_the_working_day_before_and_never_goes_negative():
    friday = datetime(2026, 11, 27, 12, 0, tzinfo=LONDON)
    assert (
        working_days_between(datetime(2026, 11, 26, 12, 0, tzinfo=LONDON), datetime(2026, 11, 29, 12, 0, tzinfo=LONDON))
        == 1
    )
    assert working_days_between(friday, friday - timedelta(days=3)) == 0
    assert working_days_between(friday, friday + timedelta(hours=1)) == 0
    # Across a block of the precomputed table and beyond it: the day-by-day count agrees.
    assert working_days_between(
        datetime(2027, 12, 31, 9, 0, tzinfo=LONDON), datetime(2032, 1, 5, 9, 0, tzinfo=LONDON)
    ) == sum(
        1
        for n in range(1, (date(2032, 1, 5) - date(2027, 12, 31)).days + 1)
        if is_working_day(date(2027, 12, 31) + timedelta(days=n), Calendar())
    )


@pytest.mark.clock_free
def test_elapsed_hours_are_real_hours_across_a_clock_change_and_months_are_london_months():
    before = datetime(2027, 3, 28, 0, 30, tzinfo=LONDON)
    assert elapsed_hours(before, datetime(2027, 3, 28, 3, 30, tzinfo=LONDON)) == 2  # 01:00 to 02:00 never happened
    assert elapsed_hours(before, before - timedelta(hours=1)) == 0
    assert month_of(datetime(2026, 10, 31, 23, 30, tzinfo=UTC)) == date(2026, 10, 1)
    assert month_of(datetime(2027, 5, 31, 23, 30, tzinfo=UTC)) == date(2027, 6, 1)  # 00:30 on 1 June in London
    assert month_start(date(2027, 6, 15)) == datetime(2027, 6, 1, 0, 0, tzinfo=LONDON)
    assert months_after(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert months_after(date(2026, 1, 1), -13) == date(2024, 12, 1)


# --- A professional disagreement's stages (DOMAIN section 7, issue 30) ---------------------------------------------


def test_a_disagreements_stages_are_working_days_from_the_partnerships_settings() -> None:
    friday = london(2026, 12, 18, 16)  # before Christmas: Friday, then the weekend and two bank holidays
    assert due_at(Rule.DISAGREEMENT_STAGE_1, friday) == london(2026, 12, 21, 17)
    assert due_at(Rule.DISAGREEMENT_STAGE_2, friday) == london(2026, 12, 22, 17)
    assert due_at(Rule.DISAGREEMENT_STAGE_2, london(2026, 12, 24, 9)) == london(2026, 12, 30, 17)
    three = Calendar(disagreement_stage_1_days=3, disagreement_stage_2_days=5, end_of_day=time(16, 30))
    assert due_at(Rule.DISAGREEMENT_STAGE_1, friday, three) == london(2026, 12, 23, 16, 30)
    assert due_at(Rule.DISAGREEMENT_STAGE_2, friday, three) == london(2026, 12, 29, 16, 30)
    with pytest.raises(ValueError, match="disagreement_stage_1_days"):
        Calendar(disagreement_stage_1_days=0)
