"""Background work: the queue (Huey), the jobs' rows, the schedules, the admins' page."""
from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")
