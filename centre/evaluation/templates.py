"""Questionnaire templates: the versions of each code and their questions, and the templates
shipped with the app (default_templates.toml).

A version to which anyone has answered can no longer change (`is_locked`): a change makes a new
version of its code (`new_version`), and new questionnaires use the newest (`latest_template`).
"""
import tomllib
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.models import (
    Purpose,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireTemplate,
    QuestionTarget,
    Response,
    User,
)

DEFAULT_TEMPLATES = Path(__file__).with_name("default_templates.toml")
#: the languages every text of a template is given in
LANGUAGES = ("fr", "ar", "en")


def load_default_templates(actor: User | None = None) -> list[QuestionnaireTemplate]:
    """Load the shipped templates whose code has no version yet; returns those created."""
    data = tomllib.loads(DEFAULT_TEMPLATES.read_text(encoding="utf-8"))
    existing = set(db.session.scalars(sa.select(QuestionnaireTemplate.code).distinct()))
    created = []
    for item in data["template"]:
        if item["code"] in existing:
            continue
        template = QuestionnaireTemplate(
            code=item["code"], version=1, purpose=Purpose(item["purpose"]), is_anonymous=item["anonymous"],
            created_by=actor, **_texts("title", item["title"]), **_texts("intro", item.get("intro", {})))
        for position, q in enumerate(item.get("question", []), start=1):
            template.questions.append(Question(
                position=position, kind=QuestionKind(q["kind"]), target=QuestionTarget(q.get("target", "general")),
                is_required=q.get("required", True), scale_max=q.get("scale", 5), choices=q.get("choices", []),
                **_texts("text", q["text"])))
        db.session.add(template)
        db.session.flush()
        audit.record(template, "template_load", actor=actor, code=template.code, version=template.version)
        created.append(template)
    return created


def _texts(name: str, values: dict) -> dict:
    return {f"{name}_{language}": values.get(language, "") for language in LANGUAGES}


def templates() -> list[QuestionnaireTemplate]:
    """Every version of every template, by code then newest version first."""
    return list(db.session.scalars(sa.select(QuestionnaireTemplate).order_by(
        QuestionnaireTemplate.code, QuestionnaireTemplate.version.desc())))


def latest_template(purpose: Purpose) -> QuestionnaireTemplate | None:
    """The newest version of the purpose's template (the shipped code first, else any)."""
    query = sa.select(QuestionnaireTemplate).where(QuestionnaireTemplate.purpose == purpose)
    return db.session.scalar(query.order_by((QuestionnaireTemplate.code == purpose.value).desc(),
                                            QuestionnaireTemplate.version.desc(),
                                            QuestionnaireTemplate.id.desc()).limit(1))


def is_locked(template: QuestionnaireTemplate) -> bool:
    """Answers exist to a questionnaire built on this version: it can no longer change."""
    query = (sa.select(Response.id).join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
             .where(Questionnaire.template_id == template.id).limit(1))
    return db.session.scalar(query) is not None


def _check_unlocked(template: QuestionnaireTemplate) -> None:
    if is_locked(template):
        raise DomainError(_l("This version has answers and can no longer change: make a new version."))


def _check_texts(values: dict, name: str) -> None:
    if not all((values.get(f"{name}_{language}") or "").strip() for language in LANGUAGES):
        raise DomainError(_l("Give the text in French, Arabic and English."))


def create_template(actor: User | None, *, code: str, purpose: Purpose, is_anonymous: bool, **texts) -> QuestionnaireTemplate:
    code = code.strip().lower()
    if not code:
        raise DomainError(_l("Give the template a code."))
    _check_texts(texts, "title")
    version = (db.session.scalar(sa.select(sa.func.max(QuestionnaireTemplate.version))
                                 .where(QuestionnaireTemplate.code == code)) or 0) + 1
    template = QuestionnaireTemplate(code=code, version=version, purpose=purpose, is_anonymous=is_anonymous,
                                     created_by=actor, **texts)
    db.session.add(template)
    audit.record(template, "template_create", actor=actor, code=code, version=version)
    return template


def add_question(template: QuestionnaireTemplate, actor: User | None, *, kind: QuestionKind,
                 target: QuestionTarget, is_required: bool, scale_max: int = 5, choices: list | None = None,
                 **texts) -> Question:
    """Add a question at the end of a version without answers."""
    _check_unlocked(template)
    _check_texts(texts, "text")
    choices = choices or []
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        if len(choices) < 2:
            raise DomainError(_l("A choice question needs at least two choices."))
        if not all(all(str(choice.get(language, "")).strip() for language in LANGUAGES) for choice in choices):
            raise DomainError(_l("Give every choice in French, Arabic and English."))
    else:
        choices = []
    if kind == QuestionKind.RATING and not 2 <= scale_max <= 10:
        raise DomainError(_l("A rating scale runs from 1 to between 2 and 10."))
    position = max((q.position for q in template.questions), default=0) + 1
    question = Question(kind=kind, target=target, is_required=is_required, scale_max=scale_max,
                        choices=choices, position=position, **texts)
    template.questions.append(question)
    audit.record(template, "question_add", actor=actor, kind=kind, position=position)
    return question


def remove_question(question: Question, actor: User | None) -> None:
    template = question.template
    _check_unlocked(template)
    audit.record(template, "question_remove", actor=actor, position=question.position)
    template.questions.remove(question)
    db.session.flush()


def new_version(template: QuestionnaireTemplate, actor: User | None) -> QuestionnaireTemplate:
    """A copy of the template as the next version of its code, open to changes."""
    version = db.session.scalar(sa.select(sa.func.max(QuestionnaireTemplate.version))
                                .where(QuestionnaireTemplate.code == template.code)) + 1
    copy = QuestionnaireTemplate(
        code=template.code, version=version, purpose=template.purpose, is_anonymous=template.is_anonymous,
        created_by=actor, **{f"{name}_{language}": getattr(template, f"{name}_{language}")
                             for name in ("title", "intro") for language in LANGUAGES})
    for q in template.questions:
        copy.questions.append(Question(position=q.position, kind=q.kind, target=q.target, is_required=q.is_required,
                                       scale_max=q.scale_max, choices=list(q.choices),
                                       **{f"text_{language}": getattr(q, f"text_{language}") for language in LANGUAGES}))
    db.session.add(copy)
    audit.record(copy, "template_version", actor=actor, code=copy.code, version=version, source=template.version)
    return copy
