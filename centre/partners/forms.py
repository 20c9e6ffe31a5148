from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from centre.experts.forms import AcceptInvitationForm  # the same password choice for every invited account
from centre.forms import options
from centre.i18n import LANGUAGE_NAMES, country_choices, localized
from centre.models import Gender
from centre.partners.services import open_sessions

#: Addresses and numbers are written left to right, whatever the page's direction.
LTR = {"dir": "ltr"}

__all__ = ["AcceptInvitationForm", "ContactForm", "InviteFocalPointForm", "NominationForm"]


class InviteFocalPointForm(FlaskForm):
    full_name = StringField(_l("Name of the focal point"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), render_kw=LTR, validators=[DataRequired(), Email(), Length(max=254)])
    language = SelectField(_l("Language of the e-mail"), choices=options(LANGUAGE_NAMES.items()), default="fr")

    def invitation_fields(self) -> dict:
        return {"full_name": self.full_name.data, "email": self.email.data, "language": self.language.data}


class ContactForm(FlaskForm):
    full_name = StringField(_l("Name of the contact"), validators=[DataRequired(), Length(max=200)])
    position = StringField(_l("Role at the institution"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("E-mail"), render_kw=LTR, validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), render_kw=LTR, validators=[Optional(), Length(max=40)])
    postal_address = TextAreaField(_l("Postal address"), validators=[Optional(), Length(max=1000)])
    language = SelectField(_l("Language of the e-mail"), default="fr", validators=[DataRequired()], choices=options(
        [("fr", _l("French")), ("ar", _l("Arabic")), ("en", _l("English"))]))

    def contact_fields(self) -> dict:
        return {name: getattr(self, name).data or "" for name in
                ("full_name", "position", "email", "phone", "postal_address", "language")}


class NominationForm(FlaskForm):
    """A focal point's candidate for an open session."""

    session_id = SelectField(_l("Session"), coerce=int, validators=[DataRequired()])
    given_name = StringField(_l("Given name (Latin script)"), validators=[DataRequired(), Length(max=100)])
    family_name = StringField(_l("Family name (Latin script)"), validators=[DataRequired(), Length(max=100)])
    full_name_ar = StringField(_l("Full name in Arabic script (optional)"), validators=[Optional(), Length(max=200)])
    gender = RadioField(_l("Gender"), choices=options((g.value, g.label) for g in Gender), validators=[DataRequired()])
    nationality = SelectField(_l("Nationality"), validators=[DataRequired()])
    position = StringField(_l("Position"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), render_kw=LTR, validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), render_kw=LTR, validators=[Optional(), Length(max=40)])
    passport_number = StringField(_l("Passport number (needed for a visa letter)"), render_kw=LTR,
                                  validators=[Optional(), Length(max=30)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.nationality.choices = options([("", "—"), *country_choices()])
        self.session_id.choices = options([(0, "—"), *((s.id, f"{s.code} — {localized(s, 'title')}")
                                                        for s in open_sessions())])

    def candidate_fields(self) -> dict:
        return {name: getattr(self, name).data or "" for name in
                ("given_name", "family_name", "full_name_ar", "gender", "nationality", "position", "email",
                 "phone", "passport_number")}
