"""The report's tables and charts as the page draws them (issue 29)."""

from dataclasses import dataclass

from django.utils.safestring import SafeString

from reports import charts, suppress
from reports.selectors import TABLES, TOTAL, Report, Row, Table, Value


# The tables drawn as a chart too, and which of their measures are its bars (the table beside it has every number).
@dataclass(frozen=True)
class Chart:
    measures: tuple[str, ...]
    target: float | None = None
    target_label: str = ""


CHARTED: dict[str, tuple[Chart, ...]] = {
    "discussions": (Chart(("held-within-timescale",)),),
    "present": (Chart(("police-present", "health-present")),),
    # The headline promise: minutes ready the moment the call ends, against the statutory 48 hours.
    "minutes": (
        Chart(("minutes-hours-median",), target=48, target_label="48 hours"),
        Chart(("minutes-within-48-hours",)),
    ),
    "conferences": (Chart(("icpc-within-15", "assessment-within-45")),),
    "attendance": (Chart(("attendance-attended", "attendance-apologies", "attendance-no_response")),),
    "actions": (Chart(("actions-on-time", "actions-late", "actions-overdue")),),
}


@dataclass(frozen=True)
class ShownTable:
    table: Table
    rows: list[Row]
    charts: list[SafeString]


def _chart(table: Table, rows: list[Row], chart: Chart, number: int) -> SafeString:
    measures = [(i, m) for i, m in enumerate(table.measures) if m.slug in chart.measures]
    drawn = [row for row in rows if row.label != TOTAL]
    shares = all(m.of for _, m in measures)
    hours = all(m.percentile for _, m in measures)
    series = [
        charts.Series(
            name=measure.title,
            points=[
                charts.Point(label=_short(row), value=row.values[i].shown.number, text=row.values[i].shown.text)
                for row in drawn
            ],
        )
        for i, measure in measures
    ]
    return charts.bar_chart(
        chart_id=f"chart-{table.slug}-{number}",
        title=" and ".join(m.title for _, m in measures) if hours else table.title,
        x_label="Month" if table.by == "month" else table.by.capitalize(),
        y_label="Share (%)" if shares else ("Hours" if hours else "Count"),
        series=series,
        y_max=100 if shares else None,
        target=chart.target,
        target_label=chart.target_label,
        counted=("month", "months") if table.by == "month" else ("agency", "agencies"),
    )


def _short(row: Row) -> str:
    """A month as "Jan 2026" under a bar; a breakdown's label as it is."""
    parts = row.label.split(" ")
    return f"{parts[0][:3]} {parts[1]}" if len(parts) == 2 and parts[1].isdigit() else row.label


def tables(report: Report) -> list[ShownTable]:
    shown = []
    for table in TABLES:
        rows = report.rows(table)
        charts = [_chart(table, rows, chart, n) for n, chart in enumerate(CHARTED.get(table.slug, ()))] if rows else []
        shown.append(ShownTable(table, rows, charts))
    return shown


def csv_counts(value: Value) -> list[str]:
    """The numerator and denominator columns of a CSV row, suppressed and rounded as counts are."""
    numerator = suppress.count(value.numerator).text
    denominator = "" if value.denominator is None else suppress.count(value.denominator).text
    return [numerator, denominator]
