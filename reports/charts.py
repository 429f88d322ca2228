"""Bar charts for the timeliness report, drawn on the server as accessible SVG (DOMAIN.md section 8).

Pure: no database, no clock, no JavaScript and nothing fetched. The caller formats each value's text ("83%",
"fewer than 5", "withheld") and gives the page the table of the same numbers; the chart only draws them. Every
piece of text goes through `format_html`, so a label can hold `<`, `&` or quotes. Each series has a pattern as
well as a colour (WCAG 1.4.1), and every colour has at least 3:1 contrast with white (WCAG 1.4.11).
"""

import math
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class Point:
    label: str  # the x-axis label, e.g. "Jan 2026"
    value: float | None  # None: no bar (suppressed or no data)
    text: str  # written on or above the bar, formatted by the caller: "83%", "fewer than 5", "no data"


@dataclass(frozen=True)
class Series:
    name: str  # legend text, e.g. "Attended"
    points: list[Point]


FONT = 14  # every piece of text, in viewBox units: 14px at the chart's natural width
LINE = 18  # from one line of a wrapped label to the next
CHAR = 8  # a generous average width of one character at FONT, to leave room for text
GROUP = 56  # the width of one x label's group of bars (wider with several series)
GAP = 14  # the space between two groups
MIN_WIDTH = 320
PLOT_HEIGHT = 200
RIGHT = 16
TARGET_LABEL_CHARACTERS = 16  # the target's label is wrapped to lines of this length at most, right of the plot
TEXT = "#0b0c0c"  # GOV.UK black
SECONDARY_TEXT = "#505a5f"  # GOV.UK dark grey: the text of an empty bar
GRID = "#b1b4b6"  # GOV.UK mid grey: gridlines are decoration, the ticks carry the numbers
TARGET = "#d4351c"  # GOV.UK red, 4.5:1 on white
CHART_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in XML

# (colour, the marks drawn in white on it, a format_html template): GOV.UK colours with at least 3:1 contrast
# against white.
PATTERNS = [
    ("#1d70b8", ""),  # blue, solid
    ("#003078", '<path d="M0 0V8" stroke="{}" stroke-width="2.5"/>'),  # dark blue, diagonal lines (rotated)
    ("#00703c", '<circle cx="4" cy="4" r="1.8" fill="{}"/>'),  # green, dots
    ("#4c2c92", '<path d="M0 0V8M0 0H8" stroke="{}" stroke-width="2"/>'),  # purple, cross-hatch (rotated)
    ("#d53880", '<path d="M0 4H8" stroke="{}" stroke-width="2"/>'),  # pink, horizontal lines
    ("#0b0c0c", '<path d="M4 0V8" stroke="{}" stroke-width="2"/>'),  # black, vertical lines
]
WHITE = "#ffffff"
ROTATED_PATTERNS = {1, 3}


_Scale = tuple[float | None, float | None]  # y_max, target


@dataclass(frozen=True)
class _Layout:
    """Where everything goes, in viewBox units."""

    chart_id: str
    labels: list[str]
    names: list[str]
    x_label: list[str]  # lines, written under the plot
    x_label_y: float  # the first line's baseline
    y_label: list[str]  # lines, written above the y axis
    y_label_y: float
    target_label: list[str]  # lines, written right of the target line
    width: float
    height: float
    left: float  # the y axis
    right: float  # the right of the plot
    top: float  # the top of the plot
    group: float  # the width of one x label's group
    bar: float  # the width of one bar
    y_max: float
    step: float  # between two y ticks
    rotate_x: bool
    rotate_values: bool

    @property
    def baseline(self) -> float:
        return self.top + PLOT_HEIGHT

    def y(self, value: float) -> float:
        return self.baseline - PLOT_HEIGHT * min(max(value, 0.0), self.y_max) / self.y_max

    def bar_x(self, index: int, series_index: int) -> float:
        """The left edge of the bar of a series at an x label: the bars of a group are centred in it."""
        bars = self.bar * len(self.names)
        return self.left + index * self.group + (self.group - bars) / 2 + series_index * self.bar


