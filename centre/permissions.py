"""Who may reach which endpoint, declared in one table, and loaders that answer 404 or 403.

Every endpoint of the app must have an entry in ACCESS: create_app() refuses to start
otherwise, so a new route cannot be added without deciding who may use it.
"""
from flask import abort, current_app, request
from flask_login import current_user

from centre.extensions import db, login_manager
from centre.models import (
    Agreement,
    Certificate,
    Expert,
    Institution,
    Job,
    OutboxMail,
    Registration,
    Review,
    Role,
    Signatory,
    Slot,
    Trainee,
    Trainer,
    TrainingSession,
)

PUBLIC = frozenset({"anonymous", *Role})
SIGNED_IN = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.COORDINATOR})
TRAINEE = frozenset({Role.TRAINEE})
EXPERT = frozenset({Role.EXPERT})
ADMIN = frozenset({Role.ADMIN})

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
    # certificates
    "certificates.index": STAFF,
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


def get_agreement(institution_id: int, agreement_id: int) -> Agreement:
    """An agreement of that partner; another partner's answers 404."""
    agreement = db.get_or_404(Agreement, agreement_id)
    if agreement.institution_id != institution_id:
        abort(404)
    return agreement


def get_job(job_id: int) -> Job:
    return db.get_or_404(Job, job_id)


def get_outbox_mail(mail_id: int) -> OutboxMail:
    return db.get_or_404(OutboxMail, mail_id)


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
