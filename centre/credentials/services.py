"""Each certificate as an Open Badges 3.0 `OpenBadgeCredential` (W3C VC 2.0 data model).

The credential is built, unsigned, when the certificate is issued — from the fields the PDF
prints, the hours of the slots attended and a salted hash of the holder's e-mail address —
and stored with it (Certificate.credential), so that, like the PDF, it never changes. It is
signed when it is served: an embedded eddsa-rdfc-2022 proof, or an RS256 VC-JWT; both
signatures are deterministic, created at the certificate's issue time, so every download of
a credential is the same bytes as long as the keys are the same.

Its `credentialStatus` points into a Bitstring Status List (revocation) that the app serves,
signed, at /credentials/status/<list>.json: the bit of a certificate is its id. It is set when
the certificate is revoked or replaced; not when its holder's data is erased, since the
credential the holder keeps still says only what was true (see README).
"""
import base64
import gzip
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from joserfc.jwk import RSAKey

from centre.attendance.services import attended_hours, attended_hours_of, figures, session_figures
from centre.credentials.jsonld import OB_V3, VC_V2, check_round_trip
from centre.credentials.keys import issuer_keys
from centre.credentials.proofs import (
    ProofCheck,
    add_data_integrity_proof,
    decode_jwt,
    encode_jwt,
    public_key_from_multibase,
    verify_data_integrity_proof,
    xsd_datetime,
)
from centre.credentials.schema import schema_problems
from centre.extensions import db
from centre.i18n import centre_zone
from centre.models import Certificate, Registration, Slot
from centre.urls import absolute_url

#: Bits in one status list: the W3C recommends at least 131,072 (16 KB), for herd privacy.
STATUS_LIST_SIZE = 131_072
STATUS_PURPOSE = "revocation"
HOURS, RATE = "hours", "attendance"


# The issuer -------------------------------------------------------------------------------


def base_url() -> str:
    """The app's public address (CENTRE_PUBLIC_BASE_URL, else the request's host)."""
    return absolute_url("credentials.did_document").removesuffix("/.well-known/did.json")


def did_web(base: str) -> str:
    """did:web of an address: its host (a port's colon percent-encoded), then its path's segments."""
    parts = urlsplit(base)
    return ":".join(["did:web", parts.netloc.replace(":", "%3A"),
                     *[segment for segment in parts.path.split("/") if segment]])


def issuer_did() -> str:
    return did_web(base_url())


def issuer_profile() -> dict:
    names = current_app.config["INSTITUTION_NAMES"]
    return {"id": issuer_did(), "type": ["Profile"], "name": names["fr"], "url": base_url() + "/"}


def did_document() -> dict:
    """The issuer's DID document: its two keys, as verification methods for assertions."""
    did, keys = issuer_did(), issuer_keys()
    ed_id, rsa_id = f"{did}#{keys.ed25519_fragment}", f"{did}#{keys.rsa_fragment}"
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1",
                     "https://w3id.org/security/jwk/v1"],
        "id": did,
        "verificationMethod": [
            {"id": ed_id, "type": "Multikey", "controller": did, "publicKeyMultibase": keys.ed25519_multibase},
            {"id": rsa_id, "type": "JsonWebKey", "controller": did, "publicKeyJwk": keys.public_rsa_jwk()},
        ],
        "assertionMethod": [ed_id, rsa_id],
    }


def jwks() -> dict:
    return {"keys": [issuer_keys().public_rsa_jwk()]}


# Building a certificate's credential -------------------------------------------------------


def identity_hash(email: str, salt: str) -> str:
    """Open Badges 3.0 IdentityHash: 'sha256$' and the hex SHA-256 of the identity then the salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def _session_span(session_id: int, start_on: str, end_on: str) -> tuple[str, str]:
    """From the first slot's start to the last one's end; the session's days if it had none."""
    first, last = db.session.execute(sa.select(sa.func.min(Slot.starts_at), sa.func.max(Slot.ends_at))
                                     .where(Slot.session_id == session_id)).one()
    if first is None:
        zone = centre_zone()
        first = datetime.combine(datetime.fromisoformat(start_on).date(), time(0), zone)
        last = datetime.combine(datetime.fromisoformat(end_on).date(), time(23, 59, 59), zone)
    return xsd_datetime(first), xsd_datetime(last)


