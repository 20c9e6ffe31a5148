"""Answering a questionnaire: the personal link, the questions as asked (once per trainer or per
logistics item), the answers checked and stored, and what keeps anonymous answers anonymous
(ANONYMITY_GROUP, the responses written anew in a random order)."""
import hashlib
import hmac
import random
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.models import (
    Answer,
    Invitation,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireStatus,
    QuestionTarget,
    Response,
    Trainee,
)
from centre.models.types import utcnow

#: a free-text answer longer than this is refused
MAX_TEXT = 2000
#: an anonymous response records a country or institution only when this many recipients share it
ANONYMITY_GROUP = 3
#: the logistics items a logistics question is asked about
LOGISTICS_ITEMS = {
    "travel": _l("Travel"),
    "hotel": _l("Hotel"),
    "venue": _l("Venue"),
    "interpretation": _l("Interpretation"),
}


# Personal links: "<invitation id>.<HMAC of id and nonce>", so that a reminder carries the same link
# without the link being stored anywhere but in the mails.


def token(invitation: Invitation) -> str:
    return f"{invitation.id}.{_signature(invitation.id, invitation.nonce)}"


def _signature(invitation_id: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"questionnaire:{invitation_id}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


class LinkRefused(DomainError):
    """A personal link that leads nowhere: `status` is the HTTP answer (404 forged, 409 used, 410
    closed); `language`, the recipient's when the link is genuine."""

    def __init__(self, message, status: int, language: str | None = None):
        super().__init__(message)
        self.status = status
        self.language = language


def invitation_of(link: str) -> Invitation:
    """The invitation a personal link names, open and not yet answered, or LinkRefused."""
    number, _, signature = link.partition(".")
    invitation = None
    if number.isascii() and number.isdigit() and len(number) < 12 and len(signature) == 32:
        invitation = db.session.get(Invitation, int(number))
    if invitation is None or not hmac.compare_digest(signature, _signature(invitation.id, invitation.nonce)):
        raise LinkRefused(_l("This link is not valid. Use the link of the latest e-mail you received."), 404)
    if invitation.is_used:
        raise LinkRefused(_l("This questionnaire has already been answered with this link. Thank you."), 409,
                          invitation.language)
    if invitation.questionnaire.status != QuestionnaireStatus.OPEN:
        raise LinkRefused(_l("This questionnaire is closed: answers are no longer taken."), 410, invitation.language)
    return invitation


# The questions as asked, repeated per target


@dataclass(frozen=True)
class Item:
    """One question as asked: for one target (a trainer, a logistics item) or none."""

    question: Question
    target_key: str
    target_label: str

    @property
    def field(self) -> str:
        return f"q{self.question.id}" + (f"-{self.target_key.replace(':', '-')}" if self.target_key else "")


def items(questionnaire: Questionnaire, language: str) -> list[Item]:
    trainers = sorted(questionnaire.training_session.trainers, key=lambda t: (t.expert.family_name, t.expert_id))
    found = []
    for question in questionnaire.template.questions:
        if question.target == QuestionTarget.TRAINER:
            found += [Item(question, f"trainer:{t.expert_id}",
                           t.expert.full_name_ar if language == "ar" and t.expert.full_name_ar else t.expert.name)
                      for t in trainers]
        elif question.target == QuestionTarget.LOGISTICS:
            found += [Item(question, f"logistics:{key}", str(label)) for key, label in LOGISTICS_ITEMS.items()]
        else:
            found.append(Item(question, "", ""))
    return found


def parse_answers(questionnaire: Questionnaire, form, language: str, *, complete: bool) -> dict[tuple[int, str], dict]:
    """The answers in a submitted form, checked strictly: a rating outside its scale, a choice that
    does not exist or a text over MAX_TEXT is refused as a whole; with `complete`, a required
    question left empty too."""
    values = {}
    for item in items(questionnaire, language):
        question = item.question
        if question.kind == QuestionKind.MULTIPLE:
            raw = [v for v in form.getlist(item.field) if v != ""]
        else:
            raw = (form.get(item.field) or "").strip()
        if not raw:
            if complete and question.is_required:
                raise DomainError(_l("Answer every required question (marked *)."))
            continue
        if question.kind == QuestionKind.RATING:
            if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= question.scale_max):
                raise DomainError(_l("A rating must be between 1 and %(max)s.", max=question.scale_max))
            values[(question.id, item.target_key)] = {"rating": int(raw)}
        elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            picked = raw if isinstance(raw, list) else [raw]
            if not all(v.isascii() and v.isdigit() and int(v) < len(question.choices) for v in picked) \
                    or len(set(picked)) != len(picked) or len(picked) > len(question.choices):
                raise DomainError(_l("Choose among the choices offered."))
            values[(question.id, item.target_key)] = {"choices": sorted(int(v) for v in picked)}
        else:
            if len(raw) > MAX_TEXT:
                raise DomainError(_l("An answer may hold at most %(max)s characters.", max=MAX_TEXT))
            values[(question.id, item.target_key)] = {"text": raw}
    return values


def saved_answers(invitation: Invitation) -> dict[str, object]:
    """A named invitation's answers saved so far, by form field (to resume)."""
    response = db.session.scalar(sa.select(Response).where(Response.invitation_id == invitation.id))
    if response is None:
        return {}
    saved = {}
    for answer in response.answers:
        field_name = f"q{answer.question_id}" + (f"-{answer.target_key.replace(':', '-')}" if answer.target_key else "")
        saved[field_name] = answer.rating if answer.rating is not None else (
            answer.choices if answer.choices is not None else answer.text)
    return saved


