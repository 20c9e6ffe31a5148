"""What a verifier fetches: the issuer's DID document and JWKS, the status lists; and each
certificate's credential, by its verification code (the code printed on the certificate)."""
import json

from flask import Response, abort, current_app, request
from flask_babel import gettext as _

from centre.certificates.verification import allow_verification, find_by_code
from centre.credentials import bp, commands  # noqa: F401 -- commands adds the `flask credentials` CLI
from centre.credentials.keys import CredentialKeysMissing
from centre.credentials.services import (
    STATUS_LIST_SIZE,
    credential_jwt,
    did_document,
    jwks,
    signed_credential,
    status_list_credential,
)
from centre.errors import error_page
from centre.extensions import db
from centre.models import Certificate
from centre.models.types import utcnow
from centre.web import perform

VC_JSON = "application/vc"  #: VC 2.0's media type of a credential secured by an embedded proof
VC_JWT = "application/vc+jwt"


def _json(document: dict, mimetype: str, filename: str | None = None, max_age: int = 300) -> Response:
    response = Response(json.dumps(document, ensure_ascii=False, indent=2) + "\n", mimetype=mimetype)
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers read these from other sites
    response.cache_control.public, response.cache_control.max_age = True, max_age
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.errorhandler(CredentialKeysMissing)
def keys_missing(error):
    current_app.logger.error("Credentials cannot be signed: %s", error)
    return error_page(503, _("The credential cannot be signed at the moment: the centre's signing keys "
                             "are missing. The team has been told."))


@bp.route("/.well-known/did.json", endpoint="did_document")
@bp.route("/did.json", endpoint="did_document_path")  # did:web of a base address with a path
def did_document_():
    return _json(did_document(), "application/did+ld+json")


@bp.route("/.well-known/jwks.json", endpoint="jwks")
def jwks_():
    return _json(jwks(), "application/jwk-set+json")


@bp.route("/credentials/status/<int:list_id>.json")
def status_list(list_id):
    """A Bitstring Status List credential, signed as it stands now; short-lived in caches."""
    if list_id * STATUS_LIST_SIZE > (db.session.scalar(db.select(db.func.max(Certificate.id))) or 0):
        abort(404)
    return _json(status_list_credential(list_id, utcnow()), VC_JSON, max_age=60)


def _certificate(code: str) -> Certificate:
    """The certificate with this code and a credential to serve, within the verification
    page's allowance; 404 for an unknown code, an erased holder or no credential yet."""
    if not perform(lambda: allow_verification(request.remote_addr)).result:
        abort(429)
    certificate = find_by_code(code)
    if certificate is None or certificate.erased_at is not None or certificate.credential is None:
        abort(404)
    return certificate


@bp.route("/credentials/<code>.json")
def credential_json(code):
    certificate = _certificate(code)
    return _json(signed_credential(certificate), VC_JSON, f"{certificate.number}.json", max_age=0)


@bp.route("/credentials/<code>.jwt", endpoint="credential_jwt")
def credential_jwt_(code):
    certificate = _certificate(code)
    response = Response(credential_jwt(certificate), mimetype=VC_JWT)
    response.headers["Content-Disposition"] = f'attachment; filename="{certificate.number}.jwt"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
