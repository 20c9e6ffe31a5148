import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, DecimalField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from centre.extensions import db
from centre.forms import MultiCheckboxField, options
from centre.i18n import LANGUAGE_NAMES, localized
from centre.models import AssistanceKind, Institution

#: Files sent at once with a request, a message or a report; each is checked in centre/files.py.
DOCUMENTS_HINT = _l("PDF, Word, Excel, PowerPoint, OpenDocument or images; at most 10 MB each, 3 files.")


class RequestForm(FlaskForm):
    """A request for technical assistance; `institution_id` only when a coordinator submits it."""

    institution_id = SelectField(_l("Partner institution"), coerce=int, validators=[Optional()])
    kind = RadioField(_l("Kind of assistance"), choices=options((k.value, k.label) for k in AssistanceKind),
                      validators=[DataRequired()])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=300)])
    objectives = TextAreaField(_l("Objectives"), validators=[DataRequired(), Length(max=5000)])
    expertise_wanted = TextAreaField(_l("Departments or expertise wanted"), validators=[Optional(), Length(max=2000)])
    staff_count = IntegerField(_l("Number of staff concerned"), validators=[Optional(), NumberRange(1, 500)])
    staff_profile = TextAreaField(_l("Their profile"), validators=[Optional(), Length(max=2000)])
    preferred_from = DateField(_l("Preferred period: from"), validators=[InputRequired()])
    preferred_to = DateField(_l("Preferred period: to"), validators=[InputRequired()])
    languages = MultiCheckboxField(_l("Languages"), choices=options(LANGUAGE_NAMES.items()), default=["fr"])
    documents = MultipleFileField(_l("Documents (optional)"), description=DOCUMENTS_HINT)

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if staff:
            institutions = db.session.scalars(sa.select(Institution)).all()
            self.institution_id.choices = options([(0, "—"), *sorted(
                ((i.id, localized(i, "name")) for i in institutions), key=lambda item: item[1].casefold())])
        else:
            del self.institution_id

    def request_fields(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "kind", "subject", "objectives", "expertise_wanted", "staff_count", "staff_profile", "preferred_from",
            "preferred_to", "languages")}


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=5000)])
    documents = MultipleFileField(_l("Documents (optional)"), description=DOCUMENTS_HINT)


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason for declining"), validators=[DataRequired(), Length(max=2000)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why the request is withdrawn (optional)"), id="withdraw-reason",
                           validators=[Optional(), Length(max=2000)])


class ReportForm(FlaskForm):
    report = TextAreaField(_l("Report"), validators=[DataRequired(), Length(max=20000)])
    documents = MultipleFileField(_l("Report's files (optional)"), description=DOCUMENTS_HINT)


class PlanForm(FlaskForm):
    """The session of an accepted request; one `days_<expert id>` field per expert (see plan_form)."""

    code = StringField(_l("Session code"), validators=[DataRequired(), Length(max=20)])
    start_on = DateField(_l("First day (departure)"), validators=[InputRequired()])
    end_on = DateField(_l("Last day (return)"), validators=[InputRequired()])
    venue = StringField(_l("Destination or venue"), validators=[Optional(), Length(max=200)])
    host_departments = TextAreaField(_l("Host departments (immersion)"), validators=[Optional(), Length(max=2000)])
    programme = TextAreaField(_l("Programme"), validators=[Optional(), Length(max=10000)])

    expert_fields: list = []

    def chosen(self, experts_by_id) -> list:
        """(expert, working days) for every expert given days."""
        return [(experts_by_id[expert_id], float(getattr(self, name).data)) for expert_id, name in self.expert_fields
                if getattr(self, name).data]


def plan_form(experts, *args, **kwargs) -> PlanForm:
    """A PlanForm with a working-days field for each expert."""

    class Form(PlanForm):
        pass

    Form.expert_fields = []
    for expert in experts:
        name = f"days_{expert.id}"
        setattr(Form, name, DecimalField(_l("Working days of %(name)s", name=expert.name), places=1,
                                         validators=[Optional(), NumberRange(0.5, 180)]))
        Form.expert_fields.append((expert.id, name))
    return Form(*args, **kwargs)
