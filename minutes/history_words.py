"""What the case history says when the minutes' clock is met: who circulated them, to how many people.

Registered with the case history (strategy.history.MET_WORDS) when the app starts: the history sits below this
app and cannot read circulations itself.
"""

import datetime as dt
from collections import Counter

from django.db.models import Min

from core.timescales import Rule
from minutes.models import Circulation
from strategy import history


def circulated(met: dict[int, dt.datetime], who: dict[int, str]) -> dict[int, str]:
    """{minutes clock id: "Minutes circulated by <name> to 9 people"}: the people sent an approved version by the
    moment the clock was met. One query for a page's clocks."""
    firsts = (
        Circulation.objects.filter(version__discussion__minutes_deadline_id__in=list(met))
        .values("version__discussion__minutes_deadline_id", "recipient_id")
        .annotate(first=Min("sent_at"))
        .order_by()
    )
    people: Counter = Counter()
    for row in firsts:
        clock = row["version__discussion__minutes_deadline_id"]
        if row["first"] <= met[clock]:
            people[clock] += 1
    words = {}
    for clock, count in people.items():
        by = f" by {who[clock]}" if who.get(clock) else ""
        words[clock] = f"Minutes circulated{by} to {count} {'person' if count == 1 else 'people'}"
    return words


def register() -> None:
    history.register_met_words(Rule.MINUTES_CIRCULATED, circulated)
