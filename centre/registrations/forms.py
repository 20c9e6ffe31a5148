import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from centre.forms import options
from centre.extensions import db
from centre.i18n import country_choices, country_name, localized
from centre.models import DocumentLanguage, Gender, Institution, RegistrationStatus

OTHER_INSTITUTION = 0
#: Addresses and numbers are written left to right, whatever the page's direction.
LTR = {"dir": "ltr"}


class RegistrationForm(FlaskForm):
    """What a signed-in trainee gives for one session: travel details."""

    arrival_on = DateField(_l("Arrival date"), validators=[Optional()])
    departure_on = DateField(_l("Departure date"), validators=[Optional()])
    needs_visa_letter = BooleanField(_l("I need an invitation letter for a visa"))

    def validate_departure_on(self, field):
        if field.data and self.arrival_on.data and field.data < self.arrival_on.data:
            raise ValidationError(_l("The departure date is before the arrival date."))


class NewTraineeForm(RegistrationForm):
    """A visitor's registration: who they are, their account, and their travel details."""

    given_name = StringField(_l("Given name (Latin script)"), validators=[DataRequired(), Length(max=100)])
    family_name = StringField(_l("Family name (Latin script)"), validators=[DataRequired(), Length(max=100)])
    full_name_ar = StringField(_l("Full name in Arabic script (optional)"), validators=[Optional(), Length(max=200)])
    gender = RadioField(_l("Gender"), choices=options((g.value, g.label) for g in Gender), validators=[DataRequired()])
    nationality = SelectField(_l("Nationality"), validators=[DataRequired()])
    institution_id = SelectField(_l("Institution"), coerce=int, validators=[Optional()])
    # No Optional(): it would stop the chain before validate_institution_other.
    institution_other = StringField(_l("Name of your institution, if not in the list"),
                                    validators=[Length(max=300)])
    position = StringField(_l("Position"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), render_kw=LTR, validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), render_kw=LTR, validators=[Optional(), Length(max=40)])
    passport_number = StringField(_l("Passport number (needed for a visa letter)"), render_kw=LTR,
                                  validators=[Optional(), Length(max=30)])
    passport_expires_on = DateField(_l("Passport expiry date"), validators=[Optional()])
    certificate_language = SelectField(
        _l("Certificate language"), choices=options((lang.value, lang.label) for lang in DocumentLanguage),
        default=DocumentLanguage.FR.value,
    )
    password = PasswordField(_l("Choose a password"), validators=[DataRequired(), Length(min=8, max=200)])
    password_again = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    consent = BooleanField(
        _l("I agree that the centre processes my personal data to handle this registration."),
        validators=[DataRequired(message=_l("Your consent is needed to register."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.nationality.choices = options([("", "—"), *country_choices()])
        institutions = db.session.scalars(sa.select(Institution)).all()
        self.institution_id.choices = options([
            (OTHER_INSTITUTION, _l("Other (not in the list)")),
            *sorted(((i.id, localized(i, "name")) for i in institutions), key=lambda item: item[1]),
        ])

    def validate_institution_other(self, field):
        if self.institution_id.data == OTHER_INSTITUTION and not (field.data or "").strip():
            raise ValidationError(_l("Name your institution, or choose it from the list."))

    def validate_needs_visa_letter(self, field):
        if field.data and not self.passport_number.data:
            raise ValidationError(_l("A visa letter needs your passport number."))

    def trainee_fields(self) -> dict:
        return {
            "given_name": self.given_name.data.strip(),
            "family_name": self.family_name.data.strip(),
            "full_name_ar": (self.full_name_ar.data or "").strip(),
            "gender": Gender(self.gender.data),
            "nationality": self.nationality.data,
            "institution_id": self.institution_id.data or None,
            "institution_other": (self.institution_other.data or "").strip()
            if self.institution_id.data == OTHER_INSTITUTION else "",
            "position": self.position.data.strip(),
            "email": self.email.data,
            "phone": (self.phone.data or "").strip(),
            "passport_number": self.passport_number.data,
            "passport_expires_on": self.passport_expires_on.data,
            "certificate_language": DocumentLanguage(self.certificate_language.data),
        }


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason (sent to the trainee when rejecting)"),
                           validators=[Optional(), Length(max=2000)])


class QueueFilterForm(FlaskForm):
    """The decision queue's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="")
    institution = SelectField(_l("Institution"), default="")
    country = SelectField(_l("Nationality"), default="")

    def __init__(self, registrations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = options([("", _l("All statuses")),
                                       *((s.value, s.label) for s in RegistrationStatus)])
        institutions = {r.trainee.institution for r in registrations if r.trainee.institution}
        self.institution.choices = options([("", _l("All institutions")), *sorted(
            ((str(i.id), localized(i, "name")) for i in institutions), key=lambda item: item[1])])
        countries = {r.trainee.nationality for r in registrations}
        self.country.choices = options([("", _l("All countries")), *sorted(
            ((c, country_name(c)) for c in countries), key=lambda item: item[1])])

    def filters(self) -> dict:
        return {"status": RegistrationStatus(self.status.data) if self.status.data else None,
                "institution_id": int(self.institution.data) if self.institution.data else None,
                "country": self.country.data or None}


class BulkDecisionForm(FlaskForm):
    """One decision for the ticked registrations."""

    registration_ids = SelectMultipleField(coerce=int, validators=[DataRequired(
        message=_l("Tick at least one registration."))])
    decision = SelectField(_l("Decision"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason (sent to the trainee when rejecting)"),
                           validators=[Optional(), Length(max=2000)])

    def __init__(self, registration_ids=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.registration_ids.choices = [(i, str(i)) for i in registration_ids]
        self.decision.choices = options([
            (RegistrationStatus.ACCEPTED.value, _l("Accept")),
            (RegistrationStatus.WAITLISTED.value, _l("Put on the waiting list")),
            (RegistrationStatus.REJECTED.value, _lp("registration decision", "Reject")),
        ])


class ImportForm(FlaskForm):
    file = FileField(_l("List of trainees (CSV or XLSX)"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["csv", "xlsx"], _l("The list must be a CSV or XLSX file.")),
    ])
    skip_errors = BooleanField(_l("Import the good rows and skip the rows with errors"))


class CorrectionForm(FlaskForm):
    """A trainee's details corrected: the names in both scripts, the passport, the institution."""

    given_name = StringField(_l("Given name (Latin script)"), validators=[DataRequired(), Length(max=100)])
    family_name = StringField(_l("Family name (Latin script)"), validators=[DataRequired(), Length(max=100)])
    full_name_ar = StringField(_l("Full name in Arabic script (optional)"), validators=[Optional(), Length(max=200)])
    passport_number = StringField(_l("Passport number (needed for a visa letter)"), render_kw=LTR,
                                  validators=[Optional(), Length(max=30)])
    institution_id = SelectField(_l("Institution"), coerce=int, validators=[Optional()])
    institution_other = StringField(_l("Name of the institution, if not in the list"),
                                    validators=[Length(max=300)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        institutions = db.session.scalars(sa.select(Institution)).all()
        self.institution_id.choices = options([
            (OTHER_INSTITUTION, _l("Other (not in the list)")),
            *sorted(((i.id, localized(i, "name")) for i in institutions), key=lambda item: item[1]),
        ])
        if self.institution_id.data is None:
            self.institution_id.data = OTHER_INSTITUTION

    def validate_institution_other(self, field):
        if self.institution_id.data == OTHER_INSTITUTION and not (field.data or "").strip():
            raise ValidationError(_l("Name your institution, or choose it from the list."))

    def correction_fields(self) -> dict:
        other = self.institution_id.data == OTHER_INSTITUTION
        return {
            "given_name": self.given_name.data, "family_name": self.family_name.data,
            "full_name_ar": self.full_name_ar.data or "", "passport_number": self.passport_number.data or "",
            "institution_id": None if other else self.institution_id.data,
            "institution_other": (self.institution_other.data or "").strip() if other else "",
        }


class LetterForm(FlaskForm):
    """The language a visa invitation letter is generated (again) in."""
    language = SelectField(_l("Language of the letter"), choices=options(
        [("fr", _l("French")), ("ar", _l("Arabic")), ("en", _l("English"))]))
