import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from centre.errors import DomainError
from centre.extensions import db
from centre.forms import options
from centre.i18n import country_name, localized
from centre.models import Association, Expert, Institution, SessionKind, SessionStatus, SlotPart
from centre.sessions.services import check_dates

LANGUAGE_CHOICES = options([("fr", _l("French")), ("ar", _l("Arabic")), ("en", _l("English"))])


#: Session codes, e-mail addresses, phone and passport numbers are written left to right: in an
#: Arabic page an input without dir shows "2026-07" as "07-2026" and "+221 77 …" with the + last.
LTR = {"dir": "ltr"}


def within_window(form, field):
    """A date inside the sessions' date window (services.check_dates), refused next to the field."""
    try:
        check_dates(field.data, None)
    except DomainError as error:
        raise ValidationError(str(error)) from None


class SessionForm(FlaskForm):
    code = StringField(_l("Code"), render_kw=LTR, validators=[
        DataRequired(), Length(max=20),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9-]*$", message=_l("Letters, digits and dashes only, e.g. 2026-07.")),
    ])
    kind = SelectField(_l("Kind"), choices=options((k.value, k.label) for k in SessionKind))
    title_fr = StringField(_l("Title in French"), validators=[DataRequired(), Length(max=300)])
    title_ar = StringField(_l("Title in Arabic"), validators=[Optional(), Length(max=300)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=300)])
    theme_fr = TextAreaField(_l("Theme in French"), validators=[DataRequired(), Length(max=10000)])
    theme_ar = TextAreaField(_l("Theme in Arabic"), validators=[Optional(), Length(max=10000)])
    theme_en = TextAreaField(_l("Theme in English"), validators=[Optional(), Length(max=10000)])
    programme_fr = TextAreaField(_l("Programme in French"), validators=[Optional(), Length(max=20000)])
    programme_ar = TextAreaField(_l("Programme in Arabic"), validators=[Optional(), Length(max=20000)])
    programme_en = TextAreaField(_l("Programme in English"), validators=[Optional(), Length(max=20000)])
    venue_fr = StringField(_l("Venue in French"), validators=[DataRequired(), Length(max=200)])
    venue_ar = StringField(_l("Venue in Arabic"), validators=[Optional(), Length(max=200)])
    venue_en = StringField(_l("Venue in English"), validators=[Optional(), Length(max=200)])
    start_on = DateField(_l("First day"), validators=[DataRequired(), within_window])
    end_on = DateField(_l("Last day"), validators=[DataRequired(), within_window])
    capacity = IntegerField(_l("Capacity"), validators=[DataRequired(), NumberRange(min=1, max=10000)])
    institution_quota = IntegerField(_l("Places per institution (optional)"),
                                     validators=[Optional(), NumberRange(min=1, max=10000)])
    registration_deadline = DateField(_l("Registration deadline"), validators=[Optional(), within_window])
    languages = SelectMultipleField(_l("Working languages"), choices=LANGUAGE_CHOICES,
                                    default=["fr"], validators=[DataRequired()])
    attendance_threshold = IntegerField(_l("Attendance needed for a certificate (%)"), default=80,
                                        validators=[DataRequired(), NumberRange(min=1, max=100)])
    excused_left_out = BooleanField(_l("Leave excused absences out of the attendance count"))

    def validate_end_on(self, field):
        if self.start_on.data and field.data and field.data < self.start_on.data:
            raise ValidationError(_l("The session cannot end before it starts."))
        if self.start_on.data and field.data:
            try:
                check_dates(self.start_on.data, field.data)
            except DomainError as error:
                raise ValidationError(str(error)) from None

    def validate_registration_deadline(self, field):
        if field.data and self.start_on.data and field.data > self.start_on.data:
            raise ValidationError(_l("The deadline must not be after the first day."))

    def session_fields(self) -> dict:
        fields = {name: getattr(self, name).data for name in (
            "code", "title_fr", "title_ar", "title_en", "theme_fr", "theme_ar", "theme_en",
            "programme_fr", "programme_ar", "programme_en", "venue_fr", "venue_ar", "venue_en",
            "start_on", "end_on", "capacity", "institution_quota", "registration_deadline",
            "attendance_threshold", "excused_left_out")}
        for name in ("code", "title_fr", "title_ar", "title_en", "venue_fr", "venue_ar", "venue_en",
                     "theme_fr", "theme_ar", "theme_en", "programme_fr", "programme_ar", "programme_en"):
            fields[name] = (fields[name] or "").strip()
        fields["kind"] = SessionKind(self.kind.data)
        fields["languages"] = ",".join(self.languages.data)
        return fields


    def load(self, training_session):
        """Fill the form from a session, for editing."""
        self.process(obj=training_session)
        self.kind.data = training_session.kind.value
        self.languages.data = training_session.language_codes


