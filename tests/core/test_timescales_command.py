"""`manage.py timescales due ...`: the command-line contract of DOMAIN.md section 3.

Expected moments are hard-coded, counted by hand on the real calendar (see test_timescales.py).
"""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

PROJECT_DIR = Path(__file__).resolve().parents[2]


def timescales(*args: str, **options: object) -> str:
    stdout, stderr = StringIO(), StringIO()
    call_command("timescales", *args, stdout=stdout, stderr=stderr, **options)
    assert stderr.getvalue() == ""
    return stdout.getvalue()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ["SD_STANDARD", "--from", "2026-11-23T10:00"], "2026-11-26T17:00:00+00:00", id="domain-standard-mon"
        ),
        pytest.param(
            ["SD_IMMEDIATE_ACTION", "--from", "2026-12-24T16:30"], "2026-12-29T17:00:00+00:00", id="domain-christmas"
        ),
        pytest.param(
            ["SD_MISSING_CHILD", "--from", "2026-10-24T12:00:00+01:00"],
            "2026-10-25T11:00:00+00:00",
            id="domain-missing-child",
        ),
        pytest.param(
            ["SD_MISSING_CHILD", "--from", "2026-10-24T12:00"], "2026-10-25T11:00:00+00:00", id="local-bst-no-offset"
        ),
    ],
)
def test_domain_worked_examples(args: list[str], expected: str) -> None:
    assert timescales("due", *args) == expected + "\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["sd_standard", "--from", "2026-11-23T10:00"], "2026-11-26T17:00:00+00:00", id="rule-any-case"),
        pytest.param(["SD_STANDARD", "--from", "2026-11-23"], "2026-11-26T17:00:00+00:00", id="date-only"),
        pytest.param(["SD_SAME_DAY", "--from", "2026-11-23"], "2026-11-23T23:59:59+00:00", id="date-only-is-midnight"),
        pytest.param(["SD_STANDARD", "--from", "2026-11-23 10:00"], "2026-11-26T17:00:00+00:00", id="space-separator"),
        pytest.param(
            ["SD_IMMEDIATE_ACTION", "--from", "2026-07-01T23:30:00Z"], "2026-07-03T17:00:00+01:00", id="z-bst-next-day"
        ),
        pytest.param(
            ["SD_IMMEDIATE_ACTION", "--from", "2026-07-02T23:30:00+00:00"],
            "2026-07-06T17:00:00+01:00",
            id="utc-offset-in-bst-next-local-day",
        ),
        pytest.param(
            ["SD_IMMEDIATE_ACTION", "--from", "2026-07-02T23:30"], "2026-07-03T17:00:00+01:00", id="local-late-night"
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "2026-11-23T20:00-05:00"], "2026-11-27T17:00:00+00:00", id="other-offset"
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "2026-11-23T10:00", "--standard-days", "2"],
            "2026-11-25T17:00:00+00:00",
            id="standard-days-2",
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "2026-11-23T10:00", "--standard-days", "5"],
            "2026-11-30T17:00:00+00:00",
            id="standard-days-5",
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "2026-11-23T10:00", "--end-of-day", "16:00"],
            "2026-11-26T16:00:00+00:00",
            id="end-of-day-16-00",
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "2026-04-02T10:00", "--end-of-day", "17:30"],
            "2026-04-09T17:30:00+01:00",
            id="end-of-day-17-30-bst",
        ),
        pytest.param(
            ["SD_IMMEDIATE_ACTION", "--from", "2025-12-31T10:00", "--jurisdiction", "SCT"],
            "2026-01-05T17:00:00+00:00",
            id="scotland-2-january",
        ),
        pytest.param(
            ["SD_IMMEDIATE_ACTION", "--from", "2025-12-31T10:00"], "2026-01-02T17:00:00+00:00", id="england-2-january"
        ),
        pytest.param(
            ["SD_IMMEDIATE_ACTION", "--from", "2026-07-31T10:00", "--jurisdiction", "sct"],
            "2026-08-04T17:00:00+01:00",
            id="scotland-summer-lower-case",
        ),
        pytest.param(
            ["SD_IMMEDIATE_ACTION", "--from", "2026-04-02T10:00", "--jurisdiction", "SCT"],
            "2026-04-06T17:00:00+01:00",
            id="scotland-no-easter-monday",
        ),
        pytest.param(
            ["SD_IMMEDIATE_ACTION", "--from", "2026-03-16T10:00", "--jurisdiction", "NIR"],
            "2026-03-18T17:00:00+00:00",
            id="northern-ireland-st-patricks",
        ),
        pytest.param(
            ["SD_IMMEDIATE_ACTION", "--from", "2026-07-10T10:00", "--jurisdiction", "NIR"],
            "2026-07-14T17:00:00+01:00",
            id="northern-ireland-boyne-substitute",
        ),
        pytest.param(
            ["SD_IMMEDIATE_ACTION", "--from", "2026-04-02T10:00", "--jurisdiction", "WLS"],
            "2026-04-07T17:00:00+01:00",
            id="wales-easter",
        ),
        pytest.param(
            ["MINUTES_CIRCULATED", "--from", "2026-03-27T14:00"], "2026-03-29T15:00:00+01:00", id="minutes-spring"
        ),
        pytest.param(["MEDICAL_REPORT", "--from", "2026-10-20T10:00"], "2026-10-30T23:59:59+00:00", id="medical"),
        pytest.param(["ICPC", "--from", "2026-12-14T14:00"], "2027-01-07T17:00:00+00:00", id="icpc-christmas"),
        pytest.param(["ASSESSMENT", "--from", "2026-03-02T10:00"], "2026-05-07T17:00:00+01:00", id="assessment"),
        pytest.param(["SD_COMPLEX", "--from", "2026-11-23T10:00"], "2026-11-30T17:00:00+00:00", id="complex"),
        pytest.param(["ACTION", "--from", "2026-07-01T23:30:00Z"], "2026-07-02T00:30:00+01:00", id="action-local"),
    ],
)
def test_due(args: list[str], expected: str) -> None:
    assert timescales("due", *args) == expected + "\n"


