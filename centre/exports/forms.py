from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired

from centre.clock import today
from centre.forms import PeriodForm as BasePeriodForm
from centre.forms import options
from centre.i18n import LANGUAGE_NAMES, current_language


class PeriodForm(BasePeriodForm):
    """The period of the sessions to export."""

    # InputRequired keeps the "not a valid date" message for a date that does not parse; the
    # defaults (this year) only fill the empty form, a request without dates is still refused.
    date_from = DateField(_l("Sessions starting from"), name="from", validators=[InputRequired()],
                          default=lambda: date(today().year, 1, 1))
    date_to = DateField(_l("to"), name="to", validators=[InputRequired()],
                        default=lambda: date(today().year, 12, 31))
    language = SelectField(_l("Language of the column headers"), choices=options(LANGUAGE_NAMES.items()))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.language.data:
            self.language.data = current_language()
