"""Open Badges 3.0 against 1EdTech's own artefacts: its Linked Data Proof test vector, its example
credentials and its JSON Schema (origins in vectors/1edtech/SOURCES.md and
centre/credentials/contexts/SOURCES.md). A change to a bundled context, to the proof code or to
the shape of the credentials the app issues fails here."""
import copy
import hashlib
import json
from pathlib import Path

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from centre.certificates.services import reserve_certificates, revoke_certificate, store_rendered
from centre.credentials.jsonld import BUNDLED, ContextRefused, canonize, dropped_terms
from centre.credentials.proofs import add_data_integrity_proof, multibase_public_key, verify_data_integrity_proof
from centre.credentials.schema import SCHEMA, schema_problems
from centre.credentials.services import (
    achievement_edition_id,
    credential_jwt,
    signed_credential,
    verify_credential,
    verify_jwt,
)
from centre.extensions import db
from centre.models import DocumentLanguage, SessionStatus
from centre.models.types import utcnow
from centre.sessions.services import change_status

VECTORS = Path(__file__).parent / "vectors" / "1edtech"
EXAMPLES = ["basicOpenBadgeCredential", "fullOpenBadge", "achievementAlignmentCase", "achievementAlignmentCe",
            "skillAssertionCase", "skillAssertionCtdl"]
EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"


def vector(name):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


# 1EdTech's artefacts alone (no database) -------------------------------------------------------


def test_1edtech_linked_data_proof_vector_comes_out_identical():
    """Open Badges 3.0 Implementation Guide, "Linked Data Proof Test Vector": with the bundled
    contexts, the canonical document and proof options are 1EdTech's N-Quads byte for byte, and
    the same key gives the very signature and proofValue."""
    signed, values = vector("ob-v3p0-ldp-signed.json"), vector("ob-v3p0-ldp-values.json")
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    options = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    document_nquads = canonize(unsigned)
    proof_nquads = canonize({**options, "@context": unsigned["@context"]})
    assert document_nquads == (VECTORS / "ob-v3p0-document-canon.txt").read_text(encoding="utf-8")
    assert proof_nquads == (VECTORS / "ob-v3p0-proof-canon.txt").read_text(encoding="utf-8")
    assert hashlib.sha256(document_nquads.encode()).hexdigest() == values["documentHashHex"]
    assert hashlib.sha256(proof_nquads.encode()).hexdigest() == values["proofHashHex"]

    private = bytes.fromhex(values["privateKeyHex"])  # the seed, then the public key
    key = Ed25519PrivateKey.from_private_bytes(private[:32])
    assert key.public_key().public_bytes_raw() == private[32:] == bytes.fromhex(values["publicKeyHex"])
    assert multibase_public_key(key.public_key()) == values["publicKeyMultibase"]
    ours = add_data_integrity_proof(unsigned, key, options["verificationMethod"], options["created"])
    assert base58.b58decode(ours["proof"]["proofValue"][1:]).hex() == values["signatureHex"]
    assert ours == signed and ours["proof"]["proofValue"] == values["proofValue"]

    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(values["publicKeyHex"]))
    assert verify_data_integrity_proof(signed, lambda method: public).verified
    as_a_set = {**signed, "proof": [signed["proof"]]}  # how the schema wants it: the same proof
    assert verify_data_integrity_proof(as_a_set, lambda method: public).verified
    changed = copy.deepcopy(as_a_set)
    changed["credentialSubject"]["achievement"]["name"] = "Teamwork (Advanced)"
    assert verify_data_integrity_proof(changed, lambda method: public).problem == "signature does not match the document"
    # 1EdTech's own vector writes its proof as an object, which its own schema refuses.
    assert schema_problems(signed) == ["/proof: {…} is not of type 'array'"]
    assert schema_problems(as_a_set) == []


def test_1edtech_examples_conform_to_the_bundled_schema():
    for name in EXAMPLES:
        assert schema_problems(vector(f"{name}.json")) == [], name


def test_the_schema_finds_what_1edtech_refuses():
    """The validator is live: required properties, kinds of values, language codes and the
    date-time format (which needs rfc3339-validator) are all checked."""
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2019-09/schema#"
    example = vector("basicOpenBadgeCredential.json")
    broken = copy.deepcopy(example)
    del broken["credentialSubject"]["achievement"]["criteria"]
    broken["credentialSubject"]["achievement"]["name"] = [{"@value": "Teamwork", "@language": "en"}]
    broken["credentialSubject"]["achievement"]["inLanguage"] = "French"
    broken["validFrom"] = "1 January 2010"
    assert schema_problems(broken) == sorted([
        "/credentialSubject/achievement: 'criteria' is a required property",
        "/credentialSubject/achievement/inLanguage: 'French' does not match "
        "'^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$'",
        "/credentialSubject/achievement/name: [{'@value': 'Teamwork', '@language': 'en'}] is not of type 'string'",
        "/validFrom: '1 January 2010' is not a 'date-time'",
    ])


