from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from centre.forms import options
from centre.reports.services import Period

#: A report spans at most this many days (twenty years): enough for any history, and a bound on the work.
MAX_DAYS = 20 * 366
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
REPORT_LANGUAGES = options([("fr", _l("French")), ("ar", _l("Arabic"))])


class PeriodForm(FlaskForm):
    """The period of the dashboard and the report, read from the query string (?from=…&to=…)."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), name="from", validators=[Optional()])
    date_to = DateField(_l("To"), name="to", validators=[Optional()])

    def validate_date_from(self, field):
        if field.data and not EARLIEST <= field.data <= LATEST:
            raise ValidationError(_l("Choose a date between 2000 and 2100."))

    def validate_date_to(self, field):
        if field.data and not EARLIEST <= field.data <= LATEST:
            raise ValidationError(_l("Choose a date between 2000 and 2100."))
        start = self.date_from.data
        if field.data and start:
            if field.data < start:
                raise ValidationError(_l("The end of the period cannot be before its start."))
            if (field.data - start).days > MAX_DAYS:
                raise ValidationError(_l("A period spans twenty years at most."))

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
