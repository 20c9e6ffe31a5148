"""Partner institutions: names, country, kind, association memberships, agreements, and the
trainees they sent."""
from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, selectinload

from centre import audit
from centre.clock import today
from centre.errors import DomainError
from centre.extensions import db
from centre.files import Upload, store_file
from centre.i18n import is_country, localized
from centre.models import (
    Agreement,
    Association,
    Institution,
    InstitutionKind,
    Registration,
    RegistrationStatus,
    Trainee,
    TrainingSession,
    User,
)
from centre.pagination import paginate

NAME_FIELDS = ("name_fr", "name_ar", "name_en")


# Partners


def list_institutions(*, country: str = "", association_id: int | None = None, kind: str = "",
                      search: str = "") -> list[Institution]:
    """Partners matching every filter given, by name in the page's language."""
    query = sa.select(Institution).options(
        selectinload(Institution.associations), selectinload(Institution.agreements)
    )
    if country:
        query = query.where(Institution.country == country)
    if association_id:
        query = query.where(Institution.associations.any(Association.id == association_id))
    if kind:
        query = query.where(Institution.kind == InstitutionKind(kind))
    search = search.strip()
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(*(getattr(Institution, name).ilike(pattern, escape="\\")
                                     for name in NAME_FIELDS)))
    institutions = db.session.scalars(query).all()
    return sorted(institutions, key=lambda i: localized(i, "name").casefold())


def trainee_counts(institutions) -> dict[int, int]:
    """How many trainees each partner has sent, in one query."""
    ids = [institution.id for institution in institutions]
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Trainee.institution_id, sa.func.count(Trainee.id))
        .where(Trainee.institution_id.in_(ids))
        .group_by(Trainee.institution_id)
    )
    return dict(rows.all())


def agreements_in_force(institutions, on: date) -> dict[int, int]:
    """How many of each partner's agreements are in force on a day (agreements already loaded)."""
    return {i.id: sum(a.is_in_force(on) for a in i.agreements) for i in institutions}


def countries_in_use() -> list[str]:
    return db.session.scalars(sa.select(Institution.country).distinct()).all()


def list_associations() -> list[Association]:
    return db.session.scalars(sa.select(Association).order_by(Association.code)).all()


def _clean(fields: dict, institution: Institution | None = None) -> dict:
    """The partner's fields, stripped and checked; DomainError says what is wrong."""
    fields = {**fields}
    for name in NAME_FIELDS:
        fields[name] = (fields.get(name) or "").strip()
    if not fields["name_fr"]:
        raise DomainError(_l("Give the name in French."))
    if not fields["name_en"]:
        raise DomainError(_l("Give the name in English."))
    if not is_country(fields.get("country")):
        raise DomainError(_l("Choose the country from the list."))
    try:
        fields["kind"] = InstitutionKind(fields.get("kind"))
    except ValueError:
        raise DomainError(_l("Choose the kind of institution from the list.")) from None
    same_name = sa.select(Institution.id).where(
        Institution.country == fields["country"],
        sa.func.lower(Institution.name_fr) == fields["name_fr"].lower(),
    )
    if institution is not None:
        same_name = same_name.where(Institution.id != institution.id)
    if db.session.scalar(same_name) is not None:
        raise DomainError(_l("A partner named %(name)s already exists in this country."),
                          name=fields["name_fr"])
    return fields


def _associations(ids) -> list[Association]:
    ids = set(ids or ())
    if not ids:
        return []
    found = db.session.scalars(sa.select(Association).where(Association.id.in_(ids))).all()
    if len(found) != len(ids):
        raise DomainError(_l("Choose the associations from the list."))
    return sorted(found, key=lambda a: a.code)


def create_institution(actor: User | None = None, *, association_ids=(), **fields) -> Institution:
    """A new partner with its memberships."""
    fields = _clean(fields)
    institution = Institution(**fields, associations=_associations(association_ids))
    db.session.add(institution)
    audit.record(institution, "create", actor=actor, name=institution.name_fr,
                 country=institution.country,
                 associations=",".join(a.code for a in institution.associations))
    return institution


