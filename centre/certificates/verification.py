"""Verification: the random codes certificates print, finding a certificate by its code, and
the public page's rate limit."""
import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from centre.database import lock_name
from centre.errors import DomainError
from centre.extensions import db
from centre.models import Certificate, VerificationHit
from centre.models.types import utcnow
from centre.signing import signature_state
from centre.urls import absolute_url

_CODE_BYTES = 15  # 120 random bits, 24 base32 characters


def new_verification_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(_CODE_BYTES)).decode("ascii")
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normalize_code(code: str) -> str:
    """Accept a code typed with spaces, lower case or without dashes."""
    raw = "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())[:64]
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def verification_url(code: str) -> str:
    return absolute_url("public.verify", code=code)


def find_by_code(code: str) -> Certificate | None:
    """The issued certificate with this code; None for an unknown, malformed or pending one."""
    normalized = normalize_code(code)
    if len(normalized) != 29:  # 24 base32 characters in groups of four
        return None
    return db.session.scalar(sa.select(Certificate).where(
        Certificate.verification_code == normalized, Certificate.sha256 != Certificate.PENDING))


# Anyone's check of a PDF file ----------------------------------------------------------------

#: Larger than any certificate (about 60 KB signed, bilingual): a larger file is refused unread.
PDF_CHECK_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class PdfCheck:
    certificate: Certificate | None  #: the certificate whose stored bytes are exactly the file's, if any
    signature: str  #: centre.signing.signature_state: none, centre, other or broken


def check_pdf(data: bytes) -> PdfCheck:
    """Whether a file is, byte for byte, a certificate the centre issued (by the SHA-256 of its
    bytes, as stored when issued), and what its signature says. Nothing of the file is kept."""
    if len(data) > PDF_CHECK_MAX_BYTES:
        raise DomainError(_l("This file is larger than any certificate (at most %(size)s KB): it is not one "
                             "of ours.", size=PDF_CHECK_MAX_BYTES // 1024))
    if not data.startswith(b"%PDF-"):
        raise DomainError(_l("This file is not a PDF document."))
    digest = hashlib.sha256(data).hexdigest()
    certificate = db.session.scalar(sa.select(Certificate).where(Certificate.sha256 == digest))
    return PdfCheck(certificate, signature_state(data))


# The public verification page's rate limit ---------------------------------------------------


def allow_verification(client: str, now=None) -> bool:
    """Count this request against the client's allowance; False once the allowance is spent.

    The count lives in the database, so that every app server sharing it sees the same one.
    """
    now = now or utcnow()
    config = current_app.config
    since = now - timedelta(seconds=config["VERIFY_RATE_WINDOW_SECONDS"])
    client = (client or "unknown")[:64]
    lock_name(db.session, "verify", client)  # the count and the new hit, atomic on PostgreSQL too
    db.session.execute(sa.delete(VerificationHit).where(VerificationHit.client == client,
                                                        VerificationHit.at < since))
    used = db.session.scalar(sa.select(sa.func.count(VerificationHit.id)).where(VerificationHit.client == client))
    if used >= config["VERIFY_RATE_LIMIT"]:
        return False
    db.session.add(VerificationHit(client=client, at=now))
    return True
