"""Open Badges 3.0 credentials: the W3C test vector, the 1EdTech shape, both proofs, the status
list, the issuer's published keys, the downloads."""
import base64
import copy
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from joserfc import jws, jwt
from joserfc.jwk import RSAKey

from centre import create_app
from centre.certificates.bulk import issue_for_session
from centre.certificates.services import issue_certificate, replace_certificate, revoke_certificate
from centre.credentials.jsonld import OB_V3, VC_V2, BundledLoader, ContextRefused, canonize, check_round_trip
from centre.credentials.keys import CredentialKeysMissing, issuer_keys
from centre.credentials.proofs import (
    add_data_integrity_proof,
    multibase_public_key,
    private_key_from_multibase,
    public_key_from_multibase,
    verify_data_integrity_proof,
)
from centre.credentials.services import (
    decode_bit,
    did_web,
    encode_bits,
    credential_jwt,
    signed_credential,
    verify_credential,
    verify_jwt,
)
from centre.extensions import db
from centre.models import DocumentLanguage, Role, SessionStatus
from centre.models.types import utcnow
from centre.registrations.personal_data import anonymise
from centre.sessions.services import change_status

VECTORS = Path(__file__).parent / "vectors"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def vector(name):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


# The W3C vc-di-eddsa test vector (no database) ----------------------------------------------


def test_w3c_vc_di_eddsa_example_proof_comes_out_identical():
    """vc-di-eddsa, "Representation: eddsa-rdfc-2022": the same key, document and proof options
    give the very proofValue of the specification, and it verifies."""
    pair, signed = vector("vc-di-eddsa-key-pair.json"), vector("vc-di-eddsa-rdfc-2022-signed.json")
    loader = BundledLoader({EXAMPLES_V2: vector("credentials-examples-v2.jsonld")})
    key = private_key_from_multibase(pair["privateKeyMultibase"])
    assert multibase_public_key(key.public_key()) == pair["publicKeyMultibase"]
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    ours = add_data_integrity_proof(unsigned, key, signed["proof"]["verificationMethod"],
                                    signed["proof"]["created"], loader)
    assert ours == signed
    public = public_key_from_multibase(pair["publicKeyMultibase"])
    assert verify_data_integrity_proof(signed, lambda method: public, loader).verified
    changed = copy.deepcopy(signed)
    changed["credentialSubject"]["alumniOf"] = "The School of Counterfeits"
    assert not verify_data_integrity_proof(changed, lambda method: public, loader).verified


def test_nothing_outside_the_bundled_contexts_is_loaded():
    with pytest.raises(ContextRefused, match="not bundled"):
        canonize({"@context": ["https://www.w3.org/ns/credentials/v2", "https://example.org/never-fetched/v1"],
                  "type": ["VerifiableCredential"]})


def test_a_term_no_context_defines_is_refused_before_signing():
    document = {"@context": [VC_V2, OB_V3], "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "issuer": {"id": "did:web:centre.example", "type": ["Profile"], "name": "X"},
                "validFrom": "2026-03-06T00:00:00Z",
                "credentialSubject": {"type": ["AchievementSubject"], "hoursAttended": 18,
                                      "achievement": {"id": "urn:x", "type": ["Achievement"], "name": "X",
                                                      "description": "X", "criteria": {"narrative": "X"}}}}
    with pytest.raises(ValueError, match="hoursAttended"):
        check_round_trip(document)
    del document["credentialSubject"]["hoursAttended"]
    check_round_trip(document)


def test_status_list_bits_are_read_back_where_they_were_set():
    encoded = encode_bits([0, 7, 8, 131_071])
    assert encoded.startswith("u") and encoded == encode_bits([0, 7, 8, 131_071])  # no timestamp inside
    assert [decode_bit(encoded, i) for i in (0, 1, 7, 8, 9, 131_071)] == [True, False, True, True, False, True]


def test_did_web_of_an_address():
    assert did_web("https://centre.example.org") == "did:web:centre.example.org"
    assert did_web("http://127.0.0.1:5000/") == "did:web:127.0.0.1%3A5000"
    assert did_web("https://example.org/centre") == "did:web:example.org:centre"


# Certificates' credentials ------------------------------------------------------------------