def update_institution(institution: Institution, actor: User | None = None, *, association_ids=(),
                       **fields) -> Institution:
    """Change a partner's names, country, kind and memberships; the audit entry lists what changed."""
    fields = _clean(fields, institution)
    associations = _associations(association_ids)
    changed = [name for name, value in fields.items() if getattr(institution, name) != value]
    for name in changed:
        setattr(institution, name, fields[name])
    if {a.id for a in associations} != {a.id for a in institution.associations}:
        changed.append("associations")
        institution.associations = associations
    if changed:
        audit.record(institution, "edit", actor=actor, changed=",".join(changed),
                     associations=",".join(a.code for a in institution.associations))
    db.session.flush()
    return institution


# Agreements: each change is recorded on the partner, so its history tells the whole story.


def _clean_agreement(title: str, signed_on: date, ends_on: date | None, on: date | None) -> str:
    title = (title or "").strip()
    if not title:
        raise DomainError(_l("Give the agreement's title."))
    if signed_on is None:
        raise DomainError(_l("Give the date the agreement was signed."))
    if signed_on > (on or today()):
        raise DomainError(_l("The signing date cannot be in the future."))
    if ends_on is not None and ends_on < signed_on:
        raise DomainError(_l("An agreement cannot end before it is signed."))
    return title


def add_agreement(institution: Institution, actor: User | None = None, *, title: str, signed_on: date,
                  ends_on: date | None = None, on: date | None = None, document: Upload | None = None) -> Agreement:
    """A signed agreement with the partner, with its signed copy (a checked upload) if given;
    `on` is today unless given (tests)."""
    title = _clean_agreement(title, signed_on, ends_on, on)
    agreement = Agreement(title=title, signed_on=signed_on, ends_on=ends_on)
    if document is not None:
        agreement.document = store_file(document, actor)
    institution.agreements.append(agreement)
    db.session.flush()
    audit.record(institution, "agreement_add", actor=actor, agreement_id=agreement.id, title=title,
                 signed_on=signed_on, ends_on=ends_on, document=agreement.document and agreement.document.name)
    return agreement


def update_agreement(agreement: Agreement, actor: User | None = None, *, title: str, signed_on: date,
                     ends_on: date | None = None, on: date | None = None, document: Upload | None = None) -> Agreement:
    """Change the agreement; a new document replaces the signed copy (the former stays stored)."""
    agreement.title = _clean_agreement(title, signed_on, ends_on, on)
    agreement.signed_on, agreement.ends_on = signed_on, ends_on
    if document is not None:
        agreement.document = store_file(document, actor)
    db.session.flush()
    audit.record(agreement.institution, "agreement_edit", actor=actor, agreement_id=agreement.id,
                 title=agreement.title, signed_on=signed_on, ends_on=ends_on,
                 document=agreement.document.name if document is not None else None)
    return agreement


def remove_agreement(agreement: Agreement, actor: User | None = None) -> None:
    institution = agreement.institution
    audit.record(institution, "agreement_remove", actor=actor, agreement_id=agreement.id,
                 title=agreement.title, signed_on=agreement.signed_on, ends_on=agreement.ends_on)
    institution.agreements.remove(agreement)
    db.session.flush()


# What the partner's page shows


def trainees_and_sessions(institution: Institution, page: int = 1):
    """A page of the partner's trainees, each with their accepted registrations and sessions:
    three queries whatever the number of trainees. Returns (Page, [(trainee, registrations)])."""
    trainees = paginate(
        sa.select(Trainee).where(Trainee.institution_id == institution.id)
        .order_by(Trainee.family_name, Trainee.given_name, Trainee.id), page)
    registrations = db.session.scalars(
        sa.select(Registration)
        .join(Registration.training_session)
        .where(Registration.trainee_id.in_([t.id for t in trainees.items]),
               Registration.status == RegistrationStatus.ACCEPTED)
        .options(contains_eager(Registration.training_session))
        .order_by(TrainingSession.start_on)
    ).all()
    by_trainee = defaultdict(list)
    for registration in registrations:
        by_trainee[registration.trainee_id].append(registration)
    return trainees, [(trainee, by_trainee[trainee.id]) for trainee in trainees.items]
