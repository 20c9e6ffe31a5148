"""Small helpers shared by the areas' forms."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectMultipleField
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

#: A period spans at most this many days (twenty years): enough for any history, and a bound on the work.
PERIOD_MAX_DAYS = 20 * 366
PERIOD_EARLIEST, PERIOD_LATEST = date(2000, 1, 1), date(2100, 12, 31)


def options(pairs) -> list[SelectChoice]:
    """Choices for a SelectField or RadioField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes rather than a <select multiple>."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmForm(FlaskForm):
    """A button that changes something and carries nothing but the CSRF token."""


class PeriodForm(FlaskForm):
    """A period read from the query string (?from=…&to=…), as the dashboard, the activity report
    and the exports take it: dates between 2000 and 2100, the end not before the start, twenty
    years at most. Subclasses may redeclare the two fields (labels, required, defaults); the
    checks stay the same."""

    class Meta:
        csrf = False  # a GET form

    date_from = DateField(_l("From"), name="from", validators=[Optional()])
    date_to = DateField(_l("To"), name="to", validators=[Optional()])

    def validate_date_from(self, field):
        if field.data and not PERIOD_EARLIEST <= field.data <= PERIOD_LATEST:
            raise ValidationError(_l("Choose a date between 2000 and 2100."))

    def validate_date_to(self, field):
        if field.data and not PERIOD_EARLIEST <= field.data <= PERIOD_LATEST:
            raise ValidationError(_l("Choose a date between 2000 and 2100."))
        start = self.date_from.data
        if field.data and start:
            if field.data < start:
                raise ValidationError(_l("The end of the period cannot be before its start."))
            if (field.data - start).days > PERIOD_MAX_DAYS:
                raise ValidationError(_l("A period spans twenty years at most."))