@pytest.fixture
def issued(ctx, create_session, create_registration, mark_all):
    """A certificate of a completed session whose trainee attended 8 of its 10 half-days."""
    training_session = create_session(SessionStatus.IN_PROGRESS)
    registration = create_registration(training_session)
    registration.trainee.email = "Amira.BenSalem@tn.example.org"
    registration.trainee.full_name_ar = "أميرة بن سالم"
    mark_all(registration, present=8)
    change_status(training_session, SessionStatus.COMPLETED)
    certificate = issue_certificate(registration, DocumentLanguage.BILINGUAL, None)
    db.session.commit()  # the test client's requests write too (the verification allowance)
    return certificate


def test_credential_has_the_shape_of_the_open_badges_sample(issued):
    """The 1EdTech OB 3.0 sample's required parts (OpenBadgeCredential, Profile issuer, validFrom,
    AchievementSubject with an Achievement that has an id, name, description and criteria)."""
    credential = signed_credential(issued)
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"].endswith(f"/credentials/{issued.verification_code}.json")
    issuer = credential["issuer"]
    assert issuer["id"] == "did:web:127.0.0.1%3A5000" and issuer["type"] == ["Profile"] and issuer["name"]
    assert credential["validFrom"].endswith("Z")
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"] and achievement["id"].startswith("urn:uuid:")
    assert achievement["name"] == "Gestion des plaintes"
    assert achievement["description"] == "Le traitement des plaintes."
    assert "80 %" in achievement["criteria"]["narrative"]
    assert achievement["humanCode"] == issued.printed["session_code"]
    assert subject["activityStartDate"] < subject["activityEndDate"]
    identity, = subject["identifier"]
    assert identity["type"] == "IdentityObject" and identity["hashed"] is True and identity["identityType"] == "emailAddress"
    digest = hashlib.sha256(("amira.bensalem@tn.example.org" + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${digest}"
    assert "amira" not in json.dumps(credential).lower()  # the address itself is nowhere
    assert {n["@language"]: n["@value"] for n in subject["name"]} == {
        "fr": f"{issued.printed['given_name']} {issued.printed['family_name']}", "ar": "أميرة بن سالم"}
    results = {r["resultDescription"].rsplit("#", 1)[1]: r["value"] for r in subject["result"]}
    slot = issued.registration.training_session.slots[0]
    hours_per_slot = (slot.ends_at - slot.starts_at).total_seconds() / 3600
    assert float(results["hours"]) == pytest.approx(8 * hours_per_slot) and results["attendance"] == "80"
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert status["statusListIndex"] == str(issued.id) and status["statusListCredential"].endswith("/credentials/status/0.json")
    proof, = credential["proof"]  # a set of one: 1EdTech's schema wants an array
    assert proof["cryptosuite"] == "eddsa-rdfc-2022" and proof["verificationMethod"].startswith(issuer["id"] + "#z6Mk")
    check_round_trip({k: v for k, v in credential.items() if k != "proof"})


def test_both_proofs_verify_and_one_changed_field_fails_both(issued):
    now = utcnow()
    credential, token = signed_credential(issued), credential_jwt(issued)
    assert verify_credential(credential, now).valid
    assert verify_jwt(token, now).valid
    header = jws.extract_compact(token.encode()).headers()
    assert header["alg"] == "RS256" and header["kid"].startswith("did:web:")
    claims = json.loads(jwt_payload(token))
    assert claims["iss"] == credential["issuer"]["id"] and claims["jti"] == credential["id"]
    assert claims["nbf"] == int(issued.issued_at.timestamp())

    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["result"][0]["value"] = "40"
    result = verify_credential(forged, now)
    assert not result.valid and result.proof.problem == "signature does not match the document"

    payload = json.loads(jwt_payload(token))
    payload["vc"]["credentialSubject"]["result"][0]["value"] = "40"
    forged_token = ".".join([token.split(".")[0], b64url(json.dumps(payload).encode()), token.split(".")[2]])
    result = verify_jwt(forged_token, now)
    assert not result.valid and result.proof.problem == "signature does not match the token"


def jwt_payload(token):
    part = token.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_a_credential_signed_by_another_key_fails(issued):
    credential = add_data_integrity_proof({k: v for k, v in signed_credential(issued).items() if k != "proof"},
                                          ed25519.Ed25519PrivateKey.generate(),
                                          signed_credential(issued)["proof"][0]["verificationMethod"], issued.issued_at)
    assert not verify_credential(credential, utcnow()).valid


def test_revoked_and_replaced_credentials_verify_as_revoked(issued, client):
    credential, token = signed_credential(issued), credential_jwt(issued)
    assert verify_credential(credential, utcnow()).revoked is False
    revoke_certificate(issued, "Erreur de session", None)
    db.session.commit()
    for result in (verify_credential(credential, utcnow()), verify_jwt(token, utcnow())):
        assert result.proof.verified and result.revoked is True and not result.valid
    status_list = json.loads(client.get("/credentials/status/0.json").data)
    assert decode_bit(status_list["credentialSubject"]["encodedList"], issued.id) is True
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]


def test_a_replaced_certificate_flips_its_bit_and_the_new_one_does_not(issued):
    old = signed_credential(issued)
    new = replace_certificate(issued, "Nom mal orthographié", None)
    db.session.commit()
    assert verify_credential(old, utcnow()).revoked is True
    assert verify_credential(signed_credential(new), utcnow()).valid


def test_the_credential_is_the_same_bytes_on_every_download(issued, client):
    url = f"/credentials/{issued.verification_code}.json"
    first, second = client.get(url), client.get(url)
    assert first.status_code == 200 and first.mimetype == "application/vc"
    assert first.data == second.data
    jwt_first = client.get(f"/credentials/{issued.verification_code}.jwt")
    assert jwt_first.mimetype == "application/vc+jwt"
    assert jwt_first.data == client.get(f"/credentials/{issued.verification_code}.jwt").data


def test_did_document_and_jwks_serve_the_keys_that_sign(issued, client):
    did_doc = client.get("/.well-known/did.json")
    assert did_doc.status_code == 200 and did_doc.mimetype == "application/did+ld+json"
    did_doc = did_doc.get_json()
    assert client.get("/did.json").get_json() == did_doc
    assert did_doc["id"] == "did:web:localhost"  # the request's host, as no public address is set
    methods = {m["type"]: m for m in did_doc["verificationMethod"]}
    assert set(did_doc["assertionMethod"]) == {m["id"] for m in methods.values()}
    keys = issuer_keys()
    assert methods["Multikey"]["publicKeyMultibase"] == multibase_public_key(keys.ed25519.public_key())
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert jwks["keys"] == [methods["JsonWebKey"]["publicKeyJwk"]]
    assert "d" not in jwks["keys"][0] and jwks["keys"][0]["kty"] == "RSA"

    # A verifier with only what was published: the credential's proof, then the JWT's.
    credential = json.loads(client.get(f"/credentials/{issued.verification_code}.json").data)
    fragment = credential["proof"][0]["verificationMethod"].split("#")[1]
    assert fragment == methods["Multikey"]["id"].split("#")[1]
    public = public_key_from_multibase(methods["Multikey"]["publicKeyMultibase"])
    assert verify_data_integrity_proof(credential, lambda method: public).verified
    token = client.get(f"/credentials/{issued.verification_code}.jwt").get_data(as_text=True)
    kid = jws.extract_compact(token.encode()).headers()["kid"]
    assert kid.split("#")[1] == jwks["keys"][0]["kid"]
    assert jwt.decode(token, RSAKey.import_key(jwks["keys"][0]), algorithms=["RS256"]).claims["vc"]["id"] == credential["id"]


def test_trainee_and_verify_page_link_the_credential(issued, client, login_as):
    code, trainee = issued.verification_code, issued.registration.trainee
    db.session.commit()  # end the read, so that SQLite lets the requests write
    page = client.get(f"/verify/{code}").get_data(as_text=True)
    assert f"/credentials/{code}.json" in page and f"/credentials/{code}.jwt" in page
    db.session.commit()  # the requests share this test's app context, and so its transaction
    user_id = login_as(Role.TRAINEE, email="holder@tn.example.org")
    trainee.user_id = user_id
    db.session.commit()
    page = client.get("/registrations/mine").get_data(as_text=True)
    assert f"/credentials/{code}.json" in page
    assert client.get("/credentials/AAAA-BBBB-CCCC-DDDD-EEEE-FFFF.json").status_code == 404


def test_an_erased_holder_has_no_credential_served_and_no_bit_set(issued, client):
    credential = signed_credential(issued)
    anonymise(issued.registration.trainee, None)
    db.session.commit()
    assert issued.credential is None
    assert client.get(f"/credentials/{issued.verification_code}.json").status_code == 404
    result = verify_credential(credential, utcnow())  # the copy the holder kept
    assert result.valid and result.revoked is False


def test_missing_keys_in_production_are_a_clear_error(issued, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test")
    monkeypatch.setenv("CENTRE_PUBLIC_BASE_URL", "https://centre.example.org")
    app = create_app("production", SQLALCHEMY_DATABASE_URI=database_url,
                     CREDENTIAL_ED25519_KEY=str(tmp_path / "none.pem"), CREDENTIAL_RSA_KEY="")
    with app.app_context():
        with pytest.raises(CredentialKeysMissing, match="CENTRE_CREDENTIAL_ED25519_KEY names .*none.pem, which does not exist"):
            issuer_keys()
    response = app.test_client().get("/.well-known/did.json", base_url="https://centre.example.org")
    assert response.status_code == 503  # in French, the default language
    assert "les clés de signature du centre sont absentes" in response.get_data(as_text=True)


def test_dev_keys_command_writes_the_keys_the_app_then_signs_with(tmp_path):
    ed, rsa = tmp_path / "keys" / "ed25519.pem", tmp_path / "keys" / "rsa.pem"
    app = create_app("development", SQLALCHEMY_DATABASE_URI="sqlite://",
                     CREDENTIAL_ED25519_KEY=str(ed), CREDENTIAL_RSA_KEY=str(rsa))
    result = app.test_cli_runner().invoke(args=["credentials", "dev-keys"])
    assert result.exit_code == 0, result.output
    assert ed.stat().st_mode & 0o777 == 0o600 and rsa.stat().st_mode & 0o777 == 0o600
    with app.app_context():
        keys = issuer_keys()
        assert issuer_keys() is keys  # loaded once per process
        assert keys.rsa.private_key.key_size == 2048
    again = app.test_cli_runner().invoke(args=["credentials", "dev-keys"])
    assert "already there" in again.output and ed.read_bytes() == ed.read_bytes()


def test_verify_command_checks_a_downloaded_file(issued, runner, tmp_path):
    good, token = tmp_path / "good.json", tmp_path / "good.jwt"
    good.write_text(json.dumps(signed_credential(issued), ensure_ascii=False), encoding="utf-8")
    token.write_text(credential_jwt(issued))
    for path in (good, token):
        result = runner.invoke(args=["credentials", "verify", str(path)])
        assert result.exit_code == 0 and "proof: valid" in result.output and "status: not revoked" in result.output
        assert "1EdTech Open Badges 3.0 schema: conforms" in result.output
    forged = json.loads(good.read_text(encoding="utf-8"))
    forged["credentialSubject"]["name"][0]["@value"] = "Someone Else"
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    result = runner.invoke(args=["credentials", "verify", str(tmp_path / "forged.json")])
    assert result.exit_code == 1 and "INVALID signature does not match the document" in result.output


def test_backfill_builds_the_credentials_of_older_certificates(issued, runner):
    issued.credential = None
    db.session.commit()
    result = runner.invoke(args=["credentials", "backfill"])
    assert "1 credential(s) built." in result.output
    db.session.expire_all()
    assert issued.credential["credentialStatus"]["statusListIndex"] == str(issued.id)
    assert verify_credential(signed_credential(issued), utcnow()).valid
    assert "0 credential(s) built." in runner.invoke(args=["credentials", "backfill"]).output


def test_a_bulk_issue_gives_each_certificate_its_credential_and_bit(ctx, create_session, create_registration, mark_all):
    training_session = create_session(SessionStatus.IN_PROGRESS)
    for present in (10, 9):
        mark_all(create_registration(training_session), present=present)
    change_status(training_session, SessionStatus.COMPLETED)
    db.session.commit()
    issued, _ = issue_for_session(training_session, DocumentLanguage.FR, None)
    assert len(issued) == 2
    indexes = set()
    for certificate in issued:
        db.session.refresh(certificate)
        assert certificate.credential["credentialStatus"]["statusListIndex"] == str(certificate.id)
        indexes.add(certificate.id)
        assert verify_credential(signed_credential(certificate), utcnow()).valid
    assert len(indexes) == 2
