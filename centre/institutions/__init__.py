from flask import Blueprint

bp = Blueprint("institutions", __name__, url_prefix="/partners")

from centre.institutions import routes  # noqa: E402,F401
