"""The referral tests' moment: Tuesday 24 November 2026 at noon, the clock stopped."""

import datetime as dt

import pytest

from core.timescales import LONDON


@pytest.fixture
def at_noon_on_24_november(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 24, 12, 0, tzinfo=LONDON), tick=False)
    return time_machine
