from flask import Blueprint

bp = Blueprint("certificates", __name__, url_prefix="/certificates")

from centre.certificates import routes  # noqa: E402,F401
