from flask import Blueprint

bp = Blueprint("experts", __name__, url_prefix="/experts")

from centre.experts import routes  # noqa: E402,F401
