from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import force_locale

from centre.clock import today
from centre.errors import DomainError, error_page
from centre.evaluation.results import satisfaction_charts
from centre.evaluation.figures import satisfaction
from centre.i18n import current_language, text_direction
from centre.pdf import render_pdf, require_arabic_font
from centre.reports import bp
from centre.reports import services
from centre.reports.charts import bar_share, report_charts
from centre.reports.forms import PeriodForm, ReportForm


#: The activity report's own print stylesheet: only the rules it uses (see its header).
REPORT_STYLESHEET = "pdf/activity_report.css"
#: The activity report's satisfaction charts of their own; its other dimensions are columns of tables.
REPORT_SATISFACTION_CHARTS = ("satisfaction-theme", "satisfaction-institution")
#: The dashboard lists the period's latest sessions, this many at most; the activity report lists all.
DASHBOARD_SESSIONS = 50


def _errors(form) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


@bp.route("/")
def index():
    """The dashboard: the period's figures against the year before, charts and their tables."""
    form = PeriodForm(request.args)
    if not form.validate():
        return render_template("reports/index.html", form=form, report=None), 400
    language = current_language()
    report = services.activity_report(form.period(today()), language=language)
    return render_template("reports/index.html", form=form, report=report,
                           sessions=report.sessions[-DASHBOARD_SESSIONS:],
                           charts=report_charts(report, language, text_direction(language)),
                           satisfaction=satisfaction_charts(
                               satisfaction(report.period.start, report.period.end, language), text_direction(language)))


@bp.route("/activity.pdf")
def activity_pdf():
    """The activity report of a period, in French or Arabic whatever the viewer's language."""
    form = ReportForm(request.args)
    if not form.validate():
        return error_page(400, " ".join(_errors(form)))
    language = form.language.data or "fr"
    period = form.period(today())
    try:
        if language == "ar":
            require_arabic_font()
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for("reports.index", **{"from": period.start.isoformat(), "to": period.end.isoformat()}))
    with force_locale(language):
        pdf = render_pdf("pdf/activity_report.html", reuse=True, stylesheet=REPORT_STYLESHEET,
                         **activity_report_context(period, language))
    name = f"activity-{period.start.isoformat()}-{period.end.isoformat()}-{language}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


def activity_report_context(period: services.Period, language: str) -> dict:
    """What the activity report's template prints, in `language` (call it under force_locale)."""
    report = services.activity_report(period, language=language)
    direction = text_direction(language)
    found = satisfaction(period.start, period.end, language)
    # The satisfaction with each trainer, country and year is a column of the table that lists
    # them (experts, participants by country, sessions per year), keyed as those rows are.
    rated = {"experts": {row.key: row for row in found["trainer"]},
             "countries": {row.label: row for row in found["country"]},
             "years": {row.label: row for row in found["year"]}}
    return {"report": report, "language": language, "direction": direction, "rated": rated,
            "charts": report_charts(report, language, direction), "bar_share": bar_share,
            "satisfaction": [chart for chart in satisfaction_charts(found, direction)
                             if chart.key in REPORT_SATISFACTION_CHARTS]}
