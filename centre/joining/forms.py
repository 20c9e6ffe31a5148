from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from centre.models import PRACTICAL_FIELDS

TEXT_MAX = 4000
LABELS = {
    "address": (_l("Venue address in French"), _l("Venue address in Arabic"), _l("Venue address in English")),
    "arrival": (_l("Arrival and transport in French"), _l("Arrival and transport in Arabic"),
                _l("Arrival and transport in English")),
    "accommodation": (_l("Accommodation in French"), _l("Accommodation in Arabic"), _l("Accommodation in English")),
    "timetable": (_l("Daily timetable in French"), _l("Daily timetable in Arabic"), _l("Daily timetable in English")),
    "conduct": (_l("Dress and conduct in French"), _l("Dress and conduct in Arabic"),
                _l("Dress and conduct in English")),
    "contacts": (_l("Contacts with phone numbers in French"), _l("Contacts with phone numbers in Arabic"),
                 _l("Contacts with phone numbers in English")),
    "bring": (_l("What to bring in French"), _l("What to bring in Arabic"), _l("What to bring in English")),
}


class PracticalInfoForm(FlaskForm):
    map_url = StringField(_l("Map link (https://…)"), render_kw={"dir": "ltr"},
                          validators=[Optional(), Length(max=500)])
    reminder_days = IntegerField(_l("First reminder, days before the start"),
                                 validators=[DataRequired(), NumberRange(min=2, max=60)])

    def load(self, values: dict) -> None:
        for name, value in values.items():
            getattr(self, name).data = value

    def values(self) -> dict:
        return {name: (getattr(self, name).data or "") if name != "reminder_days" else self.reminder_days.data
                for name in (*self.text_names(), "map_url", "reminder_days")}

    @staticmethod
    def text_names() -> list[str]:
        return [f"{field}_{language}" for field in PRACTICAL_FIELDS for language in ("fr", "ar", "en")]


# One text area per field and language, declared in a loop (21 of them, all alike).
for _field in PRACTICAL_FIELDS:
    for _index, _language in enumerate(("fr", "ar", "en")):
        setattr(PracticalInfoForm, f"{_field}_{_language}",
                TextAreaField(LABELS[_field][_index], validators=[Optional(), Length(max=TEXT_MAX)]))
