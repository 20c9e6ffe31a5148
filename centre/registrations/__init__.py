from flask import Blueprint

bp = Blueprint("registrations", __name__, url_prefix="/registrations")
