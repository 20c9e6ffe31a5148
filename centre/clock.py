"""The time: now in UTC for storing, today in the centre's time zone for the rules."""
from datetime import date, datetime

from centre.i18n import centre_zone
from centre.models.types import utcnow

__all__ = ["local_date", "today", "utcnow"]


def today() -> date:
    """Today in the centre's time zone (Africa/Casablanca by default): the day deadlines,
    agreements, periods and certificates are judged on, whatever the server's own zone."""
    return datetime.now(centre_zone()).date()


def local_date(moment: datetime) -> date:
    """The day a moment falls on in the centre's time zone."""
    return moment.astimezone(centre_zone()).date()
