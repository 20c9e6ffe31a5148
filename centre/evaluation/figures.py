"""What the answers say: a questionnaire's results (response rate, each question's counts and
mean, the free texts), a session's headline satisfaction, the partner's evaluation of an
assistance, and the satisfaction across sessions for the dashboard and the activity report;
and which experts may see a session's positioning results. Computed from the submitted responses
only; results.py draws them (charts, PDF, XLSX)."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm

from centre.evaluation.answering import Item, items
from centre.evaluation.templates import LANGUAGES
from centre.extensions import db
from centre.i18n import country_name, localized
from centre.models import (
    Answer,
    Expert,
    Institution,
    Invitation,
    Purpose,
    Question,
    QuestionKind,
    Questionnaire,
    Response,
    SessionStatus,
    Trainer,
    TrainingSession,
    User,
)


# Results


@dataclass
class ItemResult:
    item: Item
    answered: int = 0
    counts: list[int] = field(default_factory=list)  #: per scale point (rating) or per choice
    mean: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class Results:
    questionnaire: Questionnaire
    invited: int
    answered: int
    waiting: list[Invitation]  #: named only: who has not answered
    items: list[ItemResult]

    @property
    def rate(self) -> int:
        return round(100 * self.answered / self.invited) if self.invited else 0


def results(questionnaire: Questionnaire, language: str) -> Results:
    """Response rate, who has not answered (named only) and each question's results, from the
    submitted responses."""
    invitations = db.session.scalars(sa.select(Invitation).where(Invitation.questionnaire_id == questionnaire.id)
                                     .options(orm.joinedload(Invitation.trainee), orm.joinedload(Invitation.expert),
                                              orm.joinedload(Invitation.institution))
                                     .order_by(Invitation.id)).all()
    submitted = sa.select(Response.id).where(Response.questionnaire_id == questionnaire.id,
                                             Response.is_submitted.is_(True))
    answers = defaultdict(list)
    for a in db.session.execute(sa.select(Answer.question_id, Answer.target_key, Answer.rating, Answer.choices,
                                          Answer.text).where(Answer.response_id.in_(submitted))):
        answers[(a.question_id, a.target_key)].append(a)
    found = []
    for item in items(questionnaire, language):
        question = item.question
        rows = answers.get((question.id, item.target_key), [])
        result = ItemResult(item, answered=len(rows))
        if question.kind == QuestionKind.RATING:
            result.counts = [sum(1 for r in rows if r.rating == point) for point in range(1, question.scale_max + 1)]
            result.mean = sum(r.rating for r in rows) / len(rows) if rows else None
        elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            result.counts = [sum(1 for r in rows if index in (r.choices or [])) for index in range(len(question.choices))]
        else:
            result.texts = sorted(r.text for r in rows if r.text)
        found.append(result)
    waiting = [] if questionnaire.is_anonymous else [i for i in invitations if not i.is_used]
    return Results(questionnaire, len(invitations), questionnaire.responses_count, waiting, found)


def choice_label(question: Question, index: int, language: str) -> str:
    choice = question.choices[index]
    return choice.get(language) or choice.get("fr", "")


def satisfaction_percent(rating: int, scale_max: int) -> float:
    """A rating as a share of its scale: 1 is 0 %, the top 100 %."""
    return 100 * (rating - 1) / (scale_max - 1)


def headline_satisfaction(training_session: TrainingSession) -> tuple[int, int] | None:
    """(satisfaction in %, answers) of the session's end-of-session questionnaire, or None below
    the minimum number of answers the catalogue may show (EVALUATION_MIN_ANSWERS)."""
    questionnaire = db.session.scalar(sa.select(Questionnaire).where(
        Questionnaire.session_id == training_session.id, Questionnaire.purpose == Purpose.END_OF_SESSION))
    if questionnaire is None or questionnaire.responses_count < current_app.config["EVALUATION_MIN_ANSWERS"]:
        return None
    percent = sa.func.avg(100.0 * (Answer.rating - 1) / (Question.scale_max - 1))
    value = db.session.scalar(
        sa.select(percent).select_from(Answer).join(Question, Question.id == Answer.question_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.questionnaire_id == questionnaire.id, Response.is_submitted.is_(True),
               Answer.rating.is_not(None)))
    return (round(value), questionnaire.responses_count) if value is not None else None


def previous_satisfaction(training_session: TrainingSession) -> tuple[TrainingSession, int, int] | None:
    """For the catalogue: (the latest completed session of the same title, its satisfaction in %,
    its answers), when its end-of-session questionnaire has at least EVALUATION_MIN_ANSWERS."""
    previous = db.session.scalar(
        sa.select(TrainingSession).join(Questionnaire, Questionnaire.session_id == TrainingSession.id)
        .where(TrainingSession.title_fr == training_session.title_fr, TrainingSession.id != training_session.id,
               TrainingSession.status == SessionStatus.COMPLETED, Questionnaire.purpose == Purpose.END_OF_SESSION,
               Questionnaire.responses_count >= current_app.config["EVALUATION_MIN_ANSWERS"])
        .order_by(TrainingSession.start_on.desc()).limit(1))
    headline = headline_satisfaction(previous) if previous is not None else None
    return (previous, *headline) if headline else None


def _satisfaction_of(questionnaires) -> tuple[int, int] | None:
    """(mean of the rating answers as a share of their scale in %, submitted responses) of the
    questionnaires the subquery selects, or None without an answer; one query."""
    percent = sa.func.avg(100.0 * (Answer.rating - 1) / (Question.scale_max - 1))
    value, responses = db.session.execute(
        sa.select(percent, sa.func.count(sa.distinct(Response.id))).select_from(Answer)
        .join(Question, Question.id == Answer.question_id).join(Response, Response.id == Answer.response_id)
        .where(Response.questionnaire_id.in_(questionnaires), Response.is_submitted.is_(True),
               Answer.rating.is_not(None))).one()
    return (round(value), responses) if value is not None else None


@dataclass(frozen=True)
class AssistanceEvaluation:
    """The partner's evaluation of an assistance, as the request's page shows it."""

    questionnaire: Questionnaire
    invited: int
    answered: int
    satisfaction: tuple[int, int] | None  #: (%, responses), see `_satisfaction_of`
    mine: Invitation | None  #: the viewer's own invitation, if they have one


def assistance_evaluation(training_session: TrainingSession | None, user: User | None = None) \
        -> AssistanceEvaluation | None:
    """The state of the partner's evaluation of the assistance delivered as this session."""
    if training_session is None:
        return None
    questionnaire = db.session.scalar(sa.select(Questionnaire).where(
        Questionnaire.session_id == training_session.id, Questionnaire.purpose == Purpose.ASSISTANCE))
    if questionnaire is None:
        return None
    invited = db.session.scalar(sa.select(sa.func.count(Invitation.id))
                                .where(Invitation.questionnaire_id == questionnaire.id))
    mine = None
    if user is not None and user.email:
        mine = db.session.scalar(sa.select(Invitation).where(
            Invitation.questionnaire_id == questionnaire.id,
            sa.func.lower(Invitation.email) == user.email.lower()))
    satisfaction = _satisfaction_of([questionnaire.id])
    return AssistanceEvaluation(questionnaire, invited, questionnaire.responses_count, satisfaction, mine)