class DuplicateForm(FlaskForm):
    code = StringField(_l("Code of the new session"), render_kw=LTR, validators=[
        DataRequired(), Length(max=20),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9-]*$", message=_l("Letters, digits and dashes only, e.g. 2026-07.")),
    ])
    start_on = DateField(_l("First day of the new session"), validators=[DataRequired(), within_window])


class SlotForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    part = SelectField(_l("Part of the day"), choices=options((p.value, p.label) for p in SlotPart))
    starts = TimeField(_l("Starts at"), validators=[DataRequired()])
    ends = TimeField(_l("Ends at"), validators=[DataRequired()])


class SlotHoursForm(FlaskForm):
    starts = TimeField(_l("Starts at"), validators=[DataRequired()])
    ends = TimeField(_l("Ends at"), validators=[DataRequired()])


class TrainerForm(FlaskForm):
    # Its own id: the session page shows this form beside the assignment form, which has an
    # expert_id too, and two fields with one id leave the second without its label.
    expert_id = SelectField(_l("Expert"), id="trainer-expert_id", coerce=int, validators=[DataRequired()])
    days = DecimalField(_l("Working days"), places=1, validators=[DataRequired(), NumberRange(min=0.5, max=366)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.expert_id.choices = expert_options()


class FilterForm(FlaskForm):
    """The filters of the sessions list, read from the query string."""

    class Meta:
        csrf = False

    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(min=2000, max=2100)])
    status = SelectField(_l("Status"), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    association = SelectField(_l("Association"), coerce=int, validators=[Optional()])
    institution = SelectField(_l("Partner institution"), coerce=int, validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        anything = [("", _l("All"))]
        self.status.choices = options([*anything, *((s.value, s.label) for s in SessionStatus)])
        self.kind.choices = options([*anything, *((k.value, k.label) for k in SessionKind)])
        associations = db.session.scalars(sa.select(Association).order_by(Association.code)).all()
        self.association.choices = options([(0, _l("All")), *((a.id, a.code) for a in associations)])
        institutions = db.session.scalars(sa.select(Institution)).all()
        self.institution.choices = options([(0, _l("All")), *sorted(
            ((i.id, localized(i, "name")) for i in institutions), key=lambda item: item[1])])

    def filters(self) -> dict:
        """The valid filters (call validate() first); a filter with a bad value is left out."""
        def valid(field):
            return field.data if field.data and not field.errors else None

        status, kind = valid(self.status), valid(self.kind)
        return {
            "year": valid(self.year),
            "status": SessionStatus(status) if status else None,
            "kind": SessionKind(kind) if kind else None,
            "association_id": valid(self.association),
            "institution_id": valid(self.institution),
        }


def expert_options():
    experts = db.session.scalars(sa.select(Expert).order_by(Expert.family_name, Expert.given_name)).all()
    return options((e.id, f"{e.name} — {country_name(e.nationality)}") for e in experts)


class TransitionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    override_reason = TextAreaField(_l("Reason for approving despite a rejecting review"),
                                    validators=[Optional(), Length(max=2000)])
