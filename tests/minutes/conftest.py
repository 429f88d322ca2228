"""A held discussion (Mon 23 - Tue 24 November 2026) with an entry not to be shared with the family, and an action."""

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
import time_machine

from minutes.access import MinutesChecker
from strategy import services as strategy_services
from strategy.models import Consent
from tests import builders
from tests.builders import child, make_referral

AFTER = builders.ENDED + dt.timedelta(hours=2)  # Tuesday 24 November 2026, 13:00: minutes due Thursday 11:00
SECRET = "Invented police intelligence that must not reach the family"
OPEN_ENTRY = "Invented health entry the family may read"
FOR_FAMILY = "Invented words for the parents about the enquiry starting this week"


@pytest.fixture
def held(world):
    """The meeting held and ended; the clock stopped two hours after it ended."""
    referral = make_referral(
        acting_user=world["sw"],
        children=[
            child(
                "Robin",
                "Testchild",
                gp="Invented Surgery",
                health_visitor_or_school_nurse="Invented school nursing team",
                education_status="on_roll",
                education_setting="Invented Primary School",
            )
        ],
        received_at=builders.MONDAY_10AM,
        now=builders.MONDAY_10AM + dt.timedelta(minutes=5),
    )
    discussion = builders.convene(world, referral)
    builders.start(world, discussion)
    builders.attend(world, discussion)
    tm_checker = builders.checker(world["tm"], discussion)
    for agency, text, secret in (
        (world["police_agency"], SECRET, True),
        (world["health"].agency, OPEN_ENTRY, False),
    ):
        strategy_services.information_add(
            acting_user=world["tm"],
            checker=tm_checker,
            agency=agency,
            data={
                "information": text,
                "checks_done": "",
                "consent": Consent.NOT_SOUGHT,
                "consent_manager_reason": "Invented: seeking consent could place the child at risk.",
                "not_for_family": secret,
            },
            now=builders.MEETING,
        )
    builders.add_action(
        world,
        discussion,
        lead=world["police_agency"],
        person=world["police"],
        what="Invented: share police records with the social worker",
        measure="Invented: records received",
        due=builders.ENDED + dt.timedelta(days=1),
        now=builders.MEETING,
    )
    for person in discussion.children.all():
        builders.decide(world, discussion, person)
    builders.assess(world, discussion)
    with time_machine.travel(builders.ENDED, tick=False):  # the distribution list is built as it ends, then
        builders.end(world, discussion)
    discussion.refresh_from_db()
    with time_machine.travel(AFTER, tick=False):
        yield discussion


def share_with_family(world, discussion, **overrides):
    """The chair records what the family is told: something shared, with the names and the date ticked."""
    from strategy.models import FamilySharing

    data = {
        "sharing": FamilySharing.SHARE,
        "for_family": FOR_FAMILY,
        "for_child": "Invented words for Robin",
        "told_by": "Invented Social Worker",
        "told_on": builders.MEETING.date() + dt.timedelta(days=1),
        "include_names": True,
        "include_date": True,
        **overrides,
    }
    return strategy_services.family_summary_save(
        acting_user=world["tm"], checker=builders.checker(world["tm"], discussion), data=data, version=None, now=AFTER
    )


def add_later_information(world, discussion, *, now: dt.datetime) -> None:
    """The record changes after the meeting: health adds an entry (recorded by the chair)."""
    strategy_services.information_add(
        acting_user=world["tm"],
        checker=builders.checker(world["tm"], discussion),
        agency=world["health"].agency,
        data={
            "information": "Invented later entry",
            "checks_done": "",
            "consent": "not_sought",
            "consent_manager_reason": "Invented manager's reason.",
            "not_for_family": False,
        },
        now=now,
    )


def minutes_checker(user, discussion) -> MinutesChecker:
    from minutes.access import get_minutes_for_user

    return get_minutes_for_user(user, discussion.pk)[1]


def _pdftotext(content: bytes, tmp_path: Path, how: str) -> str:
    path = tmp_path / "read.pdf"
    path.write_bytes(content)
    return subprocess.run(  # noqa: S603
        ["pdftotext", how, str(path), "-"],
        check=True,
        capture_output=True,
        text=True,  # noqa: S607
    ).stdout


def pdf_pages(content: bytes, tmp_path: Path) -> list[str]:
    """The text of each page, as poppler's pdftotext reads it."""
    text = _pdftotext(content, tmp_path, "-layout")
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def pdf_words(content: bytes, tmp_path: Path) -> tuple[float, list[tuple[str, float]]]:
    """The page width, and each word with its right edge, as poppler reads them (pdftotext -bbox)."""
    boxes = _pdftotext(content, tmp_path, "-bbox")
    width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))  # type: ignore[union-attr]
    words = re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]+)</word>', boxes)
    return width, [(word, float(right)) for right, word in words]


@pytest.fixture
def links_sent_before_codes(monkeypatch):
    """Circulating makes the single-use links sent before issue 31 (no code; they keep working, once, until they
    expire): how the old links' behaviour stays tested. Ask for it before the fixture that circulates."""
    from minutes import services

    monkeypatch.setattr(services, "CODE_LINKS", False)