def bar_chart(
    *,
    chart_id: str,
    title: str,
    x_label: str,
    y_label: str,
    series: list[Series],
    y_max: float | None = None,
    target: float | None = None,
    target_label: str = "",
    counted: tuple[str, str] = ("month", "months"),
) -> SafeString:
    """The markup of one SVG bar chart (grouped bars, with a legend, when there are several series).

    `chart_id` prefixes every id in the markup, so several charts share a page. `y_max` is the top of the y axis
    (None: a round number at or above the largest value and the target). `target` draws a dashed line labelled
    `target_label`. A point whose value is None draws no bar but writes its text at the baseline. Values below 0
    are drawn as 0 and values above `y_max` stop at the top; their text is written as given. Raises ValueError
    for an id that cannot be an SVG id, no series, more series than patterns, or series whose labels differ.
    `counted` names what the x labels are, one and several, for the description ("agency", "agencies").
    """
    labels = _validate(chart_id, series)
    words = {"x_label": _clean(x_label), "y_label": _clean(y_label), "target_label": _clean(target_label)}
    layout = _layout(chart_id, labels, series, words, (y_max, target))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" role="img" '
        'aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'preserveAspectRatio="xMinYMin meet" focusable="false" font-size="{font}" fill="{text}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        "<defs>{defs}</defs>{legend}{y_axis}{bars}{target}{x_axis}</svg>",
        id=chart_id,
        w=_n(layout.width),
        h=_n(layout.height),
        font=FONT,
        text=TEXT,
        title=_clean(title),
        desc=_description(x_label, y_label, layout, counted),
        defs=_patterns(chart_id, len(series)),
        legend=_legend(layout) if len(series) > 1 else "",
        y_axis=_y_axis(layout),
        bars=_bars(series, layout),
        target=_target(layout, target) if target is not None else "",
        x_axis=_x_axis(layout),
    )


def _validate(chart_id: str, series: list[Series]) -> list[str]:
    if not CHART_ID.match(chart_id):
        raise ValueError(f"A chart id starts with a letter and has only letters, digits, - and _: {chart_id!r}")
    if not series:
        raise ValueError("A chart needs at least one series")
    if len(series) > len(PATTERNS):
        raise ValueError(f"A chart has at most {len(PATTERNS)} series (one pattern each), not {len(series)}")
    labels = [point.label for point in series[0].points]
    for other in series[1:]:
        if [point.label for point in other.points] != labels:
            raise ValueError(f"Series {other.name!r} does not have the labels of {series[0].name!r}, in order")
    return [_clean(label) for label in labels]


def _layout(chart_id: str, labels: list[str], series: list[Series], words: dict[str, str], scale: _Scale) -> _Layout:
    y_max, target = scale
    names = [_clean(one.name) for one in series]
    top_value = y_max if y_max is not None and math.isfinite(y_max) and y_max > 0 else _nice_top(series, target)
    step = _nice_step(top_value / 5)
    group = float(max(GROUP, GAP + 18 * len(series)))
    rotate_x = len(labels) > 6 or any(_text_width(label) > group - 4 for label in labels)
    valued = [(point.value, _clean(point.text)) for one in series for point in one.points if point.value is not None]
    rotate_values = len(series) > 1 or any(_text_width(text) > group - 6 for _, text in valued)
    tick_width = max(_text_width(_tick(value, step)) for value in _ticks(top_value, step))
    left = max(16 + tick_width, _rotated_overhang(labels[0]) - group / 2 + 4 if rotate_x and labels else 0)
    # The target's label is written right of its line, clear of the bars.
    target_label = _wrap(words["target_label"], TARGET_LABEL_CHARACTERS * CHAR) if target is not None else []
    right = RIGHT + max([_text_width(line) + 8 for line in target_label], default=0)
    plot_width = max(len(labels) * group, MIN_WIDTH - left - right)
    width = left + plot_width + right
    # The x axis's label is centred under the plot, in lines as wide as the chart allows on both sides.
    middle = left + plot_width / 2
    y_label, x_label = (
        _wrap(words["y_label"], width - 16),
        _wrap(words["x_label"], 2 * min(middle, width - middle) - 16),
    )
    legend_bottom = 8 + _legend_height(names, width)
    top = legend_bottom + len(y_label) * LINE + 4 + _headroom(valued, top_value, rotate_values)
    label_band = max((_rotated_overhang(label) for label in labels), default=0) + FONT if rotate_x else FONT + 4
    return _Layout(
        chart_id=chart_id,
        labels=labels,
        names=names,
        x_label=x_label,
        x_label_y=top + PLOT_HEIGHT + 10 + label_band + 12 + FONT,
        y_label=y_label,
        y_label_y=legend_bottom + FONT,
        target_label=target_label,
        width=width,
        height=top + PLOT_HEIGHT + 10 + label_band + 12 + len(x_label) * LINE + 4,
        left=left,
        right=left + plot_width,
        top=top,
        group=plot_width / len(labels) if labels else group,
        bar=(group - GAP) / len(series),
        y_max=top_value,
        step=step,
        rotate_x=rotate_x,
        rotate_values=rotate_values,
    )