def assistance_satisfaction(start: date, end: date) -> tuple[int, int] | None:
    """The partners' evaluations of the assistance whose session (the mission or the immersion)
    started between `start` and `end`, as the reports count the missions held and the sessions'
    satisfaction: (mean rating in % of its scale, responses), or None."""
    questionnaires = (sa.select(Questionnaire.id)
                      .join(TrainingSession, TrainingSession.id == Questionnaire.session_id)
                      .where(Questionnaire.purpose == Purpose.ASSISTANCE,
                             TrainingSession.start_on.between(start, end)))
    return _satisfaction_of(questionnaires)


def positioning_results(training_session: TrainingSession, language: str) -> Results | None:
    questionnaire = db.session.scalar(sa.select(Questionnaire).where(
        Questionnaire.session_id == training_session.id, Questionnaire.purpose == Purpose.POSITIONING))
    return results(questionnaire, language) if questionnaire is not None else None


def trainer_may_see(training_session: TrainingSession, user: User) -> bool:
    """An expert sees a session's positioning results when they teach it."""
    return db.session.scalar(sa.select(Trainer.expert_id).join(Expert, Expert.id == Trainer.expert_id).where(
        Trainer.session_id == training_session.id, Expert.user_id == user.id).limit(1)) is not None


def sessions_with_positioning(expert: Expert) -> list[TrainingSession]:
    """The sessions the expert teaches that have a positioning questionnaire."""
    return list(db.session.scalars(
        sa.select(TrainingSession).join(Trainer, Trainer.session_id == TrainingSession.id)
        .join(Questionnaire, Questionnaire.session_id == TrainingSession.id)
        .where(Trainer.expert_id == expert.id, Questionnaire.purpose == Purpose.POSITIONING)
        .order_by(TrainingSession.start_on.desc())))


# Satisfaction across sessions (the dashboard and the activity report)


