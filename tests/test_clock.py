"""Today is the centre's day, not the server's or UTC's."""
from datetime import datetime
from zoneinfo import ZoneInfo

from centre import clock


def test_today_is_the_day_in_the_centres_time_zone(app):
    days = {}
    # 25 hours apart: whatever the hour in UTC, the two zones are on different days.
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        app.config["BABEL_DEFAULT_TIMEZONE"] = zone
        with app.app_context():
            before = datetime.now(ZoneInfo(zone)).date()
            days[zone] = clock.today()
            assert days[zone] in {before, datetime.now(ZoneInfo(zone)).date()}
    assert days["Pacific/Kiritimati"] != days["Pacific/Pago_Pago"]


def test_a_moment_falls_on_the_centres_day(app):
    moment = datetime.fromisoformat("2026-07-31T23:30:00+00:00")
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Africa/Casablanca"  # UTC+1 in summer
    with app.app_context():
        assert clock.local_date(moment).isoformat() == "2026-08-01"
