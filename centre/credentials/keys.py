"""The issuer's two signing keys: Ed25519 for Data Integrity proofs, RSA for VC-JWTs.

Each is a PEM file (PKCS#8, unencrypted: protect the file) named by configuration
(CENTRE_CREDENTIAL_ED25519_KEY, CENTRE_CREDENTIAL_RSA_KEY), read once per process.
`flask credentials dev-keys` writes throw-away ones for development; the tests, with no file
configured, use keys made once per process. A missing or unreadable key anywhere else is an
error that names the variable, never a credential signed with something else.
"""
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from flask import current_app
from joserfc.jwk import RSAKey

from centre.credentials.proofs import multibase_public_key

RSA_BITS = 2048


class CredentialKeysMissing(RuntimeError):
    """The signing keys cannot be loaded; the message says which and what to do."""


@dataclass(frozen=True)
class IssuerKeys:
    ed25519: ed25519.Ed25519PrivateKey
    rsa: RSAKey  #: joserfc's wrapper of the RSA private key

    @property
    def ed25519_multibase(self) -> str:
        return multibase_public_key(self.ed25519.public_key())

    @property
    def ed25519_fragment(self) -> str:
        # The Multikey convention (did:key, the W3C examples): the fragment is the key itself.
        return self.ed25519_multibase

    @property
    def rsa_fragment(self) -> str:
        return self.rsa.thumbprint()  # RFC 7638, so that a new key gets a new id

    def public_rsa_jwk(self) -> dict:
        jwk = self.rsa.as_dict(private=False)
        return {**jwk, "kid": self.rsa_fragment, "alg": "RS256", "use": "sig"}


_lock = threading.Lock()


def issuer_keys() -> IssuerKeys:
    """The keys of this app, loaded on first use and kept for the life of the process."""
    keys = current_app.extensions.get("credential_keys")
    if keys is None:
        with _lock:
            keys = current_app.extensions.get("credential_keys")
            if keys is None:
                keys = current_app.extensions["credential_keys"] = _load()
    return keys


def _load() -> IssuerKeys:
    config = current_app.config
    ed_path, rsa_path = config["CREDENTIAL_ED25519_KEY"], config["CREDENTIAL_RSA_KEY"]
    if not ed_path and not rsa_path and config.get("TESTING"):
        return generate_keys()
    return IssuerKeys(
        ed25519=_read(ed_path, "CENTRE_CREDENTIAL_ED25519_KEY", ed25519.Ed25519PrivateKey),
        rsa=RSAKey.import_key(_read(rsa_path, "CENTRE_CREDENTIAL_RSA_KEY", rsa.RSAPrivateKey)),
    )


def _read(path: str, variable: str, kind):
    hint = ("" if current_app.config.get("ENV_NAME") == "production"
            else " Run `flask --app wsgi credentials dev-keys` to make development keys.")
    if not path:
        raise CredentialKeysMissing(f"{variable} is not set: the credentials cannot be signed.{hint}")
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except FileNotFoundError:
        raise CredentialKeysMissing(f"{variable} names {path}, which does not exist.{hint}") from None
    except (ValueError, TypeError, OSError) as error:
        raise CredentialKeysMissing(f"{variable} names {path}, which is not an unencrypted PEM private key: {error}") from None
    if not isinstance(key, kind):
        raise CredentialKeysMissing(f"{variable} names {path}, which holds a {type(key).__name__}, not the expected key type.")
    if kind is rsa.RSAPrivateKey and key.key_size < RSA_BITS:
        raise CredentialKeysMissing(f"{variable} names an RSA key of {key.key_size} bits; at least {RSA_BITS} are needed.")
    return key


def generate_keys() -> IssuerKeys:
    return IssuerKeys(ed25519=ed25519.Ed25519PrivateKey.generate(),
                      rsa=RSAKey.import_key(rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)))


def write_keys(ed_path: Path, rsa_path: Path) -> None:
    """New keys into these files (readable by their owner only), for development or the demo."""
    keys = generate_keys()
    pems = {
        ed_path: keys.ed25519.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()),
        rsa_path: keys.rsa.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()),
    }
    for path, pem in pems.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_bytes(pem)
