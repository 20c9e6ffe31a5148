"""Signatories: the people whose name, title and signature new certificates print."""
import io
import warnings

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from centre import audit
from centre.errors import DomainError
from centre.extensions import db
from centre.models import Signatory, User

#: What an uploaded signature may be.
SIGNATURE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
SIGNATURE_MAX_BYTES = 1024 * 1024
SIGNATURE_MAX_PIXELS = 2000


def active_signatories() -> list[Signatory]:
    return db.session.scalars(
        sa.select(Signatory).where(Signatory.is_active).order_by(Signatory.position, Signatory.id)
    ).all()


def check_signature_image(data: bytes) -> str:
    """The image's type (image/png or image/jpeg), judged by its content; else DomainError."""
    if len(data) > SIGNATURE_MAX_BYTES:
        raise DomainError(_l("The signature image is too large: at most %(size)s MB."), size=1)
    too_large = DomainError(_l("The signature image is too large: at most %(pixels)s pixels a side."),
                            pixels=SIGNATURE_MAX_PIXELS)
    try:
        # A few kilobytes may declare a billion pixels: Pillow warns past its limit, and refuses
        # past twice it; both are this refusal, before anything is decoded.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError(_l("The signature must be a PNG or JPEG image.")) from None
    if kind not in SIGNATURE_TYPES:
        raise DomainError(_l("The signature must be a PNG or JPEG image."))
    if max(width, height) > SIGNATURE_MAX_PIXELS:
        raise too_large
    return SIGNATURE_TYPES[kind]


def add_signatory(name_fr: str, title_fr: str, signature: bytes, actor: User | None, name_ar: str = "",
                  title_ar: str = "", position: int = 1) -> Signatory:
    kind = check_signature_image(signature)
    signatory = Signatory(name_fr=name_fr.strip(), name_ar=(name_ar or "").strip(), title_fr=title_fr.strip(),
                          title_ar=(title_ar or "").strip(), signature=signature, signature_type=kind,
                          position=position or 0)
    db.session.add(signatory)
    audit.record(signatory, "create", to_state="active", actor=actor, name=signatory.name_fr)
    return signatory


def withdraw_signatory(signatory: Signatory, actor: User | None) -> Signatory:
    """Certificates issued from now on no longer print this signatory; issued ones keep it."""
    signatory.is_active = False
    audit.record(signatory, "withdraw", from_state="active", to_state="withdrawn", actor=actor)
    return signatory
