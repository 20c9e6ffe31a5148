from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from centre.forms import options
from centre.models import SessionKind

LANGUAGE_CHOICES = options([("fr", _l("French")), ("ar", _l("Arabic")), ("en", _l("English"))])


class SessionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        DataRequired(), Length(max=20),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9-]*$", message=_l("Letters, digits and dashes only, e.g. 2026-07.")),
    ])
    kind = SelectField(_l("Kind"), choices=options((k.value, k.label) for k in SessionKind))
    title_fr = StringField(_l("Title in French"), validators=[DataRequired(), Length(max=300)])
    title_ar = StringField(_l("Title in Arabic"), validators=[Optional(), Length(max=300)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=300)])
    theme_fr = TextAreaField(_l("Theme and programme in French"), validators=[DataRequired(), Length(max=10000)])
    theme_ar = TextAreaField(_l("Theme and programme in Arabic"), validators=[Optional(), Length(max=10000)])
    theme_en = TextAreaField(_l("Theme and programme in English"), validators=[Optional(), Length(max=10000)])
    venue_fr = StringField(_l("Venue in French"), validators=[DataRequired(), Length(max=200)])
    venue_ar = StringField(_l("Venue in Arabic"), validators=[Optional(), Length(max=200)])
    venue_en = StringField(_l("Venue in English"), validators=[Optional(), Length(max=200)])
    start_on = DateField(_l("First day"), validators=[DataRequired()])
    end_on = DateField(_l("Last day"), validators=[DataRequired()])
    capacity = IntegerField(_l("Capacity"), validators=[DataRequired(), NumberRange(min=1, max=10000)])
    institution_quota = IntegerField(_l("Places per institution (optional)"),
                                     validators=[Optional(), NumberRange(min=1, max=10000)])
    registration_deadline = DateField(_l("Registration deadline"), validators=[Optional()])
    languages = SelectMultipleField(_l("Working languages"), choices=LANGUAGE_CHOICES,
                                    default=["fr"], validators=[DataRequired()])
    attendance_threshold = IntegerField(_l("Attendance needed for a certificate (%)"), default=80,
                                        validators=[DataRequired(), NumberRange(min=1, max=100)])
    excused_left_out = BooleanField(_l("Leave excused absences out of the attendance count"))

    def validate_end_on(self, field):
        if self.start_on.data and field.data and field.data < self.start_on.data:
            raise ValidationError(_l("The session cannot end before it starts."))

    def validate_registration_deadline(self, field):
        if field.data and self.start_on.data and field.data > self.start_on.data:
            raise ValidationError(_l("The deadline must not be after the first day."))

    def session_fields(self) -> dict:
        fields = {name: getattr(self, name).data for name in (
            "code", "title_fr", "title_ar", "title_en", "theme_fr", "theme_ar", "theme_en", "venue_fr", "venue_ar", "venue_en",
            "start_on", "end_on", "capacity", "institution_quota", "registration_deadline",
            "attendance_threshold", "excused_left_out")}
        for name in ("code", "title_fr", "title_ar", "title_en", "venue_fr", "venue_ar", "venue_en"):
            fields[name] = (fields[name] or "").strip()
        fields["kind"] = SessionKind(self.kind.data)
        fields["languages"] = ",".join(self.languages.data)
        return fields


class TransitionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    override_reason = TextAreaField(_l("Reason for approving despite a rejecting review"),
                                    validators=[Optional(), Length(max=2000)])
