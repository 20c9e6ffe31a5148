from flask import Blueprint

bp = Blueprint("assistance", __name__, url_prefix="/assistance")
