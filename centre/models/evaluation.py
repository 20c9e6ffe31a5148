"""Evaluation questionnaires: versioned templates and their questions, a session's questionnaires,
personal invitations and the answers.

Anonymity is a property of the rows, not of the pages (README, "Evaluation questionnaires"): a
response of an anonymous questionnaire has a random id, no invitation, no time and no trainee; its
invitation records only that it was used. Nothing in either row says which invitation gave which
response, and closing the questionnaire rewrites its responses in a random order in one transaction.
"""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy.orm import Mapped, mapped_column, relationship

from centre.extensions import db
from centre.models.experts import Expert
from centre.models.institutions import Institution
from centre.models.registrations import Trainee
from centre.models.sessions import TrainingSession
from centre.models.types import UTCDateTime, enum_column, utcnow
from centre.models.users import User


class Purpose(enum.StrEnum):
    POSITIONING = "positioning"
    END_OF_SESSION = "end_of_session"
    FOLLOW_UP = "follow_up"
    TRAINERS_REPORT = "trainers_report"
    ASSISTANCE = "assistance"  #: the partner's evaluation of a delivered technical-assistance request

    @property
    def label(self):
        return {
            Purpose.POSITIONING: _l("Positioning (before arrival)"),
            Purpose.END_OF_SESSION: _l("End of session"),
            Purpose.FOLLOW_UP: _l("Follow-up (months later)"),
            Purpose.TRAINERS_REPORT: _l("Trainers' report"),
            Purpose.ASSISTANCE: _l("Partner's evaluation of an assistance"),
        }[self]


class QuestionKind(enum.StrEnum):
    RATING = "rating"
    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"

    @property
    def label(self):
        return {
            QuestionKind.RATING: _l("Rating scale"),
            QuestionKind.SINGLE: _l("Single choice"),
            QuestionKind.MULTIPLE: _l("Multiple choice"),
            QuestionKind.TEXT: _l("Free text"),
        }[self]


class QuestionTarget(enum.StrEnum):
    """What a question is about; a trainer or logistics question is asked once per trainer or item."""

    GENERAL = "general"
    CONTENT = "content"
    TRAINER = "trainer"
    LOGISTICS = "logistics"

    @property
    def label(self):
        return {
            QuestionTarget.GENERAL: _l("General"),
            QuestionTarget.CONTENT: _l("Content"),
            QuestionTarget.TRAINER: _l("Each trainer of the session"),
            QuestionTarget.LOGISTICS: _l("Each logistics item"),
        }[self]


class QuestionnaireStatus(enum.StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self):
        return {
            QuestionnaireStatus.PLANNED: _lp("questionnaire", "Planned"),  # French: le questionnaire, prévu
            QuestionnaireStatus.OPEN: _l("Open for answers"),
            QuestionnaireStatus.CLOSED: _lp("questionnaire", "Closed"),
        }[self]


class RecipientKind(enum.StrEnum):
    TRAINEE = "trainee"
    CONTACT = "contact"  #: the sending institution's contact
    TRAINER = "trainer"

    @property
    def label(self):
        return {
            RecipientKind.TRAINEE: _l("Trainee"),
            RecipientKind.CONTACT: _l("Institution's contact"),
            RecipientKind.TRAINER: _l("Trainer"),
        }[self]


class QuestionnaireTemplate(db.Model):
    """One version of a questionnaire's text; frozen once a questionnaire built on it has answers."""

    __tablename__ = "questionnaire_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40))  #: the same for every version, e.g. end_of_session
    version: Mapped[int] = mapped_column(default=1)
    purpose: Mapped[Purpose] = mapped_column(enum_column(Purpose, "questionnaire_purpose"))
    title_fr: Mapped[str] = mapped_column(sa.String(300))
    title_ar: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str] = mapped_column(sa.String(300))
    intro_fr: Mapped[str] = mapped_column(sa.Text, default="")
    intro_ar: Mapped[str] = mapped_column(sa.Text, default="")
    intro_en: Mapped[str] = mapped_column(sa.Text, default="")
    is_anonymous: Mapped[bool] = mapped_column(default=False)  #: the default of questionnaires built on it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    questions: Mapped[list["Question"]] = relationship(
        back_populates="template", cascade="all, delete-orphan", order_by="Question.position")
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("code", "version", name="uq_questionnaire_template_code_version"),
        sa.CheckConstraint("version > 0", name="version_positive"),
    )

    def __repr__(self):
        return f"<QuestionnaireTemplate {self.code} v{self.version}>"


class Question(db.Model):
    __tablename__ = "questionnaire_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_template.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, "question_kind"))
    target: Mapped[QuestionTarget] = mapped_column(
        enum_column(QuestionTarget, "question_target"), default=QuestionTarget.GENERAL)
    text_fr: Mapped[str] = mapped_column(sa.String(500))
    text_ar: Mapped[str] = mapped_column(sa.String(500))
    text_en: Mapped[str] = mapped_column(sa.String(500))
    is_required: Mapped[bool] = mapped_column(default=True)
    scale_max: Mapped[int] = mapped_column(default=5)  #: a rating runs from 1 to this
    #: the choices of a single or multiple choice: [{"fr": …, "ar": …, "en": …}], answered by index
    choices: Mapped[list] = mapped_column(sa.JSON, default=list)

    template: Mapped[QuestionnaireTemplate] = relationship(back_populates="questions")

    __table_args__ = (sa.CheckConstraint("scale_max BETWEEN 2 AND 10", name="scale_in_range"),)

    def __repr__(self):
        return f"<Question {self.template_id}#{self.position} {self.kind}>"


