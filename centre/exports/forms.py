from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired, ValidationError

from centre.forms import options
from centre.i18n import LANGUAGE_NAMES, current_language
from centre.institutions.services import today


class PeriodForm(FlaskForm):
    """The period of the sessions to export, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    # InputRequired keeps the "not a valid date" message for a date that does not parse; the
    # defaults (this year) only fill the empty form, a request without dates is still refused.
    start = DateField(_l("Sessions starting from"), name="from", validators=[InputRequired()],
                      default=lambda: date(today().year, 1, 1))
    end = DateField(_l("to"), name="to", validators=[InputRequired()],
                    default=lambda: date(today().year, 12, 31))
    language = SelectField(_l("Language of the column headers"), choices=options(LANGUAGE_NAMES.items()))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.language.data:
            self.language.data = current_language()

    def validate_end(self, field):
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The end of the period comes before its start."))
