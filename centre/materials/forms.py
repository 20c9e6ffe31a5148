from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from centre.forms import options
from centre.materials.services import TITLE_MAX
from centre.models import Visibility


class MaterialForm(FlaskForm):
    file = FileField(_l("File (PDF, slides, documents, images)"))
    title = StringField(_l("Title (the file's name if left empty)"), validators=[Optional(), Length(max=TITLE_MAX)])
    visibility = SelectField(_l("Who sees it"), choices=options((v.value, v.label) for v in Visibility),
                             default=Visibility.TRAINEES.value, validators=[DataRequired()])