class Questionnaire(db.Model):
    """A template version sent for one session, with its calendar."""

    __tablename__ = "questionnaire"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire_template.id"), index=True)
    purpose: Mapped[Purpose] = mapped_column(enum_column(Purpose, "questionnaire_purpose"))
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    status: Mapped[QuestionnaireStatus] = mapped_column(
        enum_column(QuestionnaireStatus, "questionnaire_status"), default=QuestionnaireStatus.PLANNED)
    send_on: Mapped[date | None]  #: when the invitations go (None: when the session completes, or now)
    open_days: Mapped[int] = mapped_column(default=21)  #: closes this many days after sending
    remind_after_days: Mapped[int] = mapped_column(default=7)  #: first reminder (N)
    remind_again_after_days: Mapped[int] = mapped_column(default=14)  #: second reminder (M)
    sent_on: Mapped[date | None]
    closes_on: Mapped[date | None]
    #: submitted responses, counted here as well so that the rate needs no join
    responses_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    training_session: Mapped[TrainingSession] = relationship()
    template: Mapped[QuestionnaireTemplate] = relationship()
    invitations: Mapped[list["Invitation"]] = relationship(back_populates="questionnaire", order_by="Invitation.id",
                                                           cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("open_days > 0", name="open_days_positive"),
        sa.CheckConstraint("remind_after_days >= 0 AND remind_again_after_days >= remind_after_days",
                           name="reminders_in_order"),
    )

    @property
    def is_open(self) -> bool:
        return self.status == QuestionnaireStatus.OPEN

    def __repr__(self):
        return f"<Questionnaire {self.session_id} {self.purpose} {self.status}>"


class Invitation(db.Model):
    """One recipient's personal link to a questionnaire (the link is derived from id and nonce)."""

    __tablename__ = "questionnaire_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(sa.String(32))  #: renewed to retire a link
    kind: Mapped[RecipientKind] = mapped_column(enum_column(RecipientKind, "recipient_kind"))
    trainee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trainee.id"), index=True)
    expert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("expert.id"))
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institution.id"))
    email: Mapped[str] = mapped_column(sa.String(254))
    language: Mapped[str] = mapped_column(sa.String(5))
    reminders_sent: Mapped[int] = mapped_column(default=0)
    is_used: Mapped[bool] = mapped_column(default=False)  #: answered; no time, no link to the response

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="invitations")
    trainee: Mapped[Trainee | None] = relationship()
    expert: Mapped[Expert | None] = relationship()
    institution: Mapped[Institution | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("questionnaire_id", "email", name="uq_invitation_questionnaire_email"),
        sa.CheckConstraint("reminders_sent BETWEEN 0 AND 2", name="reminders_at_most_two"),
    )

    def __repr__(self):
        return f"<Invitation {self.questionnaire_id} {self.kind} used={self.is_used}>"


class Response(db.Model):
    """One questionnaire answered. Anonymous: random id, no invitation, no time, written once
    complete. Named: tied to its invitation, saved as answered so far until submitted."""

    __tablename__ = "questionnaire_response"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  #: random, so that ids tell no order
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("questionnaire_invitation.id", ondelete="CASCADE"), unique=True)  #: named only
    is_submitted: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: named only
    #: for the figures across sessions; on an anonymous response only when at least
    #: ANONYMITY_GROUP recipients of the questionnaire share it (else None)
    country: Mapped[str | None] = mapped_column(sa.String(2))
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institution.id"))

    questionnaire: Mapped[Questionnaire] = relationship()
    invitation: Mapped[Invitation | None] = relationship()
    answers: Mapped[list["Answer"]] = relationship(back_populates="response", cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Response {self.questionnaire_id} submitted={self.is_submitted}>"


class Answer(db.Model):
    """One question (for one target) answered; no serial id, so that its key tells no order."""

    __tablename__ = "questionnaire_answer"

    response_id: Mapped[str] = mapped_column(
        sa.ForeignKey("questionnaire_response.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire_question.id"), primary_key=True, index=True)
    #: "" for a general question, "trainer:<expert id>" or "logistics:<item>" for a repeated one
    target_key: Mapped[str] = mapped_column(sa.String(40), primary_key=True, default="")
    rating: Mapped[int | None]
    choices: Mapped[list | None] = mapped_column(sa.JSON)  #: indexes of the chosen choices
    text: Mapped[str | None] = mapped_column(sa.Text)

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()

    __table_args__ = (sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 10", name="rating_in_range"),)

    def __repr__(self):
        return f"<Answer {self.question_id} {self.target_key!r}>"
