from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from centre.forms import MultiCheckboxField, options
from centre.i18n import country_choices, country_name, localized
from centre.institutions.services import countries_in_use, list_associations
from centre.models import InstitutionKind

KIND_CHOICES = [(k.value, k.label) for k in InstitutionKind]


def _association_label(association) -> str:
    return f"{localized(association, 'name')} ({association.code})"


class InstitutionForm(FlaskForm):
    name_fr = StringField(_l("Name in French"), validators=[DataRequired(), Length(max=300)])
    name_ar = StringField(_l("Name in Arabic (optional)"), validators=[Optional(), Length(max=300)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=300)])
    country = SelectField(_l("Country"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=options(KIND_CHOICES), default=InstitutionKind.OMBUDSMAN.value)
    association_ids = MultiCheckboxField(_l("Member of"), coerce=int, validators=[Optional()])

    def __init__(self, *args, institution=None, **kwargs):
        if institution is not None:
            kwargs.setdefault("association_ids", [a.id for a in institution.associations])
        super().__init__(*args, obj=institution, **kwargs)
        self.country.choices = options([("", "—"), *country_choices()])
        self.association_ids.choices = options((a.id, _association_label(a)) for a in list_associations())

    def institution_fields(self) -> dict:
        return {"name_fr": self.name_fr.data, "name_ar": self.name_ar.data or "",
                "name_en": self.name_en.data, "country": self.country.data, "kind": self.kind.data,
                "association_ids": self.association_ids.data or []}


class AgreementForm(FlaskForm):
    title = StringField(_l("Title of the agreement"), validators=[DataRequired(), Length(max=300)])
    signed_on = DateField(_l("Signed on"), validators=[InputRequired()])  # keeps the "not a valid date" message
    ends_on = DateField(_l("Ends on (optional)"), validators=[Optional()])
    #: Checked by its content in centre/files.py, inside the service call (its refusal is the form's).
    document = FileField(_l("Signed agreement (PDF or scan, optional)"))

    def agreement_fields(self) -> dict:
        return {"title": self.title.data, "signed_on": self.signed_on.data, "ends_on": self.ends_on.data}


class InstitutionFilterForm(FlaskForm):
    """The list's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name contains"), validators=[Optional(), Length(max=100)], default="")
    country = SelectField(_l("Country"), default="")
    association = SelectField(_l("Association"), default="")
    kind = SelectField(_l("Kind"), choices=options([("", _l("All kinds")), *KIND_CHOICES]), default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = sorted(((c, country_name(c)) for c in countries_in_use()), key=lambda item: item[1])
        self.country.choices = options([("", _l("All countries")), *countries])
        self.association.choices = options([("", _l("All associations")),
                                            *((str(a.id), a.code) for a in list_associations())])

    def filters(self) -> dict:
        return {"search": self.q.data or "", "country": self.country.data, "kind": self.kind.data,
                "association_id": int(self.association.data) if self.association.data else None}

