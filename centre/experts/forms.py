from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from centre.experts.services import FOREIGN, NATIONAL, list_institutions, specialities
from centre.forms import MultiCheckboxField, options
from centre.i18n import LANGUAGE_NAMES, country_choices, localized

NO_INSTITUTION = 0


def _institution_choices(first):
    return options([first, *sorted(((i.id, localized(i, "name")) for i in list_institutions()),
                                   key=lambda item: item[1].casefold())])


class ExpertForm(FlaskForm):
    given_name = StringField(_l("Given name (Latin script)"), validators=[DataRequired(), Length(max=100)])
    family_name = StringField(_l("Family name (Latin script)"), validators=[DataRequired(), Length(max=100)])
    full_name_ar = StringField(_l("Full name in Arabic script (optional)"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("E-mail (needed to invite the expert)"), validators=[Optional(), Email(), Length(max=254)])
    nationality = SelectField(_l("Nationality"), validators=[DataRequired()])
    speciality = StringField(_l("Speciality"), validators=[Optional(), Length(max=200)])
    languages = MultiCheckboxField(_l("Working languages"), choices=options(LANGUAGE_NAMES.items()),
                                   validators=[Optional()])
    institution_id = SelectField(_l("Institution"), coerce=int, default=NO_INSTITUTION)

    def __init__(self, *args, **kwargs):
        obj = kwargs.get("obj")
        if obj is not None:
            kwargs.setdefault("languages", obj.language_codes)
        super().__init__(*args, **kwargs)
        self.nationality.choices = options([("", "—"), *country_choices()])
        self.institution_id.choices = _institution_choices((NO_INSTITUTION, _l("No institution")))
        if self.institution_id.data is None:
            self.institution_id.data = NO_INSTITUTION

    def expert_fields(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "given_name", "family_name", "full_name_ar", "email", "nationality", "speciality", "institution_id")} \
            | {"languages": ",".join(self.languages.data or [])}


class InviteForm(FlaskForm):
    language = SelectField(_l("Language of the e-mail"), choices=options(LANGUAGE_NAMES.items()), default="fr")


class AcceptInvitationForm(FlaskForm):
    password = PasswordField(_l("Choose a password"), validators=[DataRequired(), Length(min=8, max=200)])
    password_again = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class ExpertFilterForm(FlaskForm):
    """The directory's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    origin = SelectField(_l("National or foreign"), default="", choices=options([
        ("", _l("National and foreign")), (NATIONAL, _l("National")), (FOREIGN, _l("Foreign"))]))
    speciality = SelectField(_l("Speciality"), default="")
    institution = SelectField(_l("Institution"), default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.speciality.choices = options([("", _l("All specialities")), *((s, s) for s in specialities())])
        self.institution.choices = options([
            ("", _l("All institutions")),
            *sorted(((str(i.id), localized(i, "name")) for i in list_institutions()),
                    key=lambda item: item[1].casefold()),
        ])

    def filters(self) -> dict:
        return {"origin": self.origin.data, "speciality": self.speciality.data,
                "institution_id": int(self.institution.data) if self.institution.data else None}
