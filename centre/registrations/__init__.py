from flask import Blueprint

bp = Blueprint("registrations", __name__, url_prefix="/registrations")

from centre.registrations import routes  # noqa: E402,F401
