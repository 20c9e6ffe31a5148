"""A questionnaire's results as the page, the PDF and the XLSX show them: charts drawn by the
dashboard's helpers (centre/reports/charts.py), and the answers as an export table.

The numbers come from figures.py. Kept apart from the modules the registrations' and sessions'
services import (questionnaires.py and what it imports): this module reads the exports' table,
whose services import the registrations' own."""
import random
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import Markup

from centre import audit
from centre.evaluation.figures import DIMENSIONS, ItemResult, Results, SatisfactionRow, choice_label
from centre.evaluation.recipients import recipient_name
from centre.exports.services import Column, Table
from centre.extensions import db
from centre.i18n import localized
from centre.models import Answer, Invitation, QuestionKind, Questionnaire, Response, User
from centre.reports.charts import Bar, ChartBlock, bar_percent, horizontal_bars


@dataclass(frozen=True)
class Chart:
    """One question's chart: the SVG for the page, the bars for the PDF's table of boxes."""

    svg: Markup
    bars: list[Bar]
    maximum: float


def question_text(result: ItemResult, language: str) -> str:
    text = localized(result.item.question, "text", language)
    return f"{text} — {result.item.target_label}" if result.item.target_label else text


def chart_of(result: ItemResult, language: str, direction: str, number: int) -> Chart | None:
    question = result.item.question
    if question.kind == QuestionKind.RATING:
        labels = [str(point) for point in range(1, question.scale_max + 1)]
    elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        labels = [choice_label(question, i, language) for i in range(len(question.choices))]
    else:
        return None
    bars = [Bar(label, count, str(count)) for label, count in zip(labels, result.counts)]
    maximum = max((bar.value for bar in bars), default=0) or 1
    svg = horizontal_bars(bars, question_text(result, language), direction, chart_id=f"question-{number}")
    return Chart(svg, bars, maximum)


def charts(results: Results, language: str, direction: str) -> list[Chart | None]:
    return [chart_of(result, language, direction, number) for number, result in enumerate(results.items, start=1)]


def answers_table(questionnaire: Questionnaire, results: Results, language: str) -> Table:
    """One row per submitted response, one column per question (and target). A named
    questionnaire's rows start with the respondent; an anonymous one's are in a random order."""
    items = [result.item for result in results.items]
    query = (sa.select(Response).where(Response.questionnaire_id == questionnaire.id, Response.is_submitted.is_(True))
             .options(sa.orm.selectinload(Response.answers), sa.orm.joinedload(Response.invitation)
                      .joinedload(Invitation.trainee)))
    responses = list(db.session.scalars(query).unique())
    named = not questionnaire.is_anonymous
    if named:
        responses.sort(key=lambda r: r.submitted_at)
    else:
        random.SystemRandom().shuffle(responses)
    columns = ([Column(_("Respondent"), 30), Column(_("E-mail"), 30)] if named else []) + [
        Column(localized(item.question, "text", language) + (f" — {item.target_label}" if item.target_label else ""), 24)
        for item in items]
    rows = []
    for response in responses:
        by_key = {(a.question_id, a.target_key): a for a in response.answers}
        row = [recipient_name(response.invitation), response.invitation.email] if named else []
        for item in items:
            answer: Answer | None = by_key.get((item.question.id, item.target_key))
            if answer is None:
                row.append(None)
            elif answer.rating is not None:
                row.append(answer.rating)
            elif answer.choices is not None:
                row.append("; ".join(choice_label(item.question, i, language) for i in answer.choices))
            else:
                row.append(answer.text)
        rows.append(row)
    name = f"questionnaire-{questionnaire.training_session.code}-{questionnaire.purpose.value}"
    return Table(name, language, columns, rows)


def satisfaction_charts(found: dict[str, list[SatisfactionRow]], direction: str) -> list[ChartBlock]:
    """The satisfaction by dimension as the dashboard's chart blocks (bars in %, their table
    with the number of responses)."""
    titles = {"theme": _("Satisfaction by session theme"), "trainer": _("Satisfaction by trainer"),
              "institution": _("Satisfaction by partner institution"), "country": _("Satisfaction by country"),
              "year": _("Satisfaction by year")}
    headers = {"theme": _("Theme"), "trainer": _("Trainer"), "institution": _("Partner institution"),
               "country": _("Country"), "year": _("Year")}
    blocks = []
    for number, dimension in enumerate(DIMENSIONS, start=1):
        bars = [Bar(row.label, row.percent, f"{row.percent} %") for row in found[dimension]]
        svg = horizontal_bars(bars[:15], titles[dimension], direction, maximum=100, chart_id=f"satisfaction-{number}")
        blocks.append(ChartBlock(f"satisfaction-{dimension}", titles[dimension], svg,
                                 (headers[dimension], _("Satisfaction"), _("Responses")),
                                 [(row.label, f"{row.percent} %", str(row.responses)) for row in found[dimension]],
                                 bars, 100))
    return blocks


def record_export(questionnaire: Questionnaire, actor: User, **details) -> None:
    """The named answers leave the application: who took them, and when, is kept."""
    if not questionnaire.is_anonymous:
        audit.record(questionnaire, "export_answers", actor=actor, **details)


__all__ = ["Chart", "answers_table", "bar_percent", "charts", "question_text", "record_export", "satisfaction_charts"]
