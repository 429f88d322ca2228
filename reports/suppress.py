"""No child identifiable (issue 29): how a count, a rate and a time are shown, in the page and in the CSV alike.

The ONS approach: a count from 1 to 4 is shown as "fewer than 5"; every other count is rounded to the nearest 5,
so no difference between two filters, two ranges or a total and its parts gives a suppressed count back. A rate
is computed from the counts as they are (not rounded), and withheld when its numerator, its denominator or what
the numerator leaves of it (the rest) is from 1 to 4: 97 of 100 would say that 3 were not. A median or a
percentile is withheld when it comes from fewer than 5 values.
"""

from dataclasses import dataclass

FEWER_THAN_5 = "fewer than 5"
WITHHELD = "withheld"
NO_DATA = "none"


def small(count: int) -> bool:
    return 1 <= count <= 4


def rounded(count: int) -> int:
    """To the nearest 5, halves up (not banker's rounding: 2.5 fives is never asked, counts are whole)."""
    return (count + 2) // 5 * 5


@dataclass(frozen=True)
class Shown:
    """A value as the report shows it: `text` in the page and the CSV; `number` for a chart (None: no bar)."""

    text: str
    number: float | None


def count(value: int) -> Shown:
    if small(value):
        return Shown(FEWER_THAN_5, None)
    return Shown(f"{rounded(value):,}", float(rounded(value)))


def rate(numerator: int, denominator: int) -> Shown:
    """A share, as a whole percentage."""
    if denominator == 0:
        return Shown(NO_DATA, None)
    if small(numerator) or small(denominator) or small(denominator - numerator):
        return Shown(WITHHELD, None)
    share = 100 * numerator / denominator
    return Shown(f"{share:.0f}%", share)


def amount(value: float | None, of: int, unit: str) -> Shown:
    """A median or percentile of `of` values, in whole `unit`s."""
    if of == 0 or value is None:
        return Shown(NO_DATA, None)
    if small(of):
        return Shown(WITHHELD, None)
    number = f"{value:,.0f}"
    return Shown(f"{number} {unit.removesuffix('s') if number == '1' else unit}", float(value))  # 1 working day
