from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from centre.forms import options
from centre.models import DocumentLanguage


def _languages():
    return options((lang.value, lang.label) for lang in DocumentLanguage)


class IssueForm(FlaskForm):
    language = SelectField(_l("Language"), choices=_languages())


class BulkIssueForm(FlaskForm):
    language = SelectField(_l("Language"), choices=options([("", _l("Each trainee's preference")), *((lang.value, lang.label) for lang in DocumentLanguage)]))
    email = BooleanField(_l("E-mail each certificate to its trainee"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])


class ReplaceForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the correction"), validators=[DataRequired(), Length(max=1000)])
    language = SelectField(_l("Language"), choices=_languages())


class SignatoryForm(FlaskForm):
    name_fr = StringField(_l("Name (Latin script)"), validators=[DataRequired(), Length(max=120)])
    name_ar = StringField(_l("Name (Arabic script)"), validators=[Optional(), Length(max=120)])
    title_fr = StringField(_l("Title in French"), validators=[DataRequired(), Length(max=120)])
    title_ar = StringField(_l("Title in Arabic"), validators=[Optional(), Length(max=120)])
    position = IntegerField(_l("Order on the certificate"), default=1,
                            validators=[Optional(), NumberRange(min=0, max=99)])
    signature = FileField(_l("Signature image (PNG or JPEG, at most 1 MB and 2000 pixels)"),
                          validators=[FileRequired()])
