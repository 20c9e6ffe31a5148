from flask import Blueprint

bp = Blueprint("sessions", __name__, url_prefix="/sessions")

from centre.sessions import routes  # noqa: E402,F401
