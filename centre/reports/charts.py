"""Bar charts drawn on the server as SVG markup, for the dashboard and the activity report.

No script and no style attribute (the Content-Security-Policy forbids both): geometry and colours
are SVG presentation attributes, the rest comes from classes of the stylesheets. Every text is
escaped. A right-to-left chart is the mirror of the left-to-right one: labels on the right, bars
growing leftwards, the first year on the right. Its texts are laid out with direction="ltr" and
explicit anchors, so that browsers and WeasyPrint place them alike. Each chart is an image for
assistive technology (role="img", a <title>); the page shows the same figures as a table.
"""
import itertools
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 480  #: of the view box; the chart scales to its container
ROW = 26  #: height of a horizontal bar's row
LABEL = 150  #: room for the labels of horizontal bars
VALUE = 56  #: room for the value written after a bar
LABEL_CHARS = 24  #: longer labels are shortened (the table beside the chart has them in full)
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


def _text(x: float, y: float, content: str, anchor: str, css: str) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" direction="ltr" class="{css}">'
            f'{escape(content)}</text>')


def _open(title: str, width: float, height: float, direction: str) -> tuple[str, str]:
    chart_id = f"chart-{next(_ids)}"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{direction}" role="img" '
            f'aria-labelledby="{chart_id}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}" direction="ltr" font-size="12" '
            f'font-family="Amiri, DejaVu Serif, serif">'
            f'<title id="{chart_id}">{escape(title)}</title>')
    return chart_id, head


def horizontal_bars(bars: list[Bar], title: str, direction: str = "ltr", maximum: float | None = None,
                    colour: str = COLOURS[0]) -> Markup:
    """One bar per row, label first (at the start of the reading direction), value after the bar."""
    rtl = direction == "rtl"
    top = max((bar.value for bar in bars), default=0)
    maximum = maximum or top or 1
    height = ROW * max(len(bars), 1) + 8
    room = WIDTH - LABEL - VALUE
    _, svg = _open(title, WIDTH, height, direction)
    parts = [svg]
    # The axis the bars grow from.
    axis = WIDTH - LABEL if rtl else LABEL
    parts.append(f'<line x1="{axis}" y1="2" x2="{axis}" y2="{height - 4}" stroke="#8792a2" stroke-width="1"/>')
    for i, bar in enumerate(bars):
        y = 4 + i * ROW
        length = room * max(bar.value, 0) / maximum
        middle = y + ROW / 2 + 4
        if rtl:
            parts.append(f'<rect x="{axis - length:.1f}" y="{y + 3}" width="{length:.1f}" height="{ROW - 8}" fill="{colour}"/>')
            parts.append(_text(WIDTH - LABEL + 8, middle, _short(bar.label), "start", "label"))
            parts.append(_text(axis - length - 6, middle, bar.text, "end", "value"))
        else:
            parts.append(f'<rect x="{axis}" y="{y + 3}" width="{length:.1f}" height="{ROW - 8}" fill="{colour}"/>')
            parts.append(_text(LABEL - 8, middle, _short(bar.label), "end", "label"))
            parts.append(_text(axis + length + 6, middle, bar.text, "start", "value"))
    parts.append("</svg>")
    return Markup("".join(parts))


def vertical_bars(bars: list[Bar], title: str, direction: str = "ltr", colour: str = COLOURS[0]) -> Markup:
    """Columns in reading order (in right to left, the first column on the right), each with
    its label below and its value above."""
    rtl = direction == "rtl"
    ordered = list(reversed(bars)) if rtl else list(bars)
    height, base, top_room = 200, 170, 22
    step = WIDTH / max(len(ordered), 1)
    width = min(step * 0.62, 48)
    maximum = max((bar.value for bar in bars), default=0) or 1
    _, svg = _open(title, WIDTH, height, direction)
    parts = [svg, f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#8792a2" stroke-width="1"/>']
    for i, bar in enumerate(ordered):
        centre = step * i + step / 2
        length = (base - top_room) * max(bar.value, 0) / maximum
        parts.append(f'<rect x="{centre - width / 2:.1f}" y="{base - length:.1f}" width="{width:.1f}" '
                     f'height="{length:.1f}" fill="{colour}"/>')
        parts.append(_text(centre, base - length - 5, bar.text, "middle", "value"))
        parts.append(_text(centre, base + 17, _short(bar.label), "middle", "label"))
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


#: The country chart shows this many countries; the others are added up on one bar.
TOP_COUNTRIES = 12


def report_charts(report, language: str, direction: str) -> list[ChartBlock]:
    """The charts of a report (services.Report), labelled in `language`, read in `direction`."""
    from babel.numbers import format_decimal
    from flask_babel import gettext as _

    from centre.i18n import FORMAT_LOCALES, country_name, localized

    locale = FORMAT_LOCALES.get(language, language)

    def number(value) -> str:
        return format_decimal(value, locale=locale)

    def block(key, title, pairs, headers):
        texts = [number(value) for _label, value in pairs]
        bars = [Bar(label, value, text) for (label, value), text in zip(pairs, texts)]
        svg = horizontal_bars(bars, title, direction)
        return ChartBlock(key, title, svg, headers, [(label, text) for (label, _value), text in zip(pairs, texts)])

    participants = _("Participants")
    blocks = []
    kinds = [(kind.label, count) for kind, count in report.headline.sessions_by_kind.items()]
    blocks.append(block("kinds", _("Sessions by kind"), kinds, (_("Kind"), _("Sessions"))))
    regions = [(region.label, count) for region, count in report.by_region if count or region.value != "other"]
    blocks.append(block("regions", _("Participants by region"), regions, (_("Region"), participants)))
    countries = [(country_name(code, language), count) for code, count in report.by_country]
    shown = countries[:TOP_COUNTRIES]
    if len(countries) > TOP_COUNTRIES:
        shown.append((_("Other countries"), sum(count for _label, count in countries[TOP_COUNTRIES:])))
    title = _("Participants by country")
    blocks.append(ChartBlock(
        "countries", title,
        horizontal_bars([Bar(label, value, number(value)) for label, value in shown], title, direction),
        (_("Country"), participants), [(label, number(value)) for label, value in countries]))
    associations = [(a.code if a else _("No association"), count) for a, count in report.by_association]
    full_names = [(localized(a, "name", language) if a else _("No association"), count)
                  for a, count in report.by_association]
    title = _("Participants by association")
    blocks.append(ChartBlock(
        "associations", title,
        horizontal_bars([Bar(label, value, number(value)) for label, value in associations], title, direction),
        (_("Association"), participants), [(label, number(value)) for label, value in full_names]))
    genders = [(gender.label, count) for gender, count in report.by_gender]
    blocks.append(block("genders", _("Participants by gender"), genders, (_("Gender"), participants)))
    title = _("Sessions per year")
    years = [(str(year), sessions) for year, sessions, _people in report.per_year]
    blocks.append(ChartBlock(
        "years", title,
        vertical_bars([Bar(label, value, number(value)) for label, value in years], title, direction),
        (_("Year"), _("Sessions"), participants),
        [(str(year), number(sessions), number(people)) for year, sessions, people in report.per_year]))
    rated = [row for row in report.sessions if row.attendance.counted]
    title = _("Attendance rate per session")
    blocks.append(ChartBlock(
        "attendance", title,
        horizontal_bars([Bar(row.session.code, row.attendance.percent, f"{row.attendance.percent} %")
                         for row in rated], title, direction, maximum=100),
        (_("Session"), _("Attendance rate")),
        [(row.session.code, f"{row.attendance.percent} %") for row in rated]))
    return blocks
