"""What every template can use: the page's language and direction, and formatting helpers."""
from babel.numbers import format_decimal
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from centre import i18n
from centre.audit_text import action_label, describe
from centre.urls import absolute_url
from centre.models import Role, SessionStatus
from centre.pagination import page_url


#: How the session page's history names each kind of change.
HISTORY_LABELS = {
    "edit": _l("Edited"),
    "duplicate": _l("Created as a copy"),
    "slot_add": _l("Slot added"),
    "slot_change": _l("Slot hours changed"),
    "slot_remove": _l("Slot removed"),
    "trainer": _l("Trainer added or changed"),
    "trainer_remove": _l("Trainer removed"),
    "export_registrations": _l("Registrations exported"),
    "export_attendance": _l("Attendance exported"),
    "export_certificates": _l("Certificates exported"),
}


def register_template_helpers(app):
    @app.context_processor
    def page_language():
        lang = i18n.current_language()
        return {
            "lang": lang,
            "dir": i18n.text_direction(lang),
            "languages": i18n.LANGUAGE_NAMES,
            "Role": Role,
            "current_user": current_user,
        }

    app.jinja_env.globals.update(
        localized=i18n.localized,
        country_name=i18n.country_name,
        date_range=i18n.format_date_range,
        status_label=lambda value: SessionStatus(value).label,
        absolute_url=absolute_url,
        page_url=page_url,
        history_label=lambda action: HISTORY_LABELS.get(action) or action_label("training_session", action),
        describe_entry=describe,
        # "before → after" reads the other way round in a right-to-left page
        change_arrow=lambda: "←" if i18n.text_direction() == "rtl" else "→",
    )
    app.jinja_env.filters.update(
        day=i18n.format_day,
        time=i18n.format_time,
        datetime=i18n.format_datetime,
        time_value=lambda value: value.astimezone(i18n.centre_zone()).strftime("%H:%M"),  # <input type=time>
        format_decimal=lambda value, pattern=None: format_decimal(
            value, format=pattern, locale=i18n.FORMAT_LOCALES[i18n.current_language()]),
    )