def _headroom(valued: list[tuple[float, str]], top_value: float, rotate_values: bool) -> float:
    """The room above the plot for the text over its tallest bars."""
    needed = [FONT + 2.0]
    for value, text in valued:
        extent = (_text_width(text) if rotate_values else FONT) + 6
        bar_height = PLOT_HEIGHT * min(max(value, 0.0), top_value) / top_value if math.isfinite(value) else 0.0
        needed.append(extent - (PLOT_HEIGHT - bar_height))
    return max(needed)


def _nice_top(series: list[Series], target: float | None) -> float:
    """The smallest of 1, 2, 2.5 and 5 times a power of ten at or above every value and the target; 1 if none."""
    values = [point.value for one in series for point in one.points if point.value is not None]
    largest = max([value for value in values if math.isfinite(value)] + [target or 0.0, 0.0])
    if largest <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(largest))
    for multiple in (1, 2, 2.5, 5, 10):
        top = round(multiple * power, 12)
        if top >= largest:
            return top
    return round(10 * power, 12)  # pragma: no cover - 10 times the power is always enough


def _nice_step(rough: float) -> float:
    """1, 2 or 5 times a power of ten, at or above `rough`: ticks read 0, 20, 40... or 0, 0.5, 1..."""
    power = 10.0 ** math.floor(math.log10(rough))
    for multiple in (1, 2, 5, 10):
        step = round(multiple * power, 12)
        if step >= rough * (1 - 1e-9):
            return step
    return round(10 * power, 12)  # pragma: no cover


def _ticks(top: float, step: float) -> list[float]:
    return [round(index * step, 12) for index in range(int(top / step + 1e-9) + 1)]


def _tick(value: float, step: float) -> str:
    """Whole numbers, or one decimal when the step is below 1 (more only for steps below 0.1)."""
    decimals = 0 if step >= 1 else max(1, math.ceil(-math.log10(step) - 1e-9))
    return f"{value:.{decimals}f}"


def _legend_height(names: list[str], width: float) -> float:
    if len(names) < 2:
        return 0
    return len(_legend_rows(names, width)) * 24 + 8


def _legend_rows(names: list[str], width: float) -> list[list[tuple[int, float]]]:
    """The legend's entries (series index, x) in rows that fit the chart's width."""
    rows: list[list[tuple[int, float]]] = [[]]
    x = 8.0
    for index, name in enumerate(names):
        entry = 16 + 6 + _text_width(name) + 20
        if rows[-1] and x + entry > width:
            rows.append([])
            x = 8.0
        rows[-1].append((index, x))
        x += entry
    return rows


def _description(x_label: str, y_label: str, layout: _Layout, counted: tuple[str, str]) -> str:
    """One sentence: "Bar chart of Percentage held on time by Month, 12 months, Police and Health."."""
    count = len(layout.labels)
    names = layout.names
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    counted_name = _clean(counted[0] if count == 1 else counted[1])
    return f"Bar chart of {_clean(y_label)} by {_clean(x_label)}, {count} {counted_name}, {listed}."


