"""PAdES signatures: every issued certificate and invitation letter is certified with the
institution's key before its bytes are stored.

The key and its certificate come from the PKCS#12 file named by CENTRE_SIGNING_KEY (passphrase
CENTRE_SIGNING_PASSPHRASE) or, with CENTRE_SIGNING_PKCS11_MODULE, from a PKCS#11 token (the key
never leaves it; the passphrase is its PIN). Either is loaded once per process (the web process
and each rendering worker), and a file's key is kept parsed: pyHanko's stock SimpleSigner parses
the private key again for every signature (about 150 ms here), and sizes the signature with a dry
run unless told how much room to leave.
A certification signature allowing no change (DocMDP level 1), PAdES B-B; B-T when
CENTRE_TSA_URL names an RFC 3161 timestamp server.

A key that is missing or cannot be opened raises SigningKeyError (a DomainError, so the
coordinator reads why) and is logged: a certificate is never stored unsigned.
"""
import io
import logging
import os
import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import aiohttp
import pkcs11
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import SigningError, get_pyca_cryptography_hash
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from centre.errors import DomainError
from centre.pdf import render_pdf

log = logging.getLogger(__name__)

#: Room left for the signature (CMS, DER bytes) beyond the certificates it embeds: the signed
#: attributes and the signature value take about 1 KB (4 KB covers RSA 4096 with room to spare);
#: a timestamp token embeds the timestamp authority's certificates too. Given the room, pyHanko
#: skips its dry run; the file holds twice as many hex digits, padded with zeros.
SIGNATURE_ROOM = 4096
TIMESTAMP_ROOM = 8192
TSA_TIMEOUT_SECONDS = 10

MM = 72 / 25.4  #: PDF points in a millimetre

#: Name of the signature field every signed document carries.
FIELD_NAME = "Signature"



class _PdfPage(PdfContent):
    """The first page of a PDF held in memory, drawn as a form XObject (pyHanko's own
    ImportedPdfPage reads it from a file)."""

    def __init__(self, pdf: bytes):
        super().__init__()
        self.pdf = pdf

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(_stamp_reader(self.pdf))
        self.resources.xobject["/Stamp"] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return b"/Stamp Do"


_readers = threading.local()


def _stamp_reader(pdf: bytes) -> PdfFileReader:
    """The stamp's PDF, parsed once per thread (a reader is not made for two threads at once):
    importing its page into each signed document then copies objects already read."""
    readers = _readers.__dict__.setdefault("by_pdf", {})
    if pdf not in readers:
        readers[pdf] = PdfFileReader(io.BytesIO(pdf))
    return readers[pdf]


@lru_cache(maxsize=16)
def _stamp_pdf(languages: tuple[str, ...], signer: str) -> bytes:
    """The stamp's page, rendered by WeasyPrint (Amiri, Arabic shaped as in the document) once per
    process, set of languages and signer: it names the signer, not the time (the signature holds
    the signing time, the document its date), so that no signature pays for a rendering."""
    lines = []
    for language in languages:
        with force_locale(language):
            lines.append({"lang": language, "text": gettext("Electronically signed by")})
    return render_pdf("pdf/signature_stamp.html", lines=lines, signer=signer)


def stamp_style(languages: tuple[str, ...], signer: str) -> StaticStampStyle:
    return StaticStampStyle(background=_PdfPage(_stamp_pdf(languages, signer)), border_width=0)


class SigningKeyError(DomainError):
    """The signing key cannot be used: nothing is issued until the administrator fixes it."""


@dataclass(frozen=True)
class SigningIdentity:
    signer: signers.Signer
    reserved: int  #: room for the signature without a timestamp, in DER bytes
    common_name: str
    #: A PKCS#11 session is not made for several threads at once (a jobs worker runs two):
    #: signatures on a token take turns. A file's parsed key needs no turn.
    turn: AbstractContextManager = field(default_factory=nullcontext)


#: Signed attributes fixed by the signer's certificate and the digest algorithm alone (and the
#: document's digest): no time, no revocation information, no timestamp.
_FIXED_ATTRIBUTES = {"content_type", "message_digest", "signing_certificate", "signing_certificate_v2",
                     "cms_algorithm_protection"}


