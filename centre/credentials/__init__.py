"""Open Badges 3.0 credentials of the certificates, their keys, DID document and status lists."""
from flask import Blueprint

bp = Blueprint("credentials", __name__, cli_group="credentials")