def _where_from(invitation: Invitation, questionnaire: Questionnaire) -> tuple[str | None, int | None]:
    """The country and institution a response records (see ANONYMITY_GROUP)."""
    trainee = invitation.trainee
    country = trainee.nationality if trainee else None
    institution_id = invitation.institution_id
    if questionnaire.is_anonymous:
        rows = db.session.execute(
            sa.select(Trainee.nationality, Invitation.institution_id)
            .outerjoin(Trainee, Trainee.id == Invitation.trainee_id)
            .where(Invitation.questionnaire_id == questionnaire.id)).all()
        countries = Counter(row[0] for row in rows)
        institutions = Counter(row[1] for row in rows)
        country = country if country and countries[country] >= ANONYMITY_GROUP else None
        institution_id = institution_id if institution_id and institutions[institution_id] >= ANONYMITY_GROUP else None
    return country, institution_id


def answer(invitation: Invitation, values: dict[tuple[int, str], dict], *, submit: bool) -> Response | None:
    """Store a recipient's answers. Named: saved as they stand (`submit=False`, to resume later) or
    submitted. Anonymous: only submitted, whole, in a response that names nobody; then the
    questionnaire's responses are written anew in a random order (see `shuffle_anonymous_responses`)."""
    questionnaire = invitation.questionnaire
    if invitation.is_used or questionnaire.status != QuestionnaireStatus.OPEN:
        raise DomainError(_l("This questionnaire is closed: answers are no longer taken."))
    country, institution_id = _where_from(invitation, questionnaire)
    if questionnaire.is_anonymous:
        if not submit:
            raise DomainError(_l("An anonymous questionnaire is saved only when sent, in one go."))
        response = Response(id=secrets.token_hex(16), questionnaire=questionnaire, is_submitted=True,
                            country=country, institution_id=institution_id)
        db.session.add(response)
        response.answers = [Answer(question_id=qid, target_key=target, **value)
                            for (qid, target), value in values.items()]
        invitation.is_used = True
        questionnaire.responses_count += 1
        db.session.flush()
        shuffle_anonymous_responses(questionnaire)
        # An event, not its content, and no invitation: only that one anonymous answer came.
        audit.record(questionnaire, "anonymous_answer", actor=None)
        return None
    response = db.session.scalar(sa.select(Response).where(Response.invitation_id == invitation.id))
    if response is None:
        response = Response(id=secrets.token_hex(16), questionnaire=questionnaire, invitation=invitation)
        db.session.add(response)
    response.answers = [Answer(question_id=qid, target_key=target, **value) for (qid, target), value in values.items()]
    response.country, response.institution_id = country, institution_id
    if submit:
        response.is_submitted = True
        response.submitted_at = utcnow()
        invitation.is_used = True
        questionnaire.responses_count += 1
    db.session.flush()
    audit.record(invitation, "answer_submit" if submit else "answer_save", actor=None, questionnaire=questionnaire.id)
    return response


def shuffle_anonymous_responses(questionnaire: Questionnaire) -> None:
    """Write the anonymous questionnaire's responses again, with new random ids, in a random order,
    in this transaction: on PostgreSQL every row then carries this transaction's id (xmin) and none
    keeps the one of the transaction that marked its invitation used."""
    responses = db.session.execute(
        sa.select(Response.id, Response.country, Response.institution_id)
        .where(Response.questionnaire_id == questionnaire.id, Response.invitation_id.is_(None))).all()
    if not responses:
        return
    ids = {r.id for r in responses}
    for obj in list(db.session.identity_map.values()):  # their rows are about to be replaced
        if ((isinstance(obj, Answer) and obj.response_id in ids) or (isinstance(obj, Response) and obj.id in ids)) \
                and obj in db.session:  # expunging a response takes its answers with it
            db.session.expunge(obj)
    answers = defaultdict(list)
    for row in db.session.execute(sa.select(Answer.response_id, Answer.question_id, Answer.target_key, Answer.rating,
                                            Answer.choices, Answer.text)
                                  .where(Answer.response_id.in_([r.id for r in responses]))):
        answers[row.response_id].append(row)
    db.session.execute(sa.delete(Answer).where(Answer.response_id.in_([r.id for r in responses]))
                       .execution_options(synchronize_session=False))
    db.session.execute(sa.delete(Response).where(Response.id.in_([r.id for r in responses]))
                       .execution_options(synchronize_session=False))
    order = list(responses)
    random.SystemRandom().shuffle(order)
    new_responses, new_answers = [], []
    for row in order:
        new_id = secrets.token_hex(16)
        new_responses.append({"id": new_id, "questionnaire_id": questionnaire.id, "invitation_id": None,
                              "is_submitted": True, "submitted_at": None, "country": row.country,
                              "institution_id": row.institution_id})
        new_answers += [{"response_id": new_id, "question_id": a.question_id, "target_key": a.target_key,
                         "rating": a.rating, "choices": a.choices, "text": a.text} for a in answers[row.id]]
    db.session.execute(sa.insert(Response), new_responses)
    if new_answers:
        db.session.execute(sa.insert(Answer), new_answers)