def credentials_of(certificates: list[Certificate]) -> dict[int, dict]:
    """build_credential of certificates stored together (a bulk issue's batch), what they need read
    in a few queries for the whole batch rather than a few per certificate: the batch is stored
    in one write transaction, which on SQLite every other writer waits for."""
    if not certificates:
        return {}
    loaded = db.session.scalars(
        sa.select(Certificate).where(Certificate.id.in_([c.id for c in certificates]))
        .options(sa.orm.joinedload(Certificate.registration).joinedload(Registration.trainee),
                 sa.orm.joinedload(Certificate.registration).joinedload(Registration.training_session))
    ).unique().all()
    by_session: dict[int, list[Certificate]] = {}
    for certificate in loaded:
        by_session.setdefault(certificate.registration.session_id, []).append(certificate)
    credentials = {}
    for group in by_session.values():
        training_session = group[0].registration.training_session
        ids = [c.registration_id for c in group]
        hours, attendance = attended_hours_of(ids), session_figures(training_session, ids)
        span = _session_span(training_session.id, group[0].printed["start_on"], group[0].printed["end_on"])
        for certificate in group:
            credentials[certificate.id] = build_credential(
                certificate, hours=hours[certificate.registration_id],
                attendance=attendance[certificate.registration_id], span=span)
    return credentials


def build_credential(certificate: Certificate, *, hours: float | None = None, attendance=None,
                     span: tuple[str, str] | None = None) -> dict:
    """The certificate's OpenBadgeCredential, unsigned. Call once, when it is issued (its id is
    its status list bit, so it must be flushed). hours, attendance (figures) and span (the
    session's first and last moments) are read here unless given (credentials_of reads them
    for a whole batch)."""
    p = certificate.printed
    registration = certificate.registration
    training_session = registration.training_session
    language = "ar" if certificate.language.value == "ar" else "fr"
    achievement_id = achievement_edition_id(p["session_code"], language)
    hours = attended_hours(registration) if hours is None else hours
    attendance = figures(registration) if attendance is None else attendance
    salt = secrets.token_hex(16)
    status_list, index = divmod(certificate.id, STATUS_LIST_SIZE)
    list_url = absolute_url("credentials.status_list", list_id=status_list)
    start, end = span or _session_span(training_session.id, p["start_on"], p["end_on"])
    title, description = _edition_text(p, training_session, language)
    names = [{"@value": f"{p['given_name']} {p['family_name']}".strip(), "@language": "fr"}]
    if p.get("full_name_ar"):
        names.append({"@value": p["full_name_ar"], "@language": "ar"})
    credential = {
        "@context": [VC_V2, OB_V3],
        "id": absolute_url("credentials.credential_json", code=certificate.verification_code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{p['number']} — {title}",
        "issuer": issuer_profile(),
        "validFrom": xsd_datetime(certificate.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                "identityHash": identity_hash(registration.trainee.email, salt), "salt": salt,
            }],
            "name": names,
            "activityStartDate": start,
            "activityEndDate": end,
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "achievementType": "Course",
                "humanCode": p["session_code"],
                "name": title,
                "description": description,
                "inLanguage": language,
                "criteria": {"narrative": _criteria(training_session.attendance_threshold, language)},
                "resultDescription": [
                    {"id": f"{achievement_id}#{HOURS}", "type": ["ResultDescription"],
                     "name": "Heures de présence" if language == "fr" else "ساعات الحضور", "resultType": "RawScore"},
                    {"id": f"{achievement_id}#{RATE}", "type": ["ResultDescription"],
                     "name": "Taux de présence" if language == "fr" else "نسبة الحضور", "resultType": "Percent"},
                ],
            },
            "result": [
                {"type": ["Result"], "resultDescription": f"{achievement_id}#{HOURS}", "value": f"{hours:g}"},
                {"type": ["Result"], "resultDescription": f"{achievement_id}#{RATE}", "value": str(attendance.percent)},
            ],
        },
        "credentialStatus": {
            "id": f"{list_url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": STATUS_PURPOSE,
            "statusListIndex": str(index),
            "statusListCredential": list_url,
        },
    }
    if certificate.language.value == "bilingual" and training_session.title_ar:  # else no Arabic edition
        credential["credentialSubject"]["achievement"]["related"] = [_arabic_edition(p, training_session)]
    check_round_trip_once(credential)
    return credential


