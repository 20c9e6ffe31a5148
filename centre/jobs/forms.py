from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from centre.forms import PeriodForm, options
from centre.models import JobStatus, MailStatus


class JobFilterForm(PeriodForm):
    """The jobs page's filters, read from the query string: kind, status, the day they were created."""

    kind = SelectField(_l("Kind"), default="")
    status = SelectField(_l("Status"), default="", choices=options([("", _l("Any status")),
                                                        *((s.value, s.label) for s in JobStatus)]))

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = options([("", _l("Any kind")), *kinds])


class MailFilterForm(FlaskForm):
    """The outbox page's filter, read from the query string: the failed mails unless told otherwise."""

    class Meta:
        csrf = False  # a GET form

    status = SelectField(_l("Status"), default=MailStatus.FAILED.value, choices=options(
        [("", _l("Any status")), *((s.value, s.label) for s in MailStatus)]))
