"""The report's bar charts: well-formed, accessible SVG drawn on the server from already formatted numbers."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString

from reports.charts import Point, Series, bar_chart

# Pure functions of their arguments: nothing here reads the clock, so a run with the clock moved adds nothing.
pytestmark = pytest.mark.clock_free

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["Jan 2026", "Feb 2026", "Mar 2026"]


def series(name: str, values: list[float | None], labels: list[str] = MONTHS) -> Series:
    return Series(
        name,
        [
            Point(label, value, "fewer than 5" if value is None else f"{value:g}%")
            for label, value in zip(labels, values, strict=True)
        ],
    )


def chart(**overrides) -> SafeString:
    arguments = {
        "chart_id": "on-time",
        "title": "Discussions held on time",
        "x_label": "Month",
        "y_label": "Percentage held on time",
        "series": [series("Held on time", [83, 91, 100])],
    } | overrides
    return bar_chart(**arguments)


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own output, parsed to check it is well-formed


def texts(root: ET.Element, css_class: str | None = None) -> list[str]:
    return [
        "".join(element.itertext())
        for element in root.iter(f"{SVG}text")
        if css_class is None or element.get("class") == css_class
    ]


def bars(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "app-chart__bar"]


def group(root: ET.Element, css_class: str) -> ET.Element:
    found = [element for element in root.iter(f"{SVG}g") if element.get("class") == css_class]
    assert len(found) == 1, css_class
    return found[0]


def y_ticks(root: ET.Element) -> list[str]:
    return texts(group(root, "app-chart__y-axis"))[:-1]  # the last text is the axis label


def test_the_chart_is_safe_markup_of_one_svg_image():
    markup = chart()
    root = parse(markup)
    assert isinstance(markup, SafeString)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("focusable") == "false"
    assert root.get("preserveAspectRatio") == "xMinYMin meet"
    assert root.get("class") == "app-chart"


def test_the_title_and_description_name_the_image():
    root = parse(chart())
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == "on-time-title on-time-desc"
    assert title.get("id") == "on-time-title" and title.text == "Discussions held on time"
    assert desc.get("id") == "on-time-desc"
    assert desc.text == "Bar chart of Percentage held on time by Month, 3 months, Held on time."


def test_the_description_names_every_series():
    root = parse(chart(series=[series("Police", [1, 2, 3]), series("Health", [1, 2, 3]), series("CSC", [1, 2, 3])]))
    assert (
        root.findtext(f"{SVG}desc")
        == "Bar chart of Percentage held on time by Month, 3 months, Police, Health and CSC."
    )


def test_both_axes_are_labelled_and_every_month_is_written():
    root = parse(chart())
    assert "Month" in texts(group(root, "app-chart__x-axis"))
    assert texts(group(root, "app-chart__x-axis"))[:3] == MONTHS
    assert texts(group(root, "app-chart__y-axis"))[-1] == "Percentage held on time"


def test_each_point_with_a_value_has_one_bar_with_its_value_written():
    root = parse(chart(series=[series("Held on time", [83, 91.5, 0])]))
    assert len(bars(root)) == 3
    assert texts(root, "app-chart__value") == ["83%", "91.5%", "0%"]


def test_a_point_without_a_value_has_no_bar_but_says_why():
    root = parse(chart(series=[series("Held on time", [83, None, 100])]))
    assert len(bars(root)) == 2
    assert texts(root, "app-chart__value") == ["83%", "100%"]
    assert texts(root, "app-chart__empty") == ["fewer than 5"]


def test_bars_are_drawn_to_scale_from_the_baseline():
    root = parse(chart(series=[series("Held on time", [100, 50, 25])], y_max=100))
    heights = [float(bar.get("height", "")) for bar in bars(root)]
    bottoms = {round(float(bar.get("y", "")) + float(bar.get("height", "")), 1) for bar in bars(root)}
    assert heights[0] == pytest.approx(2 * heights[1]) == pytest.approx(4 * heights[2])
    assert len(bottoms) == 1


def test_a_value_above_the_top_stops_at_the_top_and_keeps_its_text():
    root = parse(chart(series=[series("Held on time", [150, 100, 50])], y_max=100))
    first, second, _ = bars(root)
    assert first.get("height") == second.get("height")
    assert texts(root, "app-chart__value")[0] == "150%"


def test_several_series_have_grouped_bars_a_pattern_each_and_a_legend():
    root = parse(chart(series=[series("Police", [80, None, 60]), series("Health", [70, 75, None])]))
    patterns = list(root.iter(f"{SVG}pattern"))
    assert [pattern.get("id") for pattern in patterns] == ["on-time-pattern-0", "on-time-pattern-1"]
    # Pattern and colour both differ: colour is not the only signal (WCAG 1.4.1).
    looks = {ET.tostring(pattern).replace(pattern.get("id", "").encode(), b"") for pattern in patterns}
    assert len(looks) == 2
    assert [bar.get("fill") for bar in bars(root)] == ["url(#on-time-pattern-0)"] * 2 + ["url(#on-time-pattern-1)"] * 2
    legend = group(root, "app-chart__legend")
    assert texts(legend) == ["Police", "Health"]
    swatches = [rect.get("fill") for rect in legend.iter(f"{SVG}rect")]
    assert swatches == ["url(#on-time-pattern-0)", "url(#on-time-pattern-1)"]


def test_the_bars_of_a_month_stand_side_by_side_under_its_label():
    root = parse(chart(series=[series("Police", [80, 70, 60]), series("Health", [70, 75, 65])]))
    police, health = bars(root)[0], bars(root)[3]
    assert float(police.get("x", "")) + float(police.get("width", "")) == pytest.approx(float(health.get("x", "")))


def test_one_series_has_no_legend():
    root = parse(chart())
    assert [element for element in root.iter(f"{SVG}g") if element.get("class") == "app-chart__legend"] == []


def test_six_series_each_have_their_own_pattern_and_a_seventh_is_refused():
    six = [series(f"Agency {number}", [10, 20, 30]) for number in range(6)]
    patterns = list(parse(chart(series=six)).iter(f"{SVG}pattern"))
    fills = {pattern.find(f"{SVG}rect").get("fill") for pattern in patterns}  # type: ignore[union-attr]
    assert len(patterns) == 6 and len(fills) == 6
    with pytest.raises(ValueError, match="at most 6 series"):
        chart(series=[*six, series("Agency 7", [1, 2, 3])])


def test_two_charts_on_one_page_share_no_id():
    two = [series("Police", [80, 70, 60]), series("Health", [70, 75, 65])]
    first, second = parse(chart(chart_id="held", series=two)), parse(chart(chart_id="minutes", series=two))
    first_ids = {element.get("id", "") for element in first.iter() if element.get("id")}
    second_ids = {element.get("id", "") for element in second.iter() if element.get("id")}
    assert first_ids and second_ids and first_ids.isdisjoint(second_ids)
    assert all(identifier.startswith("held-") for identifier in first_ids)
    references = re.findall(r"url\(#([^)]+)\)", ET.tostring(second, encoding="unicode"))
    assert references and set(references) <= second_ids


@pytest.mark.parametrize("chart_id", ["", "1st", "a b", 'x"y', "on-time)"])
def test_an_id_that_could_break_the_markup_is_refused(chart_id):
    with pytest.raises(ValueError, match="chart id"):
        chart(chart_id=chart_id)


def test_hostile_text_is_escaped_and_written_literally():
    hostile = '<script>alert("x")</script> & "quoted" \'single\''
    months = [hostile, "Feb 2026", "Mar 2026"]
    markup = chart(
        title=hostile,
        x_label=hostile,
        y_label=hostile,
        series=[series(hostile, [1, None, 3], months), series("Health", [1, 2, 3], months)],
        target=2,
        target_label=hostile,
    )
    root = parse(markup)
    assert "<script" not in markup
    assert not [element for element in root.iter() if element.tag.endswith("script")]
    assert root.findtext(f"{SVG}title") == hostile
    assert hostile in root.findtext(f"{SVG}desc", "")
    assert texts(root).count(hostile) == 5  # the legend, the first month, both axes and the target


def test_no_script_event_handler_or_outside_reference():
    root = parse(chart(series=[series("Police", [80, None, 60]), series("Health", [70, 75, None])], target=50))
    attributes = {name for element in root.iter() for name in element.attrib}
    assert not [name for name in attributes if name.lower().startswith("on") or name.endswith("href")]
    assert not [element for element in root.iter() if element.tag in (f"{SVG}script", f"{SVG}image", f"{SVG}style")]


def test_every_text_is_at_least_14_units_high():
    root = parse(chart())
    assert float(root.get("font-size", "")) >= 14
    assert not [element for element in root.iter() if "font-size" in element.attrib and element is not root]


def test_the_width_grows_with_the_months_but_never_below_320():
    def width(months: int) -> float:
        labels = [f"Month {number}" for number in range(months)]
        root = parse(chart(series=[series("Held on time", [50] * months, labels)]))
        assert root.get("viewBox", "").startswith("0 0 ")
        return float(root.get("width", ""))

    assert width(1) == 320
    assert 12 * 56 <= width(12) < 12 * 56 + 200
    assert width(24) > width(12)


def test_month_labels_turn_when_more_than_six_would_crowd_the_axis():
    def turned(months: int) -> list[bool]:
        labels = [f"M{number}" for number in range(months)]
        root = parse(chart(series=[series("Held on time", [50] * months, labels)]))
        return [
            "rotate(-45" in text.get("transform", "") for text in group(root, "app-chart__x-axis").iter(f"{SVG}text")
        ][:-1]

    assert turned(6) == [False] * 6
    assert turned(7) == [True] * 7


def test_y_max_is_the_top_tick():
    root = parse(chart(y_max=100))
    assert y_ticks(root) == ["0", "20", "40", "60", "80", "100"]


@pytest.mark.parametrize(
    ("values", "top"),
    [
        ([83, 91, 100], "100"),
        ([83, 91, 99], "100"),
        ([12, 3, 1], "20"),
        ([21, None, 1], "25"),
        ([3.2, 1, 0], "5"),
        ([0.7, 0.1, 0.3], "1.0"),
        ([101, 50, 0], "200"),
        ([None, None, None], "1.0"),
        ([0, 0, None], "1.0"),
    ],
)
def test_without_y_max_the_top_is_a_round_number_at_or_above_the_largest_value(values, top):
    root = parse(chart(series=[series("Held on time", values)]))
    assert y_ticks(root)[-1] == top


def test_ticks_below_one_have_one_decimal():
    root = parse(chart(series=[series("Hours", [0.7, 2, 1.5])]))
    assert y_ticks(root) == ["0.0", "0.5", "1.0", "1.5", "2.0"]


def test_the_target_is_a_labelled_dashed_line_and_lifts_a_round_top():
    root = parse(
        chart(series=[series("Hours to minutes", [20, 30, None])], target=48, target_label="Within 48 hours"),
    )
    target = group(root, "app-chart__target")
    line = target.find(f"{SVG}line")
    assert line is not None and line.get("stroke-dasharray")
    assert texts(target) == ["Within 48 hours"]
    assert y_ticks(root)[-1] == "50"
    # On the scale: 48 of 50 is 96% of the way from the baseline to the top tick.
    gridlines = [float(line.get("y1", "")) for line in group(root, "app-chart__y-axis").iter(f"{SVG}line")][:-1]
    baseline, top = gridlines[0], gridlines[-1]
    assert float(line.get("y1", "")) == pytest.approx(baseline - 0.96 * (baseline - top), abs=0.1)


def test_no_target_no_line():
    root = parse(chart())
    assert [element for element in root.iter(f"{SVG}g") if element.get("class") == "app-chart__target"] == []


def test_series_with_different_months_are_refused():
    other_order = ["Feb 2026", "Jan 2026", "Mar 2026"]
    with pytest.raises(ValueError, match="labels"):
        chart(series=[series("Police", [1, 2, 3]), series("Health", [1, 2, 3], other_order)])
    with pytest.raises(ValueError, match="labels"):
        chart(series=[series("Police", [1, 2, 3]), series("Health", [1, 2], MONTHS[:2])])


def test_a_chart_needs_a_series():
    with pytest.raises(ValueError, match="at least one series"):
        chart(series=[])


def test_long_labels_are_wrapped_inside_the_chart_and_still_read_whole():
    y_label = "Share of minutes circulated to every invitee within 48 hours of the discussion"
    x_label = "Month the strategy discussion was held in"
    target_label = "Statutory target: 48 hours after the meeting"
    root = parse(chart(x_label=x_label, y_label=y_label, target=48, target_label=target_label))
    width = float(root.get("width", ""))
    for label, css_class in [
        (y_label, "app-chart__y-axis"),
        (x_label, "app-chart__x-axis"),
        (target_label, "app-chart__target"),
    ]:
        written = [text for text in group(root, css_class).iter(f"{SVG}text") if "".join(text.itertext()) == label]
        assert len(written) == 1, label
        lines = list(written[0].iter(f"{SVG}tspan"))
        assert len(lines) > 1, label
        assert all(len(line.text or "") * 8 < width for line in lines)


def test_every_bar_and_text_anchor_lies_inside_the_viewbox():
    root = parse(
        chart(
            series=[series("Police", [100, None, 60]), series("Health", [70, 75, 99])],
            target=100,
            target_label="Target 100%",
        )
    )
    _, _, width, height = (float(number) for number in root.get("viewBox", "").split())
    for rect in bars(root):
        assert 0 <= float(rect.get("x", "")) and float(rect.get("x", "")) + float(rect.get("width", "")) <= width
        assert 0 <= float(rect.get("y", "")) and float(rect.get("y", "")) + float(rect.get("height", "")) <= height
    for text in root.iter(f"{SVG}text"):
        assert 0 <= float(text.get("x", "")) <= width and 0 < float(text.get("y", "")) <= height


def test_values_are_written_above_their_bars():
    root = parse(chart(series=[series("Held on time", [83, 91, 100])], y_max=100))
    written = [text for text in root.iter(f"{SVG}text") if text.get("class") == "app-chart__value"]
    for bar, text in zip(bars(root), written, strict=True):
        assert float(text.get("y", "")) < float(bar.get("y", ""))
        assert (
            float(bar.get("x", "")) < float(text.get("x", "")) < float(bar.get("x", "")) + float(bar.get("width", ""))
        )


def test_the_description_counts_what_the_x_labels_are():
    agencies = ["Police", "Health"]
    one_agency = parse(
        chart(x_label="Agency", series=[series("Attended", [80], ["Police"])], counted=("agency", "agencies"))
    )
    two_agencies = parse(
        chart(x_label="Agency", series=[series("Attended", [80, 70], agencies)], counted=("agency", "agencies"))
    )
    one_month = parse(chart(series=[series("Held on time", [80], ["Jan 2026"])]))
    assert one_agency.findtext(f"{SVG}desc") == "Bar chart of Percentage held on time by Agency, 1 agency, Attended."
    assert (
        two_agencies.findtext(f"{SVG}desc") == "Bar chart of Percentage held on time by Agency, 2 agencies, Attended."
    )
    assert one_month.findtext(f"{SVG}desc") == "Bar chart of Percentage held on time by Month, 1 month, Held on time."


def test_a_value_below_zero_draws_no_height_and_keeps_its_text():
    root = parse(
        chart(
            series=[
                Series(
                    "Change",
                    [Point(label, value, f"{value:+g}") for label, value in zip(MONTHS, [-5, 0, 5], strict=True)],
                )
            ]
        )
    )
    heights = [float(bar.get("height", "")) for bar in bars(root)]
    assert heights[0] == heights[1] == 0 < heights[2]
    assert texts(root, "app-chart__value") == ["-5", "+0", "+5"]


def contrast_with_white(colour: str) -> float:
    """WCAG 2.2's contrast ratio of a #rrggbb colour against white."""
    channels = [int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4 for value in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def test_every_bar_colour_and_the_target_stand_out_from_white_by_3_to_1():
    six = [series(f"Agency {number}", [10, 20, 30]) for number in range(6)]
    root = parse(chart(series=six, target=25, target_label="Target"))
    colours = {bar.get("stroke", "") for bar in bars(root)}
    colours |= {line.get("stroke", "") for line in group(root, "app-chart__target").iter(f"{SVG}line")}
    assert len(colours) == 7
    assert {colour: contrast_with_white(colour) >= 3 for colour in colours} == dict.fromkeys(colours, True)
