"""Bar charts drawn on the server as SVG markup, for the dashboard and the activity report.

No script and no style attribute (the Content-Security-Policy forbids both): geometry and colours
are SVG presentation attributes, the rest comes from classes of the stylesheets. Every text is
escaped. A right-to-left chart is the mirror of the left-to-right one: labels on the right, bars
growing leftwards, the first year on the right. Each chart is an image for assistive technology
(role="img", a <title>); the page shows the same figures as a table.

WeasyPrint 70 draws an SVG text in left-to-right order word by word, whatever its direction: an
Arabic label of two words would print its words swapped. So the PDF draws horizontal charts as a
table — the label in HTML, shaped and ordered right, and the bar as a coloured box (bar_percent; the
activity report draws it as the label cell's background instead, bar_share);
the column chart, whose labels are years, prints as it is.
"""
import itertools
from dataclasses import dataclass

from babel import Locale
from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from centre.i18n import FORMAT_LOCALES, country_name, localized

WIDTH = 360  #: of the view box; the chart scales to its container (a phone's width, about)
ROW = 26  #: height of a horizontal bar's row
LABEL = 150  #: room for the labels of horizontal bars
VALUE = 40  #: room for the value written after a bar
LABEL_CHARS = 18  #: longer labels are shortened (the table beside the chart has them in full)
COLOURS = ("#0f4c5c", "#3a7d8c", "#b7791f", "#6b4c9a", "#2f855a", "#9b2c2c")
_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  #: the value as written beside the bar ("12", "85 %")


def _short(label: str) -> str:
    label = str(label)
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _text(x: float, y: float, content: str, anchor: str, css: str, direction: str = "ltr") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" direction="{direction}" class="{css}">'
            f'{escape(content)}</text>')


def _open(title: str, width: float, height: float, direction: str, chart_id: str | None) -> tuple[str, str]:
    chart_id = chart_id or f"chart-{next(_ids)}"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{direction}" role="img" '
            f'aria-labelledby="{chart_id}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}" direction="{direction}" font-size="14" '
            f'font-family="Amiri, DejaVu Serif, serif">'
            f'<title id="{chart_id}">{escape(title)}</title>')
    return chart_id, head


def horizontal_bars(bars: list[Bar], title: str, direction: str = "ltr", maximum: float | None = None,
                    colour: str = COLOURS[0], chart_id: str | None = None) -> Markup:
    """One bar per row, label first (at the start of the reading direction), value after the bar."""
    rtl = direction == "rtl"
    top = max((bar.value for bar in bars), default=0)
    maximum = maximum or top or 1
    height = ROW * max(len(bars), 1) + 8
    room = WIDTH - LABEL - VALUE
    _, svg = _open(title, WIDTH, height, direction, chart_id)
    parts = [svg]
    # The axis the bars grow from.
    axis = WIDTH - LABEL if rtl else LABEL
    parts.append(f'<line x1="{axis}" y1="2" x2="{axis}" y2="{height - 4}" stroke="#8792a2" stroke-width="1"/>')
    for i, bar in enumerate(bars):
        y = 4 + i * ROW
        length = room * max(bar.value, 0) / maximum
        middle = y + ROW / 2 + 4
        if rtl:  # the mirror image; in right-to-left text "start" is the right edge
            parts.append(f'<rect x="{axis - length:.1f}" y="{y + 3}" width="{length:.1f}" height="{ROW - 8}" fill="{colour}"/>')
            parts.append(_text(axis + 8, middle, _short(bar.label), "end", "label", "rtl"))
            parts.append(_text(axis - length - 6, middle, bar.text, "start", "value", "rtl"))
        else:
            parts.append(f'<rect x="{axis}" y="{y + 3}" width="{length:.1f}" height="{ROW - 8}" fill="{colour}"/>')
            parts.append(_text(LABEL - 8, middle, _short(bar.label), "end", "label"))
            parts.append(_text(axis + length + 6, middle, bar.text, "start", "value"))
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_percent(bar: Bar, maximum: float) -> str:
    """How long a PDF table row's bar is, as a percentage of its cell ("42.50"): the PDF draws it as
    a coloured box of that width, which starts on the reading direction's side by itself. A box
    lays out about ten times faster than an inline SVG image (profiled: the SVGs were a sixth of
    the activity report's render)."""
    return f"{_share(bar, maximum):.2f}"


def bar_share(bar: Bar, maximum: float) -> int:
    """How long a bar of the activity report is, in whole percent of its cell (0-100): the report draws
    it as its label cell's background, sized by a class of its stylesheet (w0 … w100), so that a bar
    is no element of its own (WeasyPrint's time is per element, profiled)."""
    return round(_share(bar, maximum))


def _share(bar: Bar, maximum: float) -> float:
    """A bar's length in percent of the longest possible (0-100)."""
    return 100 * min(max(bar.value, 0), maximum or 1) / (maximum or 1)


