"""Technical-assistance requests: the rules, at the service level."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from centre.assistance import services
from centre.clock import today
from centre.errors import DomainError
from centre.extensions import db
from centre.files import Upload
from centre.models import (
    AssistanceKind,
    AssistanceStatus,
    AuditEntry,
    FocalPoint,
    OutboxMail,
    Role,
    SessionKind,
    SessionStatus,
)
from centre.sessions.services import conflicts, set_trainer

S = AssistanceStatus


@pytest.fixture
def parties(ctx, create_institution, create_user):
    """A partner with a focal point (reading Arabic) and a coordinator (reading French)."""
    institution = create_institution()
    focal = create_user(Role.FOCAL_POINT)
    focal.locale = "ar"
    db.session.add(FocalPoint(user=focal, institution=institution))
    coordinator = create_user(Role.COORDINATOR)
    coordinator.locale = "fr"
    db.session.flush()
    return institution, focal, coordinator


def _submit(institution, actor, **overrides):
    start = today() + timedelta(days=60)
    fields = {"kind": "expert_mission", "subject": "Traitement des plaintes en ligne",
              "objectives": "Mettre en place une plateforme de plaintes.", "expertise_wanted": "plaintes, médiation",
              "staff_count": 12, "preferred_from": start, "preferred_to": start + timedelta(days=10),
              "languages": ["fr", "ar"]}
    return services.submit_request(institution, actor, **{**fields, **overrides})


def _mails(template):
    return db.session.execute(sa.select(OutboxMail.recipient, OutboxMail.language)
                              .where(OutboxMail.template == template).order_by(OutboxMail.id)).all()


def test_a_request_is_submitted_with_its_documents_and_the_centre_told_in_its_language(parties):
    institution, focal, coordinator = parties
    pdf = Upload("besoins.pdf", "pdf", b"%PDF-1.4\n%%EOF\n")
    request = _submit(institution, focal, documents=[pdf])
    assert request.status == S.SUBMITTED and request.reference.startswith("AT-")
    assert [d.file.name for d in request.documents] == ["besoins.pdf"]
    assert _mails("assistance_submitted") == [(coordinator.email, "fr")]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "assistance_request"))
    assert (entry.action, entry.to_state, entry.actor_id) == ("submit", "submitted", focal.id)


@pytest.mark.parametrize("overrides, message", [
    ({"objectives": "  "}, "objectives"),
    ({"subject": ""}, "subject"),
    ({"preferred_from": 40, "preferred_to": 30}, "end before"),
    ({"preferred_from": -9000, "preferred_to": -8990}, "past"),
    ({"preferred_from": 3640, "preferred_to": 3650}, "three years"),
    ({"preferred_from": 30, "preferred_to": 300}, "six months"),
    ({"kind": "holiday"}, "kind"),
    ({"languages": ["xx"]}, "languages"),
    ({"staff_count": 0}, "staff"),
])
def test_a_request_with_bad_fields_is_refused_in_words(parties, overrides, message):
    institution, focal, _coordinator = parties
    overrides = {name: today() + timedelta(days=value) if name.startswith("preferred") else value
                 for name, value in overrides.items()}
    with pytest.raises(DomainError, match=message):
        _submit(institution, focal, **overrides)


def test_the_whole_life_of_an_expert_mission(parties, create_expert, create_session):
    institution, focal, coordinator = parties
    request = _submit(institution, focal)
    services.add_message(request, coordinator, "Combien d'agents traitent les plaintes ?")
    assert request.status == S.UNDER_STUDY  # a coordinator's question acknowledges the request
    assert _mails("assistance_message") == [(focal.email, "ar")]
    services.add_message(request, focal, "Douze agents.")
    with pytest.raises(DomainError, match="cannot go from"):
        services.change_status(request, S.DELIVERED, coordinator)
    with pytest.raises(DomainError, match="planning form"):
        services.change_status(request, S.PLANNED, coordinator)
    services.change_status(request, S.ACCEPTED, coordinator)
    assert request.decided_at is not None
    first, second = create_expert(speciality="Traitement des plaintes", languages="fr,ar"), \
        create_expert(speciality="Médiation institutionnelle", languages="fr")
    start = request.preferred_from
    with pytest.raises(DomainError, match="destination"):
        services.plan_request(request, coordinator, code="MIS-1", start_on=start, end_on=start + timedelta(days=4),
                              venue="", experts=[(first, 3)])
    with pytest.raises(DomainError, match="between half a day"):
        services.plan_request(request, coordinator, code="MIS-1", start_on=start, end_on=start + timedelta(days=4),
                              venue="Dakar", experts=[(first, 30)])
    session = services.plan_request(request, coordinator, code="MIS-1", start_on=start,
                                    end_on=start + timedelta(days=4), venue="Dakar", experts=[(first, 5), (second, 4.5)])
    assert (session.kind, session.status, session.venue_fr) == (SessionKind.EXPERT_MISSION, SessionStatus.APPROVED,
                                                                "Dakar")
    assert sorted(float(t.days) for t in session.trainers) == [4.5, 5.0]
    assert request.status == S.PLANNED and request.training_session is session
    services.change_status(request, S.DELIVERED, coordinator)
    assert session.status == SessionStatus.COMPLETED
    with pytest.raises(DomainError, match="Write the report"):
        services.close_request(request, coordinator, " ")
    services.close_request(request, coordinator, "Plateforme installée; douze agents formés.",
                           [Upload("rapport.pdf", "pdf", b"%PDF-1.4\n%%EOF\n")])
    assert request.status == S.CLOSED and [d.purpose for d in request.documents] == ["report"]
    with pytest.raises(DomainError, match="no more messages"):
        services.add_message(request, focal, "Merci !")
    states = db.session.scalars(sa.select(AuditEntry.to_state).where(
        AuditEntry.entity == "assistance_request", AuditEntry.action == "status").order_by(AuditEntry.id)).all()
    assert states == ["under_study", "accepted", "planned", "delivered", "closed"]
    assert [language for _to, language in _mails("assistance_status")] == ["ar"] * 4


def test_a_decline_needs_a_written_reason(parties):
    institution, focal, coordinator = parties
    request = _submit(institution, focal)
    with pytest.raises(DomainError, match="Say why"):
        services.change_status(request, S.DECLINED, coordinator, " ")
    services.change_status(request, S.DECLINED, coordinator, "Hors du champ de nos missions.")
    assert request.decision_reason == "Hors du champ de nos missions."
    with pytest.raises(DomainError, match="cannot go from"):
        services.change_status(request, S.ACCEPTED, coordinator)


def test_an_immersion_needs_its_host_departments(parties, create_expert):
    institution, focal, coordinator = parties
    request = _submit(institution, focal, kind=AssistanceKind.IMMERSION.value)
    services.change_status(request, S.ACCEPTED, coordinator)
    start = request.preferred_from
    with pytest.raises(DomainError, match="departments"):
        services.plan_request(request, coordinator, code="IMM-1", start_on=start, end_on=start, venue="Rabat",
                              experts=[(create_expert(), 1)])
    session = services.plan_request(request, coordinator, code="IMM-1", start_on=start, end_on=start,
                                    venue="Rabat", experts=[(create_expert(), 1)],
                                    host_departments="Pôle des plaintes", programme="Jour 1 : accueil")
    assert (session.kind, session.programme_fr, request.host_departments) == (
        SessionKind.IMMERSION, "Jour 1 : accueil", "Pôle des plaintes")


def test_matching_puts_the_fitting_experts_first_and_flags_who_is_busy(parties, create_expert, create_session):
    institution, focal, coordinator = parties
    request = _submit(institution, focal)
    start = request.preferred_from
    busy = create_expert(family_name="Busy", speciality="Plaintes", languages="fr")
    other = create_session(SessionStatus.DRAFT, start_on=start, end_on=start + timedelta(days=2))
    set_trainer(other, busy, 2, None)
    fits = create_expert(family_name="Fits", speciality="Gestion des plaintes", languages="ar")
    create_expert(family_name="Wrong", speciality="Fiscalité", languages="fr")
    create_expert(family_name="Mute", speciality="Plaintes", languages="")
    rows = services.matching_experts(request)
    assert [c.expert.family_name for c in rows][:2] == ["Fits", "Busy"]
    assert rows[0].fits and rows[1].busy == [other.code] and rows[1].days_this_year == 2.0
    assert [c.expert.family_name for c in rows][-1] == "Wrong"
    services.change_status(request, S.ACCEPTED, coordinator)
    session = services.plan_request(request, coordinator, code="MIS-2", start_on=start, end_on=start + timedelta(days=2),
                                    venue="Dakar", experts=[(busy, 2), (fits, 2)])
    assert any("Busy" in warning for warning in conflicts(session))


def test_the_partner_withdraws_a_request_before_the_decision_and_the_centre_is_told(parties, create_institution,
                                                                                    create_user):
    institution, focal, coordinator = parties
    request = _submit(institution, focal)
    with pytest.raises(DomainError, match="Only the partner's focal point"):
        services.change_status(request, S.WITHDRAWN, coordinator)
    stranger = create_user(Role.FOCAL_POINT)
    db.session.add(FocalPoint(user=stranger, institution=create_institution(name_fr="Autre", country="TN")))
    with pytest.raises(DomainError, match="Only the partner's focal point"):
        services.withdraw_request(request, stranger)
    services.change_status(request, S.UNDER_STUDY, coordinator)
    services.withdraw_request(request, focal, "Le projet est reporté.")
    assert request.status == S.WITHDRAWN and request.decision_reason == "Le projet est reporté."
    assert (coordinator.email, "fr") in _mails("assistance_status")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "assistance_request",
                                                           AuditEntry.entity_id == request.id,
                                                           AuditEntry.action == "status")
                               .order_by(AuditEntry.id.desc())).first()
    assert (entry.to_state, entry.actor_id, entry.details["reason"]) == ("withdrawn", focal.id, "Le projet est reporté.")
    # Final: no move, no message, no second withdrawal.
    for attempt in (lambda: services.change_status(request, S.ACCEPTED, coordinator),
                    lambda: services.add_message(request, focal, "Finalement ?"),
                    lambda: services.withdraw_request(request, focal)):
        with pytest.raises(DomainError):
            attempt()


def test_a_decided_request_can_no_longer_be_withdrawn(parties):
    institution, focal, coordinator = parties
    request = _submit(institution, focal)
    services.change_status(request, S.ACCEPTED, coordinator)
    with pytest.raises(DomainError, match="can no longer be withdrawn"):
        services.withdraw_request(request, focal)
    assert request.status == S.ACCEPTED


def test_the_author_removes_a_document_until_the_decision(parties):
    institution, focal, coordinator = parties
    pdf = Upload("besoins.pdf", "pdf", b"%PDF-1.4\n%%EOF\n")
    request = _submit(institution, focal, documents=[pdf, Upload("annexe.pdf", "pdf", b"%PDF-1.4 annexe\n%%EOF\n")])
    first, second = request.documents
    with pytest.raises(DomainError, match="Only the person who sent"):
        services.remove_document(first, coordinator)
    services.remove_document(first, focal)
    assert [d.file.name for d in request.documents] == ["annexe.pdf"]
    assert db.session.scalar(sa.select(AuditEntry.details).where(AuditEntry.action == "document_remove"))["name"] \
        == "besoins.pdf"
    services.change_status(request, S.ACCEPTED, coordinator)
    with pytest.raises(DomainError, match="its documents stay"):
        services.remove_document(second, focal)
    assert len(request.documents) == 1