def achievement_edition_id(session_code: str, language: str) -> str:
    """The id of the session's achievement in one language: Open Badges 3.0 makes each language
    edition an Achievement of its own, linked by `related`. The French edition keeps the id that
    every credential had before editions existed (the session's address); the Arabic one is
    named after that address and its language."""
    address = f"{base_url()}/sessions/{session_code}"
    return uuid.uuid5(uuid.NAMESPACE_URL, address if language == "fr" else f"{address}#{language}").urn


def _edition_text(printed: dict, training_session, language: str) -> tuple[str, str]:
    """The achievement's name and description in one language: the printed title, and the
    session's theme (else the title)."""
    title = printed[f"title_{language}"] or printed["title_fr"]
    return title, getattr(training_session, f"theme_{language}") or title


def _arabic_edition(printed: dict, training_session) -> dict:
    """A bilingual certificate's achievement is the French edition; its Arabic edition goes in
    `related` (Open Badges 3.0: "primarily intended to identify alternate language editions"),
    named and described there. 1EdTech's schema wants an achievement's name and description to
    be strings, but leaves a Related entry open, so these may be VC 2.0 language value objects."""
    title, description = _edition_text(printed, training_session, "ar")
    return {"id": achievement_edition_id(printed["session_code"], "ar"), "type": ["Related"], "inLanguage": "ar",
            "name": {"@value": title, "@language": "ar"},
            "description": {"@value": description, "@language": "ar"}}


def _criteria(threshold: int, language: str) -> str:
    # Data of the document in its own language, like the PDF's text (not the viewer's language).
    if language == "ar":
        return f"حضور {threshold} ٪ على الأقل من حصص الدورة التكوينية."
    return f"Présence à au moins {threshold} % des demi-journées de la session de formation."


_checked_shapes: set[frozenset] = set()


def _shape(value, path: tuple = ()) -> frozenset:
    """The document's key paths with the kind of each value (the value itself for types and
    language tags): what decides whether the contexts define every term."""
    if isinstance(value, dict):
        return frozenset({(path, "{}")}).union(*(_shape(v, (*path, k)) for k, v in value.items()))
    if isinstance(value, list):
        return frozenset({(path, "[]")}).union(*(_shape(v, path) for v in value))
    if path[-1:] in (("type",), ("@language",)):
        return frozenset({(path, value)})
    return frozenset({(path, type(value).__name__)})


def check_round_trip_once(document: dict) -> None:
    """check_round_trip, once per shape of document per process: whether pyld keeps a term depends
    on the keys and types, not on the names and dates (types are part of the shape)."""
    shape = _shape(document)
    if shape not in _checked_shapes:
        check_round_trip(document)
        _checked_shapes.add(shape)


# Signing ---------------------------------------------------------------------------------


def _verification_method(credential: dict, fragment: str) -> str:
    return f"{credential['issuer']['id']}#{fragment}"


def signed_credential(certificate: Certificate) -> dict:
    """The stored credential with its Data Integrity proof (created when the certificate was issued).

    The proof is written as a one-element array: VC 2.0 allows one object or a set, but Open
    Badges 3.0 writes every collection as an array and 1EdTech's JSON Schema (and so its
    validator) refuses a `proof` that is an object. The signature is the same either way."""
    keys = issuer_keys()
    secured = add_data_integrity_proof(certificate.credential, keys.ed25519,
                                       _verification_method(certificate.credential, keys.ed25519_fragment),
                                       certificate.issued_at)
    secured["proof"] = [secured["proof"]]
    return secured


def credential_jwt(certificate: Certificate) -> str:
    keys = issuer_keys()
    return encode_jwt(certificate.credential, keys.rsa,
                      _verification_method(certificate.credential, keys.rsa_fragment), certificate.issued_at)


# The status list -------------------------------------------------------------------------


def _set_bits(list_id: int) -> list[int]:
    """Indexes, in this list, of the certificates revoked or replaced."""
    first = list_id * STATUS_LIST_SIZE
    return list(db.session.scalars(sa.select(Certificate.id).where(
        Certificate.id >= first, Certificate.id < first + STATUS_LIST_SIZE,
        sa.or_(Certificate.revoked_at.is_not(None), Certificate.replaced_by_id.is_not(None)),
    ).order_by(Certificate.id)))


