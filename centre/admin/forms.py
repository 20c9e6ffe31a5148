from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from centre.admin.services import ACCOUNT_STATE_LABELS, STAFF_ROLES
from centre.audit_text import ACTION_LABELS, RECORD_LABELS
from centre.forms import PeriodForm, options
from centre.i18n import LANGUAGE_NAMES
from centre.models import Role

LANGUAGE_CHOICES = options(LANGUAGE_NAMES.items())
STAFF_ROLE_CHOICES = options((role.value, role.label) for role in STAFF_ROLES)


class AccountFilterForm(FlaskForm):
    """The accounts' list filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or e-mail contains"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Role"), default="", choices=options(
        [("", _l("Every role")), *((role.value, role.label) for role in Role)]))
    state = SelectField(_l("State"), default="", choices=options(
        [("", _l("Every state")), *ACCOUNT_STATE_LABELS.items()]))

    def filters(self) -> dict:
        return {"search": self.q.data or "", "role": Role(self.role.data) if self.role.data else None,
                "state": self.state.data or ""}


class AccountForm(FlaskForm):
    full_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=STAFF_ROLE_CHOICES, default=Role.COORDINATOR.value)
    language = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES, default="fr")


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=STAFF_ROLE_CHOICES)


class InviteForm(FlaskForm):
    language = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES, default="fr")


class AuditFilterForm(PeriodForm):
    """The audit log's filters, read from the query string: who, what, which record, when."""

    who = StringField(_l("Who (name or e-mail; “-” for the system)"), validators=[Optional(), Length(max=254)])
    action = SelectField(_l("Action"), default="")
    record = SelectField(_l("Record"), default="", choices=options(
        [("", _l("Every kind of record")), *RECORD_LABELS.items()]))
    record_id = IntegerField(_l("Record number"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = options([("", _l("Every action")),
                                       *sorted(((key, str(label)) for key, label in ACTION_LABELS.items()),
                                               key=lambda item: item[1].casefold())])