def test_options_may_be_given_as_keywords() -> None:
    output = timescales("due", "SD_STANDARD", start="2026-11-23T10:00", standard_days=2, jurisdiction="SCT")
    assert output == "2026-11-25T17:00:00+00:00\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["FOO", "--from", "2026-11-23T10:00"],
            "Unknown rule 'FOO'. Known rules: SD_SAME_DAY, SD_IMMEDIATE_ACTION, SD_STANDARD, SD_COMPLEX, "
            "SD_MISSING_CHILD, MINUTES_CIRCULATED, ICPC, MEDICAL_REPORT, ASSESSMENT, ACTION, RECONVENE, "
            "RISK_REVIEW, MEETING_NOT_ENDED, DISAGREEMENT_STAGE_1, DISAGREEMENT_STAGE_2, DISAGREEMENT_STAGE_3, "
            "INFORMATION_REQUEST",
            id="unknown-rule",
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "xyz"],
            "Invalid --from 'xyz': give an ISO 8601 date and time, e.g. 2026-11-23T10:00",
            id="malformed-date",
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "2026-02-30T10:00"],
            "Invalid --from '2026-02-30T10:00': give an ISO 8601 date and time, e.g. 2026-11-23T10:00",
            id="impossible-date",
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "23/11/2026 10:00"],
            "Invalid --from '23/11/2026 10:00': give an ISO 8601 date and time, e.g. 2026-11-23T10:00",
            id="british-format",
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "2026-11-23T10:00", "--end-of-day", "25:00"],
            "Invalid --end-of-day '25:00': give a 24-hour time as HH:MM, e.g. 17:00",
            id="end-of-day-25",
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "2026-11-23T10:00", "--end-of-day", "5pm"],
            "Invalid --end-of-day '5pm': give a 24-hour time as HH:MM, e.g. 17:00",
            id="end-of-day-5pm",
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "2026-11-23T10:00", "--jurisdiction", "GB"],
            "Unknown --jurisdiction 'GB'. Known jurisdictions: ENG, WLS, SCT, NIR",
            id="bad-jurisdiction",
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "2026-11-23T10:00", "--standard-days", "0"],
            "Invalid --standard-days '0': give a whole number of working days from 1 to 10",
            id="standard-days-0",
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "2026-11-23T10:00", "--standard-days", "11"],
            "Invalid --standard-days '11': give a whole number of working days from 1 to 10",
            id="standard-days-11",
        ),
        pytest.param(
            ["SD_STANDARD", "--from", "2026-11-23T10:00", "--standard-days", "three"],
            "Invalid --standard-days 'three': give a whole number of working days from 1 to 10",
            id="standard-days-word",
        ),
    ],
)
def test_bad_input_is_a_one_line_command_error(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as excinfo:
        timescales("due", *args)
    assert str(excinfo.value) == message
    assert "\n" not in str(excinfo.value)


def test_no_subcommand_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match=r"Give a subcommand: timescales due RULE --from ISO_DATETIME"):
        timescales()


def test_unknown_subcommand_is_an_error() -> None:
    with pytest.raises(CommandError, match=r"invalid choice: 'overdue'"):
        timescales("overdue", "SD_STANDARD", "--from", "2026-11-23T10:00")


def test_missing_from_is_an_error_not_a_system_exit() -> None:
    # The subparser must be a CommandParser that knows it was not called from the command line.
    with pytest.raises(CommandError, match=r"the following arguments are required: --from"):
        timescales("due", "SD_STANDARD")


def test_missing_rule_is_an_error() -> None:
    with pytest.raises(CommandError, match=r"the following arguments are required: RULE"):
        timescales("due", "--from", "2026-11-23T10:00")


def test_date_past_the_end_of_the_calendar_is_an_error() -> None:
    with pytest.raises(CommandError, match=r"too close to the end of the calendar"):
        timescales("due", "ASSESSMENT", "--from", "9999-12-30")


def run_manage_py(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBUG": "true"}
    return subprocess.run(
        [sys.executable, "manage.py", "timescales", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_process_exits_0_and_prints_the_due_moment() -> None:
    result = run_manage_py("due", "SD_STANDARD", "--from", "2026-11-23T10:00")
    assert (result.returncode, result.stdout, result.stderr) == (0, "2026-11-26T17:00:00+00:00\n", "")


def test_process_exits_non_zero_with_a_clear_error() -> None:
    result = run_manage_py("due", "FOO", "--from", "2026-11-23T10:00")
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Unknown rule 'FOO'. Known rules: SD_SAME_DAY" in result.stderr
    assert "Traceback" not in result.stderr