def _patterns(chart_id: str, count: int) -> SafeString:
    return _join(
        format_html(
            '<pattern id="{id}-pattern-{index}" patternUnits="userSpaceOnUse" width="8" height="8"{rotate}>'
            '<rect width="8" height="8" fill="{colour}"/>{marks}</pattern>',
            id=chart_id,
            index=index,
            rotate=format_html(' patternTransform="rotate({})"', 45) if index in ROTATED_PATTERNS else "",
            colour=colour,
            marks=format_html(marks, WHITE) if marks else "",
        )
        for index, (colour, marks) in enumerate(PATTERNS[:count])
    )


def _legend(layout: _Layout) -> SafeString:
    entries = []
    for row_number, row in enumerate(_legend_rows(layout.names, layout.width)):
        y = 8 + row_number * 24
        for index, x in row:
            entries.append(
                format_html(
                    '<rect x="{x}" y="{y}" width="16" height="16" fill="url(#{id}-pattern-{index})" '
                    'stroke="{colour}" stroke-width="1.5"/><text x="{text_x}" y="{text_y}">{name}</text>',
                    x=_n(x),
                    y=_n(y),
                    id=layout.chart_id,
                    index=index,
                    colour=PATTERNS[index][0],
                    text_x=_n(x + 22),
                    text_y=_n(y + 13),
                    name=layout.names[index],
                )
            )
    return format_html('<g class="app-chart__legend">{}</g>', _join(entries))


def _y_axis(layout: _Layout) -> SafeString:
    ticks = _join(
        format_html(
            '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="{grid}" stroke-width="1"/>'
            '<text x="{text_x}" y="{text_y}" text-anchor="end">{value}</text>',
            x1=_n(layout.left - 5),
            x2=_n(layout.right),
            y=_n(layout.y(value)),
            grid=GRID,
            text_x=_n(layout.left - 8),
            text_y=_n(layout.y(value) + 5),
            value=_tick(value, layout.step),
        )
        for value in _ticks(layout.y_max, layout.step)
    )
    # Written across, above the axis, where it reads without turning the head.
    return format_html(
        '<g class="app-chart__y-axis">{ticks}<line x1="{x}" x2="{x}" y1="{top}" y2="{bottom}" stroke="{colour}" '
        'stroke-width="1"/><text x="8" y="{label_y}">{label}</text></g>',
        ticks=ticks,
        x=_n(layout.left),
        top=_n(layout.top),
        bottom=_n(layout.baseline),
        colour=TEXT,
        label_y=_n(layout.y_label_y),
        label=_tspans(layout.y_label, 8),
    )


def _x_axis(layout: _Layout) -> SafeString:
    y = layout.baseline + 10 + FONT
    labels = _join(
        format_html(
            '<text x="{x}" y="{y}" text-anchor="end" transform="rotate(-45 {x} {y})">{label}</text>'
            if layout.rotate_x
            else '<text x="{x}" y="{y}" text-anchor="middle">{label}</text>',
            x=_n(layout.left + (index + 0.5) * layout.group + (4 if layout.rotate_x else 0)),
            y=_n(y),
            label=label,
        )
        for index, label in enumerate(layout.labels)
    )
    return format_html(
        '<g class="app-chart__x-axis"><line x1="{left}" x2="{right}" y1="{base}" y2="{base}" stroke="{colour}" '
        'stroke-width="1"/>{labels}<text x="{middle}" y="{label_y}" text-anchor="middle">{label}</text></g>',
        left=_n(layout.left),
        right=_n(layout.right),
        base=_n(layout.baseline),
        colour=TEXT,
        labels=labels,
        middle=_n((layout.left + layout.right) / 2),
        label_y=_n(layout.x_label_y),
        label=_tspans(layout.x_label, (layout.left + layout.right) / 2),
    )


def _bars(series: list[Series], layout: _Layout) -> SafeString:
    return format_html(
        '<g class="app-chart__bars">{}</g>',
        _join(
            _bar(layout, index, series_index, point)
            for series_index, one in enumerate(series)
            for index, point in enumerate(one.points)
        ),
    )


