"""Who may reach which endpoint, declared in one table, and loaders that answer 404 or 403.

Every endpoint of the app must have an entry in ACCESS: create_app() refuses to start
otherwise, so a new route cannot be added without deciding who may use it.
"""
from flask import abort, current_app, request
from flask_login import current_user

from centre.extensions import db, login_manager
from centre.models import (
    Agreement,
    AssistanceDocument,
    AssistanceRequest,
    Certificate,
    Expert,
    FocalPoint,
    Institution,
    InstitutionContact,
    Job,
    OutboxMail,
    Question,
    Questionnaire,
    QuestionnaireTemplate,
    Registration,
    Review,
    Role,
    Signatory,
    Slot,
    Trainee,
    Trainer,
    TrainingSession,
    User,
)

PUBLIC = frozenset({"anonymous", *Role})
SIGNED_IN = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.COORDINATOR})
TRAINEE = frozenset({Role.TRAINEE})
EXPERT = frozenset({Role.EXPERT})
ADMIN = frozenset({Role.ADMIN})
FOCAL_POINT = frozenset({Role.FOCAL_POINT})

ACCESS: dict[str, frozenset] = {
    "static": PUBLIC,
    # main
    "main.index": PUBLIC,
    "main.set_language": PUBLIC,
    "main.dashboard": SIGNED_IN,
    "main.healthz": PUBLIC,
    "main.favicon": PUBLIC,
    # auth
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.logout_everywhere": SIGNED_IN,
    "auth.forgot_password": PUBLIC,
    "auth.reset_password": PUBLIC,
    "auth.sign_in_link": PUBLIC,
    "auth.sign_in_with_link": PUBLIC,  # the signed link in the e-mail is the credential
    "auth.accept_invitation": PUBLIC,  # the signed link in the e-mail is the credential
    # public catalogue and verification
    "public.catalogue": PUBLIC,
    "public.session": PUBLIC,
    "public.register": PUBLIC,
    "public.verify": PUBLIC,
    "public.verify_pdf": PUBLIC,
    "public.verify_form": PUBLIC,
    # sessions and their preparation review
    "public.catalogue_ics": PUBLIC,
    "public.session_ics": PUBLIC,
    "sessions.index": STAFF,
    "sessions.calendar": STAFF,
    "sessions.create": STAFF,
    "sessions.edit": STAFF,
    "sessions.duplicate": STAFF,
    "sessions.detail": STAFF,
    "sessions.transition": STAFF,
    "sessions.slots": STAFF,
    "sessions.slot_change": STAFF,
    "sessions.slot_remove": STAFF,
    "sessions.trainer_set": STAFF,
    "sessions.trainer_remove": STAFF,
    "sessions.ics": STAFF,
    "reviews.record": STAFF,
    "reviews.assign": STAFF,
    "reviews.mine": EXPERT,
    "reviews.submit": EXPERT,
    "reviews.conflict": EXPERT,
    # registrations
    "registrations.index": STAFF,
    "registrations.detail": STAFF,
    "registrations.correct": STAFF,
    "registrations.correct_mine": TRAINEE,
    "registrations.decide": STAFF,
    "registrations.decide_many": STAFF,
    "registrations.import_list": STAFF,
    "registrations.regenerate_letter": STAFF,
    "registrations.mine": TRAINEE,
    "registrations.my_data": TRAINEE,
    "registrations.resend_confirmation": TRAINEE,
    "registrations.cancel": TRAINEE | STAFF,
    "registrations.letter": TRAINEE | STAFF,
    "registrations.confirm_email": PUBLIC,  # the signed link in the e-mail is the credential
    # attendance
    "attendance.grid": STAFF,
    "attendance.save_mark": STAFF,
    "attendance.everyone_present": STAFF,
    "attendance.eligibility": STAFF,
    "attendance.sign_in_sheet": STAFF,
    "attendance.check_in_screen": STAFF,
    "attendance.check_in": TRAINEE,
    "attendance.sign": TRAINEE,
    "attendance.countersign": EXPERT,
    "attendance.teaching": EXPERT,
    # joining instructions: the session's practical information, an accepted trainee's convocation
    "joining.edit": STAFF,
    "joining.convocation": TRAINEE | STAFF,
    "joining.calendar": TRAINEE | STAFF,
    # a session's materials: coordinators and its trainers add them; each has who may see it
    "materials.index": STAFF | EXPERT,
    "materials.download": SIGNED_IN,
    "materials.archive": SIGNED_IN,
    "materials.remove": STAFF | EXPERT,
    # certificates
    "certificates.index": STAFF,
    "certificates.detail": STAFF,
    "certificates.issue": STAFF,
    "certificates.download": TRAINEE | STAFF,
    "certificates.issue_all": STAFF,
    "certificates.status": STAFF,
    "certificates.archive": STAFF,
    "certificates.revoke": STAFF,
    "certificates.replace": STAFF,
    "certificates.email": STAFF,
    # signatories printed on certificates (DESIGN: admin only)
    "certificates.signatories": ADMIN,
    "certificates.withdraw_signatory": ADMIN,
    "certificates.signature_image": ADMIN,
    # Open Badges credentials: what any verifier fetches; a credential by its verification code
    "credentials.did_document": PUBLIC,
    "credentials.did_document_path": PUBLIC,
    "credentials.jwks": PUBLIC,
    "credentials.status_list": PUBLIC,
    "credentials.credential_json": PUBLIC,
    "credentials.credential_jwt": PUBLIC,
    # partner institutions and their agreements (DESIGN: coordinators manage partners)
    "institutions.index": STAFF,
    "institutions.create": STAFF,
    "institutions.detail": STAFF,
    "institutions.edit": STAFF,
    "institutions.add_agreement": STAFF,
    "institutions.edit_agreement": STAFF,
    "institutions.remove_agreement": STAFF,
    "institutions.agreement_document": STAFF,
    # partners' focal points: their institution's page, nominations, certificates, contacts
    "partners.home": FOCAL_POINT,
    "partners.nominate": FOCAL_POINT,
    "partners.certificates_archive": FOCAL_POINT,
    "partners.certificate_download": FOCAL_POINT,
    "partners.invite": STAFF,
    "partners.invite_again": STAFF,
    "partners.accept_invitation": PUBLIC,  # the signed link in the e-mail is the credential
    "partners.add_contact": STAFF | FOCAL_POINT,
    "partners.edit_contact": STAFF | FOCAL_POINT,
    "partners.remove_contact": STAFF | FOCAL_POINT,
    # technical-assistance requests: focal points for their institution, coordinators for all
    "assistance.index": STAFF | FOCAL_POINT,
    "assistance.create": STAFF | FOCAL_POINT,
    "assistance.detail": STAFF | FOCAL_POINT,
    "assistance.message": STAFF | FOCAL_POINT,
    "assistance.document": STAFF | FOCAL_POINT,
    "assistance.transition": STAFF,
    "assistance.plan": STAFF,
    "assistance.close": STAFF,
    "assistance.withdraw": FOCAL_POINT,
    "assistance.evaluate": FOCAL_POINT,  # their own invitation to their institution's request's evaluation
    "assistance.remove_document": STAFF | FOCAL_POINT,
    # experts, and their accounts opened by invitation
    "experts.index": STAFF,
    "experts.create": STAFF,
    "experts.detail": STAFF,
    "experts.edit": STAFF,
    "experts.invite": STAFF,
    "experts.accept_invitation": PUBLIC,  # the signed link in the e-mail is the credential
    # exports as CSV and XLSX (personal data: staff only)
    "exports.index": STAFF,
    "exports.registrations": STAFF,
    "exports.certificates": STAFF,
    "exports.partners": STAFF,
    "exports.session_registrations": STAFF,
    "exports.session_attendance": STAFF,
    "exports.session_certificates": STAFF,
    # reports: the dashboard and the activity report
    "reports.index": STAFF,
    "reports.activity_pdf": STAFF,
    # background work: coordinators follow it, admins may also cancel a job
    "jobs.index": STAFF,
    "jobs.cancel": ADMIN,
    "jobs.mails": STAFF,
    "jobs.resend": STAFF,
    # administration: accounts (admins), the audit log (staff)
    "admin.users": ADMIN,
    "admin.create_user": ADMIN,
    "admin.user": ADMIN,
    "admin.change_role": ADMIN,
    "admin.disable": ADMIN,
    "admin.enable": ADMIN,
    "admin.invite": ADMIN,
    "admin.audit_log": STAFF,
    # evaluation questionnaires: answered by personal link, managed and read by the staff
    "evaluation.answer": PUBLIC,  # the signed personal link is the credential
    "evaluation.thanks": PUBLIC,
    "evaluation.session": STAFF,
    "evaluation.create": STAFF,
    "evaluation.send": STAFF,
    "evaluation.close": STAFF,
    "evaluation.results": STAFF,
    "evaluation.results_xlsx": STAFF,
    "evaluation.results_pdf": STAFF,
    "evaluation.positioning": STAFF | EXPERT,  # experts: only those who teach the session
    "evaluation.templates": STAFF,
    "evaluation.load_defaults": STAFF,
    "evaluation.template": STAFF,
    "evaluation.question_remove": STAFF,
    "evaluation.new_version": STAFF,
}


