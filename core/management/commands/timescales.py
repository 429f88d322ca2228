"""Work out statutory deadlines from the command line (DOMAIN.md section 3, "Command-line contract").

    python manage.py timescales due RULE --from ISO_DATETIME [--standard-days N]
        [--jurisdiction ENG|WLS|SCT|NIR] [--end-of-day HH:MM]

prints the due moment as ISO 8601 London local time with its offset, e.g. 2026-11-26T17:00:00+00:00.
Every calculation is done by core.timescales; this command only parses and prints.
"""

import re
from argparse import ArgumentParser
from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.timescales import (
    JURISDICTIONS,
    RULE_DESCRIPTIONS,
    STANDARD_DAYS_MAX,
    STANDARD_DAYS_MIN,
    Calendar,
    OutOfRange,
    Rule,
    due_at,
    to_local,
)

USAGE = (
    "timescales due RULE --from ISO_DATETIME [--standard-days N] [--jurisdiction ENG|WLS|SCT|NIR] [--end-of-day HH:MM]"
)

_HH_MM = re.compile(r"(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)")


def parse_rule(value: str) -> Rule:
    try:
        return Rule[value.strip().upper()]
    except KeyError:
        raise CommandError(f"Unknown rule {value!r}. Known rules: {', '.join(Rule)}") from None


def parse_start(value: str) -> datetime:
    """An ISO 8601 date or date and time; without an offset it is London local time."""
    try:
        # A date alone parses as midnight, which is what "from that date" means.
        return to_local(datetime.fromisoformat(value.strip()))
    except (ValueError, OverflowError):
        raise CommandError(f"Invalid --from {value!r}: give an ISO 8601 date and time, e.g. 2026-11-23T10:00") from None


def parse_end_of_day(value: str) -> time:
    match = _HH_MM.fullmatch(value.strip())
    if match is None:
        raise CommandError(f"Invalid --end-of-day {value!r}: give a 24-hour time as HH:MM, e.g. 17:00")
    return time(int(match["hour"]), int(match["minute"]))


def parse_jurisdiction(value: str) -> str:
    jurisdiction = value.strip().upper()
    if jurisdiction not in JURISDICTIONS:
        raise CommandError(f"Unknown --jurisdiction {value!r}. Known jurisdictions: {', '.join(JURISDICTIONS)}")
    return jurisdiction


def parse_standard_days(value: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not STANDARD_DAYS_MIN <= int(text) <= STANDARD_DAYS_MAX:
        raise CommandError(
            f"Invalid --standard-days {value!r}: give a whole number of working days "
            f"from {STANDARD_DAYS_MIN} to {STANDARD_DAYS_MAX}"
        )
    return int(text)


class Command(BaseCommand):
    help = "Work out when a statutory timescale falls due (DOMAIN.md section 3)."
    missing_args_message = f"Give a subcommand: {USAGE}"
    # Pure date arithmetic: no database, URLs or templates to check, and operators want an answer
    # even while some other part of the project is misconfigured.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            title="subcommands",
            dest="subcommand",
            metavar="due",
            required=True,
            parser_class=CommandParser,
        )
        due: ArgumentParser = subcommands.add_parser(
            "due",
            help="Print the due moment of a timescale as ISO 8601 London local time.",
            description="Print the due moment of a timescale as ISO 8601 London local time with its offset.",
        )
        rules = "; ".join(f"{rule} ({RULE_DESCRIPTIONS[rule]})" for rule in Rule)
        due.add_argument("rule", metavar="RULE", help=f"Rule id, any case: {rules}.")
        due.add_argument(
            "--from",
            dest="start",
            metavar="ISO_DATETIME",
            required=True,
            help="When the clock started, e.g. 2026-11-23T10:00 (London local time unless an offset or Z is given; "
            "a date alone means midnight). For ACTION, the agreed due moment.",
        )
        due.add_argument(
            "--standard-days",
            default=str(Calendar.standard_days),
            metavar="N",
            help=f"Working days for SD_STANDARD (partnership setting, default {Calendar.standard_days}).",
        )
        due.add_argument(
            "--jurisdiction",
            default=Calendar.jurisdiction,
            metavar="|".join(JURISDICTIONS),
            help=f"Whose bank holidays apply (default {Calendar.jurisdiction}).",
        )
        due.add_argument(
            "--end-of-day",
            default=Calendar.end_of_day.strftime("%H:%M"),
            metavar="HH:MM",
            help=f"End of the working day, local time (default {Calendar.end_of_day:%H:%M}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] != "due":
            raise CommandError(f"Unknown subcommand {options['subcommand']!r}. Usage: {USAGE}")
        # str(): call_command(..., standard_days=2) passes keyword options through unparsed.
        rule = parse_rule(str(options["rule"]))
        start = parse_start(str(options["start"]))
        calendar = Calendar(
            jurisdiction=parse_jurisdiction(str(options["jurisdiction"])),
            end_of_day=parse_end_of_day(str(options["end_of_day"])),
            standard_days=parse_standard_days(str(options["standard_days"])),
        )
        try:
            due = due_at(rule, start, calendar)
        except OutOfRange:
            raise CommandError(f"--from {options['start']!r} is too close to the end of the calendar") from None
        self.stdout.write(due.isoformat())