def vertical_bars(bars: list[Bar], title: str, direction: str = "ltr", colour: str = COLOURS[0],
                  chart_id: str | None = None) -> Markup:
    """Columns in reading order (in right to left, the first column on the right), each with
    its label below and its value above."""
    rtl = direction == "rtl"
    ordered = list(reversed(bars)) if rtl else list(bars)
    height, base, top_room = 200, 168, 22
    step = WIDTH / max(len(ordered), 1)
    width = min(step * 0.62, 40)
    maximum = max((bar.value for bar in bars), default=0) or 1
    _, svg = _open(title, WIDTH, height, direction, chart_id)
    parts = [svg, f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#8792a2" stroke-width="1"/>']
    for i, bar in enumerate(ordered):
        centre = step * i + step / 2
        length = (base - top_room) * max(bar.value, 0) / maximum
        parts.append(f'<rect x="{centre - width / 2:.1f}" y="{base - length:.1f}" width="{width:.1f}" '
                     f'height="{length:.1f}" fill="{colour}"/>')
        parts.append(_text(centre, base - length - 5, bar.text, "middle", "value", direction))
        parts.append(_text(centre, base + 17, _short(bar.label), "middle", "label", direction))
    parts.append("</svg>")
    return Markup("".join(parts))


# The report's charts, each with the table that says the same in words.


@dataclass(frozen=True)
class ChartBlock:
    key: str
    title: str
    svg: Markup
    headers: tuple[str, ...]
    rows: list[tuple]  #: first cell a label, the others figures (already formatted)
    #: The bars the PDF draws as a table with labels in HTML, and their scale; None for a column chart.
    bars: list[Bar] | None = None
    maximum: float = 0


#: The country chart shows this many countries; the others are added up on one bar.
TOP_COUNTRIES = 12
#: The attendance chart (and its table) shows the latest sessions, this many at most; the PDF lists all.
LATEST_SESSIONS = 30


def report_charts(report, language: str, direction: str) -> list[ChartBlock]:
    """The charts of a report (services.Report), labelled in `language`, read in `direction`."""
    locale = Locale.parse(FORMAT_LOCALES.get(language, language))  # once, not for every figure
    # The charts' ids count from 1 in each report, so that the same report is the same HTML (and PDF).
    numbers = itertools.count(1)

    def number(value) -> str:
        return format_decimal(value, locale=locale)

    def bars(pairs) -> list[Bar]:
        return [Bar(label, value, number(value)) for label, value in pairs]

    def block(key, title, header, pairs, shown=None, maximum=None) -> ChartBlock:
        """A horizontal chart of `shown` (all the pairs by default); its table and the PDF's list every pair."""
        every = bars(pairs)
        top = maximum or max((bar.value for bar in every), default=0) or 1
        svg = horizontal_bars(bars(shown) if shown is not None else every, title, direction, maximum=maximum,
                              chart_id=f"chart-{next(numbers)}")
        return ChartBlock(key, title, svg, header, [(bar.label, bar.text) for bar in every], every, top)

    people = _("Participants")
    kinds = [(kind.label, count) for kind, count in report.headline.sessions_by_kind.items()]
    regions = [(region.label, count) for region, count in report.by_region if count or region.value != "other"]
    countries = [(country_name(code, language), count) for code, count in report.by_country]
    shown = countries[:TOP_COUNTRIES]
    if len(countries) > TOP_COUNTRIES:
        shown.append((_("Other countries"), sum(count for _label, count in countries[TOP_COUNTRIES:])))
    associations = [(localized(a, "name", language) if a else _("No association"), count)
                    for a, count in report.by_association]
    association_codes = [(a.code if a else _("No association"), count) for a, count in report.by_association]
    genders = [(gender.label, count) for gender, count in report.by_gender]
    blocks = [
        block("kinds", _("Sessions by kind"), (_("Kind"), _("Sessions")), kinds),
        block("regions", _("Participants by region"), (_("Region"), people), regions),
        block("countries", _("Participants by country"), (_("Country"), people), countries, shown),
        block("associations", _("Participants by association"), (_("Association"), people), associations,
              association_codes),
        block("genders", _("Participants by gender"), (_("Gender"), people), genders),
    ]
    title = _("Sessions per year")
    blocks.append(ChartBlock(
        "years", title, vertical_bars(bars((str(year), sessions) for year, sessions, _n in report.per_year),
                                      title, direction, chart_id=f"chart-{next(numbers)}"),
        (_("Year"), _("Sessions"), people),
        [(str(year), number(sessions), number(n)) for year, sessions, n in report.per_year]))
    rated = [row for row in report.sessions if row.attendance.counted]
    rates = [Bar(row.session.code, row.attendance.percent, f"{row.attendance.percent} %") for row in rated]
    latest = rates[-LATEST_SESSIONS:]
    title = _("Attendance rate per session") if len(latest) == len(rates) else ngettext(
        "Attendance rate of the latest session", "Attendance rate of the latest %(num)d sessions", len(latest))
    blocks.append(ChartBlock("attendance", title, horizontal_bars(latest, title, direction, maximum=100,
                                                                      chart_id=f"chart-{next(numbers)}"),
                             (_("Session"), _("Attendance rate")), [(bar.label, bar.text) for bar in latest],
                             rates, 100))
    return blocks
