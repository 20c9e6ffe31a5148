"""`flask credentials …`: development keys, credentials of certificates issued before them, and
an offline check of a credential file."""
import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app

from centre.credentials import bp
from centre.credentials.keys import write_keys
from centre.credentials.services import build_credential, verify_credential, verify_jwt
from centre.extensions import db
from centre.i18n import in_english
from centre.models import Certificate
from centre.models.types import utcnow


@bp.cli.command("dev-keys")
@click.option("--force", is_flag=True, help="Replace keys that already exist.")
@in_english
def dev_keys(force):
    """Write throw-away signing keys where the configuration names them (development, demo)."""
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("Development keys are refused in production: give the institution's "
                                   "keys in CENTRE_CREDENTIAL_ED25519_KEY and CENTRE_CREDENTIAL_RSA_KEY.")
    ed_path = Path(current_app.config["CREDENTIAL_ED25519_KEY"] or "")
    rsa_path = Path(current_app.config["CREDENTIAL_RSA_KEY"] or "")
    if not ed_path.name or not rsa_path.name:
        raise click.ClickException("Set CENTRE_CREDENTIAL_ED25519_KEY and CENTRE_CREDENTIAL_RSA_KEY to the files to write.")
    if (ed_path.exists() or rsa_path.exists()) and not force:
        click.echo(f"Keys already there ({ed_path}, {rsa_path}); --force replaces them.")
        return
    write_keys(ed_path, rsa_path)
    click.echo(f"Wrote {ed_path} (Ed25519) and {rsa_path} (RSA). Credentials signed with them are for development only.")


@bp.cli.command("backfill")
@in_english
def backfill():
    """Build the credential of each certificate issued before credentials existed."""
    done = 0
    for certificate in db.session.scalars(sa.select(Certificate).where(
            Certificate.credential.is_(None), Certificate.erased_at.is_(None),
            Certificate.sha256 != Certificate.PENDING).order_by(Certificate.id)):
        certificate.credential = build_credential(certificate)
        done += 1
    db.session.commit()
    click.echo(f"{done} credential(s) built.")


@bp.cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@in_english
def verify(path):
    """Check a credential file (JSON with an embedded proof, or a VC-JWT) against this issuer
    (its proof and status) and against 1EdTech's Open Badges 3.0 JSON Schema."""
    text = Path(path).read_text(encoding="utf-8").strip()
    result = verify_jwt(text, utcnow()) if not text.startswith("{") else verify_credential(json.loads(text), utcnow())
    click.echo(f"proof: {'valid' if result.proof.verified else 'INVALID ' + result.proof.problem}"
               f" ({result.proof.verification_method})")
    click.echo(f"status: {'unknown' if result.revoked is None else 'revoked' if result.revoked else 'not revoked'}")
    click.echo("1EdTech Open Badges 3.0 schema: " + {True: "conforms", False: "does not conform",
                                                      None: "not checked"}[result.conforms])
    for problem in result.problems:
        click.echo(f"problem: {problem}")
    for problem in result.schema_problems or []:
        click.echo(f"schema: {problem}")
    raise SystemExit(0 if result.valid else 1)  # authentic and not revoked, whatever the schema says