@dataclass(frozen=True)
class SatisfactionRow:
    label: str
    percent: int  #: mean of the rating answers, each as a share of its scale
    responses: int
    #: what the row is of: the theme's title, the trainer's expert id, the institution's id, the
    #: country's code, the year
    key: str | int


DIMENSIONS = ("theme", "trainer", "institution", "country", "year")


def satisfaction(start: date, end: date, language: str) -> dict[str, list[SatisfactionRow]]:
    """The end-of-session questionnaires' ratings of the sessions starting within the period, by
    session theme (its title), trainer (the questions asked of each trainer), partner institution
    and country (as far as the responses record them: see ANONYMITY_GROUP) and year.

    Two grouped queries: one by trainer, one by the combinations of theme, institution, country
    and year (a response has one of each, so each combination's responses add up to each of the
    four dimensions' exactly; a few hundred rows a year), rolled up here. The combinations are
    those of each response's ratings summed first (answers are stored by response), so that only
    a response, not each of its answers, is joined to its session. (One query a dimension read the
    period's answers five times, each joined to its session: most of the activity report's queries.)"""
    shares = sa.func.sum(100.0 * (Answer.rating - 1) / (Question.scale_max - 1))
    ratings = sa.func.count(Answer.rating)
    # The period's questionnaires, then their responses through the index on the questionnaire, then
    # their answers by the answers' primary key: joining from the answers would read every answer of
    # every year, and from the responses every response.
    questionnaires = (sa.select(Questionnaire.id).join(TrainingSession, TrainingSession.id == Questionnaire.session_id)
                      .where(Questionnaire.purpose == Purpose.END_OF_SESSION,
                             TrainingSession.start_on.between(start, end)))
    in_period = sa.select(Response.id).where(Response.questionnaire_id.in_(questionnaires),
                                             Response.is_submitted.is_(True))

    def rated(*columns):
        return (sa.select(*columns).select_from(Answer).join(Question, Question.id == Answer.question_id)
                .where(Answer.response_id.in_(in_period), Answer.rating.is_not(None)))

    per_response = rated(Answer.response_id, shares.label("shares"), ratings.label("ratings")) \
        .group_by(Answer.response_id).subquery()
    title = getattr(TrainingSession, f"title_{language}" if language in LANGUAGES else "title_fr")
    keys = {"theme": sa.func.coalesce(sa.func.nullif(title, ""), TrainingSession.title_fr),
            "institution": Response.institution_id, "country": Response.country,
            "year": sa.extract("year", TrainingSession.start_on)}
    combinations = (sa.select(sa.func.sum(per_response.c.shares), sa.func.sum(per_response.c.ratings), sa.func.count(),
                              *keys.values())
                    .join_from(per_response, Response, Response.id == per_response.c.response_id)
                    .join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
                    .join(TrainingSession, TrainingSession.id == Questionnaire.session_id)
                    .group_by(*keys.values()))
    sums = {dimension: defaultdict(lambda: [0.0, 0, 0]) for dimension in keys}
    for row in db.session.execute(combinations):
        figures = float(row[0]), int(row[1]), int(row[2])  # PostgreSQL sums integers as numeric
        for dimension, key in zip(keys, row[3:]):
            if key is not None:
                of_key = sums[dimension][key]
                for index in range(3):
                    of_key[index] += figures[index]
    found = {dimension: [(key, round(total / count), responses) for key, (total, count, responses) in by_key.items()]
             for dimension, by_key in sums.items()}
    found["year"] = [(int(year), value, count) for year, value, count in found["year"]]
    found["trainer"] = [(int(row[3].partition(":")[2]), round(row[0] / row[1]), row[2]) for row in db.session.execute(
        rated(shares, ratings, sa.func.count(sa.distinct(Answer.response_id)), Answer.target_key)
        .where(Answer.target_key.like("trainer:%")).group_by(Answer.target_key))]
    experts = {e.id: e for e in db.session.scalars(sa.select(Expert).where(Expert.id.in_(
        [key for key, _p, _n in found["trainer"]])))}
    institutions = {i.id: i for i in db.session.scalars(sa.select(Institution).where(Institution.id.in_(
        [key for key, _p, _n in found["institution"]])))}
    label = {
        "theme": str,
        "trainer": lambda key: experts[key].name,
        "institution": lambda key: localized(institutions[key], "name", language),
        "country": lambda key: country_name(key, language),
        "year": str,
    }
    result = {}
    for dimension in DIMENSIONS:
        items = [SatisfactionRow(label[dimension](key), value, count, key) for key, value, count in found[dimension]]
        result[dimension] = sorted(items, key=lambda row: row.label) if dimension == "year" else \
            sorted(items, key=lambda row: (-row.responses, row.label))
    return result