def encode_bits(indexes: list[int], size: int = STATUS_LIST_SIZE) -> str:
    """Bitstring Status List §3.1: bit 0 is the leftmost bit of the first byte, GZIP-compressed,
    multibase base64url without padding ('u'). mtime=0 keeps it the same for the same bits."""
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode_bit(encoded: str, index: int) -> bool:
    if not encoded.startswith("u"):
        raise ValueError("encodedList is not base64url multibase")
    data = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    if index // 8 >= len(data):
        raise ValueError("index beyond the status list")
    return bool(data[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(list_id: int, now: datetime) -> dict:
    """The signed BitstringStatusListCredential of one list, as it stands now."""
    url = absolute_url("credentials.status_list", list_id=list_id)
    keys = issuer_keys()
    document = {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did(),
        "validFrom": xsd_datetime(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": encode_bits(_set_bits(list_id)),
        },
    }
    return add_data_integrity_proof(document, keys.ed25519, f"{issuer_did()}#{keys.ed25519_fragment}", now)


# Verifying (what a verifier does, with this app's published keys) -------------------------


@dataclass
class Verification:
    proof: ProofCheck
    revoked: bool | None = None  #: None when the status could not be read
    #: What 1EdTech's Open Badges 3.0 schema finds wrong (None: not checked, the proof failed). Not
    #: part of `valid`: a copy served before the proof became an array is authentic but does not conform.
    schema_problems: list[str] | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.proof.verified and self.revoked is False and not self.problems

    @property
    def conforms(self) -> bool | None:
        return None if self.schema_problems is None else not self.schema_problems


def _ed25519_resolver(did_doc: dict):
    methods = {m["id"]: m for m in did_doc["verificationMethod"] if m.get("type") == "Multikey"}

    def resolve(method: str):
        found = methods.get(method)
        return public_key_from_multibase(found["publicKeyMultibase"]) if found else None
    return resolve


def _rsa_resolver(did_doc: dict):
    methods = {m["id"]: m for m in did_doc["verificationMethod"] if m.get("type") == "JsonWebKey"}

    def resolve(kid: str):
        found = methods.get(kid)
        return RSAKey.import_key(found["publicKeyJwk"]) if found else None
    return resolve


def _status(credential: dict, status_list: dict, did_doc: dict) -> tuple[bool | None, list[str]]:
    entry = credential.get("credentialStatus")
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        return None, ["no Bitstring Status List entry"]
    if status_list.get("id") != entry.get("statusListCredential"):
        return None, ["the status list is not the one the credential names"]
    check = verify_data_integrity_proof(status_list, _ed25519_resolver(did_doc))
    if not check.verified:
        return None, [f"status list proof: {check.problem}"]
    try:
        return decode_bit(status_list["credentialSubject"]["encodedList"], int(entry["statusListIndex"])), []
    except (KeyError, ValueError, OSError) as error:
        return None, [f"status list unreadable: {error}"]


def _status_list_for(credential: dict, now: datetime) -> dict | None:
    """This app's status list the credential names, built as /credentials/status/<n> serves it."""
    entry = credential.get("credentialStatus") or {}
    prefix = absolute_url("credentials.status_list", list_id=0).removesuffix("0.json")
    url = entry.get("statusListCredential", "") if isinstance(entry, dict) else ""
    number = url.removeprefix(prefix).removesuffix(".json")
    if not url.startswith(prefix) or not url.endswith(".json") or not number.isdigit():
        return None
    return status_list_credential(int(number), now)


def verify_credential(document: dict, now: datetime) -> Verification:
    """Check an embedded-proof credential against this issuer's DID document and status list,
    and its JSON against 1EdTech's Open Badges 3.0 schema."""
    did_doc = did_document()
    proof = verify_data_integrity_proof(document, _ed25519_resolver(did_doc))
    return _with_status(Verification(proof), document, did_doc, now)


def verify_jwt(token: str, now: datetime) -> Verification:
    did_doc = did_document()
    proof, credential = decode_jwt(token, _rsa_resolver(did_doc))
    return _with_status(Verification(proof), credential or {}, did_doc, now)


def _with_status(result: Verification, credential: dict, did_doc: dict, now: datetime) -> Verification:
    if not result.proof.verified:
        return result
    result.schema_problems = schema_problems(credential)
    status_list = _status_list_for(credential, now)
    if status_list is None:
        result.problems.append("the credential's status list is not this issuer's")
        return result
    result.revoked, problems = _status(credential, status_list, did_doc)
    result.problems += problems
    return result
