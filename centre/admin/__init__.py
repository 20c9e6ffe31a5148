"""Administration: the accounts (admins only) and the audit log (staff)."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
