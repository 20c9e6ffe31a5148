from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import Optional

from centre.forms import PeriodForm as BasePeriodForm
from centre.forms import options
from centre.reports.services import Period

REPORT_LANGUAGES = options([("fr", _l("French")), ("ar", _l("Arabic"))])


class PeriodForm(BasePeriodForm):
    """The period of the dashboard and the report."""

    def period(self, today: date) -> Period:
        """The period asked for (call validate() first): this calendar year when no date is
        given; without an end, to the end of the start's year; without a start, from the start
        of the end's year."""
        start, end = self.date_from.data, self.date_to.data
        if start is None and end is None:
            return Period.year_of(today)
        if start is None:
            start = date(end.year, 1, 1)
        if end is None:
            end = date(start.year, 12, 31)
        return Period(start, end)


class ReportForm(PeriodForm):
    """The activity report's period and language (the document's, whatever the page's)."""

    language = SelectField(_l("Language of the report"), choices=REPORT_LANGUAGES, default="fr",
                           validators=[Optional()])
