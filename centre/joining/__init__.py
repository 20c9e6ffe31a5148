from flask import Blueprint

bp = Blueprint("joining", __name__, url_prefix="/joining")