class _ParsedKeySigner(signers.SimpleSigner):
    """SimpleSigner with the private key parsed once (the stock one parses it per signature), and the
    signed attributes of a PAdES signature built once (see signed_attrs)."""

    def __init__(self, private_key, **kwargs):
        super().__init__(**kwargs)
        self._private_key = private_key
        self._signed_attrs_der: dict[tuple, tuple[bytes, bytes] | None] = {}

    async def signed_attrs(self, data_digest: bytes, digest_algorithm: str, attr_settings=None,
                           content_type="data", use_pades=False, timestamper=None, dry_run=False,
                           is_pdf_sig=True):
        """pyHanko's own signed attributes, built by it once per kind of signature and kept as DER
        around the document's digest, which is spliced in: building them with asn1crypto at every
        signature was about a third of a certificate's signing time. Only when every attribute is
        fixed (_FIXED_ATTRIBUTES: a PAdES signature has no signing time among them); any other
        signature gets pyHanko's attributes built afresh."""
        def built(digest):
            return super(_ParsedKeySigner, self).signed_attrs(
                digest, digest_algorithm, attr_settings, content_type, use_pades, timestamper, dry_run, is_pdf_sig)

        settings = attr_settings or PdfCMSSignedAttributes()
        if not use_pades or dry_run or getattr(settings, "adobe_revinfo_attr", None) is not None:
            return await built(data_digest)
        key = (digest_algorithm, len(data_digest), content_type, is_pdf_sig,
               repr(getattr(settings, "cades_signed_attrs", None)))
        if key not in self._signed_attrs_der:
            placeholder = os.urandom(len(data_digest))
            attrs = await built(placeholder)
            der = attrs.dump()
            fixed = {attr["type"].native for attr in attrs} <= _FIXED_ATTRIBUTES and der.count(placeholder) == 1
            self._signed_attrs_der[key] = tuple(der.split(placeholder)) if fixed else None
        around = self._signed_attrs_der[key]
        if around is None:
            return await built(data_digest)
        return cms.CMSAttributes.load(around[0] + data_digest + around[1])

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        digest = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._private_key, rsa.RSAPrivateKey):
            return self._private_key.sign(data, padding.PKCS1v15(), digest)
        if mechanism == "ecdsa" and isinstance(self._private_key, ec.EllipticCurvePrivateKey):
            return self._private_key.sign(data, ec.ECDSA(digest))
        return super().sign_raw(data, digest_algorithm)  # other mechanisms: pyHanko's own, slower


def _refuse(user_message, log_message: str, *log_args, **params):
    """Log what is wrong for the administrator, and refuse with a message for the coordinator."""
    log.error(log_message, *log_args)
    raise SigningKeyError(user_message, **params)


