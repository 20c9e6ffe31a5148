"""The two ways a credential is secured: an embedded Data Integrity proof (eddsa-rdfc-2022,
W3C vc-di-eddsa §3.3) and a VC-JWT (RS256, as Open Badges 3.0 requires at minimum).

Both are pure functions of the document, the key and the proof's creation time: Ed25519 and
RSASSA-PKCS1-v1_5 signatures are deterministic, so the same stored credential signed again
gives the same bytes.
"""
import copy
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from centre.credentials.jsonld import LOADER, BundledLoader, canonize

CRYPTOSUITE = "eddsa-rdfc-2022"
ED25519_PUB_PREFIX = b"\xed\x01"  #: multicodec ed25519-pub
ED25519_PRIV_PREFIX = b"\x80\x26"  #: multicodec ed25519-priv
JWT_ALGORITHM = "RS256"


def multibase_public_key(key: Ed25519PublicKey) -> str:
    """A Multikey's publicKeyMultibase: base58btc ('z') of the multicodec-prefixed raw key."""
    return "z" + base58.b58encode(ED25519_PUB_PREFIX + key.public_bytes_raw()).decode("ascii")


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    raw = _multibase_decode(value)
    if not raw.startswith(ED25519_PUB_PREFIX) or len(raw) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def private_key_from_multibase(value: str) -> Ed25519PrivateKey:
    raw = _multibase_decode(value)
    if not raw.startswith(ED25519_PRIV_PREFIX) or len(raw) != 34:
        raise ValueError("not an Ed25519 secret Multikey")
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


def _multibase_decode(value: str) -> bytes:
    if not value.startswith("z"):
        raise ValueError("only base58btc multibase ('z…') is used here")
    return base58.b58decode(value[1:])


def xsd_datetime(moment: datetime) -> str:
    """An XML Schema dateTime in UTC to the second, as VC 2.0 writes them: 2026-03-06T09:00:00Z."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _hash_data(unsecured: dict, proof_config: dict, loader: BundledLoader) -> bytes:
    """vc-di-eddsa §3.3.4: SHA-256 of the canonical proof configuration, then of the canonical
    document, concatenated."""
    return (hashlib.sha256(canonize(proof_config, loader).encode("utf-8")).digest()
            + hashlib.sha256(canonize(unsecured, loader).encode("utf-8")).digest())


def add_data_integrity_proof(document: dict, key: Ed25519PrivateKey, verification_method: str,
                             created: datetime | str, loader: BundledLoader = LOADER) -> dict:
    """A copy of the document with an embedded eddsa-rdfc-2022 proof for assertionMethod."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created if isinstance(created, str) else xsd_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_hash_data(unsecured, {**proof, "@context": unsecured["@context"]}, loader))
    secured = copy.deepcopy(unsecured)
    secured["proof"] = {**proof, "proofValue": "z" + base58.b58encode(signature).decode("ascii")}
    return secured


@dataclass(frozen=True)
class ProofCheck:
    verified: bool
    verification_method: str = ""
    problem: str = ""


def verify_data_integrity_proof(document: dict, resolve_key, loader: BundledLoader = LOADER) -> ProofCheck:
    """Check the embedded eddsa-rdfc-2022 proof: one proof object, or a set of them (an array,
    as Open Badges 3.0 writes it), each of which must verify. `resolve_key(verification_method)`
    returns the Ed25519PublicKey it names, or None for a method this verifier does not trust."""
    proofs = document.get("proof")
    proofs = [proofs] if isinstance(proofs, dict) else proofs
    if not isinstance(proofs, list) or not proofs or not all(isinstance(p, dict) for p in proofs):
        return ProofCheck(False, problem="no embedded proof")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    checks = [_verify_one(unsecured, proof, resolve_key, loader) for proof in proofs]
    return next((check for check in checks if not check.verified), checks[0])


def _verify_one(unsecured: dict, proof: dict, resolve_key, loader: BundledLoader) -> ProofCheck:
    method = proof.get("verificationMethod", "")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        return ProofCheck(False, method, "not an eddsa-rdfc-2022 Data Integrity proof")
    if proof.get("proofPurpose") != "assertionMethod":
        return ProofCheck(False, method, "proof purpose is not assertionMethod")
    key = resolve_key(method)
    if key is None:
        return ProofCheck(False, method, "unknown verification method")
    try:
        signature = _multibase_decode(proof.get("proofValue", ""))
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        key.verify(signature, _hash_data(unsecured, {**config, "@context": unsecured["@context"]}, loader))
    except InvalidSignature:
        return ProofCheck(False, method, "signature does not match the document")
    except Exception as error:  # a malformed proof or document: an answer, not a crash
        return ProofCheck(False, method, f"proof cannot be checked: {error}")
    return ProofCheck(True, method)


def encode_jwt(credential: dict, key: RSAKey, kid: str, issued_at: datetime) -> str:
    """The credential as a VC-JWT (Open Badges 3.0 §8.2): the credential, without an embedded
    proof, in the `vc` claim, with `iss`, `jti`, `nbf` (and `sub` when the subject has an id)."""
    body = {k: v for k, v in credential.items() if k != "proof"}
    issuer = body["issuer"]["id"] if isinstance(body["issuer"], dict) else body["issuer"]
    claims = {"vc": body, "iss": issuer, "jti": body["id"], "nbf": int(issued_at.timestamp())}
    subject = body.get("credentialSubject", {})
    if isinstance(subject, dict) and subject.get("id"):
        claims["sub"] = subject["id"]
    return jwt.encode({"alg": JWT_ALGORITHM, "typ": "JWT", "kid": kid}, claims, key, algorithms=[JWT_ALGORITHM])


def decode_jwt(token: str, resolve_key) -> tuple[ProofCheck, dict | None]:
    """Check a VC-JWT's RS256 signature with the key its `kid` names (`resolve_key(kid)` returns a
    joserfc RSAKey or None) and that its claims agree with the credential it carries."""
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()  # unverified: only to find the key
    except (JoseError, ValueError, UnicodeError) as error:
        return ProofCheck(False, problem=f"not a JWT: {error}"), None
    kid = header.get("kid", "")
    if header.get("alg") != JWT_ALGORITHM:
        return ProofCheck(False, kid, "algorithm is not RS256"), None
    key = resolve_key(kid)
    if key is None:
        return ProofCheck(False, kid, "unknown key"), None
    try:
        claims = jwt.decode(token, key, algorithms=[JWT_ALGORITHM]).claims
    except (JoseError, ValueError):
        return ProofCheck(False, kid, "signature does not match the token"), None
    credential = claims.get("vc")
    if not isinstance(credential, dict):
        return ProofCheck(False, kid, "no credential in the vc claim"), None
    issuer = credential.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
    if claims.get("iss") != issuer or claims.get("jti") != credential.get("id"):
        return ProofCheck(False, kid, "iss or jti disagree with the credential"), None
    if not kid.startswith(f"{issuer}#"):
        return ProofCheck(False, kid, "the key is not the issuer's"), None
    return ProofCheck(True, kid), credential