def test_1edtech_examples_round_trip_with_the_bundled_contexts():
    """The examples whose contexts the app bundles lose no term in the round trip that guards
    signing; the others name extensions.json, which is refused, not fetched — and without it
    only the extension's types (and the contexts of embedded credentials) would be lost."""
    for name in EXAMPLES:
        example = vector(f"{name}.json")
        if all(context in BUNDLED for context in example["@context"]):
            assert dropped_terms(example) == [], name
            assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement>" in canonize(example)
        else:
            assert EXTENSIONS in example["@context"], name
            with pytest.raises(ContextRefused, match="extensions.json"):
                canonize(example)
    assert sum(all(c in BUNDLED for c in vector(f"{n}.json")["@context"]) for n in EXAMPLES) == 3
    full = vector("fullOpenBadge.json")
    full["@context"].remove(EXTENSIONS)
    lost = dropped_terms({k: v for k, v in full.items() if k != "proof"})
    assert lost and all(path.endswith(("/type", "/@context")) for path in lost), lost
    assert "/credentialSchema/type" in lost and "/credentialStatus/type" in lost


# What the app issues ---------------------------------------------------------------------------


@pytest.fixture
def issued_three(ctx, create_session, create_registration, mark_all):
    """A French, an Arabic and a bilingual certificate of one completed session, issued through the
    bulk issue's own steps (numbers reserved, then stored with their credentials). The PDF bytes
    are a stand-in: the credential is built from the printed fields, not from the PDF, and
    rendering is what the certificate tests check."""
    training_session = create_session(SessionStatus.IN_PROGRESS)
    registrations = [create_registration(training_session) for _ in range(3)]
    for registration in registrations:
        mark_all(registration, present=9)
    change_status(training_session, SessionStatus.COMPLETED)
    languages = [DocumentLanguage.FR, DocumentLanguage.AR, DocumentLanguage.BILINGUAL]
    certificates = reserve_certificates(list(zip(registrations, languages)), None)
    store_rendered(certificates, [b"%PDF-1.7 stand-in"] * 3, None)
    db.session.commit()
    return {c.language.value: c for c in certificates}


def test_every_credential_the_app_issues_conforms_to_1edtech_schema(issued_three):
    """French, Arabic, bilingual; then one revoked and one replaced (and its replacement): each
    served credential — JSON with its proof, and the JWT's `vc` — conforms, and verifies."""
    certificates = dict(issued_three)
    revoke_certificate(certificates["ar"], "Erreur de saisie", None)
    old = certificates["fr"]
    new, = reserve_certificates([(old.registration, DocumentLanguage.FR)], None, replaces=old)
    store_rendered([new], [b"%PDF-1.7 stand-in"], None)
    db.session.commit()
    certificates["replacement"] = new
    for label, certificate in certificates.items():
        db.session.refresh(certificate)
        credential, token = signed_credential(certificate), credential_jwt(certificate)
        assert schema_problems(credential) == [], label
        assert isinstance(credential["proof"], list) and len(credential["proof"]) == 1
        for result in (verify_credential(credential, utcnow()), verify_jwt(token, utcnow())):
            assert result.proof.verified and result.schema_problems == [] and not result.problems, label
            assert result.revoked is (label in ("ar", "fr")), label  # revoked, and replaced
        assert dropped_terms({k: v for k, v in credential.items() if k != "proof"}) == [], label


def test_a_bilingual_achievement_is_named_and_described_in_both_languages(issued_three):
    fr, ar, bilingual = (signed_credential(issued_three[k])["credentialSubject"]["achievement"]
                         for k in ("fr", "ar", "bilingual"))
    code = issued_three["fr"].printed["session_code"]
    french_id, arabic_id = achievement_edition_id(code, "fr"), achievement_edition_id(code, "ar")
    assert french_id != arabic_id
    assert (fr["id"], fr["inLanguage"], fr["name"], fr["description"]) == (
        french_id, "fr", "Gestion des plaintes", "Le traitement des plaintes.")
    assert (ar["id"], ar["inLanguage"], ar["name"], ar["description"]) == (
        arabic_id, "ar", "تدبير الشكايات", "معالجة الشكايات.")
    assert "related" not in fr and "related" not in ar
    assert {k: bilingual[k] for k in ("id", "inLanguage", "name", "description")} == {
        "id": french_id, "inLanguage": "fr", "name": "Gestion des plaintes", "description": "Le traitement des plaintes."}
    assert bilingual["related"] == [{
        "id": arabic_id, "type": ["Related"], "inLanguage": "ar",
        "name": {"@value": "تدبير الشكايات", "@language": "ar"},
        "description": {"@value": "معالجة الشكايات.", "@language": "ar"},
    }]
    # Both editions are signed: the Arabic name is in the canonical form, tagged, and changing it
    # breaks the proof.
    credential = signed_credential(issued_three["bilingual"])
    nquads = canonize({k: v for k, v in credential.items() if k != "proof"})
    assert f'<{arabic_id}> <https://schema.org/name> "تدبير الشكايات"@ar .' in nquads
    assert f"<{french_id}> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#related> <{arabic_id}> ." in nquads
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["achievement"]["related"][0]["name"]["@value"] = "تدبير آخر"
    assert verify_credential(forged, utcnow()).proof.problem == "signature does not match the document"


def test_a_credential_that_breaks_the_schema_is_reported_by_the_verify_command(issued_three, runner, tmp_path):
    """Signed, valid, not revoked — but its proof written as an object, as the app served it
    before: authentic (exit status 0), and the command says that 1EdTech's validator refuses it."""
    credential = signed_credential(issued_three["fr"])
    credential["proof"] = credential["proof"][0]
    path = tmp_path / "object-proof.json"
    path.write_text(json.dumps(credential, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["credentials", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "proof: valid" in result.output and "status: not revoked" in result.output
    assert "1EdTech Open Badges 3.0 schema: does not conform" in result.output
    assert "schema: /proof: {…} is not of type 'array'" in result.output
    assert verify_credential(credential, utcnow()).conforms is False