@lru_cache(maxsize=4)
def _load(path: str, passphrase: str, mtime: float) -> SigningIdentity:
    """The signer of a PKCS#12 file, once per process and file version (`mtime` is the key's
    version: a replaced file is read again)."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        _refuse(_l("The signing key file cannot be read. Nothing was issued. Ask the administrator to "
                   "check CENTRE_SIGNING_KEY."),
                "Signing key %s cannot be read: %s", path, error.strerror)
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, passphrase.encode() or None)
    except ValueError:
        _refuse(_l("The signing key cannot be opened: the passphrase is wrong or the file is not a "
                   "PKCS#12 key. Nothing was issued. Ask the administrator to check CENTRE_SIGNING_KEY "
                   "and CENTRE_SIGNING_PASSPHRASE."),
                "Signing key %s: not a PKCS#12 file, or the passphrase is wrong", path)
    if key is None or cert is None:
        _refuse(_l("The signing key file holds no private key with its certificate. Nothing was issued. "
                   "Ask the administrator to check CENTRE_SIGNING_KEY."),
                "Signing key %s: the PKCS#12 file holds no private key with its certificate", path)
    _check_validity(cert, path)
    der = cert.public_bytes(Encoding.DER)
    chain = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in others]
    store = SimpleCertificateStore()
    store.register_multiple(chain)
    signer = _ParsedKeySigner(key, signing_cert=asn1_x509.Certificate.load(der),
                              signing_key=translate_pyca_cryptography_key_to_asn1(key), cert_registry=store)
    log.info("Signing key %s loaded: %s", path, cert.subject.rfc4514_string())
    return SigningIdentity(signer, SIGNATURE_ROOM + len(der) + sum(len(c.dump()) for c in chain), _common_name(cert))


@lru_cache(maxsize=2)
def _load_token(module: str, token: str, label: str, pin: str) -> SigningIdentity:
    """The signer of a key kept on a PKCS#11 token (a hardware key, an HSM, SoftHSM), with its
    certificate and the other certificates the token holds; one session per process."""
    where = f"token {token!r} (module {module}), key {label!r}"
    try:
        session = open_pkcs11_session(module, token_criteria=TokenCriteria(label=token), user_pin=pin or None)
        signer = PKCS11Signer(session, key_label=label, cert_label=label, other_certs_to_pull=None)
        der = signer.signing_cert.dump()
        chain = list(signer.cert_registry)
    except (pkcs11.PKCS11Error, SigningError, OSError, RuntimeError) as error:
        _refuse(_l("The signing key on the hardware token cannot be used (%(reason)s). Nothing was issued. "
                   "Ask the administrator to check the token, its PIN and the CENTRE_SIGNING_PKCS11 "
                   "settings."),
                "Signing %s cannot be used: %r", where, error, reason=str(error) or type(error).__name__)
    cert = x509.load_der_x509_certificate(der)
    _check_validity(cert, where)
    log.info("Signing key on %s loaded: %s", where, cert.subject.rfc4514_string())
    return SigningIdentity(signer, SIGNATURE_ROOM + sum(len(c.dump()) for c in chain), _common_name(cert),
                           threading.Lock())


def _check_validity(cert: x509.Certificate, where: str) -> None:
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if not start <= datetime.now(timezone.utc) <= end:
        _refuse(_l("The signing certificate is not valid today (valid from %(start)s to %(end)s). "
                   "Nothing was issued. Ask the administrator to install a valid signing key."),
                "Signing key %s: its certificate is valid from %s to %s only", where, start, end,
                start=start.date().isoformat(), end=end.date().isoformat())


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return names[0].value if names else cert.subject.rfc4514_string()


def signing_identity() -> SigningIdentity:
    """The configured signer, loaded once per process; SigningKeyError if there is none that works."""
    config = current_app.config
    if config.get("SIGNING_PKCS11_MODULE"):
        return _load_token(config["SIGNING_PKCS11_MODULE"], config.get("SIGNING_PKCS11_TOKEN") or "",
                           config.get("SIGNING_PKCS11_KEY") or "", config.get("SIGNING_PASSPHRASE") or "")
    path = config.get("SIGNING_KEY") or ""
    if not path:
        _refuse(_l("No signing key is configured, so certificates cannot be signed and nothing was "
                   "issued. Ask the administrator to set CENTRE_SIGNING_KEY (for development: "
                   "flask signing dev-key)."),
                "No signing key: set CENTRE_SIGNING_KEY (flask signing dev-key makes one for development)")
    try:
        mtime = os.stat(path).st_mtime
    except OSError as error:
        _refuse(_l("The signing key file cannot be read. Nothing was issued. Ask the administrator to "
                   "check CENTRE_SIGNING_KEY."),
                "Signing key %s cannot be read: %s", path, error.strerror)
    return _load(path, current_app.config.get("SIGNING_PASSPHRASE") or "", mtime)


def sign_pdf(pdf: bytes, box: tuple[float, float, float, float], languages: tuple[str, ...] = ("fr",)) -> bytes:
    """The PDF certified (no change allowed), with a visible stamp in the document's `languages` in
    `box` (PDF points from the bottom-left corner of the first page; the stamp is 50 × 16 mm).

    The bytes returned are the document: store and serve them as they are, never re-save them.
    """
    identity = signing_identity()
    tsa_url = current_app.config.get("TSA_URL") or ""
    timestamper = timestamps.HTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT_SECONDS) if tsa_url else None
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        location=current_app.config["CERTIFICATE_PLACES"]["fr"],
        reason="Délivré par " + current_app.config["INSTITUTION_NAMES"]["fr"],  # data, like the stamp
    )
    pdf_signer = signers.PdfSigner(
        meta, identity.signer, timestamper=timestamper, stamp_style=stamp_style(languages, identity.common_name),
        new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=0, box=tuple(round(v, 2) for v in box)),
    )
    output = io.BytesIO()
    reserved = 2 * (identity.reserved + (TIMESTAMP_ROOM if timestamper else 0))  # hex digits
    try:
        with identity.turn:
            pdf_signer.sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(pdf)), output=output, bytes_reserved=reserved)
    except (SigningError, OSError, aiohttp.ClientError, pkcs11.PKCS11Error) as error:
        log.error("Signing failed (timestamp server: %s): %r", tsa_url or "none", error)
        raise DomainError(_l("The document could not be signed (%(reason)s), so it was not issued. Try "
                             "again later (a certificate keeps its number: issuing to every eligible "
                             "trainee completes it), or ask the administrator."),
                          reason=str(error) or type(error).__name__) from error
    return output.getvalue()


# A throw-away certificate authority and signing certificate, for development, the demo and the
# tests (flask signing dev-key). Nobody trusts them: a PDF signed with them shows an unknown signer
# until the reader is told to trust the CA.

#: The development configuration's key when CENTRE_SIGNING_KEY is not set (`make run` makes it).
DEV_KEY_NAME = "dev-signing.p12"
DEV_PASSPHRASE = "dev-only-not-secret"
DEV_KEY_BITS = 3072
DEV_VALID_DAYS = 3 * 365


@dataclass(frozen=True)
class DevKey:
    key_path: Path  #: the PKCS#12 file: private key, signing certificate and the CA's certificate
    ca_path: Path  #: the CA's certificate (PEM), to trust in a reader or a validator


def ca_path_of(key_path: Path) -> Path:
    return key_path.with_name(key_path.stem + "-ca.pem")


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "MA"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Centre (development only)"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def make_dev_key(key_path: Path, passphrase: str = DEV_PASSPHRASE,
                 signer_name: str = "Centre de formation (développement)") -> DevKey:
    """Write a new CA and a signing certificate it issued, as a PKCS#12 file and the CA's PEM."""
    now = datetime.now(timezone.utc) - timedelta(minutes=5)  # a reader's clock a little behind
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=DEV_KEY_BITS)
    ca_name = _name("Centre development CA (not trusted)")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=DEV_VALID_DAYS + 1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=DEV_KEY_BITS)
    cert = (
        x509.CertificateBuilder().subject_name(_name(signer_name)).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=DEV_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"centre-signing", key, cert, [ca_cert], BestAvailableEncryption(passphrase.encode())))
    key_path.chmod(0o600)
    ca_path = ca_path_of(key_path)
    ca_path.write_bytes(ca_cert.public_bytes(Encoding.PEM))
    return DevKey(key_path, ca_path)


# What a PDF's signature says (the public verification page's PDF check) --------------------


SIGNATURE_STATES = ("none", "centre", "other", "broken")


def signature_state(pdf: bytes) -> str:
    """The state of a PDF's first signature, for anyone's check of a file: "none" (no signature,
    or not a PDF that can be read), "centre" (intact, by the centre's key, and the file is all
    it signed — no change since), "other" (intact, but not by the centre's key) or "broken" (the
    signed bytes were changed, or something was added after them)."""
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    except Exception:  # noqa: BLE001 - a file from anyone: whatever fails to parse has no signature we can read
        return "none"
    if not signatures:
        return "none"
    try:
        identity = signing_identity()
        roots = [identity.signer.signing_cert, *identity.signer.cert_registry]
    except SigningKeyError:
        roots = []
    try:
        status = validate_pdf_signature(signatures[0], ValidationContext(trust_roots=roots, allow_fetching=False))
    except Exception:  # noqa: BLE001 - a malformed signature is a broken one
        log.info("A checked PDF's signature could not be validated", exc_info=True)
        return "broken"
    if not (status.intact and status.valid) or status.coverage.name != "ENTIRE_FILE" or status.docmdp_ok is False:
        return "broken"
    return "centre" if status.trusted else "other"