def _bar(layout: _Layout, index: int, series_index: int, point: Point) -> SafeString:
    x = layout.bar_x(index, series_index)
    centre = x + layout.bar / 2
    text = _clean(point.text)
    if point.value is None or not math.isfinite(point.value):
        return _empty_bar_text(layout, centre, text)
    top = layout.y(point.value)
    return format_html(
        '<rect class="app-chart__bar" x="{x}" y="{y}" width="{w}" height="{h}" fill="url(#{pattern})" '
        'stroke="{colour}" stroke-width="1.5"/>{text}',
        x=_n(x),
        y=_n(top),
        w=_n(layout.bar),
        h=_n(layout.baseline - top),
        pattern=f"{layout.chart_id}-pattern-{series_index}",
        colour=PATTERNS[series_index][0],
        text=_value_text(layout, centre, top - 6, text, "app-chart__value"),
    )


def _empty_bar_text(layout: _Layout, centre: float, text: str) -> SafeString:
    """No bar: the caller's reason ("fewer than 5", "no data") at the baseline, in grey italics."""
    return format_html(
        '<g fill="{colour}" font-style="italic">{text}</g>',
        colour=SECONDARY_TEXT,
        text=_value_text(layout, centre, layout.baseline - 6, text, "app-chart__empty"),
    )


def _value_text(layout: _Layout, centre: float, y: float, text: str, css_class: str) -> SafeString:
    """Above the bar, or reading upwards from just above it when it is wider than the bar's group.

    A white outline behind the letters keeps them legible where a gridline or the target line crosses them.
    """
    rotated = layout.rotate_values or _text_width(text) > layout.group - 6
    x = centre + 5 if rotated else centre
    return format_html(
        '<text class="{css}" x="{x}" y="{y}" {placing} stroke="#ffffff" stroke-width="3" paint-order="stroke">'
        "{text}</text>",
        css=css_class,
        x=_n(x),
        y=_n(y),
        placing=format_html('transform="rotate(-90 {} {})"', _n(x), _n(y))
        if rotated
        else format_html('text-anchor="{}"', "middle"),
        text=text,
    )


def _target(layout: _Layout, target: float) -> SafeString:
    y = layout.y(target)
    x = layout.right + 6
    return format_html(
        '<g class="app-chart__target"><line x1="{left}" x2="{right}" y1="{y}" y2="{y}" stroke="{colour}" '
        'stroke-width="2" stroke-dasharray="6 4"/><text x="{x}" y="{text_y}" fill="{colour}">{label}</text></g>',
        left=_n(layout.left),
        right=_n(layout.right),
        y=_n(y),
        colour=TARGET,
        x=_n(x),
        text_y=_n(y + 5 - (len(layout.target_label) - 1) * LINE / 2),
        label=_tspans(layout.target_label, x),
    )


def _wrap(text: str, width: float) -> list[str]:
    """A label in lines that fit `width` (a single word longer than that keeps its own line)."""
    return textwrap.wrap(text, max(1, int(width // CHAR)), break_long_words=False, break_on_hyphens=False)


def _tspans(lines: list[str], x: float) -> SafeString:
    """The lines of a wrapped label; each but the last keeps its space, so the text reads whole when copied."""
    return format_html_join(
        "",
        '<tspan x="{}" dy="{}">{}</tspan>',
        (
            (_n(x), 0 if number == 0 else LINE, line if number == len(lines) - 1 else line + " ")
            for number, line in enumerate(lines)
        ),
    )


def _join(parts: Iterable[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _clean(text: str) -> str:
    """Control characters cannot appear in XML: dropped, so a stray one never breaks the page."""
    return CONTROL_CHARACTERS.sub("", str(text))


def _text_width(text: str) -> float:
    return len(text) * CHAR


def _rotated_overhang(label: str) -> float:
    """How far a label rotated by 45 degrees reaches below (and left of) its anchor."""
    return _text_width(label) * math.sqrt(0.5)


def _n(number: float) -> str:
    """A coordinate with at most one decimal: "12", "12.5"."""
    return f"{number:.1f}".rstrip("0").rstrip(".")
