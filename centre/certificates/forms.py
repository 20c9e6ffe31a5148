from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from centre.forms import options
from centre.models import DocumentLanguage


class IssueForm(FlaskForm):
    language = SelectField(_l("Language"), choices=options((lang.value, lang.label) for lang in DocumentLanguage))