def role_of(user) -> str:
    return user.role if user.is_authenticated else "anonymous"


def check_access():
    """before_request: let the request through, send to login, or answer 403."""
    if request.endpoint is None:  # 404 or 405: let Flask answer
        return None
    allowed = ACCESS[request.endpoint]
    if role_of(current_user) in allowed:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    abort(403)


def check_every_endpoint_declared(app):
    missing = sorted({rule.endpoint for rule in app.url_map.iter_rules()} - ACCESS.keys())
    if missing:
        raise RuntimeError(f"Endpoints without an entry in centre.permissions.ACCESS: {missing}")


# Loaders: one per entity, answering 404 for what does not exist or is not the user's.


def get_training_session(session_id: int) -> TrainingSession:
    return db.get_or_404(TrainingSession, session_id)


def get_institution(institution_id: int) -> Institution:
    return db.get_or_404(Institution, institution_id)


def get_own_focal_point() -> FocalPoint:
    """The signed-in focal point's link to their institution (403 for an account that has none)."""
    focal_point = db.session.scalar(db.select(FocalPoint).where(FocalPoint.user_id == current_user.id))
    if focal_point is None:
        abort(403)
    return focal_point


def get_partner_institution(institution_id: int) -> Institution:
    """A partner as the current user may act on it: any for staff, their own for a focal point
    (another institution answers 404, as if absent)."""
    institution = db.get_or_404(Institution, institution_id)
    if not current_user.is_staff and get_own_focal_point().institution_id != institution.id:
        abort(404)
    return institution


