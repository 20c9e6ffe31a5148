"""Who may reach which endpoint, declared in one table, and loaders that answer 404 or 403.

Every endpoint of the app must have an entry in ACCESS: create_app() refuses to start
otherwise, so a new route cannot be added without deciding who may use it.
"""
from flask import abort, current_app, request
from flask_login import current_user

from centre.extensions import db, login_manager
from centre.models import Certificate, Registration, Role, TrainingSession

PUBLIC = frozenset({"anonymous", *Role})
SIGNED_IN = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.COORDINATOR})
TRAINEE = frozenset({Role.TRAINEE})
EXPERT = frozenset({Role.EXPERT})

ACCESS: dict[str, frozenset] = {
    "static": PUBLIC,
    # main
    "main.index": PUBLIC,
    "main.set_language": PUBLIC,
    "main.dashboard": SIGNED_IN,
    "main.healthz": PUBLIC,
    # auth
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    # public catalogue and verification
    "public.catalogue": PUBLIC,
    "public.session": PUBLIC,
    "public.register": PUBLIC,
    "public.verify": PUBLIC,
    "public.verify_form": PUBLIC,
    # sessions and their preparation review
    "sessions.index": STAFF,
    "sessions.create": STAFF,
    "sessions.detail": STAFF,
    "sessions.transition": STAFF,
    "reviews.record": STAFF,
    # registrations
    "registrations.index": STAFF,
    "registrations.decide": STAFF,
    "registrations.mine": TRAINEE,
    "registrations.cancel": TRAINEE | STAFF,
    # attendance
    "attendance.grid": STAFF,
    # certificates
    "certificates.index": STAFF,
    "certificates.issue": STAFF,
    "certificates.download": TRAINEE | STAFF,
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


def get_certificate(certificate_id: int) -> Certificate:
    certificate = db.get_or_404(Certificate, certificate_id)
    if not _is_own(certificate.registration):
        abort(404)
    return certificate


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