def get_contact(institution_id: int, contact_id: int) -> InstitutionContact:
    institution = get_partner_institution(institution_id)
    contact = db.get_or_404(InstitutionContact, contact_id)
    if contact.institution_id != institution.id:
        abort(404)
    return contact


def get_assistance_request(request_id: int) -> AssistanceRequest:
    """A request the current user may see: any for staff, their institution's for a focal point."""
    assistance = db.get_or_404(AssistanceRequest, request_id)
    if not current_user.is_staff and get_own_focal_point().institution_id != assistance.institution_id:
        abort(404)
    return assistance


def get_assistance_document(request_id: int, document_id: int) -> AssistanceDocument:
    assistance = get_assistance_request(request_id)
    document = db.get_or_404(AssistanceDocument, document_id)
    if document.request_id != assistance.id:
        abort(404)
    return document


def get_focal_point(institution_id: int, focal_point_id: int) -> FocalPoint:
    focal_point = db.get_or_404(FocalPoint, focal_point_id)
    if focal_point.institution_id != institution_id:
        abort(404)
    return focal_point


def get_agreement(institution_id: int, agreement_id: int) -> Agreement:
    """An agreement of that partner; another partner's answers 404."""
    agreement = db.get_or_404(Agreement, agreement_id)
    if agreement.institution_id != institution_id:
        abort(404)
    return agreement


def get_questionnaire(questionnaire_id: int) -> Questionnaire:
    return db.get_or_404(Questionnaire, questionnaire_id)


def get_questionnaire_template(template_id: int) -> QuestionnaireTemplate:
    return db.get_or_404(QuestionnaireTemplate, template_id)


def get_question(template_id: int, question_id: int) -> Question:
    """A question of that template; another template's answers 404."""
    question = db.get_or_404(Question, question_id)
    if question.template_id != template_id:
        abort(404)
    return question


def get_job(job_id: int) -> Job:
    return db.get_or_404(Job, job_id)


def get_outbox_mail(mail_id: int) -> OutboxMail:
    return db.get_or_404(OutboxMail, mail_id)


def get_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def get_expert(expert_id: int) -> Expert:
    return db.get_or_404(Expert, expert_id)


def get_slot(slot_id: int, training_session: TrainingSession | None = None) -> Slot:
    """A slot; of the given session, or 404 (a slot of another session does not belong here)."""
    slot = db.get_or_404(Slot, slot_id)
    if training_session is not None and slot.session_id != training_session.id:
        abort(404)
    return slot


def _is_own(registration: Registration) -> bool:
    if current_user.is_staff:
        return True
    return (
        current_user.role == Role.TRAINEE
        and registration.trainee.user_id is not None
        and registration.trainee.user_id == current_user.id
    )


def get_registration(registration_id: int) -> Registration:
    """A registration the current user may see; another trainee's answers 404, as if absent."""
    registration = db.get_or_404(Registration, registration_id)
    if not _is_own(registration):
        abort(404)
    return registration


def get_own_trainee():
    """The signed-in trainee's record (403 for an account that has none)."""
    trainee = db.session.scalar(db.select(Trainee).where(Trainee.user_id == current_user.id))
    if trainee is None:
        abort(403)
    return trainee


def get_certificate(certificate_id: int) -> Certificate:
    certificate = db.get_or_404(Certificate, certificate_id)
    if not _is_own(certificate.registration):
        abort(404)
    return certificate


def get_signatory(signatory_id: int):
    return db.get_or_404(Signatory, signatory_id)


def safe_next_url(target: str | None, default: str) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative address, and no control
    character — a line break would split the response's headers, and browsers drop tabs and
    line breaks from addresses, which turns "/\t/evil.example" into "//evil.example"."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ch < " " or ch == "\x7f" for ch in target):
        return default
    return target


__all__ = ["ACCESS", "check_access", "current_app"]


def get_trainer(session_id: int, expert_id: int):
    return db.get_or_404(Trainer, (session_id, expert_id))


def get_review(review_id: int):
    """A review for its expert: another expert's answers 404."""
    review = db.get_or_404(Review, review_id)
    if current_user.is_staff:
        return review
    if review.expert.user_id is None or review.expert.user_id != current_user.id:
        abort(404)
    return review
